/** Proves the test broker is a real Kafka that kafkajs can use end to end. */
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers, uniqueName } from "../infra/env.ts";

const kafka = new Kafka({ brokers: brokers(), clientId: "smoke", logLevel: logLevel.NOTHING });
const admin = kafka.admin();

beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

describe("local Kafka broker", () => {
  it("reports a KRaft cluster with one broker", async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]?.port).toBe(Number(brokers()[0]?.split(":")[1]));
    expect(cluster.controller).toBe(cluster.brokers[0]?.nodeId);
  });

  it("creates a 3-partition topic, and a consumer group reads back every keyed message in order per key", async () => {
    const topic = uniqueName("smoke");
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);

    const keys = ["booking-1", "booking-2", "booking-3", "booking-4", "booking-5", "booking-6"];
    const sent = keys.flatMap((key) => [0, 1, 2, 3].map((seq) => ({ key, value: `${key}#${seq}` })));
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);

    const received: { key: string; value: string; partition: number }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName("smoke-group") });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ key: String(message.key), value: String(message.value), partition });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received.map((r) => r.value).sort()).toEqual(sent.map((s) => s.value).sort());
    for (const key of keys) {
      const mine = received.filter((r) => r.key === key);
      // Same key, same partition, and the partition preserves publish order.
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => r.value)).toEqual([0, 1, 2, 3].map((seq) => `${key}#${seq}`));
    }
    // Six keys over three partitions: the default partitioner spreads them.
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);

    const offsets = await admin.fetchOffsets({ groupId: "unused-group-has-none", topics: [topic] });
    expect(offsets[0]?.partitions.every((p) => p.offset === "-1")).toBe(true);
    await admin.deleteTopics({ topics: [topic] });
  });
});
