/**
 * The quick look of the Go guide's `middleware.GetMetrics()` / `PrintMetrics()`: per producer or
 * consumer, plain counts and latency figures since it was created, next to the prom-client
 * metrics (which stay the thing to scrape and alert on). A tally sits behind the producer's or
 * consumer's metrics object and counts exactly what is recorded there, at the same calls, so the
 * snapshot and the Prometheus series never disagree about what happened.
 */
import type { MessageOutcome } from "../consumer/types.ts";
import type { ErrorClass } from "../errors/processing.ts";
import type { ConsumerMetrics } from "./consumer-metrics.ts";
import type { Logger } from "./logger.ts";
import type { ProducerMetrics } from "./metrics.ts";

/** Durations in milliseconds: how many, their mean and the longest (0 when there are none). */
export interface LatencySnapshot {
  readonly count: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

export interface ProducerMetricsSnapshot {
  /** When counting started (the producer's creation). */
  readonly since: Date;
  /** Messages the broker acknowledged (with acks=0: sent). */
  readonly published: number;
  /** Messages that failed after every attempt, dead-lettered ones included. */
  readonly failed: number;
  /** Of the failed, those written to the producer's dead-letter topic. */
  readonly deadLettered: number;
  /** Failed messages by error code (`PUBLISH_FAILED`, `RECORD_TOO_LARGE`, ...). */
  readonly failures: Readonly<Record<string, number>>;
  /** Produce batches sent, and the key, value and header bytes they carried. */
  readonly batches: number;
  readonly bytes: number;
  /** From `publish` to the broker's acknowledgement, for acknowledged messages. */
  readonly latency: LatencySnapshot;
  /** Whole publish calls as `metricsProducerMiddleware` times them, by status (`ok` or the error code); empty without it. */
  readonly calls: Readonly<Record<string, LatencySnapshot>>;
  readonly byTopic: Readonly<Record<string, { published: number; failed: number; deadLettered: number }>>;
}

export interface ConsumerMetricsSnapshot {
  /** When counting started (the consumer's creation). */
  readonly since: Date;
  /** Messages finished, whatever the outcome. */
  readonly consumed: number;
  /** Finished messages by outcome (`handled`, `business-error`, `skipped`, `dead-lettered`, `retry-later`, `abandoned`). */
  readonly outcomes: Readonly<Record<MessageOutcome, number>>;
  /** Handler attempts that failed, by error class. */
  readonly failedAttempts: Readonly<Record<ErrorClass, number>>;
  /** Failed attempts followed by a retry (transient, within `maxRetries`). */
  readonly retried: number;
  readonly dlqWriteFailures: number;
  /** Messages that failed for good with no DLQ topic configured. */
  readonly withoutDlq: number;
  /** Records no handler could take (see `unknownEvents`). */
  readonly unknownEvents: number;
  /** Messages behind the high watermark at the last fetched batch: per `topic/partition`, and their sum. */
  readonly lag: { readonly total: number; readonly byPartition: Readonly<Record<string, number>> };
  /** Handler attempts as `metricsConsumerMiddleware` times them, middleware included; count 0 without it. */
  readonly handler: LatencySnapshot;
  readonly byTopic: Readonly<Record<string, Readonly<Partial<Record<MessageOutcome, number>>>>>;
}

/** Receives the durations a metrics middleware measures: `status` is `ok` or the error code / class. */
export type DurationSink = (topic: string, status: string, seconds: number) => void;

const sinks = new WeakMap<object, Set<DurationSink>>();

/**
 * The extra receivers of a metrics middleware's durations (created with the middleware). A
 * producer or consumer that `use`s the middleware adds its tally, so its quick look shows them.
 */
export function durationSinks(middleware: object): Set<DurationSink> {
  let set = sinks.get(middleware);
  if (set === undefined) {
    set = new Set();
    sinks.set(middleware, set);
  }
  return set;
}

/** Adds `sink` when `middleware` is a metrics middleware; does nothing for any other. */
export function addDurationSink(middleware: object, sink: DurationSink): void {
  sinks.get(middleware)?.add(sink);
}

/** Where `printMetrics` writes: the logger (info), or any stream with `write` (process.stdout). */
export type MetricsOutput = Logger | { write(text: string): unknown };

class Latency {
  count = 0;
  sumMs = 0;
  maxMs = 0;

  add(seconds: number): void {
    const ms = seconds * 1000;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  snapshot(): LatencySnapshot {
    return { count: this.count, avgMs: this.count === 0 ? 0 : this.sumMs / this.count, maxMs: this.maxMs };
  }
}

const inc = (counts: Record<string, number>, key: string, by = 1): void => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** Counts what a producer records in its metrics; `metrics` is what it records into, teed. */
export class ProducerTally {
  private readonly since = new Date();
  private published = 0;
  private failed = 0;
  private deadLettered = 0;
  private batches = 0;
  private bytes = 0;
  private readonly failures: Record<string, number> = {};
  private readonly latency = new Latency();
  private readonly calls = new Map<string, Latency>();
  private readonly byTopic = new Map<string, { published: number; failed: number; deadLettered: number }>();

  /** `metrics`, with every call counted here as well. */
  tee(metrics: ProducerMetrics): ProducerMetrics {
    return {
      published: (topic, count) => {
        this.published += count;
        this.topic(topic).published += count;
        metrics.published(topic, count);
      },
      failed: (topic, code, count) => {
        this.failed += count;
        inc(this.failures, code, count);
        this.topic(topic).failed += count;
        metrics.failed(topic, code, count);
      },
      deadLettered: (topic, count) => {
        this.deadLettered += count;
        this.topic(topic).deadLettered += count;
        metrics.deadLettered(topic, count);
      },
      batch: (count, bytes) => {
        this.batches++;
        this.bytes += bytes;
        metrics.batch(count, bytes);
      },
      latency: (topic, seconds) => {
        this.latency.add(seconds);
        metrics.latency(topic, seconds);
      },
      ...(metrics.publishDuration === undefined ? {} : { publishDuration: metrics.publishDuration }),
    };
  }

  /** A publish call timed by the metrics middleware. */
  call(_topic: string, status: string, seconds: number): void {
    let latency = this.calls.get(status);
    if (latency === undefined) {
      latency = new Latency();
      this.calls.set(status, latency);
    }
    latency.add(seconds);
  }

  snapshot(): ProducerMetricsSnapshot {
    return {
      since: this.since,
      published: this.published,
      failed: this.failed,
      deadLettered: this.deadLettered,
      failures: { ...this.failures },
      batches: this.batches,
      bytes: this.bytes,
      latency: this.latency.snapshot(),
      calls: Object.fromEntries([...this.calls].map(([status, l]) => [status, l.snapshot()])),
      byTopic: Object.fromEntries([...this.byTopic].map(([topic, c]) => [topic, { ...c }])),
    };
  }

  private topic(topic: string): { published: number; failed: number; deadLettered: number } {
    let counts = this.byTopic.get(topic);
    if (counts === undefined) {
      counts = { published: 0, failed: 0, deadLettered: 0 };
      this.byTopic.set(topic, counts);
    }
    return counts;
  }
}

const noOutcomes = (): Record<MessageOutcome, number> => ({
  handled: 0,
  "business-error": 0,
  skipped: 0,
  "dead-lettered": 0,
  "retry-later": 0,
  abandoned: 0,
});

/** Counts what a consumer records in its metrics; `maxRetries` tells a retried attempt from the last. */
export class ConsumerTally {
  private readonly since = new Date();
  private readonly outcomes = noOutcomes();
  private readonly failedAttempts: Record<ErrorClass, number> = { transient: 0, permanent: 0, business: 0 };
  private retried = 0;
  private dlqWriteFailures = 0;
  private withoutDlq = 0;
  private unknownEvents = 0;
  private readonly lag = new Map<string, number>();
  private readonly handler = new Latency();
  private readonly byTopic = new Map<string, Partial<Record<MessageOutcome, number>>>();

  constructor(private readonly maxRetries: number) {}

  /** `metrics`, with every call counted here as well. */
  tee(metrics: ConsumerMetrics): ConsumerMetrics {
    return {
      outcome: (topic, outcome, count = 1) => {
        this.outcomes[outcome] += count;
        const counts = this.byTopic.get(topic) ?? {};
        counts[outcome] = (counts[outcome] ?? 0) + count;
        this.byTopic.set(topic, counts);
        metrics.outcome(topic, outcome, count);
      },
      attemptFailed: (topic, errorClass) => {
        this.failedAttempts[errorClass]++;
        metrics.attemptFailed(topic, errorClass);
      },
      dlqWriteFailed: (topic) => {
        this.dlqWriteFailures++;
        metrics.dlqWriteFailed(topic);
      },
      noDlq: (topic, action) => {
        this.withoutDlq++;
        metrics.noDlq(topic, action);
      },
      unknownEvent: (topic, reason, action) => {
        this.unknownEvents++;
        metrics.unknownEvent?.(topic, reason, action);
      },
      handlerDuration: (topic, status, seconds) => {
        this.handled(seconds);
        metrics.handlerDuration(topic, status, seconds);
      },
      lag: (topic, partition, lag) => {
        this.lag.set(`${topic}/${partition}`, lag);
        metrics.lag(topic, partition, lag);
      },
    };
  }

  /** A failed attempt numbered `attempt` (1 = the first) of class `errorClass`: retried when transient and within `maxRetries`. */
  attemptFailed(attempt: number, errorClass: ErrorClass): void {
    if (errorClass === "transient" && attempt <= this.maxRetries) this.retried++;
  }

  /** A handler attempt timed by the metrics middleware. */
  handled(seconds: number): void {
    this.handler.add(seconds);
  }

  snapshot(): ConsumerMetricsSnapshot {
    const outcomes = { ...this.outcomes };
    const lag = Object.fromEntries(this.lag);
    return {
      since: this.since,
      consumed: Object.values(outcomes).reduce((a, b) => a + b, 0),
      outcomes,
      failedAttempts: { ...this.failedAttempts },
      retried: this.retried,
      dlqWriteFailures: this.dlqWriteFailures,
      withoutDlq: this.withoutDlq,
      unknownEvents: this.unknownEvents,
      lag: { total: Object.values(lag).reduce((a, b) => a + b, 0), byPartition: lag },
      handler: this.handler.snapshot(),
      byTopic: Object.fromEntries([...this.byTopic].map(([topic, c]) => [topic, { ...c }])),
    };
  }
}

const ms = (l: LatencySnapshot): string =>
  l.count === 0 ? "n/a" : `avg ${l.avgMs.toFixed(1)}ms max ${l.maxMs.toFixed(1)}ms (${l.count})`;

/** The producer snapshot as one line of text, the Go guide's `PrintMetrics` output in spirit. */
export function formatProducerMetrics(s: ProducerMetricsSnapshot): string {
  const failures = Object.entries(s.failures)
    .map(([code, n]) => `${code}=${n}`)
    .join(" ");
  return (
    `producer metrics: published=${s.published} failed=${s.failed}${failures === "" ? "" : ` (${failures})`} ` +
    `dead-lettered=${s.deadLettered} batches=${s.batches} bytes=${s.bytes} latency ${ms(s.latency)}`
  );
}

/** The consumer snapshot as one line of text. */
export function formatConsumerMetrics(s: ConsumerMetricsSnapshot): string {
  const o = s.outcomes;
  const f = s.failedAttempts;
  return (
    `consumer metrics: consumed=${s.consumed} handled=${o.handled} business-errors=${o["business-error"]} ` +
    `skipped=${o.skipped} dead-lettered=${o["dead-lettered"]} retry-later=${o["retry-later"]} ` +
    `retried=${s.retried} failed-attempts=${f.transient + f.permanent + f.business} ` +
    `(transient=${f.transient} permanent=${f.permanent} business=${f.business}) ` +
    `dlq-write-failures=${s.dlqWriteFailures} lag=${s.lag.total} handler ${ms(s.handler)}`
  );
}

/** Writes `line` (and `snapshot` as fields, for a logger) to `output`. */
export function printTo(output: MetricsOutput, line: string, snapshot: object): void {
  if ("write" in output && typeof output.write === "function") output.write(`${line}\n`);
  else (output as Logger).info({ metrics: snapshot }, line);
}
