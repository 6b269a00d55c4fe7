/**
 * Kafka plumbing the produce and consume benchmarks share: the broker, topics, the raw kafkajs
 * client's snappy codec, and the standard headers as the SDK writes them (read back from the topic,
 * so the raw contenders write exactly the names and value shapes the SDK does, whatever they are).
 */
import { randomUUID } from "node:crypto";
import { clientConfigFromEnv, createProducer, ensureTopics, producerConfigFromEnv, silentLogger } from "@skeji/kafka";
import kafkajs, { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { compress as snappyCompress, uncompress as snappyUncompress } from "snappy";
import { booking, bookingCreated } from "./booking.ts";

export const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
export const env = { KAFKA_BROKERS: brokers.join(",") };
export const kafka = new Kafka({ brokers, clientId: "bench", logLevel: logLevel.NOTHING });

/**
 * kafkajs ships no snappy codec; this is the one a kafkajs user installs: the `snappy` package
 * (native), raw blocks, as the Node clients write them.
 */
export function registerKafkajsSnappy(): void {
  const codecs = kafkajs.CompressionCodecs as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = () => ({
    compress: (encoder: { buffer: Buffer }) => snappyCompress(encoder.buffer),
    decompress: (buffer: Buffer) => snappyUncompress(buffer) as Promise<Buffer>,
  });
}

/** A topic whose partitions all have a leader the clients can see (a fresh broker elects them late). */
export async function createTopic(topic: string, partitions: number): Promise<string> {
  await ensureTopics(clientConfigFromEnv(env), [{ topic, partitions }], { logger: silentLogger });
  return topic;
}

export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...topics] }).catch(() => {});
  await admin.disconnect();
}

/** One record as the SDK writes it: key, value bytes and headers as text. */
export interface SdkRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** Publishes `booking(0)` with the SDK's default producer and reads the record back. */
export async function sdkRecord(): Promise<SdkRecord> {
  const topic = await createTopic(`bench-sample-${randomUUID().slice(0, 8)}`, 1);
  try {
    const producer = createProducer(producerConfigFromEnv(topic, env), { logger: silentLogger, metrics: undefined });
    await producer.publishEvent(bookingCreated(topic), booking(0));
    await producer.close();
    const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const record = await new Promise<SdkRecord>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            if (value !== undefined) headers[name] = String(Array.isArray(value) ? value[value.length - 1] : value);
          }
          resolve({ key: String(message.key), value: message.value as Buffer, headers });
        },
      });
    });
    await consumer.disconnect();
    return record;
  } finally {
    await deleteTopics([topic]);
  }
}

/**
 * Builds the headers of each new record the way the SDK does: a fresh UUID `event-id`, the current
 * second as `timestamp` (RFC3339, formatted once per second, as the SDK does), every other header
 * with the SDK's value. Same names, same count, same sizes.
 */
export function headerFactory(sample: Readonly<Record<string, string>>): () => Record<string, string> {
  const names = Object.keys(sample);
  let second = Number.NaN;
  let text = "";
  return () => {
    const headers: Record<string, string> = {};
    for (const name of names) {
      if (name === "event-id") headers[name] = randomUUID();
      else if (name === "timestamp") {
        const now = Math.floor(Date.now() / 1000);
        if (now !== second) {
          second = now;
          text = `${new Date(now * 1000).toISOString().slice(0, 19)}Z`;
        }
        headers[name] = text;
      } else headers[name] = sample[name] as string;
    }
    return headers;
  };
}
