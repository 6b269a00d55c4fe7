/**
 * Lost answers to the schema topic's writes. Without a registry a producer writes each schema
 * version to the compacted schema topic before the first record of that version. Claims: a write
 * that fails fails the publishes waiting on it (SCHEMA_TOPIC_UNAVAILABLE) and sends none of their
 * records; the next publish writes again; a lost answer to a write the broker took costs at most
 * an identical copy under the same key (compaction keeps one); no record is sent before its
 * schema's write was answered, and every record's schema is on the schema topic afterwards.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer, defineEvent, type Producer, silentLogger } from "../../runtime/index.ts";
import { avroCodec } from "../../runtime/serde/avro.ts";
import { FaultCluster } from "./cluster.ts";
import { judgePublishes, Ledger, producerRow, readTopic, type Told } from "./oracle.ts";
import { ApiKey } from "./proxy.ts";
import { recordScenario } from "./report.ts";
import { producerConfig } from "./support.ts";

let fc: FaultCluster;
const open: Producer[] = [];
beforeAll(async () => {
  fc = await FaultCluster.start(1, "schema-topic");
});
afterAll(async () => {
  await Promise.all(open.map((p) => p.close().catch(() => {})));
  await fc?.stop();
});

/** An event of its own schema (record `name`): each has its own fingerprint, so its own schema-topic record. */
function event(name: string, topic: string) {
  const schema = {
    type: "record",
    name,
    namespace: "test.faults.schemas",
    fields: [{ name: "id", type: "string" }],
  } as const;
  return defineEvent<{ id: string }, { id: string }, string>({
    type: `test.faults.${name.toLowerCase()}`,
    name,
    topic,
    keyField: "id",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema }],
  });
}

type Event = ReturnType<typeof event>;
const fingerprint = (e: Event) => avroCodec(e.versions[0]?.schema ?? {}).fingerprint;

/** Publishes `count` events of `e` at once, each with its ledger id as event id (keys `<name>-<i>`). */
function publishEvents(producer: Producer, ledger: Ledger, e: Event, count: number): Promise<Told[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      ledger.track(`${e.name}-${i}`, (entry) => producer.publishEvent(e, { id: entry.id }, { eventId: entry.id })),
    ),
  );
}

/** The ids of the ledger's publishes of `e`. */
const idsOf = (ledger: Ledger, e: Event) =>
  new Set([...ledger.entries.values()].filter((x) => x.key.startsWith(`${e.name}-`)).map((x) => x.id));

/** Every record of the schema topic, key and value, read past the proxies. */
async function schemaRecords(topic: string): Promise<{ key: string; value: string }[]> {
  const admin = fc.kafka().admin();
  await admin.connect();
  const [p] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = BigInt(p?.high ?? "0");
  const records: { key: string; value: string }[] = [];
  if (end === 0n) return records;
  const consumer = fc.kafka().consumer({ groupId: `faults-schemas-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (BigInt(m.offset) < end) records.push({ key: String(m.key), value: String(m.value) });
            if (BigInt(m.offset) >= end - 1n) resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records;
}

/** What the proxy saw, in order: schema writes answered to the client, and Produce requests to the data topic. */
function watchOrder(schemaTopic: string, dataTopic: string) {
  const proxy = fc.proxy();
  const events: string[] = [];
  const schemaWrites = new Map<string, true>();
  const offRequest = proxy.onRequest((r) => {
    if (r.apiKey !== ApiKey.Produce) return;
    if (r.topics?.includes(schemaTopic)) schemaWrites.set(`${r.connection}:${r.correlationId}`, true);
    if (r.topics?.includes(dataTopic)) events.push("data request");
  });
  const offResponse = proxy.onResponse((r) => {
    if (!schemaWrites.delete(`${r.connection}:${r.correlationId}`)) return;
    events.push(r.dropped ? "schema answer lost" : "schema answer");
  });
  return {
    events,
    stop: () => {
      offRequest();
      offResponse();
    },
  };
}

const kinds = (told: readonly Told[]) => told.map((t) => (t.kind === "failed" ? t.code.split("<")[0] : t.kind));

describe("a lost answer to the schema topic's write before a first publish", () => {
  it("one answer lost: the write's retry is absorbed; the records follow their schema", async () => {
    const dataTopic = await fc.topic("schema-once");
    const schemaTopic = `schemas-${randomUUID().slice(0, 8)}`;
    const producer = createProducer(producerConfig(fc, dataTopic, { KAFKA_SCHEMA_TOPIC: schemaTopic }), {
      logger: silentLogger,
    });
    open.push(producer);
    const a = event("Alpha", dataTopic);
    const ledger = new Ledger();
    const order = watchOrder(schemaTopic, dataTopic);
    const drop = fc.proxy().dropProduceResponses({ topic: schemaTopic, count: 1 });
    const first = await publishEvents(producer, ledger, a, 5);
    await producer.flush();
    order.stop();

    const v = judgePublishes(ledger, await readTopic(fc.kafka(), dataTopic));
    const schemas = await schemaRecords(schemaTopic);
    recordScenario(
      producerRow(
        "schema topic: lost answer to a schema write, retried",
        v,
        `No registry. The proxy drops the answer to the first schema-topic write (the broker wrote it) and cuts the connection, while 5 first publishes of the version wait on it; the schema topic's idempotent writer retries. Schema-topic records: ${schemas.length} (identical copies are harmless: one key). Duplicates in the data topic: none expected.`,
      ),
    );
    const detail = `${JSON.stringify(ledger.summary())} ${order.events.join(", ")}\n${v.examples.join("\n")}`;
    expect(drop.dropped).toBe(1);
    expect(kinds(first), detail).toEqual(first.map(() => "acknowledged"));
    expect({ lost: v.lost, misplaced: v.misplaced, duplicated: v.duplicated }, detail).toEqual({
      lost: 0,
      misplaced: 0,
      duplicated: 0,
    });
    // Nothing went to the data topic before the schema write was answered.
    expect(order.events.indexOf("schema answer"), detail).toBeGreaterThan(order.events.indexOf("schema answer lost"));
    expect(order.events.indexOf("data request"), detail).toBeGreaterThan(order.events.indexOf("schema answer"));
    expect(new Set(schemas.map((s) => s.key))).toEqual(new Set([fingerprint(a)]));
    expect(new Set(schemas.map((s) => s.value)).size).toBe(1);
  });

  it("every answer lost until retries run out: the waiting publishes fail, none is sent; later schema writes are all written", async () => {
    const dataTopic = await fc.topic("schema-exhausted");
    const schemaTopic = `schemas-${randomUUID().slice(0, 8)}`;
    const producer = createProducer(producerConfig(fc, dataTopic, { KAFKA_SCHEMA_TOPIC: schemaTopic }), {
      logger: silentLogger,
    });
    open.push(producer);
    const [a, b, c] = [event("Alpha", dataTopic), event("Bravo", dataTopic), event("Charlie", dataTopic)];
    const ledger = new Ledger();
    const order = watchOrder(schemaTopic, dataTopic);

    // Every attempt of the first schema write is written by the broker and its answer lost.
    const drop = fc.proxy().dropProduceResponses({ topic: schemaTopic, count: Number.POSITIVE_INFINITY });
    const failed = await publishEvents(producer, ledger, a, 3);
    drop.stop();
    const sentWhileFailing = order.events.filter((e) => e === "data request").length;
    // Other versions next (a write of the same size as the lost one), then the failed one again.
    const later = [
      ...(await publishEvents(producer, ledger, b, 3)),
      ...(await publishEvents(producer, ledger, c, 2)),
      ...(await publishEvents(producer, ledger, a, 3)),
    ];
    await producer.flush();
    order.stop();

    const records = await readTopic(fc.kafka(), dataTopic);
    const v = judgePublishes(ledger, records);
    const schemas = await schemaRecords(schemaTopic);
    const copies = (e: Event) => schemas.filter((s) => s.key === fingerprint(e));
    recordScenario(
      producerRow(
        "schema topic: lost answers to a schema write, retries exhausted",
        v,
        `No registry. The proxy drops every answer to the first schema-topic write (3 attempts: the broker wrote the record once and took the retries for duplicates of it) and cuts the connection: the 3 publishes waiting on it fail with SCHEMA_TOPIC_UNAVAILABLE and none of their records is sent (${sentWhileFailing} data requests). Then first publishes of two other versions (3 and 2) and of the failed one again (3). Schema-topic records: ${copies(a).length} of the failed version (identical bytes, one key), ${copies(b).length} and ${copies(c).length} of the others. Duplicates in the data topic: none expected.`,
      ),
    );
    const detail = `${JSON.stringify(ledger.summary())} ${order.events.join(", ")}\n${v.examples.join("\n")}`;
    expect(kinds(failed), detail).toEqual(failed.map(() => "SCHEMA_TOPIC_UNAVAILABLE"));
    expect(sentWhileFailing, detail).toBe(0);
    expect(kinds(later), detail).toEqual(later.map(() => "acknowledged"));
    expect(
      { lost: v.lost, misplaced: v.misplaced, misreported: v.misreported, duplicated: v.duplicated },
      detail,
    ).toEqual({ lost: 0, misplaced: 0, misreported: 0, duplicated: 0 });
    // Every version whose records are in the data topic is on the schema topic, each key's copies identical.
    expect(copies(b).length, JSON.stringify(schemas)).toBe(1);
    expect(copies(c).length, JSON.stringify(schemas)).toBe(1);
    expect(copies(a).length).toBeGreaterThanOrEqual(1);
    expect(copies(a).length).toBeLessThanOrEqual(2);
    expect(new Set(copies(a).map((s) => s.value)).size).toBe(1);
  });

  it("first publishes of several versions at once while the answers to three writes are lost: every version published is on the schema topic", async () => {
    const dataTopic = await fc.topic("schema-concurrent");
    const schemaTopic = `schemas-${randomUUID().slice(0, 8)}`;
    const producer = createProducer(producerConfig(fc, dataTopic, { KAFKA_SCHEMA_TOPIC: schemaTopic }), {
      logger: silentLogger,
    });
    open.push(producer);
    const events = ["Delta", "Echo", "Foxtrot", "Golf"].map((name) => event(name, dataTopic));
    const ledger = new Ledger();
    const drop = fc.proxy().dropProduceResponses({ topic: schemaTopic, count: 3 });
    const told = (await Promise.all(events.map((e) => publishEvents(producer, ledger, e, 2)))).flat();
    drop.stop();
    // Each version once more: those whose write failed write again.
    const again = (await Promise.all(events.map((e) => publishEvents(producer, ledger, e, 1)))).flat();
    await producer.flush();

    const records = await readTopic(fc.kafka(), dataTopic);
    const v = judgePublishes(ledger, records);
    const schemas = await schemaRecords(schemaTopic);
    const onTopic = new Set(schemas.map((s) => s.key));
    const published = events.filter((e) => records.some((r) => r.id !== undefined && idsOf(ledger, e).has(r.id)));
    const missing = published.filter((e) => !onTopic.has(fingerprint(e))).map((e) => e.name);
    recordScenario(
      producerRow(
        "schema topic: lost answers to concurrent first schema writes",
        v,
        `No registry. First publishes of 4 versions at once (2 each) while the proxy drops the answers to 3 schema-topic writes and cuts the connection; then one more publish of each. ${told.filter((t) => t.kind === "failed").length} of 8 first publishes failed with SCHEMA_TOPIC_UNAVAILABLE, none of them sent; versions with records in the topic: ${published.length}, of which without their schema on the schema topic: ${missing.length}. Schema-topic records: ${schemas.length} for 4 keys. Duplicates in the data topic: none expected.`,
      ),
    );
    const detail = `${JSON.stringify(ledger.summary())} missing: ${missing}\n${v.examples.join("\n")}`;
    expect(drop.dropped).toBe(3);
    for (const k of kinds(told)) expect(["acknowledged", "SCHEMA_TOPIC_UNAVAILABLE"], detail).toContain(k);
    expect(kinds(again), detail).toEqual(again.map(() => "acknowledged"));
    expect({ lost: v.lost, misreported: v.misreported, duplicated: v.duplicated }, detail).toEqual({
      lost: 0,
      misreported: 0,
      duplicated: 0,
    });
    expect(missing, detail).toEqual([]);
    for (const key of onTopic) expect(new Set(schemas.filter((s) => s.key === key).map((s) => s.value)).size).toBe(1);
  });
});
