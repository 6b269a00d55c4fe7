/**
 * The consumer's public types: the raw message (the Go package's `kafka.Message`), the typed
 * event a generated handler receives, handlers and middleware.
 */
import type { IHeaders } from "kafkajs";
import type { AnyEventDescriptor, PayloadOf, TopicDescriptor, TopicEvent } from "../descriptor.ts";

/** A consumed record as it came off the wire, before decoding. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, as a decimal string (Kafka offsets exceed 2^53). */
  readonly offset: string;
  /** The record timestamp (producer create time or broker log-append time). */
  readonly timestamp: Date;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Headers as UTF-8 strings; for a repeated header, the last value. */
  readonly headers: Readonly<Record<string, string>>;
  /** Headers exactly as received (bytes, repeats kept); the DLQ copies these. */
  readonly rawHeaders: IHeaders;
}

/** What a handler knows about the attempt it runs in. */
export interface HandlerContext {
  /** Aborted when the consumer shuts down and the grace period for in-flight work has passed. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly groupId: string;
}

/** A decoded event handed to a typed handler. */
export interface ConsumedEventBase extends HandlerContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The record timestamp. */
  readonly timestamp: Date;
  /** The record key as UTF-8, `undefined` for a null key. */
  readonly key: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly eventId: string | undefined;
  readonly correlationId: string | undefined;
  readonly conversationId: string | undefined;
  readonly source: string | undefined;
  /**
   * When the producer says the event was created: the `timestamp` header (RFC 3339, any offset;
   * see `parseTimestamp`). `undefined` when the header is missing or not a valid RFC 3339
   * date-time (`parseTimestamp(event.headers.timestamp)` says why).
   */
  readonly createdAt: Date | undefined;
  /** The schema version the producer wrote with (the payload is always in the latest version's shape). */
  readonly schemaVersion: number;
  /** The raw record. */
  readonly message: ConsumedMessage;
}

/** A decoded event of one type. */
export interface ConsumedEvent<T> extends ConsumedEventBase {
  readonly type: string;
  readonly payload: T;
}

/** A handler for one event type; generated `onXxx(consumer, handler)` functions take one of these. */
export type EventHandler<D extends AnyEventDescriptor> = (event: ConsumedEvent<PayloadOf<D>>) => Promise<void> | void;

/** A topic's events as a discriminated union: narrow on `event.type` to get the payload type. */
export type TopicConsumedEvent<TD extends TopicDescriptor> =
  TopicEvent<TD> extends infer U ? (U extends { readonly type: string } ? ConsumedEventBase & U : never) : never;

export type TopicHandler<TD extends TopicDescriptor> = (event: TopicConsumedEvent<TD>) => Promise<void> | void;

/** The Go guide's untyped handler: `(ctx, message) => ...`. */
export type MessageHandler = (ctx: HandlerContext, message: ConsumedMessage) => Promise<void> | void;

/** Consumer middleware: an onion in `use` order; call `next` to continue, throw to fail the attempt. */
export type ConsumerMiddleware = (
  ctx: HandlerContext,
  message: ConsumedMessage,
  next: (ctx: HandlerContext, message: ConsumedMessage) => Promise<void>,
) => Promise<void>;

/** How a message ended, as reported to observers. */
export type MessageOutcome =
  /** The handler succeeded. */
  | "handled"
  /** The handler threw a BusinessError: logged, counted, committed. */
  | "business-error"
  /** No handler takes the message and `unknownEvents` skips it (by default: an event type nobody registered); committed. */
  | "skipped"
  /** Written to the dead-letter topic (acks=all) and committed. */
  | "dead-lettered"
  /** Not committed: the DLQ write failed or a transient infrastructure error persisted; retried later. */
  | "retry-later"
  /** Not committed: the consumer stopped or lost the partition before the message finished. */
  | "abandoned";
