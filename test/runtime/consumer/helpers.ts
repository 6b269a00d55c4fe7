/** Shared fixtures for the consumer tests: topics, raw records, committed offsets, DLQ reads. */
import { type Admin, type IHeaders, Kafka, logLevel, type Producer } from "kafkajs";
import { consumerConfigFromEnv } from "../../../runtime/config/env.ts";
import type { ConsumerConfig } from "../../../runtime/config/types.ts";
import { defineEvent, defineTopic } from "../../../runtime/descriptor.ts";
import type { Logger } from "../../../runtime/observability/logger.ts";
import { brokers, uniqueName } from "../../infra/env.ts";

export const kafka = (): Kafka =>
  new Kafka({ brokers: brokers(), clientId: "consumer-test", logLevel: logLevel.NOTHING });

export interface BookingCreated {
  readonly id: string;
  readonly seq: number;
}
export interface BookingCancelled {
  readonly id: string;
  readonly reason: string;
}

/** Descriptors of a throwaway topic with two event types. */
export function testEvents(topic: string) {
  const created = defineEvent<BookingCreated, BookingCreated, "test.booking.created">({
    type: "test.booking.created",
    name: "BookingCreated",
    topic,
    keyField: "id",
    format: "json",
    compatibility: "BACKWARD",
    versions: [
      {
        version: 1,
        schema: {
          type: "record",
          name: "BookingCreated",
          fields: [
            { name: "id", type: "string" },
            { name: "seq", type: "int" },
          ],
        },
      },
    ],
  });
  const cancelled = defineEvent<BookingCancelled, BookingCancelled, "test.booking.cancelled">({
    type: "test.booking.cancelled",
    name: "BookingCancelled",
    topic,
    keyField: "id",
    format: "json",
    compatibility: "BACKWARD",
    versions: [
      {
        version: 1,
        schema: {
          type: "record",
          name: "BookingCancelled",
          fields: [
            { name: "id", type: "string" },
            { name: "reason", type: "string" },
          ],
        },
      },
    ],
  });
  const topicDescriptor = defineTopic({ topic, dlqTopic: `${topic}-dlq`, events: [created, cancelled] as const });
  return { created, cancelled, topic: topicDescriptor };
}

/** A consumer config for tests: oldest offsets, short heartbeats, a DLQ topic. */
export function testConfig(topic: string, overrides: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    ...consumerConfigFromEnv(topic, uniqueName("group"), { KAFKA_BROKERS: brokers().join(",") }),
    startOffset: "oldest",
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    maxWaitMs: 100,
    commitIntervalMs: 200,
    dlqTopic: `${topic}-dlq`,
    maxRetries: 2,
    ...overrides,
  };
}

export class Fixture {
  readonly kafka = kafka();
  readonly admin: Admin = this.kafka.admin();
  private producer: Producer | undefined;

  async topic(prefix: string, partitions = 1, withDlq = true): Promise<string> {
    const topic = uniqueName(prefix);
    await this.admin.connect();
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions }, ...(withDlq ? [{ topic: `${topic}-dlq`, numPartitions: 1 }] : [])],
    });
    return topic;
  }

  async send(
    topic: string,
    messages: { key?: string | null; value: Buffer | string | null; headers?: IHeaders; partition?: number }[],
  ): Promise<void> {
    if (this.producer === undefined) {
      this.producer = this.kafka.producer({ idempotent: true });
      await this.producer.connect();
    }
    await this.producer.send({ topic, acks: -1, messages });
  }

  /** Sends JSON events with the standard headers. */
  async sendEvents(topic: string, type: string, payloads: { id: string }[], extra: IHeaders = {}): Promise<void> {
    await this.send(
      topic,
      payloads.map((p, i) => ({
        key: p.id,
        value: JSON.stringify(p),
        headers: { "event-type": type, "event-id": `evt-${i}`, "schema-version": "v1", ...extra },
      })),
    );
  }

  /**
   * The group's committed offset per partition (-1 when none). A retriable broker answer (the
   * group's coordinator moving or loading, as on a freshly started broker) is asked again.
   */
  async committed(groupId: string, topic: string): Promise<number[]> {
    const fetch = async (attempt: number): Promise<Awaited<ReturnType<Admin["fetchOffsets"]>>> => {
      try {
        return await this.admin.fetchOffsets({ groupId, topics: [topic] });
      } catch (e) {
        if (attempt >= 20 || (e as { retriable?: unknown }).retriable !== true) throw e;
        await new Promise((r) => setTimeout(r, 250));
        return fetch(attempt + 1);
      }
    };
    const [entry] = await fetch(1);
    return (entry?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  }

  /** Reads `count` records of a topic from the beginning (fails the test on timeout). */
  async read(topic: string, count: number, timeoutMs = 20_000) {
    const out: { key: Buffer | null; value: Buffer | null; headers: IHeaders; timestamp: string }[] = [];
    const consumer = this.kafka.consumer({ groupId: uniqueName("reader"), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${out.length}/${count} from ${topic}`)), timeoutMs);
        void consumer.run({
          eachMessage: async ({ message }) => {
            out.push({
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
              timestamp: message.timestamp,
            });
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  }

  /** Latest offset of each partition (the number of records in a fresh topic). */
  async endOffsets(topic: string): Promise<number[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    await this.admin.disconnect();
  }
}

/** A logger that keeps what it is given; `enabled` answers `isLevelEnabled` (absent: no such method). */
export function captureLogger(enabled?: (level: "debug" | "info" | "warn" | "error") => boolean) {
  const logs: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const capture = (level: string) => (obj: object, msg?: string) => {
    logs.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  const logger: Logger = {
    debug: capture("debug"),
    info: capture("info"),
    warn: capture("warn"),
    error: capture("error"),
    child: () => logger,
    ...(enabled === undefined ? {} : { isLevelEnabled: enabled }),
  };
  return { logs, logger };
}

/** Polls until `check` returns true (fails the test after `timeoutMs`). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
