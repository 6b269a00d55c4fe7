/**
 * Decoding on the consumer: schema evolution (old writer, new reader) in embedded Avro and
 * Confluent format, every poison variant dead-lettered on the first attempt while the stream goes
 * on, and a schema registry that does not answer treated as transient (no DLQ, no commit).
 */
import { afterAll, describe, expect, it } from "vitest";
import { producerConfigFromEnv } from "../../../runtime/config/env.ts";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import type { MessageOutcome } from "../../../runtime/consumer/types.ts";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { createProducer } from "../../../runtime/producer/producer.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { brokers, registryUrl } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

interface SlotV1 {
  readonly id: string;
}
interface SlotV2 {
  readonly id: string;
  readonly minutes: number;
}
const v1 = { type: "record", name: "SlotBooked", namespace: "test", fields: [{ name: "id", type: "string" }] } as const;
const v2 = {
  type: "record",
  name: "SlotBooked",
  namespace: "test",
  fields: [
    { name: "id", type: "string" },
    { name: "minutes", type: "int", default: 30 },
  ],
} as const;

function slotEvents(topic: string, format: "avro" | "confluent") {
  const base = {
    type: "test.slot.booked",
    name: "SlotBooked",
    topic,
    keyField: "id",
    format,
    compatibility: "BACKWARD",
  } as const;
  const writerV1 = defineEvent<SlotV1>({ ...base, versions: [{ version: 1, schema: v1 }] });
  const readerV2 = defineEvent<SlotV2>({
    ...base,
    versions: [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ],
  });
  return { writerV1, readerV2 };
}

async function publishWith(topic: string, publish: (p: ReturnType<typeof createProducer>) => Promise<unknown>) {
  const producer = createProducer(
    {
      ...producerConfigFromEnv(topic, { KAFKA_BROKERS: brokers().join(","), SCHEMA_REGISTRY_URL: registryUrl() }),
      batchTimeoutMs: 0,
    },
    { logger: silentLogger },
  );
  try {
    await publish(producer);
  } finally {
    await producer.close();
  }
}

describe("decoding", () => {
  it.each(["avro", "confluent"] as const)(
    "%s: a message written with an older version arrives in the reader's shape, defaults filled in",
    async (format) => {
      const topic = await fx.topic(`evolve-${format}`);
      const ev = slotEvents(topic, format);
      await publishWith(topic, async (p) => {
        await p.publishEvent(ev.writerV1, { id: "slot-1" });
        await p.publishEvent(ev.readerV2, { id: "slot-2", minutes: 45 });
      });
      const config = testConfig(topic, {
        schemaRegistry: { url: registryUrl() },
      });
      const got: { payload: SlotV2; version: number }[] = [];
      const consumer = createConsumer(config, { logger: silentLogger }).on(ev.readerV2, (e) => {
        got.push({ payload: e.payload, version: e.schemaVersion });
      });
      const running = consumer.start();
      await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
      await consumer.stop();
      await running;
      expect(got).toEqual([
        { payload: { id: "slot-1", minutes: 30 }, version: 1 },
        { payload: { id: "slot-2", minutes: 45 }, version: 2 },
      ]);
    },
  );

  it("confluent: a message written with a newer version than the reader knows arrives in the reader's shape", async () => {
    const topic = await fx.topic("evolve-newer");
    const ev = slotEvents(topic, "confluent");
    await publishWith(topic, (p) => p.publishEvent(ev.readerV2, { id: "slot-3", minutes: 90 }));
    const config = testConfig(topic, { schemaRegistry: { url: registryUrl() } });
    const got: SlotV1[] = [];
    const consumer = createConsumer(config, { logger: silentLogger }).on(ev.writerV1, (e) => {
      got.push(e.payload);
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "committed");
    await consumer.stop();
    await running;
    expect(got).toEqual([{ id: "slot-3" }]);
  });

  it("dead-letters every poison variant on the first attempt with its reason, and handles the messages around them", async () => {
    const topic = await fx.topic("poison");
    const ev = slotEvents(topic, "avro");
    const codec = avroCodec(v2);
    const good = (id: string) => codec.encode({ id, minutes: 1 });
    const avroHeaders = (extra: Record<string, string> = {}) => ({
      "event-type": ev.readerV2.type,
      "schema-version": "v2",
      "schema-fingerprint": codec.fingerprint,
      "content-type": "application/avro",
      ...extra,
    });
    const valid = good("slot-9");
    const poison: [name: string, value: Buffer | null, headers: Record<string, string>, reason: RegExp][] = [
      [
        "unknown version",
        good("x"),
        avroHeaders({ "schema-version": "v7" }),
        /^test\.slot\.booked: written with v7, newer than the versions this reader knows \(v1, v2\)/,
      ],
      [
        "unknown fingerprint",
        good("x"),
        avroHeaders({ "schema-fingerprint": "0000000000000000" }),
        /^test\.slot\.booked: schema-fingerprint 0000000000000000 does not match version v2$/,
      ],
      [
        "truncated",
        valid.subarray(0, valid.length - 1),
        avroHeaders(),
        /^cannot decode test\.SlotBooked: minutes: truncated buffer: an int is cut off, only 0 bytes left$/,
      ],
      [
        "trailing bytes",
        Buffer.concat([valid, Buffer.from([0x02, 0x02])]),
        avroHeaders(),
        /^cannot decode test\.SlotBooked: trailing data: 2 bytes after the record$/,
      ],
      ["null value", null, avroHeaders(), /^the record has no value \(a tombstone\)$/],
      [
        "wrong magic byte",
        Buffer.from([1, 0, 0, 0, 1, 2]),
        { "event-type": ev.readerV2.type, "content-type": "application/vnd.confluent.avro" },
        /^the value is not in Confluent wire format \(no magic byte 0\)$/,
      ],
      [
        "unknown schema id",
        Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 0x61]),
        { "event-type": ev.readerV2.type, "content-type": "application/vnd.confluent.avro" },
        /^schema id 2147483632 is not in the schema registry$/,
      ],
    ];
    const errorTypes: Record<string, string> = {
      "unknown version": "SkejiError:UNKNOWN_VERSION",
      "unknown fingerprint": "SkejiError:UNKNOWN_SCHEMA",
      truncated: "SkejiError:DECODE_FAILED",
      "trailing bytes": "SkejiError:DECODE_FAILED",
      "null value": "SkejiError:DECODE_FAILED",
      "wrong magic byte": "SkejiError:DECODE_FAILED",
      "unknown schema id": "SkejiError:UNKNOWN_SCHEMA",
    };
    const records = poison.flatMap(([name, value, headers], i) => [
      { key: `k${i}`, value: good(`before-${name}`), headers: avroHeaders() },
      { key: `k${i}`, value, headers: { ...headers, "x-case": name } },
    ]);
    records.push({ key: "last", value: good("last"), headers: avroHeaders() });
    await fx.send(topic, records);

    const config = testConfig(topic, { schemaRegistry: { url: registryUrl() }, maxRetries: 3 });
    const handled: string[] = [];
    const consumer = createConsumer(config, { logger: silentLogger, retry: { initialDelayMs: 5 } }).on(
      ev.readerV2,
      (e) => {
        handled.push(e.payload.id);
      },
    );
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === records.length, "all committed");
    await consumer.stop();
    await running;

    expect(handled).toEqual([...poison.map(([name]) => `before-${name}`), "last"]);
    const dead = await fx.read(`${topic}-dlq`, poison.length);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([poison.length]);
    for (const [i, [name, value, , reason]] of poison.entries()) {
      const r = dead[i];
      expect(r?.headers["x-case"]?.toString(), name).toBe(name);
      expect(r?.headers["retry-count"]?.toString(), name).toBe("0");
      expect(r?.headers["dlq-error-class"]?.toString(), name).toBe("permanent");
      expect(r?.headers["dlq-error"]?.toString(), name).toMatch(reason);
      expect(r?.headers["dlq-error-type"]?.toString(), name).toBe(errorTypes[name]);
      expect(r?.value ?? null, name).toEqual(value);
    }
  });

  it("a schema registry that does not answer is transient: no DLQ, no commit, and the message is handled later", async () => {
    const topic = await fx.topic("registry-down");
    const ev = slotEvents(topic, "confluent");
    await publishWith(topic, (p) => p.publishEvent(ev.readerV2, { id: "slot-1", minutes: 5 }));
    const config = testConfig(topic, { schemaRegistry: { url: "http://127.0.0.1:1/apis/ccompat/v7" }, maxRetries: 1 });
    const outcomes: MessageOutcome[] = [];
    let handled = 0;
    const down = createConsumer(config, {
      logger: silentLogger,
      retry: { initialDelayMs: 5 },
      retryLaterMs: 100,
      observer: { onOutcome: (o) => outcomes.push(o.outcome) },
    }).on(ev.readerV2, () => {
      handled++;
    });
    const runningDown = down.start();
    await eventually(() => outcomes.length >= 2, "two rounds of retry-later");
    await down.stop();
    await runningDown;
    expect(outcomes.every((o) => o === "retry-later")).toBe(true);
    expect(handled).toBe(0);
    // Nothing past the message is committed (the rewind may commit its own offset, 0: "read 0 next").
    expect((await fx.committed(config.groupId, topic))[0]).toBeLessThanOrEqual(0);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);

    // The same group with a registry that answers picks the message up: nothing was lost.
    const payloads: SlotV2[] = [];
    const up = createConsumer({ ...config, schemaRegistry: { url: registryUrl() } }, { logger: silentLogger }).on(
      ev.readerV2,
      (e) => {
        payloads.push(e.payload);
      },
    );
    const runningUp = up.start();
    await eventually(
      async () => (await fx.committed(config.groupId, topic))[0] === 1,
      "committed once the registry answers",
    );
    await up.stop();
    await runningUp;
    expect(payloads).toEqual([{ id: "slot-1", minutes: 5 }]);
  });
});

describe("a version newer than the reader knows, with no registry", () => {
  it("is dead-lettered by default and holds the partition with unknownVersions: retry-later", async () => {
    const topic = await fx.topic("newer");
    const ev = slotEvents(topic, "avro");
    const v3 = { ...v2, fields: [...v2.fields, { name: "note", type: "string", default: "" }] };
    const codec = avroCodec(v3);
    await fx.send(topic, [
      {
        key: "k",
        value: codec.encode({ id: "slot-1", minutes: 5, note: "hi" }),
        headers: {
          "event-type": ev.readerV2.type,
          "schema-version": "v3",
          "schema-fingerprint": codec.fingerprint,
          "content-type": "application/avro",
        },
      },
    ]);

    const holdConfig = testConfig(topic, { schemaRegistry: undefined });
    const outcomes: MessageOutcome[] = [];
    const holding = createConsumer(holdConfig, {
      logger: silentLogger,
      unknownVersions: "retry-later",
      retryLaterMs: 100,
      observer: { onOutcome: (o) => outcomes.push(o.outcome) },
    }).on(ev.readerV2, () => {});
    const runningHold = holding.start();
    await eventually(() => outcomes.length >= 2, "two rounds of retry-later");
    await holding.stop();
    await runningHold;
    expect(outcomes.every((o) => o === "retry-later")).toBe(true);
    expect((await fx.committed(holdConfig.groupId, topic))[0]).toBeLessThanOrEqual(0);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);

    const config = testConfig(topic, { schemaRegistry: undefined });
    const consumer = createConsumer(config, { logger: silentLogger }).on(ev.readerV2, () => {});
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "dead-lettered and committed");
    await consumer.stop();
    await running;
    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(dead?.headers["dlq-error-type"]?.toString()).toBe("SkejiError:UNKNOWN_VERSION");
    expect(dead?.headers["dlq-error-class"]?.toString()).toBe("permanent");
  });
});
