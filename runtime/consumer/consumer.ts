/**
 * The consumer: kafkajs `eachBatch` with manual offset resolution.
 *
 * - Per-partition order: a partition's messages are handled one after another; up to
 *   `partitionsConsumedConcurrently` partitions run at once.
 * - An offset is resolved (and so committed) only for a committable outcome (see
 *   `processor.ts`). On `retry-later` the partition is paused and rewound to the message, and
 *   resumed after `retryLaterMs`: nothing at or past it is committed, and it is delivered again.
 * - While a batch is handled the consumer heartbeats every `heartbeatIntervalMs`, so slow
 *   handlers and long backoffs do not cost the group a rebalance.
 * - Fencing: a member that may have lost its partitions (no successful heartbeat for a heartbeat
 *   interval, one answered "rejoin", a newer generation joined) handles no further record of its
 *   fetched batches and resolves no offsets for them until it has confirmed or rejoined
 *   (`membership.ts`): two members never work one partition at once past a handler call.
 * - Shutdown (`stop()` or the `signal` given to `start`): stop taking messages, let in-flight ones
 *   finish within `shutdownTimeoutMs` (then abort their `signal`; they stay uncommitted), commit,
 *   leave the group, close the DLQ producer; `start()` then resolves.
 * - With `offsets: "memory"` nothing is ever committed: the resolved offsets are kept in memory
 *   and sought back to on every group join (`positions.ts`).
 */
import { Kafka } from "kafkajs";
import { connectionFailed } from "../client/connection.ts";
import { kafkajsConfig } from "../client/kafkajs.ts";
import { normalizeStartOffset } from "../config/start-offset.ts";
import type { ConsumerConfig } from "../config/types.ts";
import { validateConsumerConfig, validateConsumerOptions } from "../config/validate.ts";
import type { AnyEventDescriptor, TopicDescriptor } from "../descriptor.ts";
import { type DlqSink, defaultDlqSink } from "../dlq/sink.ts";
import { defaultDlqMaxRecordBytes } from "../dlq/truncate.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { ConsumerErrorCode, type ErrorClass } from "../errors/processing.ts";
import { type ConsumerMetrics, consumerMetrics } from "../observability/consumer-metrics.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import {
  addDurationSink,
  type ConsumerMetricsSnapshot,
  ConsumerTally,
  formatConsumerMetrics,
  type MetricsOutput,
  printTo,
} from "../observability/snapshot.ts";
import { backoffDelay, type Clock, defaultRetryPolicy, type RetryPolicy, systemClock } from "../retry/backoff.ts";
import { type Serde, serdeForConfig } from "../serde/serde.ts";
import { createBatchHandler } from "./batch.ts";
import { serdeDecoder } from "./decode.ts";
import { useSdkFetchDecoder } from "./fetch-hook.ts";
import type { ConsumerApi, ConsumerKafka } from "./kafkajs-api.ts";
import { Membership } from "./membership.ts";
import { MemoryPositions, type OffsetStorage } from "./positions.ts";
import type { ConsumerObserver, ProcessorDeps } from "./processor.ts";
import { type DecodeFn, type RouteResult, Router } from "./router.ts";
import { startError } from "./start-error.ts";
import { type Subscribe, subscription } from "./subscription.ts";
import type {
  ConsumedMessage,
  ConsumerMiddleware,
  EventHandler,
  HandlerContext,
  MessageHandler,
  TopicHandler,
} from "./types.ts";
import {
  type UnknownEventInfo,
  type UnknownEventsOption,
  unknownEventLog,
  unknownEventsPolicy,
} from "./unknown-events.ts";

export interface ConsumerOptions {
  /**
   * Exactly the topics to subscribe to; a registered handler then adds none. Set it when events
   * are published to other topics than their descriptors name (a replay topic), or to read a
   * subset. Not together with `subscribe`.
   */
  readonly topics?: readonly string[];
  /**
   * Which topics to subscribe to when `topics` is not given. `config-and-handlers` (default):
   * `config.topic` plus the topic of every registered descriptor (`on`, the generated `onXxx`,
   * `onTopic`). `config-topic`: `config.topic` only - handlers are registered without
   * subscribing, and handle their events when those arrive on `config.topic` (a replay or test
   * consumer that reads one topic with the service's handlers). Either way the consumer logs, at
   * start, what it subscribed to and which event types it handles on each topic.
   */
  readonly subscribe?: Subscribe;
  /** Backoff between retries of transient failures; `maxRetries` comes from the config. */
  readonly retry?: Partial<Omit<RetryPolicy, "maxRetries">>;
  /** Class of errors no rule recognises. Default `permanent` (dead-lettered), as in the Go package. */
  readonly unclassified?: ErrorClass;
  /**
   * Records no handler can take, when no untyped `handle()` handler is set. Two cases:
   * `untyped` - no `event-type` header, and the topic carries several registered events (or none)
   * and neither `schema-fingerprint` nor a Confluent schema id says which (a topic with one
   * registered event routes such records to it); `unhandled` - an `event-type` nobody registered.
   * Actions: `dead-letter` (reason `UNKNOWN_EVENT_TYPE` / `NO_HANDLER`, bytes kept for replay),
   * `skip` (committed) or `retry-later` (the partition is held, uncommitted, until a consumer that
   * knows the event takes over). One action for both, or `{ untyped, unhandled }`. Default
   * `{ untyped: "dead-letter", unhandled: "skip" }`: an untyped record may be one of this
   * service's events and is never dropped; an event type nobody registered belongs to another
   * service on a shared topic. Every occurrence counts
   * `skeji_kafka_consumer_unknown_events_total{reason,action}` and is logged (at most one line
   * per topic and case a minute).
   */
  readonly unknownEvents?: UnknownEventsOption;
  /**
   * Records written with a version newer than the generated code knows (and no registry to supply
   * it, `UNKNOWN_VERSION`): `dead-letter` (default; bytes kept for replay) or `retry-later` (hold
   * the partition until a consumer that knows the version takes over).
   */
  readonly unknownVersions?: "dead-letter" | "retry-later";
  /**
   * A message that failed for good (permanent, or transient with retries exhausted) when no DLQ
   * topic is configured (config `dlqTopic` / `KAFKA_CONSUMER_DLQ_TOPIC`, the event's or the
   * topic's descriptor): `hold` (default) keeps the partition on the message and retries it later,
   * like a failed DLQ write, so nothing is dropped; `skip` commits it. Both log an error and count
   * `skeji_kafka_consumer_no_dlq_total{action}`.
   */
  readonly withoutDlq?: "hold" | "skip";
  /**
   * Where the group's position is kept. `commit` (default): the offsets of finished messages are
   * committed to the group (every `commitIntervalMs`, at the end of a batch, on shutdown), and a
   * member that joins resumes at them. `memory`: nothing is ever committed - not during a batch,
   * not on shutdown - and the consumer remembers, per partition, the offset after the last message
   * it finished; when its member joins the group again (evicted after a stall or a lost
   * connection, or restarted by kafkajs) each assigned partition it has a position for resumes
   * there. A partition it has no position for (every partition of a new process) starts at the
   * config's `startOffset`. For a process-private group whose position is worthless once the
   * process is gone (the requester's reply group): a dead process leaves a group without offsets,
   * which the broker soon deletes. With several members in the group, a partition handed to
   * another member resumes at that member's memory or at `startOffset`, not where this one was.
   * One commit remains that kafkajs makes by itself: when a remembered position has fallen out of
   * the log (its records deleted by retention), it commits the reset to `startOffset`.
   */
  readonly offsets?: OffsetStorage;
  /** Partitions handled at once (each in order). Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Time limit of one handler attempt (middleware included). Past it the attempt fails with a
   * transient HANDLER_TIMEOUT (retried, then dead-lettered) and its `signal` aborts; the handler
   * itself cannot be stopped, so it should honour the signal. Per-partition order holds: the retry
   * or the next message starts only once the timed-out attempt has settled (or the shutdown grace
   * period is over). Default: no limit.
   */
  readonly handlerTimeoutMs?: number;
  /** Grace period for in-flight handlers on shutdown. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  /** How long a partition stays paused after a failed DLQ write (jittered, doubling up to 60 s). Default 5 s. */
  readonly retryLaterMs?: number;
  /** Where dead letters go; default a dedicated acks=all producer on the same cluster. */
  readonly dlq?: DlqSink;
  /**
   * The largest dead-letter record (key, value, headers, record overhead) written whole, in
   * bytes. A larger one - or one the DLQ topic refuses as too large all the same - is written
   * truncated, with a `dlq-truncated` header, instead of holding its partition forever. Default
   * 1 MiB, what a topic accepts by default (`max.message.bytes`); set it to the DLQ topic's limit.
   */
  readonly dlqMaxRecordBytes?: number;
  /** Decodes values into reader-typed payloads; default the runtime's wire-format decoder. */
  readonly decode?: DecodeFn;
  readonly logger?: Logger;
  readonly observer?: ConsumerObserver & {
    onGroupJoin?(info: {
      memberId: string;
      leaderId: string;
      isLeader: boolean;
      assignment: Record<string, number[]>;
    }): void;
  };
  /** Outcome counters and lag; default the metrics in prom-client's default registry. */
  readonly metrics?: ConsumerMetrics;
  /**
   * Share an existing kafkajs instance instead of creating one from the config; or the in-memory
   * broker of `@skeji/kafka/testing` (anything with the kafkajs API of `kafkajs-api.ts`).
   */
  readonly kafka?: ConsumerKafka;
  /** Injectable for tests. */
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** The consumer as application code sees it. Registration methods return the consumer for chaining. */
export interface Consumer {
  readonly groupId: string;
  /** Handles one event type with its typed payload (generated `onXxx` functions call this). */
  on<D extends AnyEventDescriptor>(descriptor: D, handler: EventHandler<D>): Consumer;
  /** Handles every event of a topic as a discriminated union; `on` handlers take precedence. */
  onTopic<TD extends TopicDescriptor>(topic: TD, handler: TopicHandler<TD>): Consumer;
  /** The Go guide's untyped handler, for messages no typed handler claims. */
  handle(handler: MessageHandler): Consumer;
  /** Adds middleware; the first added is the outermost. */
  use(middleware: ConsumerMiddleware): Consumer;
  /**
   * Connects, joins the group and consumes until `stop()` or `signal`; resolves once shut down.
   * Rejects with CONSUMER_START_FAILED when it cannot start - among others when no handler is
   * registered or there is no topic to read - and with CONSUMER_ALREADY_STARTED when called twice.
   */
  start(signal?: AbortSignal): Promise<void>;
  /**
   * Resolves once the consumer has joined its group and fetched; rejects if it stops or fails
   * first. Call it after `start()` (`const running = consumer.start(); await consumer.ready();`):
   * before `start()` it rejects at once with CONSUMER_NOT_STARTED instead of waiting for a start
   * that may never come.
   */
  ready(): Promise<void>;
  /** Graceful shutdown; resolves when done (also what `start()` waits for). */
  stop(): Promise<void>;
  /**
   * The Go guide's `GetMetrics()`: this consumer's counts (outcomes, failed and retried attempts,
   * DLQ write failures), lag and handler durations since its creation, as a plain object (the
   * prom-client metrics record the same events, for scraping).
   */
  getMetrics(): ConsumerMetricsSnapshot;
  /** The Go guide's `PrintMetrics()`: the snapshot as one line, to `output` (default: the consumer's logger, at info). */
  printMetrics(output?: MetricsOutput): void;
}

/** Creates a consumer; nothing connects until `start()`. Throws INVALID_CONFIG naming each bad option of `config`. */
export function createConsumer(config: ConsumerConfig, options: ConsumerOptions = {}): Consumer {
  return new SkejiConsumer(config, options);
}

/**
 * The kafkajs client of a consumer that was given none: its fetched records are read by the SDK's
 * decoder (fetch-hook.ts) unless `fetchDecoder` is `kafkajs`. A client given as `options.kafka`
 * is the caller's, and keeps kafkajs's decoder.
 */
export function consumerKafka(config: ConsumerConfig, logger: Logger): Kafka {
  const kafkaConfig = kafkajsConfig(config, logger);
  if (config.fetchDecoder !== "kafkajs" && kafkaConfig.socketFactory !== undefined) {
    if (!useSdkFetchDecoder(kafkaConfig.socketFactory)) {
      logger.debug(
        { fetchDecoder: "kafkajs" },
        "fetched records are decoded by kafkajs: the installed kafkajs is not the release the SDK's decoder was proven on",
      );
    }
  }
  return new Kafka(kafkaConfig);
}

class SkejiConsumer implements Consumer {
  readonly groupId: string;
  private readonly logger: Logger;
  private readonly kafka: ConsumerKafka;
  private readonly router: Router;
  /** The decoder's serde, when this consumer made it: closed on stop (the schema topic's connections). */
  private readonly ownSerde: Serde | undefined;
  private readonly middleware: ConsumerMiddleware[] = [];
  private readonly dlq: DlqSink;
  private readonly abort = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private consumer: ConsumerApi | undefined;
  private stopping: Promise<void> | undefined;
  private startup: Promise<void> | undefined;
  private started = false;
  private readonly joined: Promise<void>;
  private markJoined: () => void = () => {};
  private joinFailed: (e: unknown) => void = () => {};
  private finished: () => void = () => {};
  private failed: (e: unknown) => void = () => {};
  private crash: unknown;
  private removeAbortListener: () => void = () => {};
  private retryLaterCount = new Map<string, number>();
  /** Counts what the metrics record, for `getMetrics()`. */
  private readonly tally: ConsumerTally;
  private teed: ConsumerMetrics | undefined;
  private seeks = 0;

  constructor(
    private readonly config: ConsumerConfig,
    private readonly options: ConsumerOptions,
  ) {
    validateConsumerConfig(config);
    validateConsumerOptions(options);
    // -1/-2 (kafka-go's LastOffset/FirstOffset) set in code: from here on, the word.
    this.config = { ...config, startOffset: normalizeStartOffset(config.startOffset) };
    this.groupId = config.groupId;
    this.tally = new ConsumerTally(config.maxRetries);
    this.logger = (options.logger ?? defaultLogger()).child({ component: "consumer", groupId: config.groupId });
    this.kafka = options.kafka ?? consumerKafka(this.config, this.logger);
    this.ownSerde = options.decode === undefined ? serdeForConfig(config, this.logger) : undefined;
    this.router = new Router(
      options.decode ?? serdeDecoder(this.ownSerde as Serde),
      unknownEventsPolicy(options.unknownEvents),
      this.unknownEventReporter(),
    );
    this.dlq = options.dlq ?? defaultDlqSink(config, this.logger);
    this.joined = new Promise((resolve, reject) => {
      this.markJoined = resolve;
      this.joinFailed = reject;
    });
    this.joined.catch(() => {});
  }

  /** Counts, logs (rate-limited) and reports each record the `unknownEvents` policy decides. */
  private unknownEventReporter(): (info: UnknownEventInfo) => void {
    const clock = this.options.clock ?? systemClock;
    const log = unknownEventLog(this.logger, () => clock.now());
    return (info) => {
      this.metrics().unknownEvent?.(info.message.topic, info.reason, info.action);
      log(info);
      this.options.observer?.onUnknownEvent?.(info);
    };
  }

  on<D extends AnyEventDescriptor>(descriptor: D, handler: EventHandler<D>): Consumer {
    this.assertNotStarted();
    this.router.addEvent(descriptor, handler);
    return this;
  }

  onTopic<TD extends TopicDescriptor>(topic: TD, handler: TopicHandler<TD>): Consumer {
    this.assertNotStarted();
    this.router.addTopic(topic, handler as never);
    return this;
  }

  handle(handler: MessageHandler): Consumer {
    this.assertNotStarted();
    this.router.setGeneric(handler);
    return this;
  }

  use(middleware: ConsumerMiddleware): Consumer {
    this.assertNotStarted();
    this.middleware.push(middleware);
    addDurationSink(middleware, (_topic, _status, seconds) => this.tally.handled(seconds));
    return this;
  }

  getMetrics(): ConsumerMetricsSnapshot {
    return this.tally.snapshot();
  }

  printMetrics(output: MetricsOutput = this.logger): void {
    const snapshot = this.tally.snapshot();
    printTo(output, formatConsumerMetrics(snapshot), snapshot);
  }

  /** The metrics everything records into (prom-client's default registry unless given), counted for `getMetrics()`. */
  private metrics(): ConsumerMetrics {
    this.teed ??= this.tally.tee(this.options.metrics ?? consumerMetrics());
    return this.teed;
  }

  ready(): Promise<void> {
    if (!this.started && this.stopping === undefined) {
      return Promise.reject(
        new SkejiError(
          ConsumerErrorCode.CONSUMER_NOT_STARTED,
          `ready() was called before start() on consumer group ${this.groupId}: call start() first (it runs until stop()), then await ready()`,
        ),
      );
    }
    return this.joined;
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.started) throw this.alreadyStarted();
    this.started = true;
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    if (signal?.aborted || this.stopping !== undefined) {
      this.joinFailed(closedError());
      return;
    }
    if (signal !== undefined) {
      const onAbort = (): void => void this.stop();
      signal.addEventListener("abort", onAbort, { once: true });
      this.removeAbortListener = () => signal.removeEventListener("abort", onAbort);
    }
    const subscribed = subscription({
      configTopic: this.config.topic,
      startOffset: this.config.startOffset,
      topics: this.options.topics,
      subscribe: this.options.subscribe,
      handled: this.router.handledTypes(),
      untyped: this.router.hasGeneric(),
    });
    const topics = subscribed.topics;
    const consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      sessionTimeout: this.config.sessionTimeoutMs,
      rebalanceTimeout: this.config.rebalanceTimeoutMs,
      heartbeatInterval: this.config.heartbeatIntervalMs,
      minBytes: this.config.minBytes,
      maxBytes: this.config.maxBytes,
      maxWaitTimeInMs: this.config.maxWaitMs,
      // kafkajs's default (true) lets a broker with auto.create.topics.enable create a missing topic.
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    const positions = this.options.offsets === "memory" ? new MemoryPositions() : undefined;
    let joinedOnce = false;
    const membership = new Membership(this.config.heartbeatIntervalMs);
    consumer.on(consumer.events.HEARTBEAT, () => membership.heartbeatSucceeded());
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      membership.joined();
      // Applied by kafkajs before each partition's next fetch; a batch still running from the
      // previous generation sees the seek (the counter changes) and lets go.
      for (const seek of positions?.seeksFor(e.payload.memberAssignment) ?? []) {
        this.seeks++;
        consumer.seek(seek);
      }
      this.options.observer?.onGroupJoin?.({
        memberId: e.payload.memberId,
        leaderId: e.payload.leaderId,
        isLeader: e.payload.isLeader,
        assignment: e.payload.memberAssignment,
      });
      joinedOnce = true;
    });
    // Ready once a fetch has completed after joining: the start offsets are resolved by then, so
    // a record produced after ready() resolves is seen (request-response depends on this).
    consumer.on(consumer.events.FETCH, () => {
      if (joinedOnce) this.markJoined();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) return;
      this.logger.error({ err: e.payload.error.message }, "consumer crashed and will not restart");
      this.crash = e.payload.error;
      void this.stop();
    });
    const process = this.processorDeps();
    const metrics = this.metrics();
    const eachBatch = createBatchHandler({
      processor: process,
      metrics,
      signal: this.abort.signal,
      isStopping: () => this.stopping !== undefined,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      commitIntervalMs: this.config.commitIntervalMs,
      retryLater: (message, pause) => this.retryLater(message, pause),
      progressed: (topic, partition) => this.retryLaterCount.delete(`${topic}:${partition}`),
      seeks: () => this.seeks,
      membership,
    });
    this.startup = (async () => {
      // Nothing to do is a mistake in the program: said before anything connects.
      if (!this.router.hasGeneric() && this.router.handledTypes().size === 0) throw noHandlers();
      if (topics.length === 0) throw nothingToSubscribe(this.options);
      await consumer.connect().catch((e: unknown) => {
        throw connectionFailed(this.config.brokers, e);
      });
      await consumer.subscribe({ topics: [...topics], fromBeginning: this.config.startOffset === "oldest" });
      this.logger.info(subscribed.fields, subscribed.message);
      if (this.stopping === undefined)
        await consumer.run({
          // Without auto-commit and with neither interval nor threshold, kafkajs commits nothing
          // after a batch, on a rebalance or on disconnect (see `offsets` for its one exception).
          ...(positions === undefined
            ? { autoCommit: true, autoCommitInterval: this.config.commitIntervalMs, eachBatch }
            : {
                autoCommit: false,
                autoCommitInterval: null,
                autoCommitThreshold: null,
                eachBatch: positions.wrap(eachBatch),
              }),
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        });
    })();
    try {
      await this.startup;
    } catch (e) {
      // Leave nothing behind: disconnect the kafkajs consumer, close the DLQ sink, drop the
      // abort listener (the shutdown path does all three), then reject with an error that says
      // which group and topics failed.
      const error = await startError(this.kafka, this.groupId, topics, e);
      this.joinFailed(error);
      done.catch(() => {});
      this.crash ??= error;
      await this.stop();
      throw error;
    }
    return done;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const graceMs = this.options.shutdownTimeoutMs ?? 30_000;
    const grace = setTimeout(() => this.abort.abort(), graceMs);
    let giveUp: NodeJS.Timeout | undefined;
    try {
      await this.startup?.catch(() => {});
      for (const t of this.timers) clearTimeout(t);
      // kafkajs waits for the running batches (which stop after their current message), commits
      // the resolved offsets and leaves the group. If the cluster cannot be reached, leaving could
      // take forever: after the grace period plus the session timeout, give up (the broker evicts
      // the member by itself; nothing uncommitted is lost).
      const disconnected = this.consumer?.disconnect();
      const timedOut = new Promise<"timeout">((resolve) => {
        giveUp = setTimeout(() => resolve("timeout"), graceMs + this.config.sessionTimeoutMs);
      });
      if ((await Promise.race([disconnected, timedOut])) === "timeout") {
        this.logger.warn({}, "could not leave the group in time; the broker will evict this member");
      }
    } catch (e) {
      this.logger.warn({ err: String(e) }, "error while leaving the group");
    } finally {
      clearTimeout(grace);
      clearTimeout(giveUp);
      this.removeAbortListener();
      this.abort.abort();
      await this.dlq.close().catch((e: unknown) => this.logger.warn({ err: String(e) }, "error closing DLQ producer"));
      await this.ownSerde
        ?.close()
        .catch((e: unknown) => this.logger.warn({ err: String(e) }, "error closing schema topic"));
      this.joinFailed(closedError());
      if (this.crash === undefined) this.finished();
      else this.failed(this.crash);
    }
  }

  private retryLater(message: ConsumedMessage, pause: () => () => void): void {
    const key = `${message.topic}:${message.partition}`;
    const n = (this.retryLaterCount.get(key) ?? 0) + 1;
    this.retryLaterCount.set(key, n);
    const base = this.options.retryLaterMs ?? 5_000;
    const delay = backoffDelay(
      { maxRetries: 0, initialDelayMs: base, maxDelayMs: Math.max(base, 60_000), multiplier: 2, jitter: 0.2 },
      n,
      this.options.random,
    );
    const resume = pause();
    this.seeks++;
    this.consumer?.seek({ topic: message.topic, partition: message.partition, offset: message.offset });
    this.logger.warn(
      { topic: message.topic, partition: message.partition, offset: message.offset, delayMs: delay },
      "partition paused; message will be retried",
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping === undefined) resume();
    }, delay);
    this.timers.add(timer);
  }

  private processorDeps(): ProcessorDeps {
    const o = this.options;
    const chain = this.composeChain();
    return {
      groupId: this.groupId,
      ...chain,
      policy: { ...defaultRetryPolicy, ...o.retry, maxRetries: this.config.maxRetries },
      unclassified: o.unclassified ?? "permanent",
      dlq: {
        sink: this.dlq,
        topicFor: (topic) => this.config.dlqTopic ?? this.router.dlqTopicOf(topic),
        maxRecordBytes: o.dlqMaxRecordBytes ?? defaultDlqMaxRecordBytes,
      },
      withoutDlq: o.withoutDlq ?? "hold",
      clock: o.clock ?? systemClock,
      random: o.random ?? Math.random,
      heartbeatEveryMs: this.config.heartbeatIntervalMs,
      handlerTimeoutMs: o.handlerTimeoutMs,
      holdUnknownVersions: o.unknownVersions === "retry-later",
      logger: this.logger,
      observer: withMetrics(this.metrics(), o.observer ?? {}, this.tally),
    };
  }

  /**
   * Middleware around routing, composed once. Whether the router skipped the message is carried
   * past the middleware in a WeakSet keyed by the message (middleware returns nothing). Without
   * middleware the router is called directly; with it, `next` hands middleware an already
   * settled promise when routing was synchronous, and the chain's result is the middleware's own
   * promise: no promise of ours per message.
   */
  private composeChain(): Pick<ProcessorDeps, "run" | "wasSkipped"> {
    const router = this.router;
    const skipped = new WeakSet<ConsumedMessage>();
    const wasSkipped = (m: ConsumedMessage): boolean => skipped.has(m);
    if (this.middleware.length === 0) return { run: (ctx, message) => router.route(ctx, message), wasSkipped };
    const note = (r: RouteResult, m: ConsumedMessage): void => {
      if (r === "skipped") skipped.add(m);
    };
    const inner = (c: HandlerContext, m: ConsumedMessage): Promise<void> => {
      let r: RouteResult | Promise<RouteResult>;
      try {
        r = router.route(c, m);
      } catch (e) {
        return Promise.reject(e);
      }
      if (typeof r !== "string") return r.then((v) => note(v, m));
      note(r, m);
      return settled;
    };
    const call = this.middleware.reduceRight<(c: HandlerContext, m: ConsumedMessage) => Promise<void>>(
      (next, mw) => (c, m) => mw(c, m, next),
      inner,
    );
    return {
      run: (ctx, message) => {
        const done: unknown = call(ctx, message);
        if (done instanceof Promise) return done as Promise<undefined>;
        if (isThenable(done)) return Promise.resolve(done).then(() => undefined);
        return wasSkipped(message) ? "skipped" : "handled";
      },
      wasSkipped,
    };
  }

  private alreadyStarted(): SkejiError {
    const state =
      this.stopping !== undefined
        ? "has stopped; create a new consumer to consume again"
        : "is starting or running; await ready() to know when it consumes, stop() to end it";
    return new SkejiError(
      ConsumerErrorCode.CONSUMER_ALREADY_STARTED,
      `start() was already called on consumer group ${this.groupId}, which ${state} (a consumer starts once)`,
    );
  }

  private assertNotStarted(): void {
    if (this.started) {
      throw new SkejiError(ConsumerErrorCode.CONSUMER_CLOSED, "handlers and middleware must be added before start()");
    }
  }
}

/** Records failures in `metrics`, then tells `observer` (outcomes are counted per batch). */
function withMetrics(metrics: ConsumerMetrics, observer: ConsumerObserver, tally: ConsumerTally): ConsumerObserver {
  const onOutcome = observer.onOutcome;
  return {
    ...(onOutcome === undefined ? {} : { onOutcome: (info) => onOutcome.call(observer, info) }),
    onAttemptFailed(info) {
      metrics.attemptFailed(info.message.topic, info.errorClass);
      tally.attemptFailed(info.attempt, info.errorClass);
      observer.onAttemptFailed?.(info);
    },
    onDlqWriteFailed(info) {
      metrics.dlqWriteFailed(info.message.topic);
      observer.onDlqWriteFailed?.(info);
    },
    onNoDlq(info) {
      metrics.noDlq(info.message.topic, info.action);
      observer.onNoDlq?.(info);
    },
  };
}

const settled: Promise<void> = Promise.resolve();
const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";

const nothingToSubscribe = (options: ConsumerOptions): SkejiError =>
  new SkejiError(
    ErrorCode.INVALID_CONFIG,
    options.topics !== undefined
      ? 'invalid option "topics": expected at least one topic, got []'
      : options.subscribe === "config-topic"
        ? 'invalid option "subscribe": "config-topic" needs the config\'s topic, which is empty'
        : "nothing to subscribe to: the config names no topic and no handler is registered",
  );

const noHandlers = (): SkejiError =>
  new SkejiError(
    ErrorCode.INVALID_CONFIG,
    "no handler is registered: add one with on(), a generated onXxx(), onTopic() or handle() before start() (without one, every record would go to the unknownEvents policy, skipped or dead-lettered)",
  );

const closedError = (): SkejiError => new SkejiError(ConsumerErrorCode.CONSUMER_CLOSED, "the consumer was stopped");
