/**
 * Producer benchmark against the local broker (not a timed test).
 *
 * In one run, the same records (key, Avro value, the standard headers), the same
 * compression, acks=all and an idempotent producer:
 * - typed:  `publishEvent` for every message concurrently (validation, defaults,
 *           Avro encoding, headers, two middleware layers, linger batching);
 * - raw a:  kafkajs, awaiting one `send` per message (what naive code does);
 * - raw b:  kafkajs `sendBatch` of pre-encoded records, `--batch` per request, awaited in turn.
 *
 * Prints msgs/s and ratios (typed / raw); `--json` prints one JSON object.
 * Targets: typed >= 5x raw a, typed >= 0.9x raw b.
 *
 *   npm run bench:produce -- [--messages 20000] [--batch 1000] [--raw-a-messages 1000] [--compression snappy] [--json]
 */
import { parseArgs } from "node:util";
import { Kafka, type Message as KafkajsMessage, type Producer as KafkajsProducer, logLevel } from "kafkajs";
import { compressionType, registerCompressionCodecs } from "../runtime/client/compression.ts";
import {
  type Compression,
  createProducer,
  defineEvent,
  producerConfigFromEnv,
  producerMetrics,
  silentLogger,
  tracingProducerMiddleware,
} from "../runtime/index.ts";
import { avroCodec } from "../runtime/serde/avro.ts";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    batch: { type: "string", default: "1000" },
    "raw-a-messages": { type: "string", default: "1000" },
    compression: { type: "string", default: "snappy" },
    json: { type: "boolean", default: false },
  },
});
const messages = Number(args.messages);
const batch = Number(args.batch);
const rawAMessages = Math.min(Number(args["raw-a-messages"]), messages);
const compression = args.compression as Compression;
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");

const schema = {
  type: "record",
  name: "BookingCreated",
  namespace: "skeji.bench",
  fields: [
    { name: "booking_id", type: "string" },
    { name: "user_phone", type: "string" },
    { name: "start_time", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "seats", type: "int", default: 1 },
    { name: "notes", type: "string", default: "" },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["PENDING", "CONFIRMED"] }, default: "PENDING" },
  ],
} as const;

interface Booking {
  booking_id: string;
  user_phone: string;
  start_time: Date;
  seats: number;
  notes: string;
  status: "PENDING" | "CONFIRMED";
}

const kafka = new Kafka({ brokers, clientId: "bench-produce", logLevel: logLevel.NOTHING });
registerCompressionCodecs();

const payload = (i: number) => ({
  booking_id: `booking-${i}`,
  user_phone: `+97250${String(i % 1000).padStart(7, "0")}`,
  start_time: new Date(1_763_478_000_000 + i * 60_000),
});

async function topicWithPartitions(name: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  return name;
}

async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
}

async function rawProducer(): Promise<KafkajsProducer> {
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  return p;
}

/** The records raw kafkajs sends: the same bytes and headers the typed path writes. */
function preEncoded(count: number, topic: string): KafkajsMessage[] {
  const codec = avroCodec<Booking>(schema);
  return Array.from({ length: count }, (_, i) => {
    const p = codec.applyDefaults(payload(i));
    return {
      key: p.user_phone,
      value: codec.encode(p),
      headers: {
        "event-id": crypto.randomUUID(),
        "event-type": "booking.created",
        "schema-version": "v1",
        timestamp: new Date().toISOString().slice(0, 19).concat("Z"),
        "retry-count": "0",
        "schema-fingerprint": codec.fingerprint,
        "content-type": "application/avro",
        "x-bench": topic,
      },
    };
  });
}

async function runTyped(topic: string): Promise<number> {
  const config = {
    ...producerConfigFromEnv(topic, { KAFKA_BROKERS: brokers.join(","), KAFKA_PRODUCER_COMPRESSION: compression }),
    batchSize: batch,
    batchBytes: 64 * 1024 * 1024,
  };
  const producer = createProducer(config, { logger: silentLogger, metrics: producerMetrics() });
  producer.use(tracingProducerMiddleware()).use((ctx, next) => {
    ctx.headers["x-bench"] = topic;
    return next(ctx);
  });
  const event = defineEvent<Booking, Omit<Booking, "seats" | "notes" | "status">, "booking.created">({
    type: "booking.created",
    name: "BookingCreated",
    topic,
    keyField: "user_phone",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema }],
  });
  await producer.publishEvent(event, payload(-1)); // connect and warm up
  const started = performance.now();
  await Promise.all(Array.from({ length: messages }, (_, i) => producer.publishEvent(event, payload(i))));
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return messages / seconds;
}

async function runRawA(topic: string): Promise<number> {
  const producer = await rawProducer();
  const records = preEncoded(rawAMessages, topic);
  await producer.send({ topic, messages: preEncoded(1, topic), acks: -1 });
  const started = performance.now();
  for (const record of records) {
    await producer.send({ topic, messages: [record], acks: -1, compression: compressionType[compression] });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return rawAMessages / seconds;
}

async function runRawB(topic: string): Promise<number> {
  const producer = await rawProducer();
  const records = preEncoded(messages, topic);
  await producer.send({ topic, messages: preEncoded(1, topic), acks: -1 });
  const started = performance.now();
  for (let i = 0; i < records.length; i += batch) {
    await producer.sendBatch({
      acks: -1,
      compression: compressionType[compression],
      topicMessages: [{ topic, messages: records.slice(i, i + batch) }],
    });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return messages / seconds;
}

const suffix = Date.now().toString(36);
const topics = await Promise.all(["typed", "raw-a", "raw-b"].map((t) => topicWithPartitions(`bench-${t}-${suffix}`)));
try {
  const rawB = await runRawB(topics[2] as string);
  const typed = await runTyped(topics[0] as string);
  const rawA = await runRawA(topics[1] as string);
  const result = {
    messages,
    batch,
    rawAMessages,
    compression,
    msgsPerSec: { typed: Math.round(typed), rawSendEach: Math.round(rawA), rawSendBatch: Math.round(rawB) },
    ratios: { typedVsRawSendEach: typed / rawA, typedVsRawSendBatch: typed / rawB },
    targets: { typedVsRawSendEach: 5, typedVsRawSendBatch: 0.9 },
  };
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    const pass = (ok: boolean) => (ok ? "meets target" : "BELOW target");
    console.log(`produce benchmark: ${messages} messages, batch ${batch}, ${compression}, acks=all, idempotent`);
    console.log(`  typed publishEvent (concurrent)   ${result.msgsPerSec.typed.toLocaleString("en")} msgs/s`);
    console.log(
      `  raw kafkajs send per message (a)  ${result.msgsPerSec.rawSendEach.toLocaleString("en")} msgs/s (${rawAMessages} msgs)`,
    );
    console.log(`  raw kafkajs sendBatch (b)         ${result.msgsPerSec.rawSendBatch.toLocaleString("en")} msgs/s`);
    console.log(
      `  typed / raw a = ${result.ratios.typedVsRawSendEach.toFixed(2)}x (target >= 5x: ${pass(result.ratios.typedVsRawSendEach >= 5)})`,
    );
    console.log(
      `  typed / raw b = ${result.ratios.typedVsRawSendBatch.toFixed(2)}x (target >= 0.9x: ${pass(result.ratios.typedVsRawSendBatch >= 0.9)})`,
    );
  }
} finally {
  await deleteTopics(topics);
}
