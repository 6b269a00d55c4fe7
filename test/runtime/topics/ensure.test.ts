/**
 * ensureTopics() / planTopics() against the real broker (one broker, KRaft): what a service's test
 * or local run observes - topics and DLQ topics exist afterwards with the described settings and
 * take records at once; a second run changes nothing; existing topics that differ are reported,
 * never altered; a replication factor the cluster cannot hold is refused unless capped.
 */
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineEvent, defineTopic } from "../../../runtime/descriptor.ts";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { createProducer } from "../../../runtime/producer/producer.ts";
import { ensureTopics, planTopics } from "../../../runtime/topics/ensure.ts";
import { brokers, uniqueName } from "../../infra/env.ts";
import { clientConfig, producerConfig } from "./helpers.ts";

const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

const options = { logger: silentLogger };

/** A topic as the cluster has it: partitions, replicas and the given configs. */
async function onCluster(topic: string, configs: string[] = []) {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = topics[0]?.partitions ?? [];
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: configs }],
    includeSynonyms: false,
  });
  const config = Object.fromEntries(
    (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
  );
  return { partitions: partitions.length, replicationFactor: partitions[0]?.replicas.length, config };
}

const event = (topic: string, dlqTopic?: string) =>
  defineEvent({
    type: "test.topic.event",
    name: "TestTopicEvent",
    topic,
    keyField: "id",
    format: "avro",
    compatibility: "BACKWARD",
    dlqTopic,
    versions: [
      { version: 1, schema: { type: "record", name: "TestTopicEvent", fields: [{ name: "id", type: "string" }] } },
    ],
  });

describe("ensureTopics", () => {
  it("creates a descriptor's topic and its DLQ with their settings; both take records at once", async () => {
    const topic = uniqueName("ensure-main");
    const dlq = uniqueName("ensure-dlq");
    const descriptor = defineTopic({
      topic,
      dlqTopic: dlq,
      settings: {
        partitions: 3,
        replicationFactor: 1,
        config: { "retention.ms": "3600000", "cleanup.policy": "delete" },
      },
      dlqSettings: { partitions: 1, config: { "retention.ms": "86400000" } },
      events: [event(topic, dlq)],
    });

    const result = await ensureTopics(clientConfig(), [descriptor], options);

    expect(result.created).toEqual([dlq, topic].sort());
    expect(result.drifted).toEqual([]);
    expect(result.topics.map((t) => [t.topic, t.role, t.status])).toEqual(
      [
        [topic, "topic", "created"],
        [dlq, "dlq", "created"],
      ].sort(),
    );
    expect(await onCluster(topic, ["retention.ms", "cleanup.policy"])).toEqual({
      partitions: 3,
      replicationFactor: 1,
      config: { "retention.ms": "3600000", "cleanup.policy": "delete" },
    });
    expect(await onCluster(dlq, ["retention.ms"])).toEqual({
      partitions: 1,
      replicationFactor: 1,
      config: { "retention.ms": "86400000" },
    });

    // Usable at once: a producer that may not create topics publishes to both without retrying.
    const producer = createProducer(producerConfig(topic, { maxAttempts: 1 }), { logger: silentLogger });
    try {
      await producer.publishEvent(event(topic), { id: "a" });
      await producer.publishEvent(event(dlq), { id: "a" });
    } finally {
      await producer.close();
    }

    // A second run finds everything in place and creates nothing.
    const again = await ensureTopics(clientConfig(), [descriptor], options);
    expect(again.created).toEqual([]);
    expect(again.topics.map((t) => t.status)).toEqual(["in-sync", "in-sync"]);
  });

  it("creates a DLQ shared by two topics once", async () => {
    const [a, b, dlq] = [uniqueName("shared-a"), uniqueName("shared-b"), uniqueName("shared-dlq")];
    const dlqSettings = { partitions: 2 };
    const result = await ensureTopics(
      clientConfig(),
      [
        defineTopic({ topic: a, dlqTopic: dlq, dlqSettings, events: [event(a, dlq)] }),
        defineTopic({ topic: b, dlqTopic: dlq, dlqSettings, events: [event(b, dlq)] }),
      ],
      options,
    );
    expect(result.created).toEqual([a, b, dlq].sort());
    expect(result.topics.find((t) => t.topic === dlq)).toMatchObject({ role: "dlq", dlqFor: [a, b].sort() });
    expect((await onCluster(dlq)).partitions).toBe(2);
  });

  it("refuses two different definitions of one DLQ, before creating anything", async () => {
    const [a, b, dlq] = [uniqueName("conflict-a"), uniqueName("conflict-b"), uniqueName("conflict-dlq")];
    const error = await ensureTopics(
      clientConfig(),
      [
        defineTopic({ topic: a, dlqTopic: dlq, dlqSettings: { partitions: 1 }, events: [event(a, dlq)] }),
        defineTopic({ topic: b, dlqTopic: dlq, dlqSettings: { partitions: 4 }, events: [event(b, dlq)] }),
      ],
      options,
    ).catch((e: unknown) => e);
    expect(isSkejiError(error, "INVALID_CONFIG")).toBe(true);
    expect((error as Error).message).toContain(dlq);
    const existing = await admin.listTopics();
    expect([a, b, dlq].filter((t) => existing.includes(t))).toEqual([]);
  });

  it("reports drift of an existing topic and leaves it as it is (never shrinks, never reconfigures)", async () => {
    const topic = uniqueName("drifted");
    await admin.createTopics({
      topics: [{ topic, numPartitions: 4, configEntries: [{ name: "retention.ms", value: "1000000" }] }],
      waitForLeaders: true,
    });
    const spec = { topic, partitions: 2, config: { "retention.ms": "2000000", "cleanup.policy": "delete" } };

    const plan = await planTopics(clientConfig(), [spec], options);
    const result = await ensureTopics(clientConfig(), [spec], options);

    for (const seen of [plan, result]) {
      expect(seen.topics).toHaveLength(1);
      expect(seen.topics[0]).toMatchObject({
        status: "drift",
        drift: [
          { setting: "partitions", wanted: "2", actual: "4" },
          { setting: "retention.ms", wanted: "2000000", actual: "1000000" },
        ],
      });
    }
    expect(result.created).toEqual([]);
    expect(result.drifted).toEqual([topic]);
    expect(await onCluster(topic, ["retention.ms"])).toMatchObject({
      partitions: 4,
      config: { "retention.ms": "1000000" },
    });
  });

  it("plans without creating: a missing topic is `create` and still missing afterwards", async () => {
    const topic = uniqueName("planned");
    const plan = await planTopics(clientConfig(), [{ topic, partitions: 1 }], options);
    expect(plan.brokers).toBe(1);
    expect(plan.topics).toMatchObject([{ topic, status: "create", actual: undefined }]);
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it("refuses a replication factor above the broker count, unless asked to cap it (and then says so)", async () => {
    const topic = uniqueName("replicated");
    const spec = { topic, partitions: 1, replicationFactor: 3, config: { "min.insync.replicas": "2" } };

    const refused = await ensureTopics(clientConfig(), [spec], options).catch((e: unknown) => e);
    expect(isSkejiError(refused, "TOPIC_CREATE_FAILED")).toBe(true);
    expect((refused as Error).message).toContain(`${topic}: replication factor 3 is more than the cluster's 1 broker`);
    expect(await admin.listTopics()).not.toContain(topic);

    const capped = await ensureTopics(clientConfig(), [spec], { ...options, capReplicationFactor: true });
    expect(capped.created).toEqual([topic]);
    expect(capped.topics[0]?.notes).toEqual([
      "replication factor capped from 3 to 1 (the cluster has 1 broker)",
      "min.insync.replicas lowered from 2 to 1 to match",
    ]);
    expect(await onCluster(topic, ["min.insync.replicas"])).toEqual({
      partitions: 1,
      replicationFactor: 1,
      config: { "min.insync.replicas": "1" },
    });
    // With the cap, the capped topic is in sync; without it, the replication factor is drift.
    expect(
      (await planTopics(clientConfig(), [spec], { ...options, capReplicationFactor: true })).topics[0]?.status,
    ).toBe("in-sync");
    expect((await planTopics(clientConfig(), [spec], options)).topics[0]?.drift.map((d) => d.setting)).toEqual([
      "replicationFactor",
      "min.insync.replicas",
    ]);
  });

  it("reports a config the broker refuses as TOPIC_CREATE_FAILED naming the topic", async () => {
    const topic = uniqueName("bad-config");
    const error = await ensureTopics(clientConfig(), [{ topic, config: { "cleanup.policy": "shred" } }], options).catch(
      (e: unknown) => e,
    );
    expect(isSkejiError(error, "TOPIC_CREATE_FAILED")).toBe(true);
    // Refused for what it is: said not created, at once (not tried again until the timeout).
    expect((error as Error).message).toContain(`${topic}: not created (`);
    expect((error as { details?: unknown }).details).toMatchObject({
      topics: [topic],
      created: [],
      notCreated: [topic],
    });
  });

  it("fails with CONNECTION_FAILED naming the brokers when none answers", async () => {
    const error = await planTopics(
      { ...clientConfig(), brokers: ["127.0.0.1:1"], connectionTimeoutMs: 500 },
      [{ topic: "x" }],
      options,
    ).catch((e: unknown) => e);
    expect(isSkejiError(error, "CONNECTION_FAILED")).toBe(true);
    expect((error as Error).message).toContain("127.0.0.1:1");
  });
});
