/**
 * What the test kit promises beyond the shared behaviour tests (test/behaviour/, which run on the
 * broker too): drain() follows chains of handlers, a restarted group resumes at its commit, a
 * failed DLQ write holds the partition until it is retried, backoff runs on the kit's clock, and
 * a missing topic or a busy group fails as a user would be told.
 */
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { defineEvent } from "../../runtime/descriptor.ts";
import { newPermanentError, newTransientError } from "../../runtime/errors/processing.ts";
import { reply } from "../../runtime/request-reply/request-reply.ts";
import { createTestKit, type TestKit } from "../../runtime/testing.ts";

interface Step {
  readonly id: string;
  readonly n: number;
}
const schema = {
  type: "record",
  name: "Step",
  namespace: "test.kit",
  fields: [
    { name: "id", type: "string" },
    { name: "n", type: "int" },
  ],
} as const;
const step = (type: string, topic: string, dlqTopic?: string) =>
  defineEvent<Step, Step>({
    type,
    name: "Step",
    topic,
    keyField: "id",
    format: "avro",
    compatibility: "BACKWARD",
    dlqTopic,
    versions: [{ version: 1, schema }],
  });
const started = step("test.started", "started", "started-dlq");
const finished = step("test.finished", "finished");

let kit: TestKit;
afterEach(() => kit.close());

describe("createTestKit", () => {
  it("drain() waits for what handlers publish, and their handlers", async () => {
    kit = createTestKit({ topics: [started, finished] });
    const producer = kit.producer();
    const consumer = kit.consumer();
    const done: number[] = [];
    consumer.on(started, (e) =>
      producer.publishEvent(finished, { id: e.payload.id, n: e.payload.n * 10 }).then(() => {}),
    );
    consumer.on(finished, (e) => {
      done.push(e.payload.n);
    });
    await kit.start(consumer);
    for (const n of [1, 2, 3]) await producer.publishEvent(started, { id: `s-${n}`, n });
    await kit.drain();
    expect(done).toEqual([10, 20, 30]);
    const events = await kit.events(finished);
    expect(events.map((e) => e.payload.n)).toEqual([10, 20, 30]);
    expectTypeOf(events[0]?.payload).toEqualTypeOf<Step | undefined>();
    expect(kit.committed("test-group", "started")).toEqual([3]);
    expect(kit.committed("test-group", "finished")).toEqual([3]);
  });

  it("a group started again resumes at its committed offset", async () => {
    kit = createTestKit({ topics: [started] });
    const producer = kit.producer();
    const seen: number[] = [];
    const first = kit.consumer({ groupId: "g" });
    first.on(started, (e) => {
      seen.push(e.payload.n);
    });
    await kit.start(first);
    await producer.publishEvent(started, { id: "a", n: 1 });
    await kit.drain();
    await first.stop();
    await producer.publishEvent(started, { id: "a", n: 2 });
    const second = kit.consumer({ groupId: "g" });
    second.on(started, (e) => {
      seen.push(e.payload.n);
    });
    await kit.start(second);
    await kit.drain();
    expect(seen).toEqual([1, 2]);
    expect(kit.committed("g", "started")).toEqual([2]);
  });

  it("backoff waits on the kit's clock: the delays of the retry policy, no time spent", async () => {
    kit = createTestKit({ topics: [started], random: () => 0.5 });
    const consumer = kit.consumer({ maxRetries: 2 });
    consumer.on(started, () => {
      throw newTransientError("not yet");
    });
    await kit.start(consumer);
    await kit.producer().publishEvent(started, { id: "a", n: 1 });
    await kit.drain();
    // 200 ms doubling, jitter 0.5 with random 0.5: 150 and 300.
    expect(kit.clock.sleeps).toEqual([150, 300]);
    expect(kit.clock.elapsed()).toBe(450);
    expect(kit.dlq("started-dlq").map((d) => d.retryCount)).toEqual([2]);
  });

  it("a failed DLQ write holds the partition uncommitted; after retryLaterMs the message is handled again and dead-lettered", async () => {
    kit = createTestKit({ topics: [started] });
    // The hold runs on real time; long enough that the first drain ends well before it does.
    const consumer = kit.consumer({}, { retryLaterMs: 500 });
    let calls = 0;
    consumer.on(started, () => {
      calls++;
      throw newPermanentError("no such slot");
    });
    await kit.start(consumer);
    kit.failSends(1, { topic: "started-dlq" });
    await kit.producer().publishEvent(started, { id: "a", n: 1 });
    await kit.drain();
    expect(calls).toBe(1);
    expect(kit.dlq("started-dlq")).toEqual([]);
    expect(kit.committed("test-group", "started")).toEqual([0]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await kit.drain();
    expect(calls).toBe(2);
    expect(kit.dlq("started-dlq")).toHaveLength(1);
    expect(kit.committed("test-group", "started")).toEqual([1]);
  });

  it("a publish that fails goes to the producer's dead-letter topic, as configured", async () => {
    kit = createTestKit({ topics: [started] });
    const producer = kit.producer({ dlqTopic: "started-dlq", maxAttempts: 1 });
    kit.failSends(1, { topic: "started" });
    await expect(producer.publishEvent(started, { id: "a", n: 1 })).rejects.toMatchObject({ code: "PUBLISHED_TO_DLQ" });
    expect(kit.records("started")).toEqual([]);
    const [letter] = kit.dlq("started-dlq");
    expect(letter?.originalTopic).toBe("started");
    expect(letter?.headerText["event-type"]).toBe("test.started");
    await producer.publishEvent(started, { id: "a", n: 2 });
    expect(kit.records("started")).toHaveLength(1);
  });

  it('offsets: "memory" commits nothing', async () => {
    kit = createTestKit({ topics: [started] });
    const consumer = kit.consumer({}, { offsets: "memory" });
    const seen: number[] = [];
    consumer.on(started, (e) => {
      seen.push(e.payload.n);
    });
    await kit.start(consumer);
    await kit.producer().publishEvent(started, { id: "a", n: 1 });
    await kit.drain();
    expect(seen).toEqual([1]);
    expect(kit.committed("test-group", "started")).toEqual([-1]);
  });

  it("publishing to or consuming from a topic that does not exist fails, naming it", async () => {
    kit = createTestKit({ topics: ["started"] });
    await expect(kit.producer().publishEvent(finished, { id: "a", n: 1 })).rejects.toMatchObject({
      message: expect.stringContaining("finished"),
    });
    const consumer = kit.consumer();
    consumer.on(finished, () => {});
    await expect(kit.start(consumer)).rejects.toMatchObject({
      code: "CONSUMER_START_FAILED",
      message: expect.stringContaining("topic finished does not exist"),
    });
    await kit.drain(); // the failed start is reported by start(), not again here
  });

  it("a second running member of a group is refused (the in-memory broker does not rebalance)", async () => {
    kit = createTestKit({ topics: [started] });
    const first = kit.consumer({ groupId: "g" });
    first.on(started, () => {});
    await kit.start(first);
    const second = kit.consumer({ groupId: "g" });
    second.on(started, () => {});
    await expect(kit.start(second)).rejects.toMatchObject({ message: expect.stringContaining("does not rebalance") });
  });

  it("drain() rejects when a handler never settles", async () => {
    kit = createTestKit({ topics: [started], drainTimeoutMs: 200 });
    const consumer = kit.consumer({}, { shutdownTimeoutMs: 10 });
    consumer.on(started, () => new Promise<void>(() => {}));
    await kit.start(consumer);
    await kit.producer().publishEvent(started, { id: "a", n: 1 });
    await expect(kit.drain()).rejects.toThrow(/still busy/);
  });
});

describe("under vitest's fake timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("publishing, draining and backoff work; advancing the timers resumes a held partition", async () => {
    vi.useFakeTimers();
    kit = createTestKit({ topics: [started] });
    const consumer = kit.consumer({}, { retryLaterMs: 5_000 });
    let calls = 0;
    consumer.on(started, () => {
      calls++;
      if (calls < 3) throw newTransientError("not yet"); // two backoffs, on the kit's clock
      throw newPermanentError("no such slot");
    });
    await kit.start(consumer);
    kit.failSends(1, { topic: "started-dlq" });
    await kit.producer().publishEvent(started, { id: "a", n: 1 });
    await kit.drain();
    expect(calls).toBe(3);
    expect(kit.committed("test-group", "started")).toEqual([0]);
    await vi.advanceTimersByTimeAsync(5_000);
    await kit.drain();
    expect(kit.dlq("started-dlq")).toHaveLength(1);
    expect(kit.committed("test-group", "started")).toEqual([1]);
  });
});

describe("request-response", () => {
  it("a requester gets the reply a handler sends", async () => {
    kit = createTestKit({ topics: [started, finished] });
    const producer = kit.producer();
    const service = kit.consumer({ groupId: "service" });
    service.on(started, async (e) => {
      await reply(producer, e, finished, { id: e.payload.id, n: e.payload.n + 1 });
    });
    await kit.start(service);
    const requester = await kit.requester({ replies: [finished] });
    const answer = await requester.request(started, { id: "r-1", n: 41 }, { reply: finished, timeoutMs: 5_000 });
    expect(answer.payload).toEqual({ id: "r-1", n: 42 });
    expectTypeOf(answer.payload).toEqualTypeOf<Step>();
  });
});
