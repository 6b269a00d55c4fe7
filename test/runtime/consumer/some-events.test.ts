/**
 * A consumer that registers only some of a topic's events, and records without `event-type` (as a
 * Go service that never calls WithEventType writes them): the topic carries several events, as its
 * descriptors say (`topicEvents`), so such a record is routed by the rules for several events - its
 * schema fingerprint says which it is, or `unknownEvents` decides - and is never taken for the one
 * registered event. Against the real broker, and through the test kit's consumer (the same router).
 */
import { Registry } from "prom-client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BookingCancelledEvent, BookingCreatedEvent, BookingsEventsTopic } from "../../../generated/index.ts";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { decodeValue } from "../../../runtime/consumer/decode-value.ts";
import type { MessageOutcome } from "../../../runtime/consumer/types.ts";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { consumerMetrics } from "../../../runtime/observability/consumer-metrics.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { createTestKit, type TestKit } from "../../../runtime/testing.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

interface Created {
  readonly booking_id: string;
  readonly slot: string;
}
interface Cancelled {
  readonly booking_id: string;
  readonly reason: string;
}
const record = (name: string, second: string) => ({
  type: "record",
  name,
  namespace: "test.partial",
  fields: [
    { name: "booking_id", type: "string" },
    { name: second, type: "string" },
  ],
});
const createdSchema = record("Created", "slot");
const cancelledSchema = record("Cancelled", "reason");
const createdCodec = avroCodec(createdSchema);
const cancelledCodec = avroCodec(cancelledSchema);

/**
 * Two events of one topic as generated code describes them. Their Avro bytes have the same shape
 * (two strings): a cancellation read with the created schema decodes without an error, as a
 * booking whose slot is the cancellation's reason.
 */
function events(topic: string) {
  const base = { topic, keyField: "booking_id", format: "avro", compatibility: "BACKWARD" } as const;
  const topicEvents = ["test.partial.cancelled", "test.partial.created"];
  return {
    created: defineEvent<Created, Created, "test.partial.created">({
      ...base,
      type: "test.partial.created",
      name: "Created",
      topicEvents,
      versions: [{ version: 1, schema: createdSchema }],
    }),
    cancelled: defineEvent<Cancelled, Cancelled, "test.partial.cancelled">({
      ...base,
      type: "test.partial.cancelled",
      name: "Cancelled",
      topicEvents,
      versions: [{ version: 1, schema: cancelledSchema }],
    }),
  };
}

async function metricValues(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ ...v.labels, value: v.value }));
}

describe("a consumer registered for one event of a topic that carries two", () => {
  it("never takes a record without event-type for the registered event unless its fingerprint says so", async () => {
    const topic = await fx.topic("partial");
    const ev = events(topic);
    const cancellation = Buffer.from(cancelledCodec.encode({ booking_id: "b-1", reason: "rain" }));
    await fx.send(topic, [
      // No event-type and nothing else: it may be either event.
      { key: "b-1", value: cancellation, headers: { "event-id": "go-1" } },
      // No event-type, but the writer schema's fingerprint names the registered event.
      {
        key: "b-2",
        value: Buffer.from(createdCodec.encode({ booking_id: "b-2", slot: "10:00" })),
        headers: { "schema-fingerprint": createdCodec.fingerprint },
      },
      // No event-type, and a fingerprint of an event this consumer has no schema of.
      {
        key: "b-3",
        value: Buffer.from(cancelledCodec.encode({ booking_id: "b-3", reason: "ill" })),
        headers: { "schema-fingerprint": cancelledCodec.fingerprint },
      },
      { key: "b-4", value: cancellation, headers: { "event-type": ev.cancelled.type } },
    ]);
    const registry = new Registry();
    const outcomes: MessageOutcome[] = [];
    const seen: string[] = [];
    const config = testConfig(topic);
    const consumer = createConsumer(config, {
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      logger: silentLogger,
      metrics: consumerMetrics(registry),
      observer: { onOutcome: (o) => outcomes.push(o.outcome) },
    }).on(ev.created, (e) => {
      seen.push(`${e.payload.booking_id}:${e.payload.slot}`);
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 4, "all four committed");
    await consumer.stop();
    await running;

    expect(seen).toEqual(["b-2:10:00"]);
    expect(outcomes).toEqual(["dead-lettered", "handled", "dead-lettered", "skipped"]);
    const dead = await fx.read(`${topic}-dlq`, 2);
    expect(dead.map((d) => d.key?.toString())).toEqual(["b-1", "b-3"]);
    expect(dead[0]?.value).toEqual(cancellation);
    expect(dead[0]?.headers["dlq-error-type"]?.toString()).toBe("SkejiError:UNKNOWN_EVENT_TYPE");
    expect(dead[0]?.headers["dlq-error"]?.toString()).toContain(
      `the record has no event-type header, and topic ${topic} carries 2 events (test.partial.cancelled, test.partial.created), of which this consumer registers test.partial.created: nothing in the record says which it is`,
    );
    expect(await metricValues(registry, "skeji_kafka_consumer_unknown_events_total")).toEqual(
      expect.arrayContaining([
        { topic, reason: "untyped", action: "dead-letter", value: 2 },
        { topic, reason: "unhandled", action: "skip", value: 1 },
      ]),
    );
  });
});

describe("the test kit's consumer, with the generated descriptors", () => {
  let kit: TestKit;
  afterEach(() => kit.close());

  it("dead-letters a cancellation without event-type instead of handing it to onBookingCreated", async () => {
    expect(BookingCreatedEvent.topicEvents).toEqual(BookingsEventsTopic.events.map((e) => e.type));
    kit = createTestKit({ topics: [BookingsEventsTopic] });
    const seen: string[] = [];
    const consumer = kit.consumer().on(BookingCreatedEvent, (e) => {
      seen.push(e.payload.booking_id);
    });
    await kit.start(consumer);
    const producer = kit.producer();
    await producer.publishEvent(BookingCancelledEvent, {
      booking_id: "123e4567-e89b-12d3-a456-426614174000",
      reason: "USER_REQUESTED",
      cancelled_at: new Date("2025-11-18T15:00:00Z"),
    });
    await kit.drain();
    const [published] = kit.records(BookingsEventsTopic.topic);
    if (published === undefined) throw new Error("nothing published");
    // The same record as a service that writes plain Avro without event-type would send it.
    const { "event-type": _type, "schema-fingerprint": _fingerprint, ...headers } = published.headers;
    kit.broker.append(BookingsEventsTopic.topic, published.partition, {
      key: published.key,
      value: published.value,
      headers,
    });
    await kit.drain();

    expect(seen).toEqual([]);
    // kit.events() reads the topic as the consumer does: the untyped record is neither event.
    expect(await kit.events(BookingCreatedEvent)).toEqual([]);
    expect((await kit.events(BookingCancelledEvent)).map((e) => e.record.offset)).toEqual(["0"]);
    const dead = kit.dlq("dlq-domain-services");
    expect(dead.map((d) => [d.keyText, d.errorType])).toEqual([
      ["123e4567-e89b-12d3-a456-426614174000", "SkejiError:UNKNOWN_EVENT_TYPE"],
    ]);
  });
});

describe("decodeValue given one event of a topic that carries two", () => {
  it("reads a record without event-type as that event only when its fingerprint says so", async () => {
    const ev = events("partial-tool");
    const value = Buffer.from(cancelledCodec.encode({ booking_id: "b-1", reason: "rain" }));
    const failure = await decodeValue({ topic: "partial-tool", value, headers: {} }, [ev.created]).catch((e) => e);
    expect(isSkejiError(failure, "UNKNOWN_EVENT_TYPE") && failure.message).toBe(
      "the record has no event-type header, and nothing in it says it is test.partial.created rather than another of the 2 events of topic partial-tool (test.partial.cancelled, test.partial.created): its schema-fingerprint (or schema id) matches none of the events given",
    );
    const created = Buffer.from(createdCodec.encode({ booking_id: "b-2", slot: "10:00" }));
    const headers = { "schema-fingerprint": createdCodec.fingerprint };
    expect(await decodeValue({ topic: "partial-tool", value: created, headers }, [ev.created])).toMatchObject({
      type: "test.partial.created",
      payload: { booking_id: "b-2", slot: "10:00" },
    });
  });
});
