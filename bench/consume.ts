/**
 * Consumer benchmark against the local broker (not a timed test).
 *
 * One topic, filled once by the SDK's producer (Avro values, the standard headers, the chosen
 * compression). Each round reads all of it once per contender, each time with a fresh consumer
 * group, and every contender does the same work per record: the headers as text (every one, as the
 * SDK reads them), the event type checked, the key as text, the value decoded with Avro into the
 * typed object (Dates included), a field of it used, offsets committed once a second.
 * - sdk:          `createConsumer` with a typed `on(descriptor)` handler (header checks, decode,
 *                 routing, metrics, offsets resolved per record);
 * - kafkajs:      kafkajs `eachBatch`, avsc decode, resolving each offset, heartbeat per batch;
 * - platformatic: @platformatic/kafka `consume` stream, avsc as its value deserializer, text
 *                 deserializers for key and headers.
 *
 * Throughput is counted from the first record handled to the last (the group join is left out, for
 * all alike). Rounds interleave the contenders (see harness.ts); ratios are paired per round.
 * `--json` prints one JSON object on stdout (progress goes to stderr).
 *
 *   npm run bench:consume -- [--messages 100000] [--partitions 3] [--rounds 5] [--warmup 1]
 *                            [--compression snappy] [--timeout 120] [--keep-topic] [--json]
 *                            [--only sdk,kafkajs,platformatic,sdk-kafkajs-decoder]
 *
 * `--only` runs the named contenders (the SDK's always among them, for the ratios); besides the
 * default three it knows `sdk-kafkajs-decoder`, the SDK consumer on kafkajs's own fetch decoder
 * (`KAFKA_CONSUMER_FETCH_DECODER=kafkajs`), to measure the SDK's decoder against it in one run.
 *
 * `--keep-topic` leaves the filled topic behind (its name is in the JSON's settings), for a reader
 * outside this process (bench:report runs Kafka's ConsumerPerformance on it).
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { Consumer as PlatformaticConsumer, stringDeserializer } from "@platformatic/kafka";
import {
  consumerConfigFromEnv,
  consumerMetrics,
  createConsumer,
  createProducer,
  producerConfigFromEnv,
  silentLogger,
} from "@skeji/kafka";
import { Registry } from "prom-client";
import { bookingType } from "./avro.ts";
import { type Booking, booking, bookingCreated } from "./booking.ts";
import { type Contender, printResult, recordShape, runRounds, type Sample, summarize } from "./harness.ts";
import { brokers, createTopic, deleteTopics, env, kafka, registerKafkajsSnappy, sdkRecord } from "./kafka.ts";
import { versions } from "./versions.ts";

const compressions = ["none", "gzip", "snappy"] as const;
type Compression = (typeof compressions)[number];

function parseConsumeArgs(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: "string", default: "100000" },
      partitions: { type: "string", default: "3" },
      rounds: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      compression: { type: "string", default: "snappy" },
      timeout: { type: "string", default: "120" },
      "keep-topic": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      only: { type: "string" },
    },
    strict: true,
  });
  const int = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`invalid option "--${name}": expected an integer >= ${min}`);
    return n;
  };
  const compression = values.compression as Compression;
  if (!compressions.includes(compression)) {
    throw new Error(`invalid option "--compression": expected one of ${compressions.join(", ")}`);
  }
  return {
    messages: int("messages", 1),
    partitions: int("partitions", 1),
    rounds: int("rounds", 1),
    warmup: int("warmup", 0),
    compression,
    timeoutMs: int("timeout", 1) * 1000,
    keepTopic: values["keep-topic"] === true,
    json: values.json === true,
    only: values.only?.split(",").map((name) => name.trim()),
  };
}

const args = parseConsumeArgs(process.argv.slice(2));
const topic = `bench-consume-${randomUUID().slice(0, 8)}`;
const BookingCreated = bookingCreated(topic);
const eventType = BookingCreated.type;
const maxWaitMs = 100;
const commitIntervalMs = 1000;
/** Keeps the handlers' reads from being optimised away. */
let sink = 0;

/** Times from the first record to the `messages`-th; rejects after the timeout. */
function counter(): { tick(): void; done: Promise<Sample> } {
  let count = 0;
  let first = 0;
  let cpu = process.cpuUsage();
  let finish: (s: Sample) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const done = new Promise<Sample>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const guard = setTimeout(() => fail(new Error(`timed out after ${count} of ${args.messages}`)), args.timeoutMs);
  return {
    tick() {
      if (count === 0) {
        first = performance.now();
        cpu = process.cpuUsage();
      }
      count++;
      if (count === args.messages) {
        clearTimeout(guard);
        const seconds = (performance.now() - first) / 1000;
        const used = process.cpuUsage(cpu);
        finish({ msgsPerSec: count / seconds, cpuMicrosPerMsg: (used.user + used.system) / count });
      }
    },
    done,
  };
}

const group = (name: string) => `bench-${name}-${topic}-${randomUUID().slice(0, 8)}`;

function sdk(name: string, label: string, transportEnv: Record<string, string> = {}): Contender {
  return {
    name,
    label,
    async run() {
      const c = counter();
      const config = {
        ...consumerConfigFromEnv(topic, group(name), { ...env, ...transportEnv }),
        startOffset: "oldest" as const,
        maxWaitMs,
        commitIntervalMs,
      };
      const consumer = createConsumer(config, {
        logger: silentLogger,
        metrics: consumerMetrics(new Registry()),
      }).on(BookingCreated, (event) => {
        sink += event.payload.seats;
        c.tick();
      });
      const running = consumer.start();
      try {
        return await c.done;
      } finally {
        await consumer.stop();
        await running;
      }
    },
    close: async () => {},
  };
}

const rawKafkajs: Contender = {
  name: "kafkajs",
  label: "kafkajs eachBatch, headers as text + avsc decode per record",
  async run() {
    registerKafkajsSnappy();
    const c = counter();
    const consumer = kafka.consumer({ groupId: group("kafkajs"), maxWaitTimeInMs: maxWaitMs });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommitInterval: commitIntervalMs,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const name in m.headers) {
            const value = m.headers[name];
            const last = Array.isArray(value) ? value[value.length - 1] : value;
            if (last !== undefined) headers[name] = last.toString();
          }
          if (headers["event-type"] === eventType && m.value !== null) {
            const key = m.key?.toString() ?? "";
            const value = bookingType.fromBuffer(m.value) as Booking;
            sink += value.seats + key.length;
          }
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
    }
  },
  close: async () => {},
};

const platformatic: Contender = {
  name: "platformatic",
  label: "@platformatic/kafka consume stream, avsc deserializer, text headers",
  async run() {
    const c = counter();
    const consumer = new PlatformaticConsumer<string, Booking, string, string>({
      clientId: "bench-platformatic",
      bootstrapBrokers: brokers,
      groupId: group("platformatic"),
      maxWaitTime: maxWaitMs,
      autocommit: commitIntervalMs,
      deserializers: {
        key: stringDeserializer,
        value: (value) => (value === undefined ? undefined : (bookingType.fromBuffer(value) as Booking)),
        headerKey: stringDeserializer,
        headerValue: stringDeserializer,
      },
    });
    const stream = await consumer.consume({ topics: [topic], mode: "earliest" });
    stream.on("data", (m) => {
      if (m.headers.get("event-type") === eventType && m.value !== undefined) {
        sink += m.value.seats + (m.key?.length ?? 0);
      }
      c.tick();
    });
    try {
      return await c.done;
    } finally {
      await stream.close();
      await consumer.close();
    }
  },
  close: async () => {},
};

/** The contenders, in the order of their first round. Adding one is adding a line. */
const defaultContenders: readonly Contender[] = [
  sdk("sdk", "SDK consumer, typed on() handler (kafkajs transport)"),
  rawKafkajs,
  platformatic,
];
/** Run only when `--only` names them. */
const optionalContenders: readonly Contender[] = [
  sdk("sdk-kafkajs-decoder", "SDK consumer on kafkajs's own fetch decoder", {
    KAFKA_CONSUMER_FETCH_DECODER: "kafkajs",
  }),
];

function chosenContenders(only: readonly string[] | undefined): readonly Contender[] {
  if (only === undefined) return defaultContenders;
  const all = [...defaultContenders, ...optionalContenders];
  const unknown = only.filter((name) => !all.some((c) => c.name === name));
  if (unknown.length > 0 || !only.includes("sdk")) {
    throw new Error(`invalid option "--only": expected names among ${all.map((c) => c.name).join(", ")}, sdk included`);
  }
  return all.filter((c) => only.includes(c.name));
}
const contenders = chosenContenders(args.only);

/** Publishes `messages` bookings with the SDK's producer, in the chosen compression. */
async function fill(): Promise<void> {
  await createTopic(topic, args.partitions);
  const producer = createProducer(
    {
      ...producerConfigFromEnv(topic, { ...env, KAFKA_PRODUCER_COMPRESSION: args.compression }),
      batchTimeoutMs: 5,
    },
    { logger: silentLogger, metrics: undefined },
  );
  const chunk = 5000;
  for (let i = 0; i < args.messages; i += chunk) {
    const n = Math.min(chunk, args.messages - i);
    await Promise.all(Array.from({ length: n }, (_, j) => producer.publishEvent(BookingCreated, booking(i + j))));
  }
  await producer.close();
}

async function main(): Promise<void> {
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const loadStart = loadavg();
  const sample = await sdkRecord();
  try {
    await fill();
    progress(
      `consume: ${args.messages} records per round, ${args.partitions} partitions, ${args.compression}, max wait ${maxWaitMs} ms`,
    );
    const rounds = await runRounds(contenders, args.rounds, args.warmup, progress);
    const settings = {
      topic,
      messages: args.messages,
      partitions: args.partitions,
      compression: args.compression,
      maxWaitMs,
      commitIntervalMs,
      versions: versions(),
    };
    const result = summarize(
      "consume",
      settings,
      recordShape(sample.key, sample.value, sample.headers),
      contenders,
      rounds,
      loadStart,
      [["platformatic", "kafkajs"]],
    );
    if (args.json) console.log(JSON.stringify(result));
    else printResult(result, "consume benchmark");
  } finally {
    if (!args.keepTopic) await deleteTopics([topic]);
  }
  if (sink < 0) console.log(sink);
}

await main();
