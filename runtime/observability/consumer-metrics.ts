/**
 * Consumer metrics with prom-client: outcomes by topic, failed attempts by error class, handler
 * durations as a histogram, and lag per partition. Registered once per registry, so several
 * consumers in one process share them.
 */
import { Counter, Gauge, Histogram, type Registry, register } from "prom-client";
import type { MessageOutcome } from "../consumer/types.ts";
import type { UnknownEventAction, UnknownEventReason } from "../consumer/unknown-events.ts";
import type { ErrorClass } from "../errors/processing.ts";

export interface ConsumerMetrics {
  /** `count` messages finished with `outcome` (`handled`, `dead-lettered`, `retry-later`, ...). */
  outcome(topic: string, outcome: MessageOutcome, count?: number): void;
  /** A handler attempt failed with an error of `errorClass`. */
  attemptFailed(topic: string, errorClass: ErrorClass): void;
  /** A DLQ write failed (the message was held back, not lost). */
  dlqWriteFailed(topic: string): void;
  /** A message failed for good and no DLQ topic is configured: `hold` (retried later) or `skip` (committed). */
  noDlq(topic: string, action: "hold" | "skip"): void;
  /**
   * A record no handler can take (`reason`: `untyped`, no routable event-type, or `unhandled`, an
   * event type without handler) met the `unknownEvents` policy, which did `action`. Optional, so
   * metrics written before it still fit.
   */
  unknownEvent?(topic: string, reason: UnknownEventReason, action: UnknownEventAction): void;
  /** Seconds one handler attempt took (middleware included), by status `ok` or the error class. */
  handlerDuration(topic: string, status: "ok" | ErrorClass, seconds: number): void;
  /** Messages between the partition's high watermark and the batch just fetched. */
  lag(topic: string, partition: number, lag: number): void;
}

function metric<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** The consumer metrics in `registry` (prom-client's default registry unless given). */
export function consumerMetrics(registry: Registry = register): ConsumerMetrics {
  const registers = [registry];
  const messages = metric(
    registry,
    "skeji_kafka_consumer_messages_total",
    () =>
      new Counter({
        name: "skeji_kafka_consumer_messages_total",
        help: "Messages finished, by outcome",
        labelNames: ["topic", "outcome"],
        registers,
      }),
  );
  const failures = metric(
    registry,
    "skeji_kafka_consumer_failed_attempts_total",
    () =>
      new Counter({
        name: "skeji_kafka_consumer_failed_attempts_total",
        help: "Handler attempts that failed, by error class",
        labelNames: ["topic", "class"],
        registers,
      }),
  );
  const dlqFailures = metric(
    registry,
    "skeji_kafka_consumer_dlq_write_failures_total",
    () =>
      new Counter({
        name: "skeji_kafka_consumer_dlq_write_failures_total",
        help: "DLQ writes that failed (the message was held back and retried)",
        labelNames: ["topic"],
        registers,
      }),
  );
  const noDlq = metric(
    registry,
    "skeji_kafka_consumer_no_dlq_total",
    () =>
      new Counter({
        name: "skeji_kafka_consumer_no_dlq_total",
        help: "Messages that failed for good with no DLQ topic configured, by action (hold: retried later, skip: committed)",
        labelNames: ["topic", "action"],
        registers,
      }),
  );
  const unknown = metric(
    registry,
    "skeji_kafka_consumer_unknown_events_total",
    () =>
      new Counter({
        name: "skeji_kafka_consumer_unknown_events_total",
        help: "Records no handler can take, by reason (untyped: no routable event-type; unhandled: no handler for the type) and the unknownEvents action (dead-letter, skip, retry-later); counted each time one is met",
        labelNames: ["topic", "reason", "action"],
        registers,
      }),
  );
  const duration = metric(
    registry,
    "skeji_kafka_consumer_handler_duration_seconds",
    () =>
      new Histogram({
        name: "skeji_kafka_consumer_handler_duration_seconds",
        help: "Duration of one handler attempt, middleware included",
        labelNames: ["topic", "status"],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
  );
  const lag = metric(
    registry,
    "skeji_kafka_consumer_lag",
    () =>
      new Gauge({
        name: "skeji_kafka_consumer_lag",
        help: "Messages behind the high watermark, per partition, at the last fetched batch",
        labelNames: ["topic", "partition"],
        registers,
      }),
  );
  // Label lookups hash their values; the per-message counter keeps its children bound.
  const bound = new Map<string, ReturnType<typeof messages.labels>>();
  return {
    outcome: (topic, outcome, count = 1) => {
      const key = `${topic}\u0000${outcome}`;
      let child = bound.get(key);
      if (child === undefined) {
        child = messages.labels({ topic, outcome });
        bound.set(key, child);
      }
      child.inc(count);
    },
    attemptFailed: (topic, errorClass) => failures.inc({ topic, class: errorClass }),
    dlqWriteFailed: (topic) => dlqFailures.inc({ topic }),
    noDlq: (topic, action) => noDlq.inc({ topic, action }),
    unknownEvent: (topic, reason, action) => unknown.inc({ topic, reason, action }),
    handlerDuration: (topic, status, seconds) => duration.observe({ topic, status }, seconds),
    lag: (topic, partition, value) => lag.set({ topic, partition: String(partition) }, value),
  };
}
