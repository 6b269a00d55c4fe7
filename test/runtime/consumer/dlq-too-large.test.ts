/**
 * Records whose dead-letter copy is too large for the DLQ topic, against the real broker: they
 * are dead-lettered truncated (with `dlq-truncated`), the partition moves on, the offsets are
 * committed. Before, such a record was refused by the DLQ topic on every attempt and held its
 * partition forever.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { newPermanentError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { uniqueName } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

// Close to what the source topic accepts (max.message.bytes, by default 1 MiB + 12 bytes): the
// record fits there, its dead-letter copy (plus a 4 KiB dlq-error) does not.
const nearLimit = 1_046_000;
const failure = newPermanentError(`invalid booking: ${"the slot is taken; ".repeat(300)}`);

const isPrefix = (part: Buffer, of: Buffer): boolean => of.subarray(0, part.length).equals(part);
const header = (h: Record<string, unknown>, name: string): Buffer => {
  const v = h[name];
  return typeof v === "string" ? Buffer.from(v) : (v as Buffer);
};

describe("dead-lettering a record too large for the DLQ topic", () => {
  it("dead-letters a record with a 1 MB header and one with a value close to the limit truncated, and moves on", async () => {
    const topic = await fx.topic("too-large");
    const blob = Buffer.alloc(nearLimit, "b");
    const value = Buffer.alloc(nearLimit, "v");
    // One send each: the topic takes each record, not the two in one batch.
    await fx.send(topic, [{ key: "with-header", value: "{}", headers: { blob, "event-id": "e-0" } }]);
    await fx.send(topic, [{ key: "with-value", value, headers: { "event-id": "e-1" } }]);
    await fx.send(topic, [{ key: "fine", value: "{}" }]);
    const config = testConfig(topic);
    const handled: string[] = [];
    const consumer = createConsumer(config, { logger: silentLogger }).handle((_ctx, m) => {
      if (String(m.key) !== "fine") throw failure;
      handled.push(String(m.key));
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 3, "all 3 committed", 30_000);
    await consumer.stop();
    await running;
    expect(handled).toEqual(["fine"]);

    const [withHeader, withValue] = await fx.read(`${topic}-dlq`, 2);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([2]);
    for (const [record, offset] of [
      [withHeader, "0"],
      [withValue, "1"],
    ] as const) {
      const h = record?.headers ?? {};
      expect(String(h["original-topic"])).toBe(topic);
      expect(String(h["original-offset"])).toBe(offset);
      expect(String(h["dlq-error-type"])).toBe("PermanentError:PERMANENT");
      expect(String(h["dlq-error"]).startsWith("invalid booking: the slot is taken;")).toBe(true);
      expect(String(h["dlq-consumer-group"])).toBe(config.groupId);
    }
    // The 1 MB header was cut, the key, the value and the other headers kept whole.
    const truncatedHeader = JSON.parse(String(withHeader?.headers["dlq-truncated"])) as Record<string, number>;
    expect(Object.keys(truncatedHeader).sort()).toEqual(["header:blob", "record"]);
    expect(truncatedHeader["header:blob"]).toBe(nearLimit);
    const cutBlob = header(withHeader?.headers ?? {}, "blob");
    expect(cutBlob.length).toBeLessThan(nearLimit);
    expect(isPrefix(cutBlob, blob)).toBe(true);
    expect(String(withHeader?.key)).toBe("with-header");
    expect(String(withHeader?.value)).toBe("{}");
    expect(String(withHeader?.headers["event-id"])).toBe("e-0");
    // The value was cut to its first bytes; the key kept.
    const truncatedValue = JSON.parse(String(withValue?.headers["dlq-truncated"])) as Record<string, number>;
    expect(Object.keys(truncatedValue).sort()).toEqual(["record", "value"]);
    expect(truncatedValue.value).toBe(nearLimit);
    expect(withValue?.value?.length).toBeLessThan(nearLimit);
    expect(isPrefix(withValue?.value as Buffer, value)).toBe(true);
    expect(String(withValue?.key)).toBe("with-value");
  });

  it("cuts the record further when the DLQ topic's own limit is smaller than the consumer's", async () => {
    const topic = uniqueName("too-large-small-dlq");
    await fx.admin.connect();
    await fx.admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1 },
        { topic: `${topic}-dlq`, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "200000" }] },
      ],
    });
    const value = Buffer.alloc(500_000, "v");
    await fx.send(topic, [
      { key: "large", value },
      { key: "fine", value: "{}" },
    ]);
    const config = testConfig(topic);
    const handled: string[] = [];
    const consumer = createConsumer(config, { logger: silentLogger }).handle((_ctx, m) => {
      if (String(m.key) === "large") throw failure;
      handled.push(String(m.key));
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed", 30_000);
    await consumer.stop();
    await running;
    expect(handled).toEqual(["fine"]);

    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([1]);
    expect(JSON.parse(String(dead?.headers["dlq-truncated"]))).toMatchObject({ value: 500_000 });
    expect(dead?.value?.length).toBeLessThan(200_000);
    expect(isPrefix(dead?.value as Buffer, value)).toBe(true);
    expect(String(dead?.key)).toBe("large");
    expect(String(dead?.headers["original-offset"])).toBe("0");
  });
});
