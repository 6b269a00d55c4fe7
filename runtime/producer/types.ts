/** The producer's public types. */
import type { OutgoingHeaderValue } from "../client/types.ts";
import type { ProducerConfig } from "../config/types.ts";
import type { AnyEventDescriptor, InitOf } from "../descriptor.ts";
import type { Message } from "../message/message.ts";
import type { MetricsOutput, ProducerMetricsSnapshot } from "../observability/snapshot.ts";
import type { PublishControl } from "./deadline.ts";

/**
 * Per-publish settings for typed events. Event type, schema version and key come from the
 * descriptor. `signal` and `timeoutMs` bound the publish (see `PublishControl`).
 */
export interface PublishOptions extends PublishControl {
  /** Overrides the key taken from the descriptor's key field. */
  readonly key?: string | Uint8Array | undefined;
  readonly correlationId?: string | undefined;
  readonly conversationId?: string | undefined;
  /** Overrides the producer's `source`. */
  readonly source?: string | undefined;
  /** Overrides the generated `event-id`. */
  readonly eventId?: string | undefined;
  readonly timestamp?: Date | undefined;
  /** Further headers; the standard ones above win over same-named entries here. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Overrides the descriptor's topic. */
  readonly topic?: string | undefined;
  readonly partition?: number | undefined;
}

/**
 * Where a message landed. In async mode the publish resolves before the broker
 * answers: `acknowledged` is false and `partition`/`offset` are undefined. With
 * acks=0 the broker never answers: `acknowledged` is false and `offset` undefined.
 */
export interface PublishResult {
  readonly eventId: string;
  readonly topic: string;
  readonly partition: number | undefined;
  /** Decimal string (Kafka offsets are 64-bit); undefined with acks=0 or in async mode. */
  readonly offset: string | undefined;
  readonly acknowledged: boolean;
}

/**
 * What middleware sees and may change before the message is encoded and sent:
 * headers can be added, the key or value replaced.
 */
export interface PublishContext {
  topic: string;
  key: string | Uint8Array | undefined;
  /** The typed payload for events, or the raw value of a plain message. */
  value: unknown;
  readonly headers: Record<string, string>;
  partition: number | undefined;
  /** Set for typed events; undefined for plain messages. */
  readonly descriptor: AnyEventDescriptor | undefined;
  /** A plain message's `rawHeaders` (Uint8Array values as Buffers): written as they are, over `headers`. */
  readonly rawHeaders?: Readonly<Record<string, OutgoingHeaderValue>> | undefined;
  /**
   * Aborts when the publish is aborted (its caller's `signal`, or `timeoutMs` passed); undefined
   * when the publish has neither. Middleware that waits on something slow should honour it.
   */
  readonly signal?: AbortSignal | undefined;
}

export type PublishNext = (ctx: PublishContext) => Promise<PublishResult>;

/** An onion layer around every publish: `async (ctx, next) => { ...; const r = await next(ctx); ...; return r }`. */
export type ProducerMiddleware = (ctx: PublishContext, next: PublishNext) => Promise<PublishResult>;

export interface Producer {
  readonly config: ProducerConfig;
  /** Validates, encodes and publishes one typed event. Generated `publishX` functions call this. */
  publishEvent<D extends AnyEventDescriptor>(
    descriptor: D,
    init: InitOf<D>,
    options?: PublishOptions,
  ): Promise<PublishResult>;
  /**
   * Publishes a message from `newMessage()...build()`; its value is sent as bytes, text or JSON.
   * `control` bounds it with a signal and/or a timeout, as `PublishOptions` does for events.
   */
  publish(message: Message, control?: PublishControl): Promise<PublishResult>;
  /**
   * Publishes every message (none is skipped). Resolves with one result per message,
   * in order; if any fails, rejects with PUBLISH_FAILED whose `details.results` holds
   * every message's outcome. `control` applies to each message.
   */
  publishBatch(messages: readonly Message[], control?: PublishControl): Promise<PublishResult[]>;
  /** Adds middleware; the first added is the outermost. */
  use(middleware: ProducerMiddleware): this;
  /** Connects now (publishes connect on demand); rejects with CONNECTION_FAILED. */
  connect(): Promise<void>;
  /** Sends everything waiting in the batch and resolves when the broker has answered. */
  flush(): Promise<void>;
  /** Flushes, then disconnects. Later publishes fail with PRODUCER_CLOSED. */
  close(): Promise<void>;
  /**
   * The Go guide's `GetMetrics()`: this producer's counts and latencies since its creation, as a
   * plain object (the prom-client metrics record the same events, for scraping).
   */
  getMetrics(): ProducerMetricsSnapshot;
  /** The Go guide's `PrintMetrics()`: the snapshot as one line, to `output` (default: the producer's logger, at info). */
  printMetrics(output?: MetricsOutput): void;
}
