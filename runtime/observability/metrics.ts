/**
 * Prometheus metrics with prom-client, labelled by topic (and outcome), with
 * histograms rather than averages. Metrics register once per registry, so
 * several producers in one process share them.
 */
import { Counter, Histogram, type Registry, register } from "prom-client";

export interface ProducerMetrics {
  /** Messages acknowledged by the broker. */
  published(topic: string, count: number): void;
  /** Messages that failed after every attempt, by error code. */
  failed(topic: string, code: string, count: number): void;
  /** Messages written to the dead-letter topic. */
  deadLettered(topic: string, count: number): void;
  /** One produce batch left: its size in messages and bytes. */
  batch(messages: number, bytes: number): void;
  /** Seconds from `publish` to the broker's answer. */
  latency(topic: string, seconds: number): void;
  /**
   * Seconds one whole publish call took as its caller saw it (inner middleware, encoding,
   * batching, the answer), by status `ok` or the error code; recorded by `metricsProducerMiddleware`.
   * Optional, so metrics written before it still fit.
   */
  publishDuration?(topic: string, status: string, seconds: number): void;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  return (
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

function histogram(registry: Registry, name: string, help: string, labelNames: string[], buckets: number[]): Histogram {
  return (
    (registry.getSingleMetric(name) as Histogram | undefined) ??
    new Histogram({ name, help, labelNames, buckets, registers: [registry] })
  );
}

/** The producer metrics in `registry` (prom-client's default registry unless given). */
export function producerMetrics(registry: Registry = register): ProducerMetrics {
  const messages = counter(registry, "skeji_kafka_producer_messages_total", "Messages published, by outcome", [
    "topic",
    "outcome",
    "code",
  ]);
  const batchMessages = histogram(
    registry,
    "skeji_kafka_producer_batch_messages",
    "Messages per produce batch",
    [],
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
  );
  const batchBytes = histogram(
    registry,
    "skeji_kafka_producer_batch_bytes",
    "Key and value bytes per produce batch",
    [],
    [1024, 16_384, 65_536, 262_144, 1_048_576, 4_194_304],
  );
  const latency = histogram(
    registry,
    "skeji_kafka_producer_publish_duration_seconds",
    "Time from publish to the broker's acknowledgement",
    ["topic"],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const calls = histogram(
    registry,
    "skeji_kafka_producer_publish_call_duration_seconds",
    "Duration of one publish call as its caller sees it, by status (ok or the error code); recorded by metricsProducerMiddleware",
    ["topic", "status"],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  const latencyByTopic = new Map<string, ReturnType<typeof latency.labels>>();
  return {
    published: (topic, count) => messages.inc({ topic, outcome: "published", code: "" }, count),
    failed: (topic, code, count) => messages.inc({ topic, outcome: "failed", code }, count),
    deadLettered: (topic, count) => messages.inc({ topic, outcome: "dead_lettered", code: "" }, count),
    batch: (count, bytes) => {
      batchMessages.observe(count);
      batchBytes.observe(bytes);
    },
    latency: (topic, seconds) => {
      let bound = latencyByTopic.get(topic);
      if (bound === undefined) {
        bound = latency.labels({ topic });
        latencyByTopic.set(topic, bound);
      }
      bound.observe(seconds);
    },
    publishDuration: (topic, status, seconds) => calls.observe({ topic, status }, seconds),
  };
}
