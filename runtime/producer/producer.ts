/**
 * The producer: typed events and plain messages in, batched produce requests
 * out. Every publish runs the middleware onion, is encoded (typed events are
 * validated first: nothing invalid is ever sent), waits in the batcher, and
 * settles with its own partition and offset, or with a typed error after the
 * client's retries (and the dead-letter topic, if configured).
 */
import { createClient } from "../client/transport.ts";
import type { KafkaClient, OutgoingRecord, ProducerClient, RecordAck } from "../client/types.ts";
import { defaultMaxMessageBytes } from "../config/env.ts";
import { defaultOptionalHeaders, type ProducerConfig } from "../config/types.ts";
import { validateProducerConfig } from "../config/validate.ts";
import type { AnyEventDescriptor, InitOf, PartitionerName, TopicDescriptor } from "../descriptor.ts";
import { fitDeadLetter, isTooLarge, writeFitted } from "../dlq/truncate.ts";
import { ErrorCode, isSkejiError, SkejiError } from "../errors/base.ts";
import { errorMessage } from "../errors/classify.ts";
import { newEventId } from "../message/event-id.ts";
import { formatSchemaVersion, HeaderName, rfc3339 } from "../message/headers.ts";
import { type Message, withStandardHeaders } from "../message/message.ts";
import { composeProducerMiddleware } from "../middleware/producer.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { type ProducerMetrics, producerMetrics } from "../observability/metrics.ts";
import {
  addDurationSink,
  formatProducerMetrics,
  type MetricsOutput,
  type ProducerMetricsSnapshot,
  ProducerTally,
  printTo,
} from "../observability/snapshot.ts";
import { type Serde, serdeForConfig } from "../serde/serde.ts";
import type { EncodedValue, EventEncoder, EventSerde } from "../serde/types.ts";
import { Batcher, type ReadyItem } from "./batcher.ts";
import { controlProblem, handOver, live, type PublishControl, PublishDeadline } from "./deadline.ts";
import { producerDlqRecord } from "./dlq.ts";
import {
  keyFromPayload,
  messageValueBytes,
  outgoingHeaders,
  recordFramingBytes,
  schemaHeaderFilter,
  wireBytes,
} from "./encode.ts";
import { closedError, invalidTopicError, payloadError, toPublishFailure, toSkejiError } from "./errors.ts";
import { Pending, withHeaders } from "./pending.ts";
import type {
  Producer,
  ProducerMiddleware,
  PublishContext,
  PublishNext,
  PublishOptions,
  PublishResult,
} from "./types.ts";

export interface ProducerOptions {
  readonly logger?: Logger | undefined;
  readonly metrics?: ProducerMetrics | undefined;
  /**
   * Failures no caller sees otherwise: in async mode, every delivery failure (the publish had
   * already resolved). A publish that rejects - an invalid payload, a closed producer - is
   * reported by its promise only, never here as well. In sync mode every failed publish is passed
   * here too, for visibility, besides rejecting its promise.
   */
  readonly onError?: ((error: SkejiError, ctx: Readonly<PublishContext>) => void) | undefined;
  /** The Kafka client; the adapter of `config.transport` (kafkajs by default) unless given. */
  readonly client?: KafkaClient | undefined;
  /** Encoders for typed events; the default handles every wire format of `config`. */
  readonly serde?: EventSerde | undefined;
  /**
   * The topics this producer writes, as generated (`allTopics`). A typed event already brings its
   * topic's partitioner; listed here, a topic's partitioner also applies to plain messages sent to
   * it (and wins over an event's for a publish there), and a `partitioner` in the config that
   * overrides it is reported once, at creation.
   */
  readonly topics?: readonly TopicDescriptor[] | undefined;
}

/**
 * Creates a producer. It connects on first publish (or `connect()`), so creation never blocks.
 * Throws INVALID_CONFIG naming each bad option of `config`.
 */
export function createProducer(config: ProducerConfig, options: ProducerOptions = {}): Producer {
  return new KafkaProducer(config, options);
}

class KafkaProducer implements Producer {
  readonly config: ProducerConfig;
  private readonly client: ProducerClient;
  private readonly batcher: Batcher;
  private readonly logger: Logger;
  private readonly metrics: ProducerMetrics;
  /** Counts what `metrics` records, for `getMetrics()`. */
  private readonly tally = new ProducerTally();
  private readonly middleware: ProducerMiddleware[] = [];
  private chain: PublishNext;
  private readonly serde: EventSerde;
  /** The serde this producer created (and closes), when none was given. */
  private readonly ownSerde: Serde | undefined;
  /** Writer schemas being made available before a first publish (see `EventEncoder.prepare`). */
  private readonly preparing = new Set<Promise<void>>();
  private connecting: Promise<void> | undefined;
  private connectTried = false;
  private closed = false;
  /** False with acks=0: the broker does not answer. */
  private readonly acknowledges: boolean;
  /** Publishes whose key field is missing: the error, raised at the end of the middleware chain. */
  private readonly keyErrors = new WeakMap<PublishContext, unknown>();
  /** Publishes with a signal or timeout, by their context's `signal`. */
  private readonly deadlines = new WeakMap<AbortSignal, PublishDeadline>();
  /** Topic names already published to: checked once (see `invalidTopicError`). */
  private readonly validTopics = new Set<string>();
  /** The partitioner of each topic given in `options.topics`. */
  private readonly topicPartitioners = new Map<string, PartitionerName>();
  /** Topics whose manifest partitioner the configured one overrides, once reported. */
  private readonly overridden = new Set<string>();
  /** `retry-count` of a first attempt: `"0"`, or undefined when it is left out (`optionalHeaders`). */
  private readonly firstRetryCount: string | undefined;
  /** The encoders' schema headers this producer writes (`optionalHeaders`). */
  private readonly schemaHeaders: ReturnType<typeof schemaHeaderFilter>;
  /** `reported`, bound once: the failure report of a publish run without middleware. */
  private readonly reportFailure = (ctx: PublishContext, error: unknown): SkejiError => this.reported(ctx, error);

  constructor(
    config: ProducerConfig,
    private readonly options: ProducerOptions,
  ) {
    validateProducerConfig(config);
    this.config = config;
    this.acknowledges = config.requiredAcks !== 0;
    const optional = config.optionalHeaders ?? defaultOptionalHeaders;
    this.firstRetryCount = optional.includes(HeaderName.retryCount) ? "0" : undefined;
    this.schemaHeaders = schemaHeaderFilter(optional);
    this.logger = (options.logger ?? defaultLogger()).child({ component: "producer" });
    this.metrics = options.metrics ?? producerMetrics();
    const client = options.client ?? createClient(config, { logger: options.logger });
    this.client = client.producer({
      requiredAcks: config.requiredAcks,
      idempotent: config.idempotent,
      compression: config.compression,
      maxAttempts: config.maxAttempts,
      allowAutoTopicCreation: config.allowAutoTopicCreation,
      requestTimeoutMs: config.requestTimeoutMs,
      partitioner: config.partitioner,
    });
    this.batcher = new Batcher((items) => this.sendBatch(items), {
      lingerMs: config.batchTimeoutMs,
      maxCount: config.batchSize,
      maxBytes: config.batchBytes,
    });
    this.ownSerde = options.serde === undefined ? serdeForConfig(config, this.logger) : undefined;
    this.serde = options.serde ?? (this.ownSerde as Serde);
    this.chain = this.compose();
    for (const t of options.topics ?? []) {
      if (t.partitioner !== undefined) this.topicPartitioners.set(t.topic, t.partitioner);
    }
    this.reportOverrides([...this.topicPartitioners]);
    // Everything recorded is counted for getMetrics() as well.
    this.metrics = this.tally.tee(this.metrics);
  }

  use(middleware: ProducerMiddleware): this {
    this.middleware.push(middleware);
    addDurationSink(middleware, (topic, status, seconds) => this.tally.call(topic, status, seconds));
    this.chain = this.compose();
    return this;
  }

  connect(): Promise<void> {
    this.connectTried = true;
    this.connecting ??= this.client.connect().catch((error: unknown) => {
      this.connecting = undefined;
      // The reason (refused, authentication failed, certificate not trusted...) belongs in the
      // message: it is what the operator acts on. kafkajs's texts carry no credentials.
      throw new SkejiError(
        ErrorCode.CONNECTION_FAILED,
        `cannot connect to Kafka at ${this.config.brokers.join(",")}: ${errorMessage(error)}`,
        { cause: error },
      );
    });
    return this.connecting;
  }

  publishEvent<D extends AnyEventDescriptor>(
    descriptor: D,
    init: InitOf<D>,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    if (this.closed) return Promise.reject(closedError());
    const extra = options.headers;
    // One literal in a fixed shape (this is the hot path); the caller's headers are added after,
    // except the ones the standard headers own.
    const headers: Record<string, string> = {
      "event-id": options.eventId ?? extra?.[HeaderName.eventId] ?? newEventId(),
      "event-type": descriptor.type,
      "schema-version": schemaVersionOf(descriptor),
      timestamp: rfc3339(options.timestamp ?? Date.now()),
    };
    const retryCount = extra?.[HeaderName.retryCount] ?? this.firstRetryCount;
    if (retryCount !== undefined) headers[HeaderName.retryCount] = retryCount;
    if (extra !== undefined) {
      for (const name of Object.keys(extra)) {
        const value = extra[name];
        // The schema headers are the encoder's, also when this producer leaves them out.
        if (headers[name] === undefined && value !== undefined && !schemaHeaderNames.has(name)) headers[name] = value;
      }
    }
    if (headers[HeaderName.schemaVersion] === "") delete headers[HeaderName.schemaVersion]; // no versions at all
    const source = options.source ?? this.config.source;
    if (source !== undefined) headers[HeaderName.source] = source;
    if (options.correlationId !== undefined) headers[HeaderName.correlationId] = options.correlationId;
    if (options.conversationId !== undefined) headers[HeaderName.conversationId] = options.conversationId;
    let key: string | Uint8Array | undefined = options.key;
    let keyError: unknown;
    if (key === undefined) {
      try {
        key = keyFromPayload(descriptor, init);
      } catch (error) {
        keyError = error; // raised inside the chain, so middleware sees it (or supplies a key)
      }
    }
    const topic = options.topic ?? descriptor.topic;
    const deadline = this.deadlineOf(options, topic, headers);
    const ctx: PublishContext = {
      topic,
      key,
      value: init,
      headers,
      partition: options.partition,
      descriptor,
      signal: deadline?.controller.signal,
    };
    if (keyError !== undefined) this.keyErrors.set(ctx, keyError);
    return deadline === undefined ? this.run(ctx) : this.runBounded(ctx, deadline, options);
  }

  publish(message: Message, control: PublishControl = {}): Promise<PublishResult> {
    if (this.closed) return Promise.reject(closedError());
    const raw = message.rawHeaders;
    // With raw headers the record is forwarded as it was: nothing filled in.
    const headers: Record<string, string> =
      raw === undefined ? { ...withStandardHeaders(message.headers) } : { ...message.headers };
    if (raw === undefined && headers[HeaderName.source] === undefined && this.config.source !== undefined) {
      headers[HeaderName.source] = this.config.source;
    }
    const topic = message.topic ?? this.config.topic;
    const deadline = this.deadlineOf(control, topic, headers);
    const ctx: PublishContext = {
      topic,
      key: message.key,
      value: message.value,
      headers,
      partition: message.partition,
      descriptor: undefined,
      rawHeaders: raw === undefined ? undefined : outgoingHeaders(raw),
      signal: deadline?.controller.signal,
    };
    return deadline === undefined ? this.run(ctx) : this.runBounded(ctx, deadline, control);
  }

  async publishBatch(messages: readonly Message[], control?: PublishControl): Promise<PublishResult[]> {
    const settled = await Promise.allSettled(messages.map((m) => this.publish(m, control)));
    const failures = settled.flatMap((s, index) => (s.status === "rejected" ? [{ index, error: s.reason }] : []));
    if (failures.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<PublishResult>).value);
    const first = failures[0]?.error;
    throw new SkejiError(
      ErrorCode.PUBLISH_FAILED,
      `${failures.length} of ${messages.length} messages failed to publish; first: ${first instanceof Error ? first.message : String(first)}`,
      { cause: first, details: { failed: failures.map((f) => f.index), results: settled } },
    );
  }

  async flush(): Promise<void> {
    await this.batcher.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Publishes accepted before close that wait for their schema to be published are queued
    // when it is (their continuation runs before this one), then flushed with the rest.
    while (this.preparing.size > 0) await Promise.allSettled([...this.preparing]);
    await this.batcher.flush();
    // A failed connect leaves `connecting` unset but may leave sockets behind: disconnect whenever
    // a connect was tried, or they keep the process alive.
    if (this.connectTried) {
      await this.connecting?.catch(() => {});
      await this.client.disconnect();
    }
    await this.ownSerde?.close();
  }

  getMetrics(): ProducerMetricsSnapshot {
    return this.tally.snapshot();
  }

  printMetrics(output: MetricsOutput = this.logger): void {
    const snapshot = this.tally.snapshot();
    printTo(output, formatProducerMetrics(snapshot), snapshot);
  }

  private compose(): PublishNext {
    return composeProducerMiddleware(this.middleware, (ctx) => this.enqueue(ctx));
  }

  /**
   * Runs a publish through the middleware. Without middleware (the usual case) the innermost
   * layer is called directly and types and reports its own failures: no promise wraps each publish.
   */
  private run(ctx: PublishContext): Promise<PublishResult> {
    if (this.middleware.length === 0) {
      try {
        return this.enqueue(ctx, true);
      } catch (error) {
        return Promise.reject(this.reported(ctx, error));
      }
    }
    return this.runChain(ctx);
  }

  private async runChain(ctx: PublishContext): Promise<PublishResult> {
    try {
      return await this.chain(ctx);
    } catch (error) {
      throw this.reported(ctx, error);
    }
  }

  /** A failed publish's typed error, passed to `onError` as well when the mode says so. */
  private reported(ctx: PublishContext, error: unknown): SkejiError {
    const typed = toSkejiError(error);
    // In async mode the rejection is the report: onError is for what resolved and failed later.
    // An abort is the caller's own doing, already reported to it.
    if (!this.config.async && !this.isAbortOf(ctx, error)) this.options.onError?.(typed, ctx);
    return typed;
  }

  /** The failure of `promise`, typed and reported; `promise` itself unless `direct`. */
  private reporting(ctx: PublishContext, promise: Promise<PublishResult>, direct: boolean): Promise<PublishResult> {
    return direct
      ? promise.catch((error: unknown) => {
          throw this.reported(ctx, error);
        })
      : promise;
  }

  /** A publish rejected before it was queued: typed and reported when `direct`. */
  private rejected(ctx: PublishContext, error: unknown, direct: boolean): Promise<never> {
    return Promise.reject(direct ? this.reported(ctx, error) : error);
  }

  /** The deadline of a publish given a signal or a timeout; undefined (the usual case) for neither. */
  private deadlineOf(control: PublishControl, topic: string, headers: Record<string, string>) {
    if (control.signal === undefined && control.timeoutMs === undefined) return undefined;
    return new PublishDeadline(control, topic, headers[HeaderName.eventId] ?? "");
  }

  /** Runs a publish that has a signal or a timeout: rejects with ABORTED when either fires first. */
  private runBounded(ctx: PublishContext, deadline: PublishDeadline, control: PublishControl): Promise<PublishResult> {
    const problem = controlProblem(control);
    if (problem !== undefined) return Promise.reject(problem);
    this.deadlines.set(deadline.controller.signal, deadline);
    return deadline.run(() => this.run(ctx));
  }

  private isAbortOf(ctx: PublishContext, error: unknown): boolean {
    return ctx.signal !== undefined && error !== undefined && this.deadlines.get(ctx.signal)?.aborted === error;
  }

  /**
   * The innermost layer: encode (validating), queue, and wait for the ack (or not, in async mode).
   * `direct` when no middleware runs around it: its failures are typed and reported here.
   */
  private enqueue(ctx: PublishContext, direct = false): Promise<PublishResult> {
    if (this.closed) return this.rejected(ctx, closedError(), direct);
    if (ctx.signal?.aborted === true) return this.rejected(ctx, ctx.signal.reason, direct);
    if (!this.validTopics.has(ctx.topic)) {
      const invalid = invalidTopicError(ctx.topic);
      if (invalid !== undefined) return this.rejected(ctx, invalid, direct);
      // A few names in practice; bounded for producers that name a topic per tenant or day.
      if (this.validTopics.size < 1_000) this.validTopics.add(ctx.topic);
    }
    const keyError = this.keyErrors.get(ctx);
    if (keyError !== undefined && ctx.key === undefined) return this.rejected(ctx, keyError, direct);
    if (ctx.descriptor === undefined) {
      let value: Buffer | null;
      try {
        value = messageValueBytes(ctx.value);
      } catch (error) {
        return this.rejected(ctx, error, direct);
      }
      return this.queue(new Pending(this.metrics, this.acknowledges, ctx, undefined), value, direct);
    }
    const encoder = this.serde.encoder(ctx.descriptor);
    // The first publish of a version waits until consumers can find its writer schema.
    const ready = encoder.prepare?.(ctx.topic);
    if (ready !== undefined) {
      this.preparing.add(ready);
      const done = () => this.preparing.delete(ready);
      ready.then(done, done);
      return this.reporting(
        ctx,
        ready.then(() => this.encodeAndQueue(ctx, encoder, false)),
        direct,
      );
    }
    return this.encodeAndQueue(ctx, encoder, direct);
  }

  /** Encodes (now or when its batch is assembled) and queues a typed event. */
  private encodeAndQueue(ctx: PublishContext, encoder: EventEncoder, direct: boolean): Promise<PublishResult> {
    if (!this.config.async && encoder.deferrable === true) {
      // Encoded when its batch is assembled (overlapping the previous round trip); errors still reject this publish.
      return this.queue(
        new Pending(this.metrics, this.acknowledges, ctx, encoder, this.schemaHeaders),
        undefined,
        direct,
      );
    }
    let encoded: EncodedValue | Promise<EncodedValue>;
    try {
      encoded = encoder.encode(ctx.value, ctx.topic);
    } catch (error) {
      return this.rejected(ctx, payloadError(error, ctx.descriptor?.type ?? ""), direct);
    }
    if (encoded instanceof Promise) {
      return this.reporting(
        ctx,
        encoded.then((e) =>
          this.queue(
            new Pending(this.metrics, this.acknowledges, ctx, undefined),
            withHeaders(ctx, e, this.schemaHeaders),
            false,
          ),
        ),
        direct,
      );
    }
    return this.queue(
      new Pending(this.metrics, this.acknowledges, ctx, undefined),
      withHeaders(ctx, encoded, this.schemaHeaders),
      direct,
    );
  }

  /**
   * The partitioner of a publish: the configured one when set; else the topic's as the manifest
   * declares it (a topic given in `options.topics`, else the event's own topic, also when the
   * event is sent to another topic name, e.g. one per environment); else the client's (`murmur2`).
   */
  private partitionerOf(ctx: PublishContext): PartitionerName | undefined {
    const declared = this.topicPartitioners.get(ctx.topic) ?? ctx.descriptor?.partitioner;
    const configured = this.config.partitioner;
    if (configured === undefined) return declared;
    if (declared !== undefined && declared !== configured && !this.overridden.has(ctx.topic)) {
      this.reportOverrides([[ctx.topic, declared]]);
    }
    return configured;
  }

  /** One warning naming the topics whose manifest partitioner the configured one overrides (each once). */
  private reportOverrides(declared: readonly (readonly [string, PartitionerName])[]): void {
    const configured = this.config.partitioner;
    if (configured === undefined) return;
    const topics = declared.filter(([topic, p]) => p !== configured && !this.overridden.has(topic));
    if (topics.length === 0) return;
    for (const [topic] of topics) this.overridden.add(topic);
    this.logger.warn(
      { partitioner: configured, topics: Object.fromEntries(topics) },
      `partitioner ${configured} (KAFKA_PRODUCER_PARTITIONER) overrides the manifest's for ${topics.map(([t, p]) => `${t} (${p})`).join(", ")}: the same key may land on another partition than where the topic's other producers put it, and lose its order`,
    );
  }

  /** Queues a publish; `value` is its bytes, or undefined when the pending publish encodes them itself later. */
  private queue(pending: Pending, value: Buffer | null | undefined, direct: boolean): Promise<PublishResult> {
    const signal = pending.ctx.signal;
    if (signal !== undefined) {
      // Aborted while it waited for its schema: never queued.
      if (signal.aborted) return this.rejected(pending.ctx, signal.reason, direct);
      const deadline = this.deadlines.get(signal);
      if (deadline !== undefined) {
        pending.deadline = deadline;
        deadline.item = pending;
      }
    }
    pending.partitioner = this.partitionerOf(pending.ctx);
    if (value !== undefined) pending.setValue(value);
    if (direct) pending.report = this.reportFailure;
    const settled = pending.promise();
    this.batcher.add(pending);
    if (!this.config.async) return settled;
    const { ctx } = pending;
    settled.catch((error: unknown) => {
      const typed = toSkejiError(error);
      this.logger.error(
        { topic: ctx.topic, eventId: pending.eventId, code: typed.code, err: typed },
        "async publish failed",
      );
      this.options.onError?.(typed, ctx);
    });
    return Promise.resolve({
      eventId: pending.eventId,
      topic: ctx.topic,
      partition: undefined,
      offset: undefined,
      acknowledged: false,
    });
  }

  /** Sends one batch (the batcher's callback). Settles every item; never rejects. */
  private async sendBatch(all: ReadyItem[]): Promise<void> {
    this.metrics.batch(
      all.length,
      all.reduce((n, i) => n + i.bytes, 0),
    );
    const items = await this.withoutOversized(live(all));
    if (items.length === 0) return;
    try {
      await this.connect();
    } catch (error) {
      await this.fail(live(items), error);
      return;
    }
    // Publishes aborted while waiting are dropped here; from now on an abort cannot recall a record.
    const sent = handOver(items);
    if (sent.length === 0) return;
    const groups = groupByTopic(sent);
    try {
      const acks = await this.client.send(
        groups.map(([topic, group]) => ({ topic, records: group.map((i) => i.record) })),
      );
      for (const [g, [topic, group]] of groups.entries()) await this.succeed(topic, group, acks[g] ?? []);
    } catch (error) {
      if (groups.length === 1) {
        await this.failGroup((groups[0] as [string, ReadyItem[]])[0], sent, error);
        return;
      }
      // One bad topic must not fail the others: send each topic on its own. The client has
      // already moved to a new producer id, so a record that was written after all can be written
      // a second time (at-least-once), never acknowledged without being written.
      for (const [topic, group] of groups) await this.sendGroup(topic, group);
    }
  }

  private async sendGroup(topic: string, group: ReadyItem[]): Promise<void> {
    try {
      const acks = await this.client.send([{ topic, records: group.map((i) => i.record) }]);
      await this.succeed(topic, group, acks[0] ?? []);
    } catch (error) {
      await this.failGroup(topic, group, error);
    }
  }

  /**
   * A batch of several records that the broker refused for its size was not written (the refusal
   * is definite only for a single partition's batch, see send-outcome.ts): send it again in
   * halves, as the Java client splits such a batch, until each record has its own answer.
   */
  private async failGroup(topic: string, group: ReadyItem[], error: unknown): Promise<void> {
    if (isSkejiError(error, ErrorCode.RECORD_TOO_LARGE) && group.length > 1) {
      const half = Math.ceil(group.length / 2);
      await this.sendGroup(topic, group.slice(0, half));
      await this.sendGroup(topic, group.slice(half));
      return;
    }
    await this.fail(group, error);
  }

  /**
   * Fails (without sending) the records larger than `maxMessageBytes`, as Java's
   * `max.request.size` does: the broker would refuse them, and one of them must not take the
   * rest of its batch down with it. Returns the others.
   */
  private async withoutOversized(items: ReadyItem[]): Promise<ReadyItem[]> {
    const max = this.config.maxMessageBytes ?? defaultMaxMessageBytes;
    let oversized: ReadyItem[] | undefined;
    for (const item of items) {
      // `bytes` counts text by UTF-16 units: three times that bounds its UTF-8 size. Only a record
      // within reach of the limit is measured exactly.
      if (item.bytes * 3 + recordFramingBytes <= max / 2) continue;
      if (wireBytes(item.record) <= max) continue;
      oversized ??= [];
      oversized.push(item);
    }
    if (oversized === undefined) return items;
    for (const item of oversized) {
      const size = wireBytes(item.record);
      await this.fail(
        [item],
        new SkejiError(
          ErrorCode.RECORD_TOO_LARGE,
          `the record for ${item.topic} is ${size} bytes with Kafka's framing, more than maxMessageBytes (${max}, KAFKA_PRODUCER_MAX_MESSAGE_BYTES); it was not sent`,
          { details: { topic: item.topic, bytes: size, maxMessageBytes: max, written: false } },
        ),
      );
    }
    const skip = new Set(oversized);
    return items.filter((i) => !skip.has(i));
  }

  /** Settles each item with its ack; an item the ack does not confirm (`error`) fails on its own. */
  private async succeed(topic: string, items: ReadyItem[], acks: RecordAck[]): Promise<void> {
    let unconfirmed: ReadyItem[] | undefined;
    let error: unknown;
    items.forEach((item, i) => {
      const ack = acks[i] ?? { topic, partition: -1, offset: undefined };
      if (ack.error === undefined) {
        item.settle(ack, undefined);
        return;
      }
      unconfirmed ??= [];
      unconfirmed.push(item);
      error = ack.error;
    });
    this.metrics.published(topic, items.length - (unconfirmed?.length ?? 0));
    if (unconfirmed !== undefined) await this.fail(unconfirmed, error);
  }

  /** Writes the failed items to the DLQ when one is configured, then rejects each with a typed error. */
  private async fail(items: ReadyItem[], cause: unknown): Promise<void> {
    const byTopic = groupByTopic(items);
    for (const [topic, group] of byTopic) {
      const failure = toPublishFailure(cause, topic, this.config.maxAttempts);
      this.metrics.failed(topic, failure.code, group.length);
      const dlqTopic = this.config.dlqTopic;
      if (dlqTopic === undefined || dlqTopic === topic) {
        for (const item of group) item.settle(undefined, failure);
        continue;
      }
      await this.deadLetter(topic, group, failure, dlqTopic);
    }
  }

  /**
   * Writes failed publishes to the DLQ and settles each: PUBLISHED_TO_DLQ, or DLQ_FAILED. An
   * ambiguous publish is dead-lettered too: it may be missing from the topic, and a copy too many
   * (its `dlq-error-type` says PUBLISH_AMBIGUOUS) is better than a record lost. A record larger
   * than the DLQ accepts (a RECORD_TOO_LARGE publish plus the dlq headers) is written cut to fit,
   * with `dlq-truncated` saying so; a group the DLQ refuses as too large only as a whole is
   * written in halves.
   */
  private async deadLetter(topic: string, group: ReadyItem[], failure: SkejiError, dlqTopic: string): Promise<void> {
    const ambiguous = failure.code === ErrorCode.PUBLISH_AMBIGUOUS;
    const max = this.config.maxMessageBytes ?? defaultMaxMessageBytes;
    const records = group.map((i) => fitDeadLetter(producerDlqRecord(i.record, topic, failure), max));
    let acks: RecordAck[] | undefined;
    try {
      if (records.length === 1) {
        await writeFitted(
          async (record) => {
            [acks] = await this.client.send([{ topic: dlqTopic, records: [record] }]);
          },
          records[0] as OutgoingRecord,
          max,
        );
      } else {
        [acks] = await this.client.send([{ topic: dlqTopic, records }]);
      }
    } catch (dlqError) {
      if (group.length > 1 && isTooLarge(dlqError)) {
        const half = Math.ceil(group.length / 2);
        await this.deadLetter(topic, group.slice(0, half), failure, dlqTopic);
        await this.deadLetter(topic, group.slice(half), failure, dlqTopic);
        return;
      }
      this.dlqFailed(topic, group, failure, dlqTopic, dlqError);
      return;
    }
    let unconfirmed: ReadyItem[] | undefined;
    let dlqError: unknown;
    group.forEach((item, i) => {
      const ack = acks?.[i];
      if (ack?.error !== undefined) {
        unconfirmed ??= [];
        unconfirmed.push(item);
        dlqError = ack.error;
        return;
      }
      item.settle(
        undefined,
        new SkejiError(
          ErrorCode.PUBLISHED_TO_DLQ,
          `${failure.message}; the message was written to ${dlqTopic}${ambiguous ? ` (and may be in ${topic} as well)` : ""}`,
          {
            cause: failure,
            details: { topic, dlqTopic, dlqPartition: ack?.partition, dlqOffset: ack?.offset, ambiguous },
          },
        ),
      );
    });
    this.metrics.deadLettered(topic, group.length - (unconfirmed?.length ?? 0));
    if (unconfirmed !== undefined) this.dlqFailed(topic, unconfirmed, failure, dlqTopic, dlqError);
  }

  private dlqFailed(topic: string, group: ReadyItem[], failure: SkejiError, dlqTopic: string, dlqError: unknown): void {
    this.logger.error({ topic, dlqTopic, err: dlqError, count: group.length }, "dead-letter write failed");
    const ambiguous = failure.code === ErrorCode.PUBLISH_AMBIGUOUS;
    const dlqAmbiguous = isSkejiError(dlqError, ErrorCode.PUBLISH_AMBIGUOUS);
    for (const item of group) {
      item.settle(
        undefined,
        new SkejiError(
          ErrorCode.DLQ_FAILED,
          `${failure.message}; writing to ${dlqTopic} failed as well${dlqAmbiguous ? " (or may have succeeded: its answer was lost)" : ""}`,
          {
            cause: failure,
            details: {
              topic,
              dlqTopic,
              ambiguous,
              dlqError: dlqError instanceof Error ? dlqError.message : String(dlqError),
              dlqErrorCode: isSkejiError(dlqError) ? dlqError.code : undefined,
            },
          },
        ),
      );
    }
  }
}

/** Headers that describe how the value is written: only the encoder sets them on a typed publish. */
const schemaHeaderNames: ReadonlySet<string> = new Set([HeaderName.contentType, HeaderName.schemaFingerprint]);

const schemaVersions = new WeakMap<AnyEventDescriptor, string>();

/** `v<latest>` of a descriptor, formatted once; empty when it has no versions. */
function schemaVersionOf(descriptor: AnyEventDescriptor): string {
  let version = schemaVersions.get(descriptor);
  if (version === undefined) {
    const latest = descriptor.versions[descriptor.versions.length - 1];
    version = latest === undefined ? "" : formatSchemaVersion(latest.version);
    schemaVersions.set(descriptor, version);
  }
  return version;
}

function groupByTopic(items: ReadyItem[]): [string, ReadyItem[]][] {
  const groups = new Map<string, ReadyItem[]>();
  for (const item of items) {
    const group = groups.get(item.topic);
    if (group === undefined) groups.set(item.topic, [item]);
    else group.push(item);
  }
  return [...groups];
}
