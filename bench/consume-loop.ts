/**
 * The consumer's own cost per message, without the broker's noise (not a timed test).
 *
 * `bench:consume` measures whole consumers against the local broker; on a shared machine one
 * round's rate moves by +-20%, more than the SDK's share of the work. This bench fetches a topic's
 * records once, then feeds the same fetched kafkajs batches, in one process and in alternating
 * rounds, to:
 * - raw:       a kafkajs-style `eachBatch` loop resolving each offset (no decoding);
 * - raw+avro:  the same plus decoding each value with avsc;
 * - sdk:       the SDK consumer's batch handler with one async middleware and a typed handler
 *              (header checks, decode, routing, middleware, outcome counting, offsets);
 * - sdk bare:  the same without the middleware.
 * Prints the CPU time per message of each (the minimum over rounds: the least disturbed) and the
 * ratios. The batch handler is the consumer's own (reached through a private method).
 *
 *   npm run bench:consume-loop -- [--messages 20000] [--rounds 20] [--json]
 */
import { parseArgs } from "node:util";
import avro from "avsc";
import { type EachBatchPayload, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { Registry } from "prom-client";
import { createBatchHandler } from "../runtime/consumer/batch.ts";
import { Membership } from "../runtime/consumer/membership.ts";
import type { ProcessorDeps } from "../runtime/consumer/processor.ts";
import {
  type Consumer,
  consumerConfigFromEnv,
  consumerMetrics,
  createConsumer,
  createProducer,
  producerConfigFromEnv,
  silentLogger,
} from "../runtime/index.ts";
import { type Booking, booking, bookingCreated, schema } from "./booking.ts";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const messages = Number(args.messages);
const rounds = Number(args.rounds);
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const env = { KAFKA_BROKERS: brokers.join(",") };
const kafka = new Kafka({ brokers, clientId: "bench-consume-loop", logLevel: logLevel.NOTHING });
const topic = `bench-consume-loop-${Math.random().toString(36).slice(2, 8)}`;
const BookingCreated = bookingCreated(topic);

/** Publishes `messages` events with the SDK producer and reads them back as kafkajs records. */
async function fetchRecords(): Promise<KafkaMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = createProducer(
    { ...producerConfigFromEnv(topic, env), batchTimeoutMs: 5, compression: "none" },
    { logger: silentLogger, metrics: undefined },
  );
  await Promise.all(Array.from({ length: messages }, (_, i) => producer.publishEvent(BookingCreated, booking(i))));
  await producer.close();
  const records: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        records.push(...batch.messages);
        if (records.length >= messages) resolve();
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return records.slice(0, messages);
}

// The member's hold on its partitions, as the consumer keeps it: a join, then every heartbeat
// refreshes it (kafkajs's heartbeat event), so the loop confirms once per heartbeat interval.
const heartbeatIntervalMs = 3000;
const membership = new Membership(heartbeatIntervalMs);
membership.joined();

/** An `eachBatch` payload over fetched records, as kafkajs hands one over (nothing is committed). */
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

/** The SDK consumer's own batch handler (what kafkajs calls), from its private processor setup. */
function sdkBatchHandler(consumer: Consumer): (payload: EachBatchPayload) => Promise<void> {
  const processor = (consumer as unknown as { processorDeps(): ProcessorDeps }).processorDeps();
  return createBatchHandler({
    processor,
    metrics: consumerMetrics(new Registry()),
    signal: new AbortController().signal,
    isStopping: () => false,
    heartbeatIntervalMs,
    commitIntervalMs: 1000,
    retryLater: () => {},
    progressed: () => {},
    seeks: () => 0,
    membership,
  });
}

const records = await fetchRecords();
const batches: KafkaMessage[][] = [];
for (let i = 0; i < records.length; i += 500) batches.push(records.slice(i, i + 500));

let sink = 0;
const type = avro.Type.forSchema(schema as never);
const config = { ...consumerConfigFromEnv(topic, "bench-consume-loop", env), startOffset: "oldest" as const };
// Never started: the consumers only lend their batch handlers (the kafka instance is never used).
const options = { logger: silentLogger, metrics: consumerMetrics(new Registry()), kafka };
const withMiddleware = createConsumer(config, options)
  .use(async (ctx, message, next) => {
    await next(ctx, message);
  })
  .on(BookingCreated, (event) => {
    sink += event.payload.seats;
  });
const bare = createConsumer(config, options).on(BookingCreated, (event) => {
  sink += event.payload.seats;
});

const contenders: [string, () => Promise<void>][] = [
  [
    "raw",
    async () => {
      for (const b of batches) {
        const p = payloadOf(b);
        for (const m of p.batch.messages) p.resolveOffset(m.offset);
        await p.heartbeat();
      }
    },
  ],
  [
    "raw+avro",
    async () => {
      for (const b of batches) {
        const p = payloadOf(b);
        for (const m of p.batch.messages) {
          if (m.value !== null) sink += (type.fromBuffer(m.value) as Booking).seats;
          p.resolveOffset(m.offset);
        }
        await p.heartbeat();
      }
    },
  ],
  ["sdk", feed(sdkBatchHandler(withMiddleware))],
  ["sdk bare", feed(sdkBatchHandler(bare))],
];

function feed(handler: (payload: EachBatchPayload) => Promise<void>): () => Promise<void> {
  return async () => {
    for (const b of batches) await handler(payloadOf(b));
  };
}

const best = new Map<string, number>();
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of contenders) {
    const cpu = process.cpuUsage();
    await run();
    const used = process.cpuUsage(cpu);
    const micros = (used.user + used.system) / records.length;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, micros));
  }
}
const us = (name: string) => best.get(name) ?? Number.NaN;
const result = {
  messages: records.length,
  rounds,
  cpuMicrosPerMsg: Object.fromEntries([...best].map(([k, v]) => [k, Number(v.toFixed(3))])),
  sdkOverRawAvroMicros: Number((us("sdk") - us("raw+avro")).toFixed(3)),
  middlewareMicros: Number((us("sdk") - us("sdk bare")).toFixed(3)),
  /** CPU of raw+avro over the SDK's, per message (1 would mean no cost beyond decoding). */
  ratioRawAvroOverSdk: Number((us("raw+avro") / us("sdk")).toFixed(3)),
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(`consume loop benchmark: ${records.length} fetched records, best of ${rounds} rounds, CPU per message`);
  for (const [name, v] of best) console.log(`  ${name.padEnd(10)} ${v.toFixed(3)} us`);
  console.log(`  sdk over raw+avro: ${result.sdkOverRawAvroMicros.toFixed(3)} us per message`);
  console.log(`  one async middleware: ${result.middlewareMicros.toFixed(3)} us per message`);
  console.log(`  ratio raw+avro / sdk: ${result.ratioRawAvroOverSdk.toFixed(2)}x`);
}
if (sink < 0) console.log(sink);
