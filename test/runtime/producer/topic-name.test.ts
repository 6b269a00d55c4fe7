/**
 * A publish to a topic name Kafka does not accept (given per message, per event, or by middleware)
 * is refused before anything is sent, with PUBLISH_REJECTED naming the topic and the rule: the same
 * on every transport (this file runs once per transport, see `npm run test:transports`, and on the
 * test kit's in-memory client), and without asking a broker.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createProducer, isSkejiError, type Producer } from "../../../runtime/index.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { createTestKit, type TestKit } from "../../../runtime/testing.ts";
import { booking, bookingEvent, newTopic, readRecords, testConfig } from "./support.ts";

const invalid: [string, string, string][] = [
  ["an empty name", "", "it is empty"],
  ["a dot", ".", 'it is "." or "..", which Kafka reserves'],
  ["two dots", "..", 'it is "." or "..", which Kafka reserves'],
  ["a name of 250 characters", "t".repeat(250), "it is 250 characters long, and at most 249 are allowed"],
  ["a slash", "orders/eu", 'it has "/" at position 7, and only letters, digits, ".", "_" and "-" are allowed'],
  ["a space", "booking events", 'it has " " at position 8, and only letters, digits, ".", "_" and "-" are allowed'],
  [
    "a letter outside ASCII",
    "bookings-é",
    'it has "é" at position 10, and only letters, digits, ".", "_" and "-" are allowed',
  ],
];

/** The rejection of `p`: its code, message and details. */
async function rejection(p: Promise<unknown>) {
  const e = await p.then(
    () => {
      throw new Error("published, but a rejection was expected");
    },
    (error: unknown) => error,
  );
  if (!isSkejiError(e)) throw e;
  return { code: e.code, message: e.message, details: e.details };
}

const shown = (topic: string) => JSON.stringify(topic.length > 60 ? `${topic.slice(0, 60)}…` : topic);

let producer: Producer | undefined;
let kit: TestKit | undefined;
afterEach(async () => {
  await producer?.close();
  await kit?.close();
  producer = undefined;
  kit = undefined;
});

describe("a publish to a topic name Kafka does not accept", () => {
  it.each(invalid)("is refused before anything is sent: %s", async (_what, topic, rule) => {
    // No broker listens there: a publish that tried to send would fail to connect instead.
    producer = createProducer(testConfig("unused", { KAFKA_BROKERS: "127.0.0.1:1" }), { logger: silentLogger });
    const expected = {
      code: "PUBLISH_REJECTED",
      message: `cannot publish to topic ${shown(topic)}: not a Kafka topic name (${rule}); nothing was sent`,
      details: { topic, written: false },
    };
    expect(await rejection(producer.publish({ topic, key: "k", value: "{}", headers: {} }))).toEqual(expected);
    expect(await rejection(producer.publishEvent(bookingEvent("bookings"), booking(1), { topic }))).toEqual(expected);
  });

  it("set by middleware, is refused the same way; the producer's valid publishes are written", async () => {
    const topic = await newTopic("topic-name");
    producer = createProducer(testConfig(topic), { logger: silentLogger });
    producer.use(async (ctx, next) =>
      next(ctx.headers["x-region"] === "eu" ? { ...ctx, topic: `${ctx.topic}/eu` } : ctx),
    );
    const refused = await rejection(producer.publish({ key: "k-1", value: "{}", headers: { "x-region": "eu" } }));
    expect(refused).toMatchObject({ code: "PUBLISH_REJECTED", details: { topic: `${topic}/eu`, written: false } });
    await producer.publish({ key: "k-2", value: "{}", headers: {} });
    const records = await readRecords(topic, 1);
    expect(records.map((r) => r.key?.toString())).toEqual(["k-2"]);
  });

  it("on the test kit's in-memory client too", async () => {
    kit = createTestKit({ topics: ["bookings"] });
    const refused = await rejection(
      kit.producer().publishEvent(bookingEvent("bookings"), booking(1), { topic: "a b" }),
    );
    expect(refused.code).toBe("PUBLISH_REJECTED");
    expect(refused.message).toContain('cannot publish to topic "a b": not a Kafka topic name');
    expect(kit.records("bookings")).toEqual([]);
  });
});
