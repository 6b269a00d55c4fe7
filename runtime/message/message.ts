/**
 * A message to publish, and the Go guide's fluent builder for it:
 * `newMessage().withKey(k).withValue(v).withEventType(t).build()`.
 */
import { newEventId } from "./event-id.ts";
import { formatSchemaVersion, HeaderName, type Headers, type RawHeaders, rfc3339 } from "./headers.ts";

/**
 * An outgoing message. `value` bytes (Buffer / Uint8Array) are sent as they are,
 * a string as UTF-8, anything else as JSON (what the Go package does).
 */
export interface Message {
  /** Defaults to the producer's topic. */
  readonly topic?: string | undefined;
  /** The partition key; messages with the same key keep their order. */
  readonly key: string | Uint8Array | undefined;
  readonly value: unknown;
  /** Standard and custom headers; `event-id` and `timestamp` are always present after `build()`. */
  readonly headers: Headers;
  /**
   * Headers written byte for byte (bytes, text, repeated headers), for forwarding a consumed
   * record as it was, e.g. to a dead-letter topic. When set, the producer fills in nothing
   * (no `event-id`, `timestamp`, `retry-count` or `source`): the record carries `headers`, what
   * middleware adds, and these, which win over any of the same name.
   */
  readonly rawHeaders?: RawHeaders | undefined;
  /** Explicit partition; normally left out so the key decides. */
  readonly partition?: number | undefined;
}

export class MessageBuilder {
  private topic: string | undefined;
  private key: string | Uint8Array | undefined;
  private value: unknown;
  private partition: number | undefined;
  private readonly headers: Record<string, string> = {};

  withTopic(topic: string): this {
    this.topic = topic;
    return this;
  }
  withKey(key: string | Uint8Array): this {
    this.key = key;
    return this;
  }
  withValue(value: unknown): this {
    this.value = value;
    return this;
  }
  withPartition(partition: number): this {
    this.partition = partition;
    return this;
  }
  withEventId(id: string): this {
    return this.withHeader(HeaderName.eventId, id);
  }
  withEventType(type: string): this {
    return this.withHeader(HeaderName.eventType, type);
  }
  withCorrelationId(id: string): this {
    return this.withHeader(HeaderName.correlationId, id);
  }
  withConversationId(id: string): this {
    return this.withHeader(HeaderName.conversationId, id);
  }
  withSource(source: string): this {
    return this.withHeader(HeaderName.source, source);
  }
  /** `2` and `"v2"` both write `v2`. */
  withSchemaVersion(version: number | string): this {
    return this.withHeader(
      HeaderName.schemaVersion,
      typeof version === "number" ? formatSchemaVersion(version) : version,
    );
  }
  withTimestamp(at: Date): this {
    return this.withHeader(HeaderName.timestamp, rfc3339(at));
  }
  withRetryCount(count: number): this {
    return this.withHeader(HeaderName.retryCount, String(Math.max(0, Math.trunc(count))));
  }
  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }

  /** Fills `event-id` (a new UUID), `timestamp` (now) and `retry-count` (0) when they were not set. */
  build(): Message {
    return {
      topic: this.topic,
      key: this.key,
      value: this.value,
      headers: withStandardHeaders(this.headers),
      partition: this.partition,
    };
  }
}

export function newMessage(): MessageBuilder {
  return new MessageBuilder();
}

/** A copy of `headers` with `event-id`, `timestamp` and `retry-count` filled in when absent. */
export function withStandardHeaders(headers: Headers, now: Date = new Date()): Headers {
  return {
    ...headers,
    [HeaderName.eventId]: headers[HeaderName.eventId] ?? newEventId(),
    [HeaderName.timestamp]: headers[HeaderName.timestamp] ?? rfc3339(now),
    [HeaderName.retryCount]: headers[HeaderName.retryCount] ?? "0",
  };
}
