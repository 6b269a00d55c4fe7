/**
 * Topic creation settings in the manifest: how they resolve (nearest wins, configs merge name by
 * name, one definition per DLQ), every mistake reported with the file and JSON path, and generated
 * descriptors that `ensureTopics()` accepts without a conflict.
 */
import { describe, expect, it } from "vitest";
import { readManifest } from "../../generator/load/manifest.ts";
import { formatProblem } from "../../generator/load/problems.ts";
import { wantedTopics } from "../../runtime/topics/wanted.ts";
import { allTopics } from "../fixtures/topic-settings/expected/topics.ts";

const FILE = "schemas/manifest.json";
const events = { events: { "thing.created": { key: "id" } } };
const read = (json: unknown) => readManifest(FILE, json);
const problems = (json: unknown) => read(json).problems.map(formatProblem);
const settingsOf = (json: unknown, topic: string) => {
  const t = read(json).manifest.topics.find((x) => x.name === topic);
  return { settings: t?.settings, dlqSettings: t?.dlqSettings };
};

describe("topic settings in the manifest", () => {
  it("resolves topic settings over defaults, configs merged name by name, values as Kafka's strings", () => {
    const json = {
      defaults: { partitions: 6, replicationFactor: 3, config: { "min.insync.replicas": 2, "retention.ms": 1000 } },
      topics: {
        things: {
          partitions: 12,
          config: { "retention.ms": "2000", "unclean.leader.election.enable": false },
          ...events,
        },
        plain: { events: { "plain.created": { key: "id" } } },
      },
    };
    expect(problems(json)).toEqual([]);
    expect(settingsOf(json, "things").settings).toEqual({
      partitions: 12,
      replicationFactor: 3,
      config: { "min.insync.replicas": "2", "retention.ms": "2000", "unclean.leader.election.enable": "false" },
    });
    expect(settingsOf(json, "plain")).toEqual({
      settings: { partitions: 6, replicationFactor: 3, config: { "min.insync.replicas": "2", "retention.ms": "1000" } },
      dlqSettings: undefined,
    });
  });

  it("leaves settings the manifest does not give to the broker (undefined)", () => {
    expect(settingsOf({ topics: { things: { dlq: "dlq-things", ...events } } }, "things")).toEqual({
      settings: { partitions: undefined, replicationFactor: undefined, config: {} },
      dlqSettings: { partitions: undefined, replicationFactor: undefined, config: {} },
    });
  });

  it("gives a DLQ its dlqTopics entry over defaults.dlqTopics over defaults, the same for every topic sharing it", () => {
    const json = {
      defaults: {
        replicationFactor: 3,
        config: { "min.insync.replicas": 2, "retention.ms": 1000 },
        dlqTopics: { partitions: 1, config: { "retention.ms": 9000 } },
      },
      topics: {
        a: { dlq: "dlq-shared", partitions: 6, events: { "a.created": { key: "id" } } },
        b: { dlq: "dlq-shared", partitions: 9, events: { "b.created": { key: "id" } } },
        c: { dlq: "dlq-c", events: { "c.created": { key: "id" } } },
      },
      dlqTopics: { "dlq-shared": { partitions: 2, config: { "cleanup.policy": "compact,delete" } } },
    };
    expect(problems(json)).toEqual([]);
    const shared = {
      partitions: 2,
      replicationFactor: 3,
      config: { "cleanup.policy": "compact,delete", "min.insync.replicas": "2", "retention.ms": "9000" },
    };
    expect(settingsOf(json, "a").dlqSettings).toEqual(shared);
    expect(settingsOf(json, "b").dlqSettings).toEqual(shared);
    expect(settingsOf(json, "c").dlqSettings).toEqual({
      partitions: 1,
      replicationFactor: 3,
      config: { "min.insync.replicas": "2", "retention.ms": "9000" },
    });
  });

  it("gives a DLQ that is also a topic of the manifest that topic's settings", () => {
    const json = {
      topics: {
        a: { dlq: "retries", ...events },
        retries: { partitions: 3, config: { "retention.ms": 5 }, events: { "retry.created": { key: "id" } } },
      },
    };
    expect(problems(json)).toEqual([]);
    expect(settingsOf(json, "a").dlqSettings).toEqual({
      partitions: 3,
      replicationFactor: undefined,
      config: { "retention.ms": "5" },
    });
  });

  it.each([
    [
      "a misspelled config, with a suggestion",
      { topics: { things: { config: { "retention.msec": 1 }, ...events } } },
      `${FILE}: $.topics.things.config["retention.msec"]: unknown topic config "retention.msec" (did you mean "retention.ms"?)`,
    ],
    [
      "a broker-level name for a topic config",
      { defaults: { config: { "log.retention.ms": 1 } }, topics: { things: events } },
      `${FILE}: $.defaults.config["log.retention.ms"]: unknown topic config "log.retention.ms" (did you mean "retention.ms"?)`,
    ],
    [
      "a config nothing resembles",
      { topics: { things: { config: { colour: "blue" }, ...events } } },
      `${FILE}: $.topics.things.config.colour: unknown topic config "colour" (expected a Kafka topic config such as retention.ms, cleanup.policy or min.insync.replicas)`,
    ],
    [
      "a misspelled settings attribute",
      { topics: { things: { partition: 3, ...events } } },
      `${FILE}: $.topics.things.partition: unknown topic attribute "partition" (did you mean "partitions"?)`,
    ],
    [
      "a misspelled defaults attribute",
      { defaults: { replicationFactr: 3 }, topics: { things: events } },
      `${FILE}: $.defaults.replicationFactr: unknown defaults attribute "replicationFactr" (did you mean "replicationFactor"?)`,
    ],
    [
      "partitions that are not a positive whole number",
      { topics: { things: { partitions: 0, ...events } } },
      `${FILE}: $.topics.things.partitions: invalid partitions 0 (expected a whole number from 1 to 2147483647)`,
    ],
    [
      "a replication factor as a string",
      { defaults: { replicationFactor: "3" }, topics: { things: events } },
      `${FILE}: $.defaults.replicationFactor: invalid replicationFactor "3" (expected a whole number from 1 to 32767)`,
    ],
    [
      "a config value that is an object",
      { topics: { things: { config: { "retention.ms": { days: 7 } }, ...events } } },
      `${FILE}: $.topics.things.config["retention.ms"]: invalid config value {"days":7} (expected a string or a number)`,
    ],
    [
      "a number JSON cannot hold exactly",
      { topics: { things: { config: JSON.parse('{ "retention.ms": 9223372036854775807 }'), ...events } } },
      `${FILE}: $.topics.things.config["retention.ms"]: config value 9223372036854776000 is too large to be exact as a JSON number (write it as a string)`,
    ],
    [
      "an unknown cleanup policy",
      { topics: { things: { config: { "cleanup.policy": "compacted" }, ...events } } },
      `${FILE}: $.topics.things.config["cleanup.policy"]: invalid cleanup.policy "compacted" (expected "delete", "compact" or "compact,delete")`,
    ],
    [
      "min.insync.replicas above the replication factor",
      { defaults: { replicationFactor: 1 }, topics: { things: { config: { "min.insync.replicas": 2 }, ...events } } },
      `${FILE}: $.topics.things: min.insync.replicas 2 is more than replicationFactor 1 (every acks=all write would fail)`,
    ],
    [
      "a dlqTopics entry no topic names, with the likely one",
      { topics: { things: { dlq: "dlq-things", ...events } }, dlqTopics: { "dlq-thing": { partitions: 1 } } },
      `${FILE}: $.dlqTopics["dlq-thing"]: no topic has "dlq-thing" as its dlq (did you mean "dlq-things"?)`,
    ],
    [
      "a dlqTopics entry for a topic declared under topics",
      {
        topics: { things: { dlq: "others", ...events }, others: { events: { "other.created": { key: "id" } } } },
        dlqTopics: { others: { partitions: 1 } },
      },
      `${FILE}: $.dlqTopics.others: "others" is declared under topics; its settings are given there`,
    ],
    [
      "a misspelled DLQ attribute",
      { topics: { things: { dlq: "dlq-things", ...events } }, dlqTopics: { "dlq-things": { retention: 1 } } },
      `${FILE}: $.dlqTopics["dlq-things"].retention: unknown DLQ topic attribute "retention" (expected one of "partitions", "replicationFactor", "config", "doc")`,
    ],
    [
      "a DLQ whose settings cannot work, reported once where they are written",
      {
        defaults: { dlqTopics: { replicationFactor: 1, config: { "min.insync.replicas": 2 } } },
        topics: {
          a: { dlq: "dlq", events: { "a.x": { key: "id" } } },
          b: { dlq: "dlq", events: { "b.x": { key: "id" } } },
        },
      },
      `${FILE}: $.defaults.dlqTopics: DLQ topic "dlq": min.insync.replicas 2 is more than replicationFactor 1 (every acks=all write would fail)`,
    ],
  ])("reports %s", (_what, json, expected) => {
    expect(problems(json)).toEqual([expected]);
  });

  it("generates descriptors ensureTopics() takes without a conflict: each topic and DLQ once", () => {
    const wanted = wantedTopics(allTopics);
    expect(wanted.map((w) => [w.topic, w.role, w.dlqFor, w.partitions])).toEqual([
      ["dlq-shop", "dlq", ["orders", "payments"], 1],
      ["orders", "topic", [], 12],
      ["payments", "topic", [], 6],
      ["stock", "topic", [], 6],
      ["stock-retries", "topic", ["stock"], 3],
    ]);
  });
});

describe("the partitioner in the manifest", () => {
  const partitionerOf = (json: unknown, topic: string) =>
    read(json).manifest.topics.find((t) => t.name === topic)?.partitioner;

  it("takes a topic's own partitioner over the one in defaults, and leaves it unset when neither says", () => {
    const json = {
      defaults: { partitioner: "fnv1a" },
      topics: { go: events, java: { partitioner: "murmur2", events: { "java.created": { key: "id" } } } },
    };
    expect(problems(json)).toEqual([]);
    expect(partitionerOf(json, "go")).toBe("fnv1a");
    expect(partitionerOf(json, "java")).toBe("murmur2");
    expect(partitionerOf({ topics: { plain: events } }, "plain")).toBeUndefined();
  });

  it.each([
    [
      "a misspelt partitioner, with a suggestion",
      { defaults: { partitioner: "FNV1A" }, topics: { things: events } },
      `${FILE}: $.defaults.partitioner: invalid partitioner "FNV1A" (did you mean "fnv1a"? expected "murmur2" (Java client, kafkajs) or "fnv1a" (kafka-go's Hash balancer))`,
    ],
    [
      "a partitioner the runtime does not have",
      { topics: { things: { partitioner: "crc32", ...events } } },
      `${FILE}: $.topics.things.partitioner: invalid partitioner "crc32" (expected "murmur2" (Java client, kafkajs) or "fnv1a" (kafka-go's Hash balancer))`,
    ],
    [
      "a partitioner on an event (it belongs to the topic)",
      { topics: { things: { events: { "thing.created": { key: "id", partitioner: "fnv1a" } } } } },
      `${FILE}: $.topics.things.events["thing.created"].partitioner: unknown event attribute "partitioner" (expected one of "key", "format", "compatibility", "doc")`,
    ],
  ])("reports %s", (_, json, message) => {
    expect(problems(json)).toEqual([message]);
  });

  it("is carried by the generated topic and event descriptors", () => {
    const byTopic = Object.fromEntries(
      allTopics.map((t) => [t.topic, [t.partitioner, ...t.events.map((e) => e.partitioner)]]),
    );
    expect(byTopic).toEqual({
      orders: ["fnv1a", "fnv1a"],
      payments: ["murmur2", "murmur2"],
      stock: ["fnv1a", "fnv1a"],
      "stock-retries": ["fnv1a", "fnv1a"],
    });
  });
});
