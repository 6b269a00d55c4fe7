/**
 * Dead letters written through the runtime producer (`producerDlqSink`) against the real broker:
 * the DLQ record has the original key, value and header bytes (a non-UTF-8 header, a repeated
 * header) plus the dlq-* headers, and nothing the producer or its middleware would add over them.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { producerDlqSink } from "../../../runtime/dlq/sink.ts";
import { newPermanentError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { producerMetrics } from "../../../runtime/observability/metrics.ts";
import { createProducer } from "../../../runtime/producer/producer.ts";
import { testConfig as producerTestConfig } from "../producer/support.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const binary = Buffer.from([0x00, 0x80, 0xff, 0xfe, 0xc3]); // not UTF-8
const dlqHeaders = [
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
];

describe("producerDlqSink", () => {
  it("dead-letters a record with its key, value and header bytes (binary, repeated) exactly, plus the dlq-* headers", async () => {
    const topic = await fx.topic("dlq-producer-sink");
    const key = Buffer.from([0xff, 0x00, 0x01]);
    const value = Buffer.from([0, 1, 2, 255, 254]);
    await fx.send(topic, [
      { key: key as never, value, headers: { traceparent: binary, tags: ["a", Buffer.from([0xff]), "a"] } },
    ]);
    const config = testConfig(topic, { maxRetries: 0 });
    // A producer that would add standard headers and whose middleware writes a traceparent of its own.
    const producer = createProducer(producerTestConfig(config.dlqTopic ?? "", { KAFKA_SOURCE: "dlq-writer" }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    }).use(async (ctx, next) => {
      ctx.headers.traceparent = "00-from-middleware";
      return next(ctx);
    });
    let handled = 0;
    const consumer = createConsumer(config, { logger: silentLogger, dlq: producerDlqSink(producer) }).handle(() => {
      handled++;
      throw newPermanentError("cannot handle this one");
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "the record committed");
    await consumer.stop();
    await running;

    const [dead] = await fx.read(config.dlqTopic ?? "", 1);
    expect(handled).toBe(1);
    expect(dead?.key).toEqual(key);
    expect(dead?.value).toEqual(value);
    expect(Object.keys(dead?.headers ?? {}).sort()).toEqual(["tags", "traceparent", ...dlqHeaders].sort());
    expect(dead?.headers.traceparent).toEqual(binary);
    expect(dead?.headers.tags).toEqual([Buffer.from("a"), Buffer.from([0xff]), Buffer.from("a")]);
    const text = (name: string) => dead?.headers[name]?.toString();
    expect(text("original-topic")).toBe(topic);
    expect(text("original-partition")).toBe("0");
    expect(text("original-offset")).toBe("0");
    expect(text("dlq-error")).toBe("cannot handle this one");
    expect(text("dlq-error-type")).toBe("PermanentError:PERMANENT");
    expect(text("dlq-error-class")).toBe("permanent");
    expect(text("dlq-consumer-group")).toBe(config.groupId);
    expect(text("retry-count")).toBe("0");
  });

  it("refuses a producer that does not wait for acks=all or publishes asynchronously", async () => {
    const record = { key: null, value: Buffer.from("v"), headers: {} };
    const leader = createProducer(producerTestConfig("t", { KAFKA_PRODUCER_REQUIRE_ACKS: "1" }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    const async = createProducer(producerTestConfig("t", { KAFKA_PRODUCER_ASYNC: "true" }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    await expect(producerDlqSink(leader).write("t", record)).rejects.toThrow(/acks=all/);
    await expect(producerDlqSink(async).write("t", record)).rejects.toThrow(/must not be async/);
    await Promise.all([leader.close(), async.close()]);
  });
});
