/** The contract between the producer/consumer and the wire formats. */
import type { AnyEventDescriptor } from "../descriptor.ts";
import type { RawHeaderValue } from "../message/headers.ts";

/** A value ready for the wire and the headers that describe how it was written. */
export interface EncodedValue {
  readonly value: Buffer;
  /** `schema-version`, `content-type` and, for embedded Avro, `schema-fingerprint`. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A consumed record as the decoder needs it. */
export interface RecordToDecode {
  readonly topic?: string | undefined;
  readonly headers: Readonly<Record<string, RawHeaderValue>> | undefined;
  readonly value: Buffer | null;
}

/** A decoded event: which descriptor it is, the version it was written with, and the payload in the latest version's shape. */
export interface DecodedEvent<T = unknown> {
  readonly descriptor: AnyEventDescriptor;
  /** The writer's version (1-based); the payload is already resolved to the latest version. */
  readonly version: number;
  readonly payload: T;
}

/** Encodes payloads of one event type. Validation happens here: an invalid payload throws INVALID_PAYLOAD. */
export interface EventEncoder {
  /** With `topic` the event type names the registry subject in Confluent format (see `subjectFor`). */
  encode(payload: unknown, topic: string): EncodedValue | Promise<EncodedValue>;
  /** True when `encode` is synchronous and may run later than the publish call (the producer then defers it). */
  readonly deferrable?: boolean;
  /**
   * What to wait for before the first `encode` for `topic`: the writer schema being made available
   * to consumers (registry or schema topic). Undefined when there is nothing (left) to wait for.
   * Rejects (nothing may be sent) when the schema cannot be made available.
   */
  readonly prepare?: ((topic: string) => Promise<void> | undefined) | undefined;
}

/** The wire formats, as the producer and consumer use them. */
export interface EventSerde {
  /** The encoder for a descriptor (cached: call it per message freely). */
  encoder(descriptor: AnyEventDescriptor): EventEncoder;
}
