/**
 * Consumed records and events as lazy views over the kafkajs record: header strings, the
 * timestamp and the key text are computed on first use, so a handler that reads only the
 * payload pays for none of them.
 */
import type { IHeaders, KafkaMessage } from "kafkajs";
import { HeaderName, parseTimestamp, type RawHeaderValue, readHeaders } from "../message/headers.ts";
import type { ConsumedEvent, ConsumedMessage, HandlerContext } from "./types.ts";

/** The text of one raw header (the last value of a repeated one). */
export function headerText(value: RawHeaderValue): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (last === undefined) return undefined;
  return typeof last === "string" ? last : last.toString("utf8");
}

/** Whether two short byte strings are equal (a JS loop: cheaper than a native call for a few bytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The last `event-type` header bytes seen and their text: consecutive records of one event type
 * (the common case) then share one string instead of decoding the bytes each time. Equal bytes
 * have equal text; the bytes are a copy, so no fetched buffer is kept alive.
 */
let lastTypeBytes: Buffer | undefined;
let lastTypeText: string | undefined;
function eventTypeText(value: RawHeaderValue): string | undefined {
  if (!Buffer.isBuffer(value) || value.length > 256) return headerText(value);
  if (lastTypeBytes !== undefined && sameBytes(value, lastTypeBytes)) return lastTypeText;
  const text = value.toString("utf8");
  lastTypeBytes = Buffer.from(value);
  lastTypeText = text;
  return text;
}

class LazyMessage implements ConsumedMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
  readonly rawHeaders: IHeaders;
  #headers: Readonly<Record<string, string>> | undefined;
  #timestamp: Date | undefined;
  #eventType: string | undefined | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly record: KafkaMessage,
  ) {
    this.key = record.key ?? null;
    this.value = record.value ?? null;
    this.offset = record.offset;
    this.rawHeaders = record.headers ?? {};
  }

  get headers(): Readonly<Record<string, string>> {
    this.#headers ??= readHeaders(this.rawHeaders);
    return this.#headers;
  }

  get timestamp(): Date {
    this.#timestamp ??= new Date(Number(this.record.timestamp));
    return this.#timestamp;
  }

  toJSON(): Record<string, unknown> {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key?.toString("utf8") ?? null,
      headers: this.headers,
    };
  }

  /** One header without converting the others (`event-type`, asked for twice, is remembered). */
  header(name: string): string | undefined {
    if (this.#headers !== undefined) return this.#headers[name];
    if (name !== HeaderName.eventType) return headerText(this.rawHeaders[name]);
    if (this.#eventType === null) this.#eventType = eventTypeText(this.rawHeaders[name]);
    return this.#eventType;
  }
}

export function toConsumedMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return new LazyMessage(topic, partition, m);
}

/** One header of a message, cheaply when the message is one of ours. */
export function messageHeader(message: ConsumedMessage, name: string): string | undefined {
  return message instanceof LazyMessage ? message.header(name) : message.headers[name];
}

class LazyEvent<T> implements ConsumedEvent<T> {
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  #key: string | undefined | null = null;
  #createdAt: Date | undefined | null = null;

  constructor(
    ctx: HandlerContext,
    readonly message: ConsumedMessage,
    readonly type: string,
    readonly payload: T,
    readonly schemaVersion: number,
  ) {
    this.signal = ctx.signal;
    this.attempt = ctx.attempt;
    this.groupId = ctx.groupId;
    this.topic = message.topic;
    this.partition = message.partition;
    this.offset = message.offset;
  }

  get timestamp(): Date {
    return this.message.timestamp;
  }
  get key(): string | undefined {
    if (this.#key === null) this.#key = this.message.key === null ? undefined : this.message.key.toString("utf8");
    return this.#key;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.message.headers;
  }
  get eventId(): string | undefined {
    return messageHeader(this.message, HeaderName.eventId);
  }
  get correlationId(): string | undefined {
    return messageHeader(this.message, HeaderName.correlationId);
  }
  get conversationId(): string | undefined {
    return messageHeader(this.message, HeaderName.conversationId);
  }
  get source(): string | undefined {
    return messageHeader(this.message, HeaderName.source);
  }
  get createdAt(): Date | undefined {
    if (this.#createdAt === null) {
      const text = messageHeader(this.message, HeaderName.timestamp);
      try {
        this.#createdAt = text === undefined ? undefined : parseTimestamp(text);
      } catch {
        this.#createdAt = undefined; // not a valid RFC 3339 date-time: parseTimestamp says why
      }
    }
    return this.#createdAt;
  }

  /** Every field as plain data (the getters are not own properties, so a spread would miss them). */
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      payload: this.payload,
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key,
      headers: this.headers,
      eventId: this.eventId,
      correlationId: this.correlationId,
      conversationId: this.conversationId,
      source: this.source,
      createdAt: this.createdAt,
      schemaVersion: this.schemaVersion,
      attempt: this.attempt,
      groupId: this.groupId,
    };
  }
}

export function consumedEvent<T>(
  ctx: HandlerContext,
  message: ConsumedMessage,
  type: string,
  payload: T,
  schemaVersion: number,
): ConsumedEvent<T> {
  return new LazyEvent(ctx, message, type, payload, schemaVersion);
}
