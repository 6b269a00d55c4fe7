/**
 * Failures, the same on the in-memory broker and on Kafka: how many attempts a transient failure
 * gets, what a dead letter holds (topic, key, value bytes, original headers, `dlq-*` and
 * `original-*` headers), an undecodable record dead-lettered on its first attempt, and offsets
 * committed only past what finished: a message that fails for good with nowhere to go holds its
 * partition, uncommitted.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newPermanentError, newTransientError } from "../../runtime/errors/processing.ts";
import { slotEvent } from "./events.ts";
import { type Transport, transports } from "./transports.ts";

describe.each(transports)("$name", ({ create }) => {
  let t: Transport;
  beforeEach(() => {
    t = create();
  });
  afterEach(() => t.close());

  it("a transient failure is retried with the attempt counted, then handled and committed; no dead letter", async () => {
    const topic = await t.topic("retry");
    const event = slotEvent(topic);
    await t.producer().publishEvent(event, { id: "s-1", seq: 1, note: "" });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group, maxRetries: 3 });
    const attempts: number[] = [];
    consumer.on(event, (e) => {
      attempts.push(e.attempt);
      if (e.attempt < 3) throw newTransientError("calendar service unavailable");
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 1, "the message committed");
    expect(attempts).toEqual([1, 2, 3]);
    expect(await t.records(`${topic}-dlq`)).toEqual([]);
  });

  it("retries used up: dead-lettered once, retry-count = maxRetries, class transient, then committed", async () => {
    const topic = await t.topic("exhaust");
    const event = slotEvent(topic);
    await t.producer().publishEvent(event, { id: "s-1", seq: 1, note: "" });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group, maxRetries: 2 });
    let calls = 0;
    consumer.on(event, () => {
      calls++;
      throw newTransientError("calendar service unavailable");
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 1, "the message committed");
    expect(calls).toBe(3);
    const dlq = await t.records(`${topic}-dlq`);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.text).toMatchObject({
      "retry-count": "2",
      "dlq-error-class": "transient",
      "dlq-error": "calendar service unavailable",
      "dlq-error-type": "TransientError:TRANSIENT",
      "dlq-consumer-group": group,
    });
  });

  it("a record that arrived with a retry-count (a replayed dead letter) is dead-lettered with that count plus the retries made", async () => {
    const topic = await t.topic("replayed");
    const event = slotEvent(topic);
    await t.producer().publishEvent(event, { id: "s-1", seq: 1, note: "" }, { headers: { "retry-count": "4" } });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group, maxRetries: 2 });
    const seen: { attempt: number; retryCount: string | undefined }[] = [];
    consumer.on(event, (e) => {
      seen.push({ attempt: e.attempt, retryCount: e.headers["retry-count"] });
      throw newTransientError("calendar service unavailable");
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 1, "the message committed");
    // The handler sees the header as received; `attempt` counts this delivery's attempts.
    expect(seen).toEqual([
      { attempt: 1, retryCount: "4" },
      { attempt: 2, retryCount: "4" },
      { attempt: 3, retryCount: "4" },
    ]);
    const dlq = await t.records(`${topic}-dlq`);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.text).toMatchObject({ "retry-count": "6", "dlq-error-class": "transient" });
  });

  it("a dead letter keeps the key, the value bytes and every original header, and says where it came from", async () => {
    const topic = await t.topic("dead", 3);
    const event = slotEvent(topic);
    await t
      .producer()
      .publishEvent(event, { id: "s-9", seq: 9, note: "no such room" }, { headers: { "x-trace": "t-9" } });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group });
    consumer.on(event, (e) => {
      throw newPermanentError(`room ${e.payload.note}`);
    });
    await t.start(consumer);
    const [original] = await t.records(topic);
    if (original === undefined) throw new Error("nothing was published");
    await t.until(
      async () => (await t.committed(group, topic))[original.partition] === 1,
      "the dead-lettered message committed",
    );
    const dlq = await t.records(`${topic}-dlq`);
    expect(dlq).toHaveLength(1);
    const [letter] = dlq;
    expect(letter?.key).toEqual(original.key);
    expect(letter?.value).toEqual(original.value);
    for (const [name, bytes] of Object.entries(original.headers)) {
      if (name !== "retry-count") expect(letter?.headers[name], name).toEqual(bytes);
    }
    expect(letter?.text).toMatchObject({
      "original-topic": topic,
      "original-partition": String(original.partition),
      "original-offset": "0",
      "dlq-error": "room no such room",
      "dlq-error-type": "PermanentError:PERMANENT",
      "dlq-error-class": "permanent",
      "dlq-consumer-group": group,
      "retry-count": "0",
    });
    expect(letter?.text["dlq-timestamp"]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("an undecodable record is dead-lettered on its first attempt, bytes as they were, and the stream goes on", async () => {
    const topic = await t.topic("poison");
    const event = slotEvent(topic);
    const producer = t.producer();
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]);
    await producer.publish({
      topic,
      key: "s-1",
      value: garbage,
      headers: {},
      rawHeaders: { "event-type": event.type, "schema-version": "v1", "content-type": "application/avro" },
    });
    await producer.publishEvent(event, { id: "s-2", seq: 2, note: "" });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group });
    const handled: number[] = [];
    consumer.on(event, (e) => {
      handled.push(e.payload.seq);
    });
    await t.start(consumer);
    await t.until(async () => (await t.committed(group, topic))[0] === 2, "both records committed");
    expect(handled).toEqual([2]);
    const dlq = await t.records(`${topic}-dlq`);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.value).toEqual(garbage);
    expect(dlq[0]?.key).toEqual(Buffer.from("s-1"));
    expect(dlq[0]?.text).toMatchObject({ "retry-count": "0", "dlq-error-class": "permanent", "original-offset": "0" });
    expect(dlq[0]?.text["dlq-error-type"]).toMatch(/DECODE_FAILED/);
  });

  it("a message that fails for good with no DLQ holds its partition: nothing at or past it is committed or handled", async () => {
    const topic = await t.topic("hold");
    const event = slotEvent(topic, false);
    const producer = t.producer();
    for (const seq of [0, 1, 2]) await producer.publishEvent(event, { id: "s", seq, note: seq === 1 ? "bad" : "" });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group, dlqTopic: undefined }, { retryLaterMs: 60_000 });
    const handled: number[] = [];
    consumer.on(event, (e) => {
      handled.push(e.payload.seq);
      if (e.payload.note === "bad") throw newPermanentError("cannot book");
    });
    await t.start(consumer);
    await t.until(
      async () => handled.includes(1) && (await t.committed(group, topic))[0] === 1,
      "the failed message held at offset 1",
    );
    expect(handled).toEqual([0, 1]);
    expect(await t.committed(group, topic)).toEqual([1]);
  });

  it("a dead letter that cannot be written holds the partition at the message, uncommitted (the DLQ topic does not exist)", async () => {
    const topic = await t.topic("nodlq");
    const event = slotEvent(topic);
    const producer = t.producer();
    await producer.publishEvent(event, { id: "s", seq: 0, note: "bad" });
    await producer.publishEvent(event, { id: "s", seq: 1, note: "" });
    const group = `${topic}-g`;
    const consumer = t.consumer({ groupId: group, dlqTopic: `${topic}-missing` }, { retryLaterMs: 60_000 });
    const handled: number[] = [];
    consumer.on(event, (e) => {
      handled.push(e.payload.seq);
      if (e.payload.note === "bad") throw newPermanentError("cannot book");
    });
    await t.start(consumer);
    // Rewound to the message for a later retry: the seek commits its own offset, nothing past it.
    await t.until(
      async () => handled.includes(0) && (await t.committed(group, topic))[0] === 0,
      "the partition held at offset 0",
    );
    expect(handled).toEqual([0]);
    expect(await t.committed(group, topic)).toEqual([0]);
  });
});
