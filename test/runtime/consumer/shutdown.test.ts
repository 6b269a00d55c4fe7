/** The SIGINT/SIGTERM helper: a real SIGTERM to this process shuts the consumer down gracefully. */
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { shutdownOnSignals } from "../../../runtime/consumer/shutdown.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

describe("shutdownOnSignals", () => {
  it("aborts on SIGTERM: start() resolves after the in-flight message is handled and committed", async () => {
    const topic = await fx.topic("sigterm");
    await fx.send(topic, [{ key: "k", value: "one" }]);
    const config = testConfig(topic);
    const shutdown = shutdownOnSignals(["SIGTERM"]);
    let finished = false;
    const consumer = createConsumer(config, { logger: silentLogger }).handle(async () => {
      process.kill(process.pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
    });
    await consumer.start(shutdown.signal);
    expect(shutdown.signal.aborted).toBe(true);
    expect(finished).toBe(true);
    expect(await fx.committed(config.groupId, topic)).toEqual([1]);
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });
});
