/** What the fault scenarios share: producers and consumers behind the proxies, publishing with ids, waiting. */
import type { Kafka } from "kafkajs";
import {
  type ConsumerConfig,
  consumerConfigFromEnv,
  type Producer,
  type ProducerConfig,
  producerConfigFromEnv,
  type Transport,
} from "../../runtime/index.ts";
import type { FaultCluster } from "./cluster.ts";
import {
  type ConsumerVerdict,
  type Delivery,
  idHeader,
  judgeConsumption,
  judgePublishes,
  type Ledger,
  type ProducerVerdict,
  readTopic,
  type Told,
} from "./oracle.ts";

/**
 * The transports the producer-side scenarios run on, each a scenario of its own (the consumer and
 * its dead-letter writer run on kafkajs). KAFKA_TRANSPORT, when set, runs only that one.
 */
export const transports: readonly Transport[] =
  process.env.KAFKA_TRANSPORT === undefined ? ["kafkajs", "platformatic"] : [process.env.KAFKA_TRANSPORT as Transport];

/** A scenario's name in the report: the kafkajs one keeps its name, another transport's says which. */
export function onTransport(scenario: string, transport: Transport): string {
  return transport === "kafkajs" ? scenario : `${scenario} [${transport} transport]`;
}

/** A producer configuration for the cluster behind its proxies; `env` as the KAFKA_* variables. */
export function producerConfig(fc: FaultCluster, topic: string, env: Record<string, string> = {}): ProducerConfig {
  return producerConfigFromEnv(topic, { KAFKA_BROKERS: fc.brokers.join(","), KAFKA_CLIENT_ID: "faults", ...env });
}

/** A consumer configuration for the cluster behind its proxies: oldest offsets, short sessions, quick heartbeats. */
export function consumerConfig(
  fc: FaultCluster,
  topic: string,
  groupId: string,
  overrides: Partial<ConsumerConfig> = {},
): ConsumerConfig {
  return {
    ...consumerConfigFromEnv(topic, groupId, { KAFKA_BROKERS: fc.brokers.join(","), KAFKA_CLIENT_ID: "faults" }),
    startOffset: "oldest",
    sessionTimeoutMs: 6000, // the shortest the consumer's configuration accepts (and the broker's default minimum)
    heartbeatIntervalMs: 500,
    maxWaitMs: 100,
    commitIntervalMs: 200,
    ...overrides,
  };
}

/** Publishes one message of `key` (a small JSON value, or `bytes` of padding) and records the outcome. */
export function publishOne(
  producer: Producer,
  ledger: Ledger,
  key: string,
  options: { topic?: string; bytes?: number; partition?: number } = {},
): Promise<Told> {
  return ledger.track(key, (entry) =>
    producer.publish({
      topic: options.topic,
      partition: options.partition,
      key,
      value: JSON.stringify({ id: entry.id, pad: "x".repeat(options.bytes ?? 0) }),
      headers: { [idHeader]: entry.id },
    }),
  );
}

/** Publishes `size` messages at once (keys `k0`, `k1`, ...): the producer sends them as one batch. */
export function publishBatch(
  producer: Producer,
  ledger: Ledger,
  size: number,
  options: { topic?: string; bytes?: number } = {},
): Promise<Told[]> {
  return Promise.all(Array.from({ length: size }, (_, i) => publishOne(producer, ledger, `k${i}`, options)));
}

/** The group's committed offset of each partition of `topic` (partitions without one are left out). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(
      (entry?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, BigInt(p.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** The end offset of each partition of `topic`. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` until it is true; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `groupId` has committed every partition of `topic` up to the end the topic has now. */
export async function untilAllCommitted(
  kafka: Kafka,
  groupId: string,
  topic: string,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<void> {
  const ends = await endOffsets(kafka, topic);
  await eventually(
    async () => {
      const committed = await committedOffsets(kafka, groupId, topic);
      return [...ends].every(([p, end]) => committed.get(p) === end);
    },
    `every offset of ${topic} committed by ${groupId}`,
    timeoutMs,
    everyMs,
  );
}

/**
 * Writes `count` records straight to the brokers (not through the proxies, not with the runtime:
 * the input of a consumer scenario, not what it tests) and records each as acknowledged where the
 * broker put it. Record `i` has key `k<i % keys>`, and each key stays on one partition.
 */
export async function seedRecords(
  fc: FaultCluster,
  ledger: Ledger,
  topic: string,
  count: number,
  options: { partitions: number; keys?: number },
): Promise<void> {
  const keys = options.keys ?? 16;
  const producer = fc.kafka("faults-seed").producer({ idempotent: true });
  await producer.connect();
  try {
    for (let from = 0; from < count; from += 500) {
      const entries = Array.from({ length: Math.min(500, count - from) }, (_, i) => {
        const k = (from + i) % keys;
        return { entry: ledger.next(`k${k}`), partition: k % options.partitions };
      });
      const acks = await producer.send({
        topic,
        acks: -1,
        messages: entries.map(({ entry, partition }) => ({
          key: entry.key,
          value: entry.id,
          partition,
          headers: { [idHeader]: entry.id },
        })),
      });
      const next = new Map(acks.map((a) => [a.partition, BigInt(a.baseOffset ?? "-1")]));
      for (const { entry, partition } of entries) {
        const offset = next.get(partition) ?? -1n;
        next.set(partition, offset + 1n);
        entry.told = { kind: "acknowledged", topic, partition, offset: String(offset) };
      }
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * The verdict on a consumer scenario once its group has stopped: the publishes against the topic
 * as it is now, and the handler calls and dead letters against it and the group's committed offsets.
 */
export async function judgeGroup(
  kafka: Kafka,
  ledger: Ledger,
  group: { topic: string; groupId: string; deliveries: readonly Delivery[]; dlqTopic?: string },
): Promise<{ p: ProducerVerdict; c: ConsumerVerdict }> {
  const topicRecords = await readTopic(kafka, group.topic);
  const dlqRecords = group.dlqTopic === undefined ? [] : await readTopic(kafka, group.dlqTopic);
  const committed = await committedOffsets(kafka, group.groupId, group.topic);
  return {
    p: judgePublishes(ledger, topicRecords),
    c: judgeConsumption(topicRecords, group.deliveries, dlqRecords, committed),
  };
}
