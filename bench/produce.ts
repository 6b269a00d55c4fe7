/**
 * Producer benchmark against the local broker (not a timed test).
 *
 * Every contender does the same work inside the timed span: it takes the same booking objects
 * (built before the clock starts: the application's work), encodes each value with Avro, builds
 * the standard headers the SDK writes (fresh event-id and timestamp per record, the same names and
 * sizes; read back from a record the SDK wrote), and sends them with the same guarantees:
 * an idempotent producer, acks=all, one request in flight, at most `--batch` records per request,
 * the same compression.
 * - sdk:          `publishEvent` for every booking at once (validation, key, Avro, headers, the
 *                 producer's own batching with `--linger`), resolved when every ack is in;
 * - kafkajs:      kafkajs `sendBatch` of `--batch` records at a time, encoding the next batch while
 *                 the previous one is on the wire (as the SDK does);
 * - sdk-platformatic: the same on the SDK's @platformatic/kafka transport (`KAFKA_TRANSPORT`), when
 *                 the runtime offers one;
 * - platformatic: @platformatic/kafka `send` of `--batch` records at a time, avsc as its value
 *                 serializer. Its idempotent producer counts sequence numbers from the answers, so
 *                 sends to a partition must not overlap (concurrent sends fail with
 *                 OUT_OF_ORDER_SEQUENCE_NUMBER): one send at a time, as its own producer stream does.
 *
 * Rounds interleave the contenders (see harness.ts); ratios are paired per round. `--json` prints
 * one JSON object on stdout (progress goes to stderr).
 *
 *   npm run bench:produce -- [--messages 20000] [--batch 1000] [--linger 10] [--partitions 3]
 *                            [--rounds 5] [--warmup 1] [--compression snappy] [--json]
 *                            [--only sdk-platformatic,platformatic]
 *
 * `--only` runs the named contenders alone (e.g. under `node --cpu-prof`); ratios need both of a pair.
 * Besides the default four it knows `sdk-kafkajs-encoder`, the SDK producer on kafkajs's own record
 * encoder (`KAFKA_PRODUCER_RECORD_ENCODER=kafkajs`), to measure the SDK's encoder against it in one run.
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { Producer as PlatformaticProducer, stringSerializer } from "@platformatic/kafka";
import { createProducer, defineEvent, producerConfigFromEnv, producerMetrics, silentLogger } from "@skeji/kafka";
import { CompressionTypes, type Message as KafkajsMessage } from "kafkajs";
import { bookingType } from "./avro.ts";
import { type Booking, booking, schema } from "./booking.ts";
import { type Contender, printResult, recordShape, runRounds, stopwatch, summarize } from "./harness.ts";
import {
  brokers,
  createTopic,
  deleteTopics,
  env,
  headerFactory,
  kafka,
  registerKafkajsSnappy,
  sdkRecord,
} from "./kafka.ts";
import { versions } from "./versions.ts";

const compressions = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy };
type Compression = keyof typeof compressions;

interface ProduceArgs {
  readonly messages: number;
  readonly batch: number;
  readonly lingerMs: number;
  readonly partitions: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly compression: Compression;
  readonly json: boolean;
  /** The contenders to run; all when undefined. */
  readonly only: ReadonlySet<string> | undefined;
}

/** Reads the command line; throws with the option's name on a bad value. */
function parseProduceArgs(argv: readonly string[]): ProduceArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: "string", default: "20000" },
      batch: { type: "string", default: "1000" },
      linger: { type: "string", default: "10" },
      partitions: { type: "string", default: "3" },
      rounds: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      compression: { type: "string", default: "snappy" },
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
  const compression = values.compression as string;
  if (!(compression in compressions)) {
    throw new Error(`invalid option "--compression": expected one of ${Object.keys(compressions).join(", ")}`);
  }
  return {
    messages: int("messages", 1),
    batch: int("batch", 1),
    lingerMs: int("linger", 0),
    partitions: int("partitions", 1),
    rounds: int("rounds", 1),
    warmup: int("warmup", 0),
    compression: compression as Compression,
    json: values.json === true,
    only: values.only === undefined ? undefined : new Set(values.only.split(",").map((n) => n.trim())),
  };
}

const args = parseProduceArgs(process.argv.slice(2));

/** Connects and warms a contender up on its own topic; undefined when this runtime cannot run it. */
type Setup = (topic: string, records: RecordFactory) => Promise<Contender | undefined>;

/** What the raw contenders write per record: the SDK's headers, built fresh each time. */
interface RecordFactory {
  readonly headers: () => Record<string, string>;
}

/**
 * The SDK's producer (default settings but for the batch limits under test). `transportEnv` adds
 * environment settings, e.g. the one that picks another client transport.
 */
function sdk(name: string, label: string, transportEnv: Record<string, string> = {}): readonly [string, Setup] {
  return [
    name,
    async (topic) => {
      const config = {
        ...producerConfigFromEnv(topic, {
          ...env,
          ...transportEnv,
          KAFKA_PRODUCER_REQUIRE_ACKS: "-1",
          KAFKA_PRODUCER_IDEMPOTENT: "true",
          KAFKA_PRODUCER_COMPRESSION: args.compression,
        }),
        batchSize: args.batch,
        batchTimeoutMs: args.lingerMs,
      };
      // A transport this build of the runtime does not know would silently measure the default one.
      const wanted = transportEnv.KAFKA_TRANSPORT;
      if (wanted !== undefined && (config as { transport?: string }).transport !== wanted) return undefined;
      const encoder = transportEnv.KAFKA_PRODUCER_RECORD_ENCODER;
      if (encoder !== undefined && (config as { recordEncoder?: string }).recordEncoder !== encoder) return undefined;
      const producer = createProducer(config, { logger: silentLogger, metrics: producerMetrics() });
      const event = defineEvent<Booking, Booking, "bench.booking.created">({
        type: "bench.booking.created",
        name: "BookingCreated",
        topic,
        keyField: "user_phone",
        format: "avro",
        compatibility: "BACKWARD",
        versions: [{ version: 1, schema }],
      });
      await Promise.all(Array.from({ length: args.batch }, (_, i) => producer.publishEvent(event, booking(i))));
      return {
        name,
        label,
        async run() {
          const inputs = bookings();
          const stop = stopwatch(inputs.length);
          await Promise.all(inputs.map((p) => producer.publishEvent(event, p)));
          return stop();
        },
        close: () => producer.close(),
      };
    },
  ];
}

const rawKafkajs: Setup = async (topic, records) => {
  registerKafkajsSnappy();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const compression = compressions[args.compression];
  const build = (inputs: readonly Booking[], from: number): KafkajsMessage[] => {
    const messages: KafkajsMessage[] = [];
    for (let i = from; i < Math.min(from + args.batch, inputs.length); i++) {
      const p = inputs[i] as Booking;
      messages.push({ key: p.user_phone, value: bookingType.toBuffer(p), headers: records.headers() });
    }
    return messages;
  };
  const send = (messages: KafkajsMessage[]) =>
    producer.sendBatch({ acks: -1, compression, topicMessages: [{ topic, messages }] });
  await send(build(bookings(args.batch), 0));
  return {
    name: "kafkajs",
    label: "kafkajs sendBatch, avsc + headers per record",
    async run() {
      const inputs = bookings();
      const stop = stopwatch(inputs.length);
      let inFlight = send(build(inputs, 0));
      for (let from = args.batch; from < inputs.length; from += args.batch) {
        const next = build(inputs, from);
        await inFlight;
        inFlight = send(next);
      }
      await inFlight;
      return stop();
    },
    close: () => producer.disconnect(),
  };
};

const platformatic: Setup = async (topic, records) => {
  const producer = new PlatformaticProducer<string, Booking, string, string>({
    clientId: `bench-platformatic-${randomUUID().slice(0, 8)}`,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    compression: args.compression,
    serializers: {
      key: stringSerializer,
      value: (value) => (value === undefined ? undefined : bookingType.toBuffer(value)),
      headerKey: stringSerializer,
      headerValue: stringSerializer,
    },
  });
  const messages = (inputs: readonly Booking[], from: number) => {
    const out = [];
    for (let i = from; i < Math.min(from + args.batch, inputs.length); i++) {
      const p = inputs[i] as Booking;
      out.push({ topic, key: p.user_phone, value: p, headers: records.headers() });
    }
    return out;
  };
  await producer.send({ messages: messages(bookings(args.batch), 0) });
  return {
    name: "platformatic",
    label: "@platformatic/kafka send, avsc serializer + headers per record",
    async run() {
      const inputs = bookings();
      const stop = stopwatch(inputs.length);
      let inFlight = producer.send({ messages: messages(inputs, 0) });
      for (let from = args.batch; from < inputs.length; from += args.batch) {
        const next = messages(inputs, from);
        await inFlight;
        inFlight = producer.send({ messages: next });
      }
      await inFlight;
      return stop();
    },
    close: () => producer.close(),
  };
};

/** The contenders, in the order of their first round. Adding one is adding a line. */
const contenders: readonly (readonly [string, Setup])[] = [
  sdk("sdk", "SDK publishEvent, each at once (kafkajs transport)"),
  sdk("sdk-platformatic", "SDK publishEvent, each at once (@platformatic/kafka transport)", {
    KAFKA_TRANSPORT: "platformatic",
  }),
  ["kafkajs", rawKafkajs],
  ["platformatic", platformatic],
  sdk("sdk-kafkajs-encoder", "SDK publishEvent, each at once (kafkajs transport, kafkajs's record encoder)", {
    KAFKA_PRODUCER_RECORD_ENCODER: "kafkajs",
  }),
];
/** Run only when `--only` names them. */
const optionalContenders: ReadonlySet<string> = new Set(["sdk-kafkajs-encoder"]);

function bookings(count = args.messages): Booking[] {
  return Array.from({ length: count }, (_, i) => booking(i));
}

/** Ratios reported besides the SDK's over each other contender. */
const pairs: [string, string][] = [
  ["sdk-kafkajs-encoder", "kafkajs"],
  ["sdk-platformatic", "kafkajs"],
  ["sdk-platformatic", "platformatic"],
  ["platformatic", "kafkajs"],
];

async function main(): Promise<void> {
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const loadStart = loadavg();
  const sample = await sdkRecord();
  const records: RecordFactory = { headers: headerFactory(sample.headers) };
  const suffix = randomUUID().slice(0, 8);
  const topics: string[] = [];
  const ready: Contender[] = [];
  try {
    for (const [name, setup] of contenders) {
      if (args.only === undefined ? optionalContenders.has(name) : !args.only.has(name)) continue;
      const topic = await createTopic(`bench-produce-${name}-${suffix}`, args.partitions);
      topics.push(topic);
      const contender = await setup(topic, records);
      if (contender === undefined) progress(`${name}: not offered by this build of @skeji/kafka, left out`);
      else ready.push(contender);
    }
    progress(
      `produce: ${args.messages} messages per round, batch ${args.batch}, linger ${args.lingerMs} ms, ${args.compression}, acks=all, idempotent`,
    );
    const rounds = await runRounds(ready, args.rounds, args.warmup, progress);
    const settings = {
      messages: args.messages,
      batch: args.batch,
      lingerMs: args.lingerMs,
      partitions: args.partitions,
      compression: args.compression,
      acks: "all",
      idempotent: true,
      requestsInFlight: 1,
      versions: versions(),
    };
    const result = summarize(
      "produce",
      settings,
      recordShape(sample.key, sample.value, sample.headers),
      ready,
      rounds,
      loadStart,
      pairs.filter(([a, b]) => ready.some((c) => c.name === a) && ready.some((c) => c.name === b)),
    );
    if (args.json) console.log(JSON.stringify(result));
    else printResult(result, "produce benchmark");
  } finally {
    for (const c of ready) await c.close().catch(() => {});
    await deleteTopics(topics);
  }
}

await main();
