/**
 * SDK publish throughput on each transport, paired and interleaved in one run (not a timed test).
 *
 * Both contenders are the SDK's producer doing the same work - `publishEvent` of the same booking
 * events concurrently (validation, Avro, standard headers, linger batching), acks=all, idempotent,
 * the same compression - and differ only in `transport`. Rounds alternate which goes first; the
 * ratio platformatic / kafkajs is taken per round, and its median and range are printed, with the
 * CPU each used per message.
 *
 *   node --conditions=skeji-source --import tsx bench/transports.ts -- [--messages 20000] [--rounds 7]
 *                                                                  [--batch 1000] [--compression snappy] [--json]
 */

import { parseArgs } from "node:util";
import {
  type Compression,
  clientConfigFromEnv,
  createProducer,
  defineEvent,
  ensureTopics,
  type Producer,
  producerConfigFromEnv,
  producerMetrics,
  silentLogger,
  type Transport,
} from "../runtime/index.ts";
import { type Booking, schema } from "./booking.ts";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" },
    batch: { type: "string", default: "1000" },
    compression: { type: "string", default: "snappy" },
    json: { type: "boolean", default: false },
  },
});
const messages = Number(args.messages);
const rounds = Number(args.rounds);
const batch = Number(args.batch);
const compression = args.compression as Compression;
const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const transports: readonly Transport[] = ["kafkajs", "platformatic"];

const payload = (i: number) => ({
  booking_id: `booking-${i}`,
  user_phone: `+97250${String(i % 1000).padStart(7, "0")}`,
  start_time: new Date(1_763_478_000_000 + i * 60_000),
});

interface Run {
  readonly msgsPerSec: number;
  /** CPU microseconds of this process per message. */
  readonly cpuUsPerMsg: number;
}

async function contender(transport: Transport, topic: string) {
  const config = {
    ...producerConfigFromEnv(topic, {
      KAFKA_BROKERS: brokers,
      KAFKA_PRODUCER_COMPRESSION: compression,
      KAFKA_TRANSPORT: transport,
    }),
    batchSize: batch,
    batchBytes: 64 * 1024 * 1024,
  };
  const producer: Producer = createProducer(config, { logger: silentLogger, metrics: producerMetrics() });
  const event = defineEvent<Booking, Omit<Booking, "seats" | "notes" | "status">, "booking.created">({
    type: "booking.created",
    name: "BookingCreated",
    topic,
    keyField: "user_phone",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema }],
  });
  await Promise.all(Array.from({ length: batch }, (_, i) => producer.publishEvent(event, payload(i)))); // warm-up
  return {
    async run(): Promise<Run> {
      const inputs = Array.from({ length: messages }, (_, i) => payload(i));
      const wall = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all(inputs.map((p) => producer.publishEvent(event, p)));
      const seconds = (performance.now() - wall) / 1000;
      const used = process.cpuUsage(cpu);
      return { msgsPerSec: messages / seconds, cpuUsPerMsg: (used.user + used.system) / messages };
    },
    close: () => producer.close(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const stamp = Date.now();
const topics = Object.fromEntries(transports.map((t) => [t, `bench-transport-${t}-${stamp}`])) as Record<
  Transport,
  string
>;
await ensureTopics(
  clientConfigFromEnv({ KAFKA_BROKERS: brokers }),
  transports.map((t) => ({ topic: topics[t], partitions: 3 })),
  { logger: silentLogger },
);
const contenders = Object.fromEntries(
  await Promise.all(transports.map(async (t) => [t, await contender(t, topics[t])] as const)),
) as Record<Transport, Awaited<ReturnType<typeof contender>>>;

const runs: Record<Transport, Run[]> = { kafkajs: [], platformatic: [] };
const ratios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? transports : [...transports].reverse();
  const result = {} as Record<Transport, Run>;
  for (const t of order) result[t] = await contenders[t].run();
  for (const t of transports) runs[t].push(result[t]);
  ratios.push(result.platformatic.msgsPerSec / result.kafkajs.msgsPerSec);
  if (!args.json) {
    console.log(
      `round ${round + 1}: kafkajs ${Math.round(result.kafkajs.msgsPerSec)} msg/s, platformatic ${Math.round(result.platformatic.msgsPerSec)} msg/s, ratio ${ratios.at(-1)?.toFixed(2)}`,
    );
  }
}
await Promise.all(transports.map((t) => contenders[t].close()));

const summary = {
  messages,
  rounds,
  batch,
  compression,
  kafkajs: {
    msgsPerSec: Math.round(median(runs.kafkajs.map((r) => r.msgsPerSec))),
    cpuUsPerMsg: Math.round(median(runs.kafkajs.map((r) => r.cpuUsPerMsg))),
  },
  platformatic: {
    msgsPerSec: Math.round(median(runs.platformatic.map((r) => r.msgsPerSec))),
    cpuUsPerMsg: Math.round(median(runs.platformatic.map((r) => r.cpuUsPerMsg))),
  },
  ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
};
if (args.json) console.log(JSON.stringify(summary));
else {
  console.log(
    `median: kafkajs ${summary.kafkajs.msgsPerSec} msg/s (${summary.kafkajs.cpuUsPerMsg} µs CPU/msg), platformatic ${summary.platformatic.msgsPerSec} msg/s (${summary.platformatic.cpuUsPerMsg} µs CPU/msg)`,
  );
  console.log(
    `platformatic / kafkajs: median ${summary.ratio.median.toFixed(2)}x, range ${summary.ratio.min.toFixed(2)}-${summary.ratio.max.toFixed(2)}x over ${rounds} paired rounds`,
  );
}
