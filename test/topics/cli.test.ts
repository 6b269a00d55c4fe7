/**
 * `skeji-gen topics plan|apply` as a user runs them, against the real broker: what they print, their
 * exit codes, and what the cluster holds afterwards. Each test uses topic names of its own.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topicsCommand } from "../../generator/topics/command.ts";
import { gitIn, runCommand } from "../check/helpers.ts";
import { brokers, uniqueName } from "../infra/env.ts";

const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

/** A project folder holding only `schemas/manifest.json`. */
function project(manifest: unknown): string {
  const root = mkdtempSync(join(tmpdir(), "skeji-topics-"));
  mkdirSync(join(root, "schemas"));
  writeFileSync(join(root, "schemas", "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return root;
}

/** Runs `skeji-gen topics <args>` in-process from `cwd` with `env` as the environment. */
/** The schema topic is off unless a test names one (see the schema topic test). */
const noSchemaTopic = { KAFKA_BROKERS: brokers().join(","), KAFKA_SCHEMA_TOPIC: "none" };
const topics = (args: string[], cwd: string, env: Record<string, string> = noSchemaTopic) =>
  runCommand((io) => topicsCommand(io, env), args, cwd);

const partitionsOf = async (topic: string) =>
  (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length;

describe("skeji-gen topics", () => {
  it("plan lists what is missing and creates nothing; apply creates topic and DLQ; then both report in sync", async () => {
    const [topic, dlq] = [uniqueName("cli-orders"), uniqueName("cli-dlq")];
    const root = project({
      defaults: { replicationFactor: 1, dlqTopics: { partitions: 1 } },
      topics: {
        [topic]: { dlq, partitions: 2, config: { "retention.ms": 3600000 }, events: { "order.placed": { key: "id" } } },
      },
    });

    const plan = await topics(["plan"], root);
    expect(plan.code).toBe(1);
    expect(plan.out.split("\n")).toEqual(
      expect.arrayContaining([
        `+ create        ${topic}  partitions 2, replication factor 1, retention.ms=3600000`,
        `+ create        ${dlq} (DLQ of ${topic})  partitions 1, replication factor 1`,
        "topics plan: 2 topics on 1 broker: 2 to create, 0 in sync, 0 drifted (left as they are)",
      ]),
    );
    expect(await admin.listTopics()).not.toContain(topic);

    const apply = await topics(["apply"], root);
    expect(apply).toMatchObject({ code: 0, err: "" });
    expect(apply.out).toContain(`+ created       ${topic}  partitions 2, replication factor 1, retention.ms=3600000`);
    expect(apply.out).toContain("2 created, 0 in sync, 0 drifted");
    expect([await partitionsOf(topic), await partitionsOf(dlq)]).toEqual([2, 1]);

    for (const command of ["apply", "plan"]) {
      const again = await topics([command], root);
      expect(again.code, command).toBe(0);
      expect(again.out, command).toContain(`= in sync       ${topic}`);
      expect(again.out, command).toContain(`= in sync       ${dlq} (DLQ of ${topic})`);
    }
  });

  it("without a registry, plans and creates the schema topic too: compacted, one partition, the manifest's replication factor", async () => {
    const [topic, schemas] = [uniqueName("cli-with-schemas"), uniqueName("cli-schemas")];
    const root = project({
      defaults: { replicationFactor: 1 },
      topics: { [topic]: { partitions: 1, events: { "order.placed": { key: "id" } } } },
    });
    const env = { KAFKA_BROKERS: brokers().join(","), KAFKA_SCHEMA_TOPIC: schemas };
    const plan = await topics(["plan"], root, env);
    expect(plan.out).toContain(
      `+ create        ${schemas}  partitions 1, replication factor 1, cleanup.policy=compact`,
    );
    const apply = await topics(["apply"], root, env);
    expect(apply).toMatchObject({ code: 0, err: "" });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: schemas, configNames: ["cleanup.policy"] }],
    });
    expect(described.resources[0]?.configEntries[0]?.configValue).toBe("compact");
    expect(await partitionsOf(schemas)).toBe(1);
    // With a registry, schemas travel there: no schema topic is planned.
    const withRegistry = await topics(["plan"], root, { ...env, SCHEMA_REGISTRY_URL: "http://127.0.0.1:1" });
    expect(withRegistry.out).not.toContain(schemas);
  });

  it("apply reports drift it will not change, with exit 1, as GitHub warnings on the manifest's line", async () => {
    const topic = uniqueName("cli-drift");
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    const root = project({ topics: { [topic]: { partitions: 2, events: { "thing.done": { key: "id" } } } } });

    const text = await topics(["apply"], root);
    expect(text.code).toBe(1);
    expect(text.out).toContain(
      `~ drift         ${topic}\n    partitions: 4 on the cluster, 2 in the manifest (not changed: partitions cannot be removed from a topic)`,
    );

    const github = await topics(["apply", "--format", "github"], root);
    expect(github.code).toBe(1);
    expect(github.out).toContain(
      `::warning file=schemas/manifest.json,line=3,title=topic ${topic} drifted::partitions: 4 on the cluster, 2 in the manifest`,
    );
    expect(await partitionsOf(topic)).toBe(4);
  });

  it("refuses a replication factor above the broker count (exit 1, nothing created) unless --cap-replication-factor", async () => {
    const topic = uniqueName("cli-rf");
    const root = project({ topics: { [topic]: { replicationFactor: 3, events: { "thing.done": { key: "id" } } } } });

    const refused = await topics(["apply"], root);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${topic}: replication factor 3 is more than the cluster's 1 broker`);
    expect(await admin.listTopics()).not.toContain(topic);

    const github = await topics(["plan", "--format", "github"], root);
    expect(github.code).toBe(1);
    expect(github.out).toContain(`::error file=schemas/manifest.json,line=3,title=topic ${topic} cannot be created::`);

    const capped = await topics(["apply", "--cap-replication-factor"], root);
    expect(capped.code).toBe(0);
    expect(capped.out).toContain("note: replication factor capped from 3 to 1 (the cluster has 1 broker)");
    expect(await admin.listTopics()).toContain(topic);
  });

  it("annotates the manifest by its path from the repository's root when run from a service's folder", async () => {
    const topic = uniqueName("cli-mono");
    const repository = mkdtempSync(join(tmpdir(), "skeji-monorepo-"));
    gitIn(() => repository)("init", "-q");
    const service = join(repository, "services", "booking");
    mkdirSync(join(service, "schemas"), { recursive: true });
    writeFileSync(join(service, "package.json"), '{ "name": "booking" }\n');
    const manifest = { topics: { [topic]: { replicationFactor: 3, events: { "thing.done": { key: "id" } } } } };
    writeFileSync(join(service, "schemas", "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

    const github = await topics(["plan", "--format", "github"], service);
    expect(github.code).toBe(1);
    expect(github.out).toContain(
      `::error file=services/booking/schemas/manifest.json,line=3,title=topic ${topic} cannot be created::`,
    );
  });

  it.each([
    [
      "a manifest with a misspelled config",
      { topics: { t: { config: { "retention.msec": 1 }, events: { "a.b": { key: "id" } } } } },
      { KAFKA_BROKERS: "127.0.0.1:19092" },
      'schemas/manifest.json: $.topics.t.config["retention.msec"]: unknown topic config "retention.msec" (did you mean "retention.ms"?)',
    ],
    ["no KAFKA_BROKERS", { topics: { t: { events: { "a.b": { key: "id" } } } } }, {}, "KAFKA_BROKERS"],
  ])("exits 2 on %s, saying what is wrong", async (_what, manifest, env, expected) => {
    const run = await topics(["plan"], project(manifest), env);
    expect(run.code).toBe(2);
    expect(run.out).toBe("");
    expect(run.err).toContain(expected);
  });

  it("reports a failure to run as a GitHub error with --format github", async () => {
    const run = await topics(["plan", "--format", "github"], project({ topics: {} }), {
      KAFKA_BROKERS: "127.0.0.1:1",
      KAFKA_CONNECTION_TIMEOUT: "500ms",
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^::error::cannot connect to Kafka at 127\.0\.0\.1:1: /);
  });
});
