/**
 * The producer's quick look (`getMetrics()` / `printMetrics()`, the Go guide's names) and its
 * metrics middleware (`metricsProducerMiddleware`, the Go guide's `MetricsProducerMiddleware`),
 * against the real broker: the snapshot counts what the prom-client metrics record.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProducer,
  metricsProducerMiddleware,
  newMessage,
  type Producer,
  producerMetrics,
  silentLogger,
} from "../../../runtime/index.ts";
import { uniqueName } from "../../infra/env.ts";
import { booking, bookingEvent, newTopic, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

describe("producer.getMetrics()", () => {
  it("counts published, failed and dead-lettered messages, bytes, batches and latency, as the prom-client metrics do", async () => {
    const topic = await newTopic("snapshot");
    const dlq = await newTopic("snapshot-dlq");
    const registry = new Registry();
    const metrics = producerMetrics(registry);
    const producer = createProducer(testConfig(topic, { KAFKA_PRODUCER_DLQ_TOPIC: dlq }), {
      logger: silentLogger,
      metrics,
    }).use(metricsProducerMiddleware(metrics));
    open.push(producer);
    expect(producer.getMetrics()).toMatchObject({ published: 0, failed: 0, latency: { count: 0, avgMs: 0 } });

    const event = bookingEvent(topic);
    await Promise.all([1, 2, 3].map((i) => producer.publishEvent(event, booking(i))));
    const missing = uniqueName("snapshot-missing");
    await expect(producer.publish(newMessage().withTopic(missing).withValue("x").build())).rejects.toMatchObject({
      code: "PUBLISHED_TO_DLQ",
    });
    await expect(producer.publishEvent(event, { booking_id: "b" } as never)).rejects.toMatchObject({
      code: "INVALID_PAYLOAD",
    });

    const snapshot = producer.getMetrics();
    expect(snapshot).toMatchObject({
      published: 3,
      failed: 1,
      deadLettered: 1,
      failures: { PUBLISH_FAILED: 1 },
      byTopic: { [topic]: { published: 3, failed: 0, deadLettered: 0 }, [missing]: { failed: 1, deadLettered: 1 } },
    });
    expect(snapshot.batches).toBeGreaterThanOrEqual(2);
    expect(snapshot.bytes).toBeGreaterThan(0);
    expect(snapshot.latency.count).toBe(3);
    expect(snapshot.latency.maxMs).toBeGreaterThanOrEqual(snapshot.latency.avgMs);
    // Whole calls as the middleware timed them, by status: an invalid payload is a call too.
    expect(snapshot.calls.ok?.count).toBe(3);
    expect(snapshot.calls.PUBLISHED_TO_DLQ?.count).toBe(1);
    expect(snapshot.calls.INVALID_PAYLOAD?.count).toBe(1);

    const values = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values ?? [];
    const messages = await values("skeji_kafka_producer_messages_total");
    const sum = (outcome: string) =>
      messages.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
    expect([sum("published"), sum("failed"), sum("dead_lettered")]).toEqual([3, 1, 1]);
    const calls = await values("skeji_kafka_producer_publish_call_duration_seconds");
    expect(calls.find((v) => v.labels.status === "ok" && v.labels.le === "+Inf")?.value).toBe(3);

    const lines: string[] = [];
    producer.printMetrics({ write: (text: string) => lines.push(text) });
    expect(lines).toEqual([
      expect.stringMatching(
        /^producer metrics: published=3 failed=1 \(PUBLISH_FAILED=1\) dead-lettered=1 batches=\d+ bytes=\d+ latency avg [\d.]+ms max [\d.]+ms \(3\)\n$/,
      ),
    ]);
  });
});
