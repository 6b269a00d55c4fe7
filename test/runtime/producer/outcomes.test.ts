/**
 * What a failed publish tells its caller, against the real broker: a record too large for the
 * producer is refused before anything is sent; one too large for the topic is refused by the
 * broker, and a batch that is too large only as a whole is split and written; a record the broker
 * refuses for good is PUBLISH_REJECTED, not retried, and the producer goes on, as is a record for a
 * topic whose name the broker refuses; a payload whose
 * getter throws is INVALID_PAYLOAD. (A lost answer, PUBLISH_AMBIGUOUS, is proven in the fault suite.)
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../../runtime/client/transport.ts";
import type { KafkaClient } from "../../../runtime/client/types.ts";
import {
  createProducer,
  isSkejiError,
  newMessage,
  type Producer,
  producerMetrics,
  type SkejiError,
  silentLogger,
} from "../../../runtime/index.ts";
import { booking, bookingEvent, defined, endOffsets, header, newTopic, readRecords, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

/** A producer whose produce requests are counted (each entry: the size of the broker's answer). */
function counted(topic: string, env: Record<string, string> = {}): { producer: Producer; requests: number[] } {
  const config = testConfig(topic, { KAFKA_PRODUCER_BATCH_TIMEOUT: "20ms", ...env });
  const base = createClient(config, { logger: silentLogger });
  const requests: number[] = [];
  const client: KafkaClient = {
    producer(o) {
      const p = base.producer(o);
      p.onProduceRequest((e) => requests.push(e.size));
      return p;
    },
  };
  const producer = createProducer(config, { logger: silentLogger, metrics: producerMetrics(new Registry()), client });
  open.push(producer);
  return { producer, requests };
}

const text = (n: number, c = "x") => c.repeat(n);
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: SkejiError) => ({ ok: false as const, error }),
  );

describe("a record too large", () => {
  it("for maxMessageBytes fails with RECORD_TOO_LARGE before anything is sent; its batch-mates are written", async () => {
    const topic = await newTopic("too-large-client");
    const { producer, requests } = counted(topic, { KAFKA_PRODUCER_MAX_MESSAGE_BYTES: "10KB" });
    const [big, small] = await Promise.all([
      settle(producer.publish(newMessage().withKey("k").withValue(text(20_000)).build())),
      settle(producer.publish(newMessage().withKey("k").withValue("small").build())),
    ]);
    expect(big.ok).toBe(false);
    const error = (big as { error: SkejiError }).error;
    expect(isSkejiError(error, "RECORD_TOO_LARGE")).toBe(true);
    expect(error.message).toContain("KAFKA_PRODUCER_MAX_MESSAGE_BYTES");
    expect(error.details).toMatchObject({ maxMessageBytes: 10_240, written: false });
    expect(small).toMatchObject({ ok: true, value: { offset: "0" } });
    expect(await endOffsets(topic)).toEqual(["1"]);
    // One produce request, for the small record only: the big one never left the process.
    expect(requests).toHaveLength(1);
  });

  it("for the topic's max.message.bytes fails with RECORD_TOO_LARGE from the broker, once, and the producer goes on", async () => {
    const topic = await newTopic("too-large-topic", 1, { "max.message.bytes": "2000" });
    const { producer } = counted(topic, { KAFKA_PRODUCER_COMPRESSION: "none" });
    const big = await settle(producer.publish(newMessage().withKey("k").withValue(text(3000)).build()));
    expect(big.ok).toBe(false);
    const error = (big as { error: SkejiError }).error;
    expect(isSkejiError(error, "RECORD_TOO_LARGE")).toBe(true);
    expect(error.details).toMatchObject({ brokerError: "MESSAGE_TOO_LARGE", written: false });
    const next = await producer.publish(newMessage().withKey("k").withValue("fits").build());
    expect(next.offset).toBe("0");
  });

  it("a batch too large only as a whole is split until it fits: every record written once, in order", async () => {
    const topic = await newTopic("split", 1, { "max.message.bytes": "4000" });
    const { producer, requests } = counted(topic, { KAFKA_PRODUCER_COMPRESSION: "none" });
    const values = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, "0")}${text(900, "y")}`);
    const results = await Promise.all(
      values.map((v) => producer.publish(newMessage().withKey("same").withValue(v).build())),
    );
    expect(results.map((r) => r.offset)).toEqual(values.map((_, i) => String(i)));
    const records = await readRecords(topic, 12);
    expect(records.map((r) => r.value?.toString())).toEqual(values);
    expect(requests.length).toBeGreaterThan(1);
  });

  it("with a DLQ is dead-lettered cut to fit, saying so, and the caller gets PUBLISHED_TO_DLQ", async () => {
    const topic = await newTopic("too-large-dlq-src");
    const dlq = await newTopic("too-large-dlq");
    const { producer } = counted(topic, { KAFKA_PRODUCER_MAX_MESSAGE_BYTES: "20KB", KAFKA_PRODUCER_DLQ_TOPIC: dlq });
    const error = (await producer
      .publish(newMessage().withKey("k").withValue(text(50_000)).withHeader("tenant", "acme").build())
      .catch((e: unknown) => e)) as SkejiError;
    expect(isSkejiError(error, "PUBLISHED_TO_DLQ")).toBe(true);
    expect(isSkejiError(error.cause, "RECORD_TOO_LARGE")).toBe(true);
    const [record] = await readRecords(dlq, 1);
    expect(header(defined(record), "original-topic")).toBe(topic);
    expect(header(defined(record), "dlq-error-type")).toBe("SkejiError:RECORD_TOO_LARGE");
    expect(header(defined(record), "tenant")).toBe("acme");
    expect(JSON.parse(header(defined(record), "dlq-truncated") ?? "{}")).toMatchObject({ value: 50_000 });
    const value = defined(record?.value ?? undefined);
    expect(value.length).toBeLessThan(20_480);
    expect(value.toString()).toMatch(/^x+/);
    expect(await endOffsets(topic)).toEqual(["0"]);
  });
});

describe("a record the broker refuses for good", () => {
  it("is PUBLISH_REJECTED, not written, and the producer's next publish is written", async () => {
    // A compacted topic refuses records without a key.
    const topic = await newTopic("compacted", 1, { "cleanup.policy": "compact" });
    const { producer } = counted(topic);
    const refused = await settle(producer.publish(newMessage().withValue("no key").build()));
    expect(refused.ok).toBe(false);
    const error = (refused as { error: SkejiError }).error;
    expect(isSkejiError(error, "PUBLISH_REJECTED")).toBe(true);
    expect(error.details).toMatchObject({ written: false });
    const next = await producer.publish(newMessage().withKey("k").withValue("keyed").build());
    expect(next.offset).toBe("0");
    const [record] = await readRecords(topic, 1);
    expect(record?.value?.toString()).toBe("keyed");
  });
});

describe("a topic name Kafka does not accept", () => {
  it.each([
    ["illegal characters", "bad topic!"],
    ["too long", "t".repeat(250)],
    ["..", ".."],
  ])(
    "(%s) is PUBLISH_REJECTED before the broker is asked, not written, saying what a topic name is",
    async (_, name) => {
      const topic = await newTopic("valid");
      const { producer, requests } = counted(topic);
      const refused = await settle(producer.publish(newMessage().withTopic(name).withKey("k").withValue("v").build()));
      expect(refused.ok).toBe(false);
      const error = (refused as { error: SkejiError }).error;
      expect(error.code).toBe("PUBLISH_REJECTED");
      expect(error.details).toEqual({ topic: name, written: false });
      expect(error.message).toMatch(/: not a Kafka topic name \(it /);
      expect(requests).toEqual([]); // no produce request was sent
      const next = await producer.publish(newMessage().withKey("k").withValue("valid").build());
      expect(next.offset).toBe("0");
    },
  );
});

describe("a payload that cannot be read", () => {
  it("is INVALID_PAYLOAD naming the event, and nothing is sent", async () => {
    const topic = await newTopic("getter");
    const { producer, requests } = counted(topic);
    const payload = booking(1);
    Object.defineProperty(payload, "booking_id", {
      enumerable: true,
      get() {
        throw new Error("lazy field could not be loaded");
      },
    });
    const error = await producer.publishEvent(bookingEvent(topic), payload).catch((e: unknown) => e);
    expect(isSkejiError(error, "INVALID_PAYLOAD")).toBe(true);
    expect((error as Error).message).toContain("booking.created");
    expect((error as Error).message).toContain("lazy field could not be loaded");
    await producer.flush();
    expect(requests).toHaveLength(0);
    expect(await endOffsets(topic)).toEqual(["0"]);
  });
});
