/**
 * The consumer's quick look (`getMetrics()` / `printMetrics()`, the Go guide's names) against the
 * real broker: the snapshot counts what the prom-client metrics record, and the metrics middleware
 * adds handler durations to it.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { newBusinessError, newPermanentError, newTransientError } from "../../../runtime/errors/processing.ts";
import { metricsConsumerMiddleware } from "../../../runtime/middleware/consumer.ts";
import { consumerMetrics } from "../../../runtime/observability/consumer-metrics.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { captureLogger, eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

describe("consumer.getMetrics()", () => {
  it("counts outcomes, failed and retried attempts, lag and handler durations, as the prom-client metrics do", async () => {
    const topic = await fx.topic("snapshot");
    await fx.send(
      topic,
      ["ok-1", "flaky", "poison", "conflict", "ok-2"].map((value) => ({ key: "k", value })),
    );
    const registry = new Registry();
    const metrics = consumerMetrics(registry);
    const config = testConfig(topic, { maxRetries: 2 });
    let flaky = 0;
    const { logs, logger } = captureLogger();
    const consumer = createConsumer(config, { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger, metrics })
      // Recording into the default registry: the consumer's snapshot gets the durations all the same.
      .use(metricsConsumerMiddleware())
      .handle((_ctx, m) => {
        const value = String(m.value);
        if (value === "flaky" && flaky++ < 1) throw newTransientError("database connection failed");
        if (value === "poison") throw newPermanentError("invalid message format");
        if (value === "conflict") throw newBusinessError("booking already exists");
      });
    expect(consumer.getMetrics()).toMatchObject({ consumed: 0, retried: 0, handler: { count: 0, avgMs: 0 } });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 5, "all committed");
    await consumer.stop();
    await running;

    const snapshot = consumer.getMetrics();
    expect(snapshot).toMatchObject({
      consumed: 5,
      outcomes: { handled: 3, "business-error": 1, "dead-lettered": 1, skipped: 0, "retry-later": 0, abandoned: 0 },
      failedAttempts: { transient: 1, permanent: 1, business: 1 },
      retried: 1,
      dlqWriteFailures: 0,
      lag: { total: 0, byPartition: { [`${topic}/0`]: 0 } },
      byTopic: { [topic]: { handled: 3, "business-error": 1, "dead-lettered": 1 } },
    });
    // Six attempts: five messages, one of them twice.
    expect(snapshot.handler.count).toBe(6);
    expect(snapshot.handler.maxMs).toBeGreaterThanOrEqual(snapshot.handler.avgMs);
    expect(snapshot.since).toBeInstanceOf(Date);

    const total = async (name: string) =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
    expect(await total("skeji_kafka_consumer_messages_total")).toBe(snapshot.consumed);
    expect(await total("skeji_kafka_consumer_failed_attempts_total")).toBe(3);

    const lines: string[] = [];
    consumer.printMetrics({ write: (text: string) => lines.push(text) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^consumer metrics: consumed=5 handled=3 business-errors=1 skipped=0 dead-lettered=1 /);
    expect(lines[0]).toContain("retried=1");
    expect(lines[0]?.endsWith("\n")).toBe(true);
    consumer.printMetrics();
    expect(logs.find((l) => l.level === "info" && l.msg?.startsWith("consumer metrics:"))?.obj).toMatchObject({
      metrics: { consumed: 5 },
    });
  });

  it("two consumers count apart, though they share the prom-client metrics", async () => {
    const topic = await fx.topic("snapshot-apart");
    await fx.send(topic, [{ key: "k", value: "a" }]);
    const metrics = consumerMetrics(new Registry());
    const reading = createConsumer(testConfig(topic), { logger: silentLogger, metrics }).handle(() => {});
    const idle = createConsumer(testConfig(topic), { logger: silentLogger, metrics }).handle(() => {});
    const running = reading.start();
    await eventually(() => reading.getMetrics().consumed === 1, "one consumed");
    await reading.stop();
    await running;
    expect(idle.getMetrics().consumed).toBe(0);
  });
});
