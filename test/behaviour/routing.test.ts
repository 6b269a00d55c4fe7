/**
 * Middleware and routing, the same on the in-memory broker and on Kafka: producer middleware's
 * headers are written, consumer middleware wraps every attempt, an event type nobody registered is
 * skipped and committed, and a record without an `event-type` on a topic of several events is
 * dead-lettered (the default `unknownEvents`), also when the consumer registers only one of them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineEvent } from "../../runtime/descriptor.ts";
import { newTransientError } from "../../runtime/errors/processing.ts";
import { avroCodec } from "../../runtime/serde/avro.ts";
import { slotEvent } from "./events.ts";
import { type Transport, transports } from "./transports.ts";

const jsonEvent = (type: string, name: string) => (topic: string) =>
  defineEvent<{ id: string }>({
    type,
    name,
    topic,
    keyField: "id",
    format: "json",
    compatibility: "BACKWARD",
    dlqTopic: `${topic}-dlq`,
    versions: [
      {
        version: 1,
        schema: { type: "record", name, fields: [{ name: "id", type: "string" }] },
      },
    ],
  });
/** Another service's event on the same topic. */
const otherEvent = jsonEvent("test.slot.released", "SlotReleased");
const cancelledEvent = jsonEvent("test.slot.cancelled", "SlotCancelled");

describe.each(transports)("$name", ({ create }) => {
  let t: Transport;
  beforeEach(() => {
    t = create();
  });
  afterEach(() => t.close());

  it("producer middleware's headers are written; consumer middleware wraps every attempt, in order", async () => {
    const topic = await t.topic("mw");
    const event = slotEvent(topic);
    const producer = t.producer();
    producer.use(async (ctx, next) => {
      ctx.headers["x-tenant"] = "tenant-7";
      return next(ctx);
    });
    await producer.publishEvent(event, { id: "s-1", seq: 1, note: "" });
    const [record] = await t.records(topic);
    expect(record?.text["x-tenant"]).toBe("tenant-7");

    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group, maxRetries: 1 });
    const trail: string[] = [];
    consumer.use(async (ctx, message, next) => {
      trail.push(`outer ${ctx.attempt} ${message.headers["x-tenant"]}`);
      await next(ctx, message);
    });
    consumer.use(async (ctx, message, next) => {
      trail.push(`inner ${ctx.attempt}`);
      await next(ctx, message);
    });
    consumer.on(event, (e) => {
      trail.push(`handler ${e.attempt}`);
      if (e.attempt === 1) throw newTransientError("once");
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 1, "the message committed");
    expect(trail).toEqual(["outer 1 tenant-7", "inner 1", "handler 1", "outer 2 tenant-7", "inner 2", "handler 2"]);
  });

  it("an event type nobody registered is skipped and committed; an untyped record on a shared topic is dead-lettered", async () => {
    const topic = await t.topic("route");
    const mine = slotEvent(topic);
    const other = otherEvent(topic);
    const producer = t.producer();
    await producer.publishEvent(other, { id: "o-1" });
    await producer.publish({
      topic,
      key: "u-1",
      value: Buffer.from("{}"),
      headers: {},
      rawHeaders: { "x-from": "legacy" },
    });
    await producer.publishEvent(mine, { id: "s-1", seq: 1, note: "" });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group });
    const handled: string[] = [];
    // Two registered events on the topic: a record without `event-type` could be either.
    consumer.on(mine, (e) => {
      handled.push(e.type);
    });
    consumer.on(cancelledEvent(topic), (e) => {
      handled.push(e.type);
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 3, "all three committed");
    expect(handled).toEqual(["test.slot.booked"]);
    const dlq = await t.records(`${topic}-dlq`);
    expect(dlq.map((r) => [r.key?.toString(), r.text["x-from"], r.text["original-offset"]])).toEqual([
      ["u-1", "legacy", "1"],
    ]);
    expect(dlq[0]?.text["dlq-error-type"]).toMatch(/UNKNOWN_EVENT_TYPE/);
  });

  it("one registered event of a topic that carries two: an untyped record is that event only when its fingerprint says so", async () => {
    const topic = await t.topic("partial");
    // As generated: the descriptor lists its topic's events, of which this consumer registers one.
    const booked = { ...slotEvent(topic), topicEvents: ["test.slot.booked", "test.slot.moved"] };
    const [v1] = booked.versions;
    // Another event of the topic whose bytes have the same shape (it would decode as a booking).
    const moved = avroCodec({ ...(v1?.schema as object), name: "SlotMoved" });
    const codec = avroCodec(v1?.schema ?? "null");
    const producer = t.producer();
    const raw = (key: string, value: Uint8Array, rawHeaders: Record<string, string>) =>
      producer.publish({ topic, key, value: Buffer.from(value), headers: {}, rawHeaders });
    await raw("m-1", moved.encode({ id: "m-1", seq: 1, note: "to 10:00" }), {});
    await raw("s-2", codec.encode({ id: "s-2", seq: 2, note: "" }), { "schema-fingerprint": codec.fingerprint });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group });
    const handled: string[] = [];
    consumer.on(booked, (e) => {
      handled.push(e.payload.id);
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 2, "both committed");
    expect(handled).toEqual(["s-2"]);
    const dlq = await t.records(`${topic}-dlq`);
    expect(dlq.map((r) => [r.key?.toString(), r.text["dlq-error-type"]])).toEqual([
      ["m-1", "SkejiError:UNKNOWN_EVENT_TYPE"],
    ]);
  });
});
