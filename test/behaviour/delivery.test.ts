/**
 * Publishing and consuming, the same on the in-memory broker and on Kafka: the headers and key a
 * publish writes, the partition the topic's partitioner picks, per-partition order, and commits
 * that reach the end of what was handled.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fnv1aIndex } from "../../runtime/client/partitioners.ts";
import { createSerde } from "../../runtime/serde/serde.ts";
import { slotEvent } from "./events.ts";
import { type Transport, transports } from "./transports.ts";

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe.each(transports)("$name", ({ create }) => {
  let t: Transport;
  beforeEach(() => {
    t = create();
  });
  afterEach(() => t.close());

  it("a publish writes the key, the standard and caller's headers as bytes, on the partitioner's partition", async () => {
    const topic = await t.topic("hdr", 3);
    const event = slotEvent(topic);
    const producer = t.producer({ source: "bookings-service" });
    const result = await producer.publishEvent(
      event,
      { id: "slot-17", seq: 1, note: "window seat" },
      { eventId: "evt-1", correlationId: "corr-1", headers: { "x-trace": "trace-1" } },
    );
    const records = await t.records(topic);
    expect(records).toHaveLength(1);
    const [r] = records;
    expect(r?.partition).toBe(fnv1aIndex(Buffer.from("slot-17"), 3));
    expect(result).toMatchObject({ eventId: "evt-1", topic, partition: r?.partition, offset: "0", acknowledged: true });
    expect(r?.key).toEqual(Buffer.from("slot-17"));
    expect(r?.text).toMatchObject({
      "event-id": "evt-1",
      "event-type": "test.slot.booked",
      "schema-version": "v1",
      "retry-count": "0",
      source: "bookings-service",
      "correlation-id": "corr-1",
      "x-trace": "trace-1",
    });
    expect(r?.text.timestamp).toMatch(rfc3339);
    // Embedded Avro leaves content-type out by default (readers take the format from their code).
    expect(r?.text["content-type"]).toBeUndefined();
    expect(Object.values(r?.headers ?? {}).every((v) => Buffer.isBuffer(v))).toBe(true);
    const decoded = await createSerde({}).decode({ topic, headers: r?.headers, value: r?.value ?? null }, [event]);
    expect(decoded.payload).toEqual({ id: "slot-17", seq: 1, note: "window seat" });
  });

  it("each partition is handled in offset order, each key on its partition, and committed to its end", async () => {
    const topic = await t.topic("order", 3);
    const event = slotEvent(topic);
    const producer = t.producer();
    const keys = ["k-a", "k-b", "k-c", "k-d", "k-e"];
    await Promise.all(
      Array.from({ length: 30 }, (_, seq) =>
        producer.publishEvent(event, { id: keys[seq % keys.length] as string, seq, note: "" }),
      ),
    );
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group }, { partitionsConsumedConcurrently: 3 });
    const seen: { id: string; seq: number; partition: number; offset: number }[] = [];
    consumer.on(event, (e) => {
      seen.push({ id: e.payload.id, seq: e.payload.seq, partition: e.partition, offset: Number(e.offset) });
    });
    await t.start(consumer);
    const records = await t.records(topic);
    const ends = [0, 1, 2].map((p) => records.filter((r) => r.partition === p).length);
    await t.until(async () => {
      const committed = await t.committed(group, topic);
      return seen.length >= 30 && ends.every((end, p) => end === 0 || committed[p] === end);
    }, "every record handled and committed");
    expect(seen).toHaveLength(30);
    for (const p of [0, 1, 2]) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => s.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    for (const key of keys) {
      const mine = seen.filter((s) => s.id === key);
      expect(mine.map((s) => s.seq)).toEqual([...mine.map((s) => s.seq)].sort((a, b) => a - b));
      expect(new Set(mine.map((s) => s.partition))).toEqual(new Set([fnv1aIndex(Buffer.from(key), 3)]));
    }
  });
});
