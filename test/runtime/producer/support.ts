/** Shared pieces of the producer tests: test events, topic creation, and reading records back from the real broker. */
import { type IHeaders, Kafka, logLevel } from "kafkajs";
import { registerCompressionCodecs } from "../../../runtime/client/compression.ts";
import { defineEvent, ensureTopics, type ProducerConfig, producerConfigFromEnv } from "../../../runtime/index.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { brokers, registryUrl, uniqueName } from "../../infra/env.ts";

export const bookingV1 = {
  type: "record",
  name: "BookingCreated",
  namespace: "skeji.test",
  fields: [
    { name: "booking_id", type: "string" },
    {
      name: "params",
      type: {
        type: "record",
        name: "Params",
        fields: [
          { name: "user_phone", type: "string" },
          { name: "start_time", type: "string" },
        ],
      },
    },
    { name: "seats", type: "int", default: 1 },
  ],
} as const;

export const bookingV2 = {
  ...bookingV1,
  fields: [...bookingV1.fields, { name: "channel", type: "string", default: "sms" }],
} as const;

export interface BookingCreated {
  booking_id: string;
  params: { user_phone: string; start_time: string };
  seats: number;
  channel: string;
}
export type BookingCreatedInit = Omit<BookingCreated, "seats" | "channel"> & { seats?: number; channel?: string };

export function bookingEvent(topic: string, format: "avro" | "confluent" | "json" = "avro") {
  return defineEvent<BookingCreated, BookingCreatedInit, "booking.created">({
    type: "booking.created",
    name: "BookingCreated",
    topic,
    keyField: "params.user_phone",
    format,
    compatibility: "BACKWARD",
    versions: [
      { version: 1, schema: bookingV1 },
      { version: 2, schema: bookingV2 },
    ],
  });
}

export function booking(i: number, phone = `+97250000${String(i % 10)}`): BookingCreatedInit {
  return { booking_id: `booking-${i}`, params: { user_phone: phone, start_time: "2025-11-18T15:00:00Z" } };
}

export const kafka = new Kafka({ brokers: brokers(), clientId: "producer-tests", logLevel: logLevel.NOTHING });

/**
 * The transport the producer tests run on: kafkajs, or the one KAFKA_TRANSPORT names (the suite
 * runs these files once per transport; see `npm run test:transports`).
 */
export const transport = process.env.KAFKA_TRANSPORT ?? "kafkajs";

/** Producer config from a test environment: the real broker and registry, fast retries. */
export function testConfig(topic: string, env: Record<string, string> = {}): ProducerConfig {
  return producerConfigFromEnv(topic, {
    KAFKA_BROKERS: brokers().join(","),
    SCHEMA_REGISTRY_URL: registryUrl(),
    KAFKA_CLIENT_ID: "producer-tests",
    KAFKA_PRODUCER_MAX_ATTEMPTS: "2",
    KAFKA_TRANSPORT: transport,
    ...env,
  });
}

/**
 * Creates topics through the runtime's ensureTopics, which waits until every partition's leader
 * answers (kafkajs's own waitForLeaders gives up when a fresh topic's metadata still says
 * UNKNOWN_TOPIC_OR_PARTITION, which a broker under load does for a moment).
 */
export async function createTopics(
  ...topics: { topic: string; partitions?: number; config?: Record<string, string> }[]
): Promise<void> {
  const first = topics[0];
  if (first === undefined) return;
  await ensureTopics(testConfig(first.topic), topics, { logger: silentLogger });
}

export async function newTopic(prefix: string, partitions = 1, config: Record<string, string> = {}): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopics({ topic, partitions, config });
  return topic;
}

export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

/** Reads exactly `count` records from the start of `topic` with a plain kafkajs consumer. */
export async function readRecords(topic: string, count: number): Promise<ReadRecord[]> {
  registerCompressionCodecs(); // whichever transport wrote them, kafkajs reads every codec
  const consumer = kafka.consumer({ groupId: uniqueName("read"), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: ReadRecord[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${count} records from ${topic}`)),
        30_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            records.push({
              topic,
              partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
            });
            if (records.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** The newest offset of each partition of `topic` (0 everywhere means nothing was ever written). */
export async function endOffsets(topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => p.high);
  } finally {
    await admin.disconnect();
  }
}

export const header = (r: ReadRecord, name: string): string | undefined => {
  const v = r.headers[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined ? undefined : last.toString();
};

/** `value`, or a failed test when it is missing. */
export function defined<T>(value: T | undefined, what = "value"): T {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
}
