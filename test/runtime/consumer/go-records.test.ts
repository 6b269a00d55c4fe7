/**
 * Records written as the Go services write them (raw kafkajs standing in for kafka-go): JSON with
 * null for nil slices and maps, local-offset RFC 3339 timestamps, a little-endian
 * schema-fingerprint, no event-type - consumed by the SDK against the real broker.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import type { ConsumedEvent, MessageOutcome } from "../../../runtime/consumer/types.ts";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { consumerMetrics } from "../../../runtime/observability/consumer-metrics.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { otherByteOrder } from "../../../runtime/serde/avro/fingerprint.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { captureLogger, eventually, Fixture, testConfig, testEvents } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const fast = { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentLogger } as const;

interface GoBooking {
  readonly id: string;
  readonly slots: number[];
  readonly params: Record<string, string>;
  readonly inner: { readonly ids: string[]; readonly byDay: Record<string, number[]> };
  readonly at: Date;
}

function goBooking(topic: string) {
  return defineEvent<GoBooking, GoBooking, "test.go.booking">({
    type: "test.go.booking",
    name: "GoBooking",
    topic,
    keyField: "id",
    format: "json",
    compatibility: "BACKWARD",
    versions: [
      {
        version: 1,
        schema: {
          type: "record",
          name: "GoBooking",
          namespace: "test.go",
          fields: [
            { name: "id", type: "string" },
            { name: "slots", type: { type: "array", items: "int" } },
            { name: "params", type: { type: "map", values: "string" } },
            {
              name: "inner",
              type: {
                type: "record",
                name: "Inner",
                fields: [
                  { name: "ids", type: { type: "array", items: "string" } },
                  { name: "byDay", type: { type: "map", values: { type: "array", items: "int" } } },
                ],
              },
            },
            { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
          ],
        },
      },
    ],
  });
}

const pingSchema = {
  type: "record",
  name: "Ping",
  namespace: "test.go",
  fields: [
    { name: "n", type: "int" },
    { name: "tags", type: { type: "array", items: "string" } },
  ],
} as const;

function ping(topic: string) {
  return defineEvent<{ n: number; tags: string[] }, { n: number; tags: string[] }, "test.go.ping">({
    type: "test.go.ping",
    name: "Ping",
    topic,
    keyField: "n",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema: pingSchema }],
  });
}

async function metricValues(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ ...v.labels, value: v.value }));
}

describe("records written like the Go services", () => {
  it("reach their typed handlers: nil slices and maps, local offsets, little-endian fingerprints, no event-type on single-event topics", async () => {
    const single = await fx.topic("go-single");
    const avro = await fx.topic("go-avro");
    const booking = goBooking(single);
    const pingEvent = ping(avro);
    // What Go's encoding/json writes for a struct whose slices and maps were never made.
    const nilCollections = JSON.stringify({
      id: "b-1",
      slots: null,
      params: null,
      inner: { ids: null, byDay: { mon: null, tue: [9] } },
      at: "2025-11-18T17:00:00.123456789+02:00",
    });
    await fx.send(single, [
      {
        key: "b-1",
        value: nilCollections,
        // No event-type: the Go code never called WithEventType.
        headers: {
          "event-id": "go-1",
          "correlation-id": "c-1",
          source: "go-svc",
          "schema-version": "v1",
          timestamp: "2025-11-18T17:00:00.5+02:00",
          "retry-count": "0",
        },
      },
      {
        key: "b-2",
        value: JSON.stringify({
          id: "b-2",
          slots: [1],
          params: { a: "x" },
          inner: { ids: [], byDay: {} },
          at: "2025-11-18T09:30:00-05:30",
        }),
        headers: { "event-type": booking.type, "event-id": "go-2", timestamp: "2025-11-18T09:30:00-05:30" },
      },
    ]);
    const pingCodec = avroCodec(pingSchema);
    await fx.send(avro, [
      {
        key: "7",
        value: Buffer.from(pingCodec.encode({ n: 7, tags: [] })),
        headers: {
          "content-type": "application/avro",
          "schema-fingerprint": otherByteOrder(pingCodec.fingerprint) as string,
          timestamp: "2025-11-18T15:00:00Z",
        },
      },
    ]);

    const bookings: ConsumedEvent<GoBooking>[] = [];
    const pings: ConsumedEvent<{ n: number; tags: string[] }>[] = [];
    const outcomes: MessageOutcome[] = [];
    const config = testConfig(single);
    const consumer = createConsumer(config, { ...fast, observer: { onOutcome: (o) => outcomes.push(o.outcome) } })
      .on(booking, (e) => {
        bookings.push(e);
      })
      .on(pingEvent, (e) => {
        pings.push(e);
      });
    const running = consumer.start();
    await eventually(async () => bookings.length === 2 && pings.length === 1, "three events handled");
    await eventually(async () => (await fx.committed(config.groupId, single))[0] === 2, "committed");
    await consumer.stop();
    await running;

    expect(outcomes).toEqual(["handled", "handled", "handled"]);
    const [first, second] = bookings;
    expect(first?.type).toBe(booking.type);
    expect(first?.payload).toEqual({
      id: "b-1",
      slots: [],
      params: {},
      inner: { ids: [], byDay: { mon: [], tue: [9] } },
      at: new Date("2025-11-18T15:00:00.123Z"),
    });
    expect(first).toMatchObject({ eventId: "go-1", correlationId: "c-1", source: "go-svc", schemaVersion: 1 });
    expect(first?.createdAt?.toISOString()).toBe("2025-11-18T15:00:00.500Z");
    expect(second?.payload.at.toISOString()).toBe("2025-11-18T15:00:00.000Z");
    expect(second?.createdAt?.toISOString()).toBe("2025-11-18T15:00:00.000Z");
    expect(pings[0]?.payload).toEqual({ n: 7, tags: [] });
    expect(pings[0]?.schemaVersion).toBe(1);
    expect(pings[0]?.createdAt?.toISOString()).toBe("2025-11-18T15:00:00.000Z");
  });

  it("on a topic with several events: a fingerprint says which; otherwise dead-lettered (untyped) and skipped (unhandled), counted and logged", async () => {
    const topic = await fx.topic("go-multi");
    const ev = testEvents(topic);
    const cancelledFingerprint = avroCodec(ev.cancelled.versions[0]?.schema ?? "null").fingerprint;
    await fx.send(topic, [
      // No event-type, nothing else to tell created from cancelled.
      { key: "b-1", value: JSON.stringify({ id: "b-1", seq: 1 }), headers: { "event-id": "go-1" } },
      // An event type this service registered no handler for.
      { key: "b-2", value: JSON.stringify({ x: 1 }), headers: { "event-type": "test.somebody.else" } },
      // No event-type, but the writer schema's fingerprint (little-endian) names cancelled.
      {
        key: "b-3",
        value: JSON.stringify({ id: "b-3", reason: "rain" }),
        headers: { "schema-fingerprint": otherByteOrder(cancelledFingerprint) as string },
      },
      { key: "b-4", value: JSON.stringify({ id: "b-4", seq: 4 }), headers: { "event-type": ev.created.type } },
      { key: "b-5", value: JSON.stringify({ id: "b-5", seq: 5 }) },
    ]);
    const registry = new Registry();
    const { logs, logger } = captureLogger();
    const outcomes: MessageOutcome[] = [];
    const seen: string[] = [];
    const config = testConfig(topic);
    const consumer = createConsumer(config, {
      ...fast,
      logger,
      metrics: consumerMetrics(registry),
      observer: { onOutcome: (o) => outcomes.push(o.outcome) },
    })
      .on(ev.created, (e) => {
        seen.push(`created:${e.payload.id}`);
      })
      .on(ev.cancelled, (e) => {
        seen.push(`cancelled:${e.payload.id}:${e.payload.reason}`);
      });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 5, "all five committed");
    await consumer.stop();
    await running;

    expect(seen).toEqual(["cancelled:b-3:rain", "created:b-4"]);
    expect(outcomes).toEqual(["dead-lettered", "skipped", "handled", "handled", "dead-lettered"]);
    const dead = await fx.read(`${topic}-dlq`, 2);
    expect(dead.map((d) => d.key?.toString())).toEqual(["b-1", "b-5"]);
    expect(dead[0]?.value?.toString()).toBe(JSON.stringify({ id: "b-1", seq: 1 }));
    expect(dead[0]?.headers["dlq-error-type"]?.toString()).toBe("SkejiError:UNKNOWN_EVENT_TYPE");
    expect(dead[0]?.headers["dlq-error"]?.toString()).toMatch(
      /no event-type header, and topic .* carries 2 registered events \(test\.booking\.created, test\.booking\.cancelled\)/,
    );
    expect(await metricValues(registry, "skeji_kafka_consumer_unknown_events_total")).toEqual(
      expect.arrayContaining([
        { topic, reason: "untyped", action: "dead-letter", value: 2 },
        { topic, reason: "unhandled", action: "skip", value: 1 },
      ]),
    );
    // One line per topic and case a minute: the second untyped record is counted, not logged.
    const lines = logs.filter((l) => String(l.msg).endsWith("(unknownEvents)"));
    expect(lines.map((l) => [l.level, l.obj.reason, l.obj.action, l.obj.offset])).toEqual([
      ["warn", "untyped", "dead-letter", "0"],
      ["info", "unhandled", "skip", "1"],
    ]);
  });

  it('unknownEvents: "skip" commits untyped records; "retry-later" holds the partition on them', async () => {
    const topic = await fx.topic("go-policy");
    const ev = testEvents(topic);
    await fx.send(topic, [{ key: "b-1", value: JSON.stringify({ id: "b-1", seq: 1 }) }]);
    const run = async (unknownEvents: "skip" | "retry-later") => {
      const registry = new Registry();
      const outcomes: MessageOutcome[] = [];
      const config = testConfig(topic);
      const consumer = createConsumer(config, {
        ...fast,
        unknownEvents,
        metrics: consumerMetrics(registry),
        observer: { onOutcome: (o) => outcomes.push(o.outcome) },
      }).onTopic(ev.topic, () => {
        throw new Error("no handler should be called");
      });
      const running = consumer.start();
      await eventually(() => outcomes.length > 0, "an outcome");
      if (unknownEvents === "skip") {
        await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "committed");
      }
      await consumer.stop();
      await running;
      return {
        outcome: outcomes[0],
        committed: (await fx.committed(config.groupId, topic))[0],
        counted: await metricValues(registry, "skeji_kafka_consumer_unknown_events_total"),
      };
    };
    const skipped = await run("skip");
    expect(skipped.outcome).toBe("skipped");
    expect(skipped.committed).toBe(1);
    expect(skipped.counted).toEqual([{ topic, reason: "untyped", action: "skip", value: 1 }]);
    const held = await run("retry-later");
    expect(held.outcome).toBe("retry-later");
    expect(held.committed).not.toBe(1);
    expect(held.counted).toEqual([{ topic, reason: "untyped", action: "retry-later", value: 1 }]);
  });
});
