/**
 * Consumer benchmark against the local broker (not a timed test).
 *
 * One topic, filled once with Avro records carrying the standard headers. Each round reads all
 * of it with a fresh consumer group, alternating the contenders (in an order that rotates every
 * round) so noise on a shared machine hits all of them:
 * - sdk:      `createConsumer` with a typed `on(descriptor)` handler: header parsing, decode
 *             (embedded Avro, reader schema), routing, one middleware layer, metrics, offsets
 *             resolved per message and committed;
 * - raw:      kafkajs `eachBatch`, resolving each offset, autoCommit (no decoding at all);
 * - raw+avro: the same plus decoding each value with avsc (what a hand-written consumer must do).
 *
 * Throughput is counted from the first message handled to the last (group join excluded, for
 * all contenders alike). Prints msgs/s and the ratios sdk/raw and sdk/raw+avro (target >= 0.9x),
 * and the process CPU time per message, which varies less than wall time on a shared machine.
 *
 *   npm run bench:consume -- [--messages 100000] [--partitions 3] [--rounds 7] [--timeout 60] [--json]
 */

import { parseArgs } from "node:util";
import avro from "avsc";
import { Kafka, logLevel } from "kafkajs";
import { Registry } from "prom-client";
import {
  clientConfigFromEnv,
  consumerConfigFromEnv,
  consumerMetrics,
  createConsumer,
  createProducer,
  ensureTopics,
  producerConfigFromEnv,
  silentLogger,
} from "../runtime/index.ts";
import { type Booking, booking, bookingCreated, schema } from "./booking.ts";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "100000" },
    partitions: { type: "string", default: "3" },
    rounds: { type: "string", default: "7" },
    timeout: { type: "string", default: "60" },
    json: { type: "boolean", default: false },
  },
});
const messages = Number(args.messages);
const partitions = Number(args.partitions);
const rounds = Number(args.rounds);
const timeoutMs = Number(args.timeout) * 1000;
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const env = { KAFKA_BROKERS: brokers.join(",") };

const kafka = new Kafka({ brokers, clientId: "bench-consume", logLevel: logLevel.NOTHING });
const suffix = Math.random().toString(36).slice(2, 8);
const topic = `bench-consume-${suffix}`;
const BookingCreated = bookingCreated(topic);

interface Run {
  readonly count: number;
  readonly seconds: number;
  readonly rate: number;
  /** Process CPU time (user + system) per message over the same span, in microseconds. */
  readonly cpuMicros: number;
}

/** Times from the first message to the `messages`-th; rejects after the timeout. */
function counter(): { tick(n?: number): void; done: Promise<Run> } {
  let count = 0;
  let first = 0;
  let cpu = process.cpuUsage();
  let finish: (r: Run) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const done = new Promise<Run>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const guard = setTimeout(() => fail(new Error(`timed out after ${count} of ${messages}`)), timeoutMs);
  return {
    tick(n = 1) {
      if (count === 0) {
        first = performance.now();
        cpu = process.cpuUsage();
      }
      count += n;
      if (count === messages) {
        clearTimeout(guard);
        const seconds = (performance.now() - first) / 1000;
        const used = process.cpuUsage(cpu);
        finish({ count, seconds, rate: count / seconds, cpuMicros: (used.user + used.system) / count });
      }
    },
    done,
  };
}

async function fill(): Promise<void> {
  // Waits until every partition has a leader the clients can see (see bench/produce.ts).
  await ensureTopics(clientConfigFromEnv(env), [{ topic, partitions }], { logger: silentLogger });
  const producer = createProducer(
    { ...producerConfigFromEnv(topic, env), batchTimeoutMs: 5, compression: "none" },
    { logger: silentLogger, metrics: undefined },
  );
  const chunk = 5000;
  for (let i = 0; i < messages; i += chunk) {
    const n = Math.min(chunk, messages - i);
    await Promise.all(Array.from({ length: n }, (_, j) => producer.publishEvent(BookingCreated, booking(i + j))));
  }
  await producer.close();
}

async function runRaw(decode: boolean): Promise<Run> {
  const type = avro.Type.forSchema(schema as never);
  const c = counter();
  const consumer = kafka.consumer({ groupId: `bench-raw-${suffix}-${Math.random()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let sink = 0;
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const m of batch.messages) {
        if (decode && m.value !== null) sink += (type.fromBuffer(m.value) as Booking).seats;
        resolveOffset(m.offset);
        c.tick();
      }
      await heartbeat();
    },
  });
  try {
    return await c.done;
  } finally {
    await consumer.disconnect();
    if (sink < 0) console.log(sink);
  }
}

async function runSdk(): Promise<Run> {
  const c = counter();
  const config = {
    ...consumerConfigFromEnv(topic, `bench-sdk-${suffix}-${Math.random()}`, env),
    startOffset: "oldest" as const,
    maxWaitMs: 100,
  };
  let seats = 0;
  const consumer = createConsumer(config, { logger: silentLogger, metrics: consumerMetrics(new Registry()) })
    .use(async (ctx, message, next) => {
      await next(ctx, message);
    })
    .on(BookingCreated, (event) => {
      seats += event.payload.seats;
      c.tick();
    });
  const running = consumer.start();
  try {
    return await c.done;
  } finally {
    await consumer.stop();
    await running;
    if (seats < 0) console.log(seats);
  }
}

const rates = (runs: readonly Run[]): number[] => runs.map((r) => Math.round(r.rate));

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.rate - b.rate);
  return sorted[Math.floor(sorted.length / 2)] as Run;
}

async function main(): Promise<void> {
  await fill();
  const sdk: Run[] = [];
  const raw: Run[] = [];
  const rawAvro: Run[] = [];
  // The order rotates every round, so no contender always runs right after the same other one
  // (heap growth, JIT state and broker caches left behind) or always first.
  const contenders = [
    async () => raw.push(await runRaw(false)),
    async () => sdk.push(await runSdk()),
    async () => rawAvro.push(await runRaw(true)),
  ];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) await contenders[(r + i) % contenders.length]?.();
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();

  const m = { sdk: median(sdk), raw: median(raw), rawAvro: median(rawAvro) };
  const result = {
    messages,
    partitions,
    rounds,
    sdkMsgsPerSec: Math.round(m.sdk.rate),
    rawMsgsPerSec: Math.round(m.raw.rate),
    rawAvroMsgsPerSec: Math.round(m.rawAvro.rate),
    ratioVsRaw: Number((m.sdk.rate / m.raw.rate).toFixed(3)),
    ratioVsRawAvro: Number((m.sdk.rate / m.rawAvro.rate).toFixed(3)),
    sdkCpuMicrosPerMsg: Number(m.sdk.cpuMicros.toFixed(2)),
    rawCpuMicrosPerMsg: Number(m.raw.cpuMicros.toFixed(2)),
    rawAvroCpuMicrosPerMsg: Number(m.rawAvro.cpuMicros.toFixed(2)),
    perRound: { sdk: rates(sdk), raw: rates(raw), rawAvro: rates(rawAvro) },
  };
  if (args.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const line = (name: string, run: Run) =>
    `  ${name.padEnd(38)} ${String(Math.round(run.rate)).padStart(9)} msgs/s  (${run.seconds.toFixed(2)} s, ${run.cpuMicros.toFixed(1)} us CPU/msg)`;
  console.log(`consume benchmark: ${messages} Avro messages, ${partitions} partitions, median of ${rounds} rounds`);
  console.log(line("sdk (decode, route, middleware, commit)", m.sdk));
  console.log(line("raw kafkajs eachBatch", m.raw));
  console.log(line("raw kafkajs eachBatch + avsc decode", m.rawAvro));
  const k = (runs: readonly number[]) => runs.map((r) => `${Math.round(r / 1000)}k`).join(" ");
  console.log(
    `  per round (msgs/s):  sdk ${k(result.perRound.sdk)} | raw ${k(result.perRound.raw)} | raw+avro ${k(result.perRound.rawAvro)}`,
  );
  console.log(`  ratio sdk / raw:       ${result.ratioVsRaw.toFixed(2)}x  (target >= 0.9x)`);
  console.log(`  ratio sdk / raw+avro:  ${result.ratioVsRawAvro.toFixed(2)}x`);
  console.log(
    `  CPU per message, raw / sdk: ${(m.raw.cpuMicros / m.sdk.cpuMicros).toFixed(2)}x, raw+avro / sdk: ${(m.rawAvro.cpuMicros / m.sdk.cpuMicros).toFixed(2)}x (steadier than msgs/s on a busy machine)`,
  );
}

await main();
