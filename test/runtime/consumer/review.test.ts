/** Review fixes, against the real broker: exact DLQ headers, no-DLQ handling, start() failures, timeouts. */
import { getEventListeners } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { newPermanentError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { uniqueName } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const fast = { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentLogger } as const;

describe("DLQ records", () => {
  it("keep the original headers exactly: no event-id filled in, binary bytes kept, every value of a repeated header", async () => {
    const topic = await fx.topic("rawdlq");
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    await fx.send(topic, [{ key: "k", value: "bad", headers: { blob: binary, tag: ["a", "b", "c"] } }]);
    const config = testConfig(topic);
    const consumer = createConsumer(config, fast).handle(() => {
      throw newPermanentError("rejected");
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "committed");
    await consumer.stop();
    await running;
    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(dead?.headers.blob).toEqual(binary);
    expect(((dead?.headers.tag ?? []) as Buffer[]).map(String)).toEqual(["a", "b", "c"]);
    expect(dead?.headers["event-id"]).toBeUndefined();
    expect(dead?.headers.timestamp).toBeUndefined();
    expect(Object.keys(dead?.headers ?? {}).sort()).toEqual(
      [
        "blob",
        "tag",
        "original-topic",
        "original-partition",
        "original-offset",
        "original-timestamp",
        "dlq-error",
        "dlq-error-type",
        "dlq-error-class",
        "dlq-timestamp",
        "dlq-consumer-group",
        "retry-count",
      ].sort(),
    );
    expect(dead?.headers["dlq-error"]?.toString()).toBe("rejected");
  });
});

describe("a message that fails for good with no DLQ topic", () => {
  it("holds the partition by default: nothing committed, tried again, handled once the handler works", async () => {
    const topic = await fx.topic("nodlq-hold", 1, false);
    await fx.send(topic, [
      { key: "k", value: "first" },
      { key: "k", value: "second" },
    ]);
    const config = testConfig(topic, { dlqTopic: undefined, maxRetries: 0 });
    const attempts: string[] = [];
    const held: string[] = [];
    let broken = true;
    const consumer = createConsumer(config, {
      ...fast,
      retryLaterMs: 50,
      observer: { onNoDlq: (i) => held.push(`${String(i.message.value)}:${i.action}`) },
    }).handle((_, m) => {
      attempts.push(String(m.value));
      if (broken && String(m.value) === "first") throw newPermanentError("not yet");
    });
    const running = consumer.start();
    await eventually(() => held.length >= 2, "held twice");
    // Nothing past the held message: no commit, or the committed position still on it (0).
    expect((await fx.committed(config.groupId, topic))[0]).toBeLessThanOrEqual(0);
    expect(attempts.every((a) => a === "first")).toBe(true);
    broken = false;
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(attempts.slice(-2)).toEqual(["first", "second"]);
    expect(held.every((h) => h === "first:hold")).toBe(true);
  });

  it('withoutDlq: "skip" commits it and moves on', async () => {
    const topic = await fx.topic("nodlq-skip", 1, false);
    await fx.send(topic, [
      { key: "k", value: "first" },
      { key: "k", value: "second" },
    ]);
    const config = testConfig(topic, { dlqTopic: undefined, maxRetries: 0 });
    const handled: string[] = [];
    const actions: string[] = [];
    const consumer = createConsumer(config, {
      ...fast,
      withoutDlq: "skip",
      observer: { onNoDlq: (i) => actions.push(i.action) },
    }).handle((_, m) => {
      if (String(m.value) === "first") throw newPermanentError("never");
      handled.push(String(m.value));
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(handled).toEqual(["second"]);
    expect(actions).toEqual(["skip"]);
  });
});

describe("start() on a topic that does not exist", () => {
  it("rejects with CONSUMER_START_FAILED naming the topic and group, and leaves no connection open", async () => {
    const topic = uniqueName("missing");
    const config = testConfig(topic);
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const before = sockets();
    const consumer = createConsumer(config, fast).handle(() => {});
    const error = await consumer.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: "CONSUMER_START_FAILED",
      details: { groupId: config.groupId, topics: [topic] },
    });
    expect(String((error as Error).message)).toContain(topic);
    expect(String((error as Error).message)).toContain(config.groupId);
    await expect(consumer.ready()).rejects.toMatchObject({ code: "CONSUMER_START_FAILED" });
    // Sockets close asynchronously after disconnect; wait for the count to come back.
    await eventually(() => sockets() <= before, "the consumer's sockets closed");
    await consumer.stop(); // idempotent, resolves
  });
});

describe("start(signal)", () => {
  it("removes its abort listener when the consumer stops", async () => {
    const topic = await fx.topic("abortlistener");
    const controller = new AbortController();
    const consumer = createConsumer(testConfig(topic), fast).handle(() => {});
    const running = consumer.start(controller.signal);
    await consumer.ready();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    await consumer.stop();
    await running;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("handlerTimeoutMs", () => {
  it("keeps one-at-a-time order: the retry and the next message wait until a timed-out handler has settled", async () => {
    const topic = await fx.topic("timeout-order");
    await fx.send(topic, [
      { key: "k", value: "slow" },
      { key: "k", value: "next" },
    ]);
    const config = testConfig(topic, { maxRetries: 1 });
    const events: string[] = [];
    const consumer = createConsumer(config, { ...fast, handlerTimeoutMs: 150 }).handle(async (ctx, m) => {
      const name = `${String(m.value)}#${ctx.attempt}`;
      events.push(`start ${name}`);
      // The first attempt ignores its aborted signal and finishes well after the time limit.
      if (name === "slow#1") await new Promise((r) => setTimeout(r, 600));
      events.push(`end ${name}`);
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(events).toEqual(["start slow#1", "end slow#1", "start slow#2", "end slow#2", "start next#1", "end next#1"]);
  });
});
