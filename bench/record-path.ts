/**
 * The record path's CPU per message without a broker (not a timed test).
 *
 * A whole producer against a broker spends most of its time in the client and the network, and
 * on a shared machine one round's rate moves by more than the SDK's share of the work. This bench
 * runs, in one process and in alternating rounds, the work a record costs on this machine only:
 * - sdk:        `publishEvent` of `--messages` bookings (validation, defaults, Avro, headers,
 *               batching) into a client that turns each batch into kafkajs's wire bytes (its own
 *               Record and RecordBatch encoders, no compression) instead of sending it;
 * - raw:        the same work by hand: avsc encoding, the same headers (a UUID, an RFC 3339 time),
 *               the same kafkajs encoders, in the loop;
 * - wire read:  kafkajs's decoding of the batches `sdk` wrote, as a consumer's fetch does it;
 * - sdk read:   the SDK consumer's batch handler over those decoded records (decode, route, handler).
 * Prints the CPU time per message of each (median and minimum over rounds), the garbage
 * collector's share, and the bytes of one record on the wire.
 *
 *   node --conditions=skeji-source --import tsx bench/record-path.ts -- [--messages 20000] [--rounds 15] [--json]
 *        [--variants default/none/content-type,schema-fingerprint,retry-count] (producers side by side, each
 *        with those optional headers, as KAFKA_PRODUCER_OPTIONAL_HEADERS) [--only sdk,raw]
 *        [--window 1000] (publishes in flight at once; default all of them)
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import avro from "avsc";
import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import { Registry } from "prom-client";
import type { KafkaClient, OutgoingRecord, ProducerClient, RecordAck, TopicRecords } from "../runtime/client/types.ts";
import { createBatchHandler } from "../runtime/consumer/batch.ts";
import { Membership } from "../runtime/consumer/membership.ts";
import type { ProcessorDeps } from "../runtime/consumer/processor.ts";
import {
  consumerConfigFromEnv,
  consumerMetrics,
  createConsumer,
  createProducer,
  type Producer,
  producerConfigFromEnv,
  silentLogger,
} from "../runtime/index.ts";
import { rfc3339 } from "../runtime/message/headers.ts";
import { booking, bookingCreated, schema } from "./booking.ts";

const require = createRequire(import.meta.url);
type Encoder = { buffer: Buffer };
const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as (r: object) => Encoder;
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as {
  RecordBatch: (b: object) => Promise<Encoder>;
};
const RecordBatchDecoder = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (
  d: unknown,
) => Promise<{ records: KafkaMessage[] }>;
const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "15" },
    variants: { type: "string", default: "default" },
    window: { type: "string" },
    only: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const messages = Number(args.messages);
const rounds = Number(args.rounds);
const topic = "bench-record-path";
const BookingCreated = bookingCreated(topic);
const env: Record<string, string> = { KAFKA_BROKERS: "127.0.0.1:1", KAFKA_SOURCE: "bench" };
/** The producers' optional headers, one variant each: `default`, or KAFKA_PRODUCER_OPTIONAL_HEADERS values. */
const variants = (args.variants ?? "default").split("/");

/** kafkajs's wire bytes of one partition's records, as its produce request encodes them. */
async function wireBatch(records: readonly OutgoingRecord[]): Promise<Buffer> {
  const now = Date.now();
  const encoded = records.map((r, i) =>
    Record({ key: r.key, value: r.value, headers: r.headers, offsetDelta: i, timestampDelta: 0 }),
  );
  const batch = await RecordBatch({ records: encoded, firstTimestamp: now, maxTimestamp: now, lastOffsetDelta: 0 });
  return batch.buffer;
}

/** A client that encodes what it is given and acknowledges it, keeping the bytes it wrote. */
function wireClient(written: Buffer[]): KafkaClient {
  return {
    producer: (): ProducerClient => ({
      connect: async () => {},
      disconnect: async () => {},
      onProduceRequest: () => () => {},
      async send(batch: readonly TopicRecords[]): Promise<RecordAck[][]> {
        const acks: RecordAck[][] = [];
        for (const { topic, records } of batch) {
          written.push(await wireBatch(records));
          acks.push(records.map((_, i) => ({ topic, partition: 0, offset: String(i) })));
        }
        return acks;
      },
    }),
  };
}

const payloads = Array.from({ length: messages }, (_, i) => booking(i));
const type = avro.Type.forSchema(schema as never);

interface Variant {
  readonly name: string;
  readonly producer: Producer;
  /** What the producer wrote in its last run. */
  readonly written: Buffer[];
  /** Those bytes as kafkajs's fetch decodes them. */
  fetched: KafkaMessage[][];
}

const producers: Variant[] = variants.map((name) => {
  const written: Buffer[] = [];
  const variantEnv = name === "default" ? env : { ...env, KAFKA_PRODUCER_OPTIONAL_HEADERS: name };
  const producer = createProducer(
    { ...producerConfigFromEnv(topic, variantEnv), batchTimeoutMs: 0, compression: "none", schemaTopic: false },
    { logger: silentLogger, client: wireClient(written) },
  );
  return { name, producer, written, fetched: [] };
});

/** Publishes in flight at once: all of them unless `--window` says fewer (waits for each window). */
const window = Number(args.window ?? messages);

async function sdkProduce(v: Variant): Promise<void> {
  v.written.length = 0;
  for (let i = 0; i < messages; i += window) {
    await Promise.all(payloads.slice(i, i + window).map((p) => v.producer.publishEvent(BookingCreated, p)));
  }
}

async function rawProduce(): Promise<void> {
  const out: Buffer[] = [];
  for (let i = 0; i < messages; i += 1000) {
    const records: OutgoingRecord[] = [];
    for (const p of payloads.slice(i, i + 1000)) {
      records.push({
        key: p.booking_id,
        value: type.toBuffer({ ...p, start_time: p.start_time.getTime() }),
        headers: {
          "event-id": randomUUID(),
          "event-type": "bench.booking.created",
          "schema-version": "v1",
          timestamp: rfc3339(Date.now()),
          "retry-count": "0",
          source: "bench",
          "content-type": "application/avro",
          "schema-fingerprint": "0123456789abcdef",
        },
      });
    }
    out.push(await wireBatch(records));
  }
  if (out.length === 0) throw new Error("nothing written");
}

async function wireRead(v: Variant): Promise<void> {
  const out: KafkaMessage[][] = [];
  for (const b of v.written) out.push((await RecordBatchDecoder(new Decoder(b))).records);
  v.fetched = out;
}

// The consumer's batch handler, as bench/consume-loop.ts drives it (nothing is committed).
const membership = new Membership(3000);
membership.joined();
let sink = 0;
const consumer = createConsumer(
  { ...consumerConfigFromEnv(topic, "bench-record-path", env), startOffset: "oldest" },
  { logger: silentLogger, metrics: consumerMetrics(new Registry()) },
).on(BookingCreated, (event) => {
  sink += event.payload.seats;
});
const handler = (() => {
  const processor = (consumer as unknown as { processorDeps(): ProcessorDeps }).processorDeps();
  return createBatchHandler({
    processor,
    metrics: consumerMetrics(new Registry()),
    signal: new AbortController().signal,
    isStopping: () => false,
    heartbeatIntervalMs: 3000,
    commitIntervalMs: 1000,
    retryLater: () => {},
    progressed: () => {},
    seeks: () => 0,
    membership,
  });
})();
function payloadOf(records: KafkaMessage[]): EachBatchPayload {
  const last = records[records.length - 1] as KafkaMessage;
  return {
    batch: {
      topic,
      partition: 0,
      highWatermark: String(Number(last.offset) + 1),
      messages: records,
      offsetLagLow: () => "0",
      offsetLag: () => "0",
      firstOffset: () => records[0]?.offset ?? null,
      lastOffset: () => last.offset,
      isEmpty: () => records.length === 0,
    },
    resolveOffset: () => {},
    heartbeat: async () => membership.heartbeatSucceeded(),
    pause: () => () => {},
    commitOffsetsIfNecessary: async () => {},
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => true,
    isStale: () => false,
  };
}
async function sdkRead(v: Variant): Promise<void> {
  for (const records of v.fetched) await handler(payloadOf(records));
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ["gc"] });

const contenders: [string, () => Promise<void>][] = [["raw", rawProduce]];
for (const v of producers) {
  const tag = producers.length > 1 ? ` [${v.name}]` : "";
  contenders.push(
    [`sdk${tag}`, () => sdkProduce(v)],
    [`wire read${tag}`, () => wireRead(v)],
    [`sdk read${tag}`, () => sdkRead(v)],
  );
}
const chosen =
  args.only === undefined ? contenders : contenders.filter(([n]) => args.only?.split(",").some((o) => n.startsWith(o)));
const cpu = new Map<string, number[]>();
const gc = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of chosen) {
    const start = process.cpuUsage();
    const gcBefore = gcMs;
    await run();
    const used = process.cpuUsage(start);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the collector's entries arrive later
    // The first round warms up the engine; it is left out.
    if (r === 0) continue;
    cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / messages]);
    gc.set(name, [...(gc.get(name) ?? []), (gcMs - gcBefore) * 1000]);
  }
}
for (const v of producers) await v.producer.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** Per variant: the header names of its first record, and the bytes of its key, value and headers. */
const shapes = Object.fromEntries(
  producers.map((v) => {
    const one = v.fetched[0]?.[0];
    let bytes = (one?.key?.length ?? 0) + (one?.value?.length ?? 0);
    for (const [k, h] of Object.entries(one?.headers ?? {})) bytes += k.length + (Buffer.isBuffer(h) ? h.length : 0);
    return [v.name, { headers: Object.keys(one?.headers ?? {}), recordBytes: bytes }];
  }),
);
/** Per round, each variant's CPU over the first variant's (paired: the same round), median and range. */
const paired: Record<string, { median: number; min: number; max: number }> = {};
if (producers.length > 1) {
  const first = producers[0] as Variant;
  for (const v of producers.slice(1)) {
    for (const stage of ["sdk", "wire read", "sdk read"]) {
      const base = cpu.get(`${stage} [${first.name}]`);
      const other = cpu.get(`${stage} [${v.name}]`);
      if (base === undefined || other === undefined) continue;
      const ratios = other.map((x, i) => x / (base[i] ?? Number.NaN));
      paired[`${stage} [${v.name}] / [${first.name}]`] = {
        median: Number(median(ratios).toFixed(3)),
        min: Number(Math.min(...ratios).toFixed(3)),
        max: Number(Math.max(...ratios).toFixed(3)),
      };
    }
  }
}
const result = {
  messages,
  rounds: rounds - 1,
  variants: shapes,
  cpuMicrosPerMsg: Object.fromEntries(
    [...cpu].map(([k, v]) => [k, { median: Number(median(v).toFixed(3)), min: Number(Math.min(...v).toFixed(3)) }]),
  ),
  paired,
  gcMicrosPerMsg: Object.fromEntries([...gc].map(([k, v]) => [k, Number((median(v) / messages).toFixed(3))])),
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(`record path: ${messages} messages, ${rounds - 1} rounds, CPU per message (median / min), GC`);
  for (const [name, shape] of Object.entries(shapes)) {
    console.log(`  [${name}] ${shape.recordBytes} B of key, value and headers: ${shape.headers.join(", ")}`);
  }
  for (const [name, v] of cpu) {
    console.log(
      `  ${name.padEnd(10)} ${median(v).toFixed(3)} / ${Math.min(...v).toFixed(3)} us   gc ${result.gcMicrosPerMsg[name]} us`,
    );
  }
}
if (!args.json) {
  for (const [name, r] of Object.entries(paired)) {
    console.log(`  ${name}: ${r.median} (${r.min} to ${r.max}) per round`);
  }
}
if (sink < 0) console.log(sink);
