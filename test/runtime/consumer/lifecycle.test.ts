/**
 * The consumer's lifecycle as a program meets it: ready() before start(), start() twice, a
 * consumer with nothing to handle, and a start offset given as Go's -2 - against the real broker.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { eventually, Fixture, testConfig, testEvents } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const fast = { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentLogger } as const;
const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;

describe("ready()", () => {
  it("before start() rejects at once with CONSUMER_NOT_STARTED; after start() it resolves once joined", async () => {
    const topic = await fx.topic("ready-first");
    const consumer = createConsumer(testConfig(topic), fast).handle(() => {});
    await expect(consumer.ready()).rejects.toMatchObject({
      code: "CONSUMER_NOT_STARTED",
      message: expect.stringContaining("call start() first"),
    });
    const running = consumer.start();
    await consumer.ready();
    await consumer.stop();
    await running;
  });
});

describe("start()", () => {
  it("a second call says the consumer is already running, and after stop() that it has stopped", async () => {
    const topic = await fx.topic("start-twice");
    const consumer = createConsumer(testConfig(topic), fast).handle(() => {});
    const running = consumer.start();
    await expect(consumer.start()).rejects.toMatchObject({
      code: "CONSUMER_ALREADY_STARTED",
      message: expect.stringContaining("is starting or running"),
    });
    await consumer.ready();
    await expect(consumer.start()).rejects.toMatchObject({ code: "CONSUMER_ALREADY_STARTED" });
    await consumer.stop();
    await running;
    const again = await consumer.start().catch((e: unknown) => e);
    expect(again).toMatchObject({ code: "CONSUMER_ALREADY_STARTED" });
    expect(String((again as Error).message)).toContain("has stopped; create a new consumer");
    expect(String((again as Error).message)).not.toContain("handlers");
  });

  it.each([
    ["config-and-handlers", {}],
    ["config-topic", { subscribe: "config-topic" as const }],
    ["topics", { topics: ["x"] }],
  ])("with no handler registered fails (%s), before connecting, and ready() says the same", async (_, options) => {
    const topic = await fx.topic("no-handlers");
    const before = sockets();
    const consumer = createConsumer(testConfig(topic), { ...fast, ...options });
    const error = await consumer.start().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "CONSUMER_START_FAILED",
      message: expect.stringContaining("no handler is registered: add one with on()"),
    });
    await expect(consumer.ready()).rejects.toMatchObject({ code: "CONSUMER_START_FAILED" });
    expect(sockets()).toBeLessThanOrEqual(before);
  });

  it('subscribe: "config-topic" without a config topic names the option', async () => {
    const topic = await fx.topic("no-config-topic");
    const consumer = createConsumer({ ...testConfig(topic), topic: "" }, { ...fast, subscribe: "config-topic" }).on(
      testEvents(topic).created,
      () => {},
    );
    await expect(consumer.start()).rejects.toMatchObject({
      code: "CONSUMER_START_FAILED",
      message: expect.stringContaining('invalid option "subscribe": "config-topic" needs the config\'s topic'),
    });
  });
});

describe("startOffset", () => {
  it("-2 (kafka-go's FirstOffset) reads what was written before the group existed; -1 only what comes after", async () => {
    const topic = await fx.topic("start-offset");
    await fx.send(topic, [{ key: "k", value: "before" }]);
    const read = async (startOffset: -1 | -2, after?: string): Promise<string[]> => {
      const seen: string[] = [];
      const consumer = createConsumer(testConfig(topic, { startOffset }), fast).handle((_, m) => {
        seen.push(String(m.value));
      });
      const running = consumer.start();
      await consumer.ready();
      if (after !== undefined) await fx.send(topic, [{ key: "k", value: after }]);
      await eventually(() => seen.length > 0, "a record read");
      await consumer.stop();
      await running;
      return seen;
    };
    expect(await read(-2)).toEqual(["before"]);
    expect(await read(-1, "after")).toEqual(["after"]);
  });
});
