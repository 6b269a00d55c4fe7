/**
 * Producers first: a v2 producer deployed before its v1 consumers has every v2 event handled by
 * them, as v1 (new fields dropped, removed fields given their v1 defaults) - through the schema
 * registry (embedded Avro and Confluent framing) and, without one, through the schema topic.
 * Against the real broker and the real Apicurio registry.
 */
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkajsCompactedLog } from "../../../runtime/client/compacted-log.ts";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import {
  type ConsumerConfig,
  classifyError,
  createProducer,
  createRegistryClient,
  decodeRecord,
  defineEvent,
  isSkejiError,
  type Producer,
  producerMetrics,
  silentLogger,
} from "../../../runtime/index.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { schemaTopicStore } from "../../../runtime/serde/schema-topic.ts";
import { swappedFingerprint } from "../../../runtime/serde/writer-schemas.ts";
import { registryUrl, uniqueName } from "../../infra/env.ts";
import { testConfig as consumerTestConfig, eventually, Fixture } from "../consumer/helpers.ts";
import { testConfig as producerTestConfig } from "../producer/support.ts";

const v1 = {
  type: "record",
  name: "Reservation",
  namespace: "skeji.test.travel",
  fields: [
    { name: "id", type: "string" },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "seats", type: "int", default: 1 },
  ],
} as const;

/** FULL-compatible with v1: `seats` (which had a default) removed, `channel` (with a default) added. */
const v2 = {
  ...v1,
  fields: [
    { name: "id", type: "string" },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "channel", type: "string", default: "sms" },
  ],
} as const;

/** Not readable by v1: `id` became an int (no promotion to string). */
const v2Incompatible = { ...v1, fields: [{ name: "id", type: "int" }, v1.fields[1]] } as const;

interface ReservationV1 {
  id: string;
  at: Date;
  seats: number;
}

type Format = "avro" | "confluent" | "json";

function readerEvent(topic: string, format: Format = "avro") {
  return defineEvent<ReservationV1, { id: string; at: Date; seats?: number }, "reservation.made">({
    type: "reservation.made",
    name: "Reservation",
    topic,
    keyField: "id",
    format,
    compatibility: "FULL",
    versions: [{ version: 1, schema: v1 }],
  });
}

function writerEvent(topic: string, format: Format = "avro", latest: typeof v2 | typeof v2Incompatible = v2) {
  return defineEvent<unknown, Record<string, unknown>, "reservation.made">({
    ...readerEvent(topic, format),
    versions: [
      { version: 1, schema: v1 },
      { version: 2, schema: latest },
    ],
  });
}

const fx = new Fixture();
const producers: Producer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close()));
  await fx.close();
});

function producer(topic: string, env: Record<string, string>): Producer {
  const p = createProducer(producerTestConfig(topic, env), {
    logger: silentLogger,
    metrics: producerMetrics(new Registry()),
  });
  producers.push(p);
  return p;
}

/** A v1-only consumer started after everything was published; resolves with what its handler got once `count` are committed. */
async function consumeAsV1(topic: string, format: Format, count: number, overrides: Partial<ConsumerConfig>) {
  const config = consumerTestConfig(topic, overrides);
  const handled: { payload: ReservationV1; version: number }[] = [];
  const consumer = createConsumer(config, { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentLogger }).on(
    readerEvent(topic, format),
    (e) => {
      handled.push({ payload: e.payload, version: e.schemaVersion });
    },
  );
  const running = consumer.start();
  await eventually(async () => (await fx.committed(config.groupId, topic))[0] === count, `${count} committed`, 30_000);
  await consumer.stop();
  await running;
  return handled;
}

const at = new Date("2026-01-02T03:04:05.678Z");
const noRegistry = (schemaTopic: string) => ({ SCHEMA_REGISTRY_URL: "", KAFKA_SCHEMA_TOPIC: schemaTopic });

describe("a v2 producer deployed before its v1 consumers", () => {
  const cases: { name: string; format: Format; env: (schemaTopic: string) => Record<string, string> }[] = [
    { name: "without a registry (schema topic)", format: "avro", env: noRegistry },
    { name: "without a registry (schema topic), JSON", format: "json", env: noRegistry },
    { name: "with a registry, embedded Avro", format: "avro", env: () => ({ SCHEMA_REGISTRY_URL: registryUrl() }) },
    { name: "with a registry, Confluent", format: "confluent", env: () => ({ SCHEMA_REGISTRY_URL: registryUrl() }) },
  ];
  for (const c of cases) {
    it(`${c.name}: every v2 event is handled as v1 (channel dropped, seats defaulted)`, async () => {
      const topic = await fx.topic("travel");
      const schemaTopic = uniqueName("schemas");
      const p = producer(topic, c.env(schemaTopic));
      await Promise.all(
        ["r-1", "r-2", "r-3"].map((id) => p.publishEvent(writerEvent(topic, c.format), { id, at, channel: "web" })),
      );

      const registry = c.env(schemaTopic).SCHEMA_REGISTRY_URL;
      const handled = await consumeAsV1(
        topic,
        c.format,
        3,
        registry === "" || registry === undefined
          ? { schemaRegistry: undefined, schemaTopic: { topic: schemaTopic } }
          : { schemaRegistry: { url: registry } },
      );
      expect(handled.map((h) => h.payload).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        { id: "r-1", at, seats: 1 },
        { id: "r-2", at, seats: 1 },
        { id: "r-3", at, seats: 1 },
      ]);
      expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
    });
  }

  it("an incompatible writer schema is dead-lettered, saying why", async () => {
    const topic = await fx.topic("travel-bad");
    const schemaTopic = uniqueName("schemas");
    await producer(topic, noRegistry(schemaTopic)).publishEvent(writerEvent(topic, "avro", v2Incompatible), {
      id: 7,
      at,
    });
    const handled = await consumeAsV1(topic, "avro", 1, {
      schemaRegistry: undefined,
      schemaTopic: { topic: schemaTopic },
    });
    expect(handled).toEqual([]);
    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(dead?.headers["dlq-error-type"]?.toString()).toBe("SkejiError:DECODE_FAILED");
    expect(dead?.headers["dlq-error"]?.toString()).toMatch(/writer schema .* cannot be read as the latest version/);
    expect(dead?.headers["dlq-error"]?.toString()).toContain(avroCodec(v2Incompatible).fingerprint);
    expect(dead?.headers["dlq-error"]?.toString()).toMatch(/cannot read "int" as "string"/);
  });
});

describe("a consumer that reads the schema topic", () => {
  it("leaves no skeji-schema-reader-* group behind", async () => {
    const readerGroups = async (): Promise<Set<string>> =>
      new Set(
        (await fx.admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((id) => id.startsWith("skeji-schema-reader-")),
      );
    const topic = await fx.topic("travel-groups");
    const schemaTopic = uniqueName("schemas");
    await producer(topic, noRegistry(schemaTopic)).publishEvent(writerEvent(topic), { id: "r-1", at, channel: "web" });
    await fx.admin.connect();
    const before = await readerGroups();

    const handled = await consumeAsV1(topic, "avro", 1, {
      schemaRegistry: undefined,
      schemaTopic: { topic: schemaTopic },
    });
    expect(handled.map((h) => h.payload)).toEqual([{ id: "r-1", at, seats: 1 }]); // the v2 schema was read

    const left = [...(await readerGroups())].filter((id) => !before.has(id));
    expect(left).toEqual([]);
  });
});

describe("the schema topic", () => {
  const schemaTopic = uniqueName("schemas");
  let topic: string;
  beforeAll(async () => {
    topic = await fx.topic("travel-log");
  });

  it("is created compacted, keyed by fingerprint; a second producer process writes an identical copy (harmless), none per publish", async () => {
    const first = producer(topic, noRegistry(schemaTopic));
    for (let i = 0; i < 3; i++) await first.publishEvent(writerEvent(topic), { id: `a-${i}`, at });
    const second = producer(topic, noRegistry(schemaTopic)); // another process: its own caches
    for (let i = 0; i < 3; i++) await second.publishEvent(writerEvent(topic), { id: `b-${i}`, at });

    const configs = await fx.admin.describeConfigs({
      resources: [{ type: 2, name: schemaTopic, configNames: ["cleanup.policy"] }],
      includeSynonyms: false,
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe("compact");

    expect(await fx.endOffsets(schemaTopic)).toEqual([2]); // one record per producer, not per publish
    const records = await fx.read(schemaTopic, 2);
    const fingerprint = avroCodec(v2).fingerprint;
    expect(records.map((r) => r.key?.toString())).toEqual([fingerprint, fingerprint]);
    expect(records[0]?.value?.equals(records[1]?.value as Buffer)).toBe(true);
    expect(JSON.parse(records[0]?.value?.toString() ?? "")).toEqual({
      fingerprint,
      eventType: "reservation.made",
      version: 2,
      schema: JSON.stringify(v2),
    });
  });

  it("a producer that may not create it fails its first publish, saying so; nothing is sent", async () => {
    const missing = uniqueName("schemas-missing");
    const p = producer(topic, { ...noRegistry(missing), KAFKA_SCHEMA_TOPIC_CREATE: "false" });
    const before = await fx.endOffsets(topic);
    const error = await p.publishEvent(writerEvent(topic), { id: "x", at }).catch((e: unknown) => e);
    expect(isSkejiError(error, "SCHEMA_TOPIC_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toMatch(/may not create it \(KAFKA_SCHEMA_TOPIC_CREATE=false\)/);
    expect(await fx.endOffsets(topic)).toEqual(before);
  });
});

describe("a registry where producers may not register", () => {
  it("an unregistered version fails the publish with UNKNOWN_SCHEMA naming the subject; nothing is sent", async () => {
    const topic = await fx.topic("travel-locked");
    const p = producer(topic, { SCHEMA_REGISTRY_URL: registryUrl(), SCHEMA_REGISTRY_AUTO_REGISTER: "false" });
    const error = await p.publishEvent(writerEvent(topic), { id: "x", at }).catch((e: unknown) => e);
    expect(isSkejiError(error, "UNKNOWN_SCHEMA")).toBe(true);
    expect((error as Error).message).toContain(`${topic}-reservation.made`);
    expect(await fx.endOffsets(topic)).toEqual([0]);
  });
});

describe("how often a consumer reads the schema topic", () => {
  it("once per unknown fingerprint; a known one (in either byte order) or a recent miss costs no read", async () => {
    const schemaTopic = uniqueName("schemas");
    const config = consumerTestConfig("unused", { schemaTopic: { topic: schemaTopic } });
    const writer = schemaTopicStore(config, { topic: schemaTopic, logger: silentLogger });
    const real = kafkajsCompactedLog(config, schemaTopic, silentLogger);
    let reads = 0;
    const counted = {
      ...real,
      readAll: () => {
        reads++;
        return real.readAll();
      },
    };
    const reader = schemaTopicStore(config, { topic: schemaTopic, logger: silentLogger, log: counted, minRereadMs: 0 });
    try {
      const event = writerEvent("unused");
      await writer.publish(event, { version: 2, schema: v2 }, "unused");
      const fingerprint = avroCodec(v2).fingerprint;

      expect(await reader.find(event, "unused", fingerprint)).toEqual(v2);
      expect(reads).toBe(1);
      expect(await reader.find(event, "unused", fingerprint)).toBeDefined();
      expect(await reader.find(event, "unused", swappedFingerprint(fingerprint))).toBeDefined();
      expect(reads).toBe(1);

      const bogus = "0123456789abcdef";
      expect(await reader.find(event, "unused", bogus)).toBeUndefined();
      expect(reads).toBe(2);
      expect(await reader.find(event, "unused", bogus)).toBeUndefined(); // remembered as missing
      expect(reads).toBe(2);
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});

describe("a schema topic that cannot be read", () => {
  it("is SCHEMA_TOPIC_UNAVAILABLE, a transient error (the consumer retries, never dead-letters)", async () => {
    const config = consumerTestConfig("unused", { brokers: ["127.0.0.1:1"], connectionTimeoutMs: 200 });
    const schemas = schemaTopicStore(config, { topic: uniqueName("schemas"), logger: silentLogger });
    const reader = readerEvent("unused");
    const value = avroCodec(v2).encode({ id: "r-1", at, channel: "web" });
    const headers = {
      "event-type": reader.type,
      "schema-version": "v2",
      "schema-fingerprint": avroCodec(v2).fingerprint,
    };
    try {
      const error = await decodeRecord({ topic: "unused", headers, value }, [reader], { schemas }).catch(
        (e: unknown) => e,
      );
      expect(isSkejiError(error, "SCHEMA_TOPIC_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toMatch(/cannot read schema topic/);
      expect(classifyError(error)).toBe("transient");
    } finally {
      await schemas.close();
    }
  });
});

describe("a schema-fingerprint header in the other byte order", () => {
  it("finds the writer schema in the registry too", async () => {
    const topic = uniqueName("travel-le");
    const registry = createRegistryClient({ url: registryUrl() });
    await registry.register(`${topic}-reservation.made`, v2);
    const reader = readerEvent(topic);
    const value = avroCodec(v2).encode({ id: "r-9", at, channel: "web" });
    const headers = {
      "event-type": reader.type,
      "schema-version": "v2",
      "schema-fingerprint": swappedFingerprint(avroCodec(v2).fingerprint),
    };
    const decoded = await decodeRecord({ topic, headers, value }, [reader], { registry });
    expect(decoded).toMatchObject({ version: 2, payload: { id: "r-9", at, seats: 1 } });
  });
});
