/**
 * Decoding a raw record's value by hand - the Go package's `msg.DecodeValue(&v)` - for tools that
 * read records outside a consumer: a DLQ inspector, a replay, a one-off script, a test.
 *
 * It is the consumer's own decoder (`Serde.decode`, the path every record the fast path does not
 * take goes through) with the consumer's routing rules in front: the `event-type` header picks
 * the event; without one, the events of the record's topic are the candidates (one, of a topic
 * that carries no other: it is that event; otherwise the `schema-fingerprint` header or the
 * Confluent schema id may say which). So
 * every shape the consumer reads is read here the same way: embedded Avro named by
 * `schema-version` and `schema-fingerprint`, the Confluent wire format (magic byte 0 and a schema
 * id, through the registry), JSON with or without schema headers (the Go services'), and versions
 * newer than the descriptors (writer schema from the registry or the schema topic).
 *
 * A dead-letter record is decoded as the record it holds: its `original-topic` header, when there
 * is one, is the topic the events are looked up on (and the registry subject is named after).
 */

import type { SchemaRegistryConfig } from "../config/types.ts";
import type { AnyEventDescriptor, EventDescriptor, TopicDescriptor } from "../descriptor.ts";
import { ErrorCode, isSkejiError, SkejiError } from "../errors/base.ts";
import { HeaderName, type RawHeaderValue } from "../message/headers.ts";
import type { RegistryClient } from "../serde/registry.ts";
import { createSerde } from "../serde/serde.ts";
import type { WriterSchemaStore } from "../serde/writer-schemas.ts";
import { headerText } from "./message.ts";

/**
 * A record as a tool holds it: a kafkajs `KafkaMessage` (`value`, `headers`), a `ConsumedMessage`
 * (`rawHeaders` are used when present), or any object with the value bytes and the headers.
 */
export interface RawRecord {
  /** The topic it was read from; a dead-letter record's `original-topic` header wins over it. */
  readonly topic?: string | undefined;
  readonly value: Buffer | Uint8Array | null;
  readonly headers?: Readonly<Record<string, RawHeaderValue>> | undefined;
  readonly rawHeaders?: Readonly<Record<string, RawHeaderValue>> | undefined;
}

/** The decoded value, narrowed by `type` to its payload type (the latest version's shape). */
export type DecodedValue<D extends AnyEventDescriptor> =
  D extends EventDescriptor<infer T, infer _I>
    ? {
        readonly type: D["type"];
        readonly payload: T;
        /** The version the writer used (0: a writer schema the descriptors do not have, resolved from the registry). */
        readonly version: number;
        readonly descriptor: D;
      }
    : never;

/** The events of a list of event and topic descriptors. */
export type EventsOf<E> = E extends TopicDescriptor<infer D> ? D : E extends AnyEventDescriptor ? E : never;

export interface ValueDecoderOptions {
  /** A schema registry: needed for the Confluent format and for versions newer than the descriptors. */
  readonly registry?: SchemaRegistryConfig | RegistryClient | undefined;
  /** Without a registry: where newer writer schemas are found (`schemaTopicStore`). */
  readonly schemas?: WriterSchemaStore | undefined;
}

export interface DecodeValueOptions extends ValueDecoderOptions {
  /** The topic the record was written to, when neither `original-topic` nor `record.topic` says it. */
  readonly topic?: string | undefined;
}

export interface ValueDecoder<D extends AnyEventDescriptor> {
  /**
   * Decodes `record`'s value. Rejects with a SkejiError whose `code` says why: DECODE_FAILED (bad
   * bytes - the message says where - a tombstone, not Confluent wire format), UNKNOWN_EVENT_TYPE (an
   * `event-type` none of the events has, or no `event-type` and nothing else says which event),
   * UNKNOWN_SCHEMA (a `schema-fingerprint` or `schema-version` no version has, a registry id the
   * registry does not hold), UNKNOWN_VERSION (newer than the descriptors and found nowhere),
   * REGISTRY_ERROR / REGISTRY_UNAVAILABLE.
   */
  decode(record: RawRecord, options?: { readonly topic?: string | undefined }): Promise<DecodedValue<D>>;
  /** Releases the schema topic's connections, if any. */
  close(): Promise<void>;
}

/** A decoder for many records, sharing one registry client and its caches. */
export function valueDecoder<const E extends AnyEventDescriptor | TopicDescriptor>(
  events: readonly E[],
  options: ValueDecoderOptions = {},
): ValueDecoder<EventsOf<E>> {
  const descriptors = flatten(events);
  const serde = createSerde({ registry: options.registry, schemas: options.schemas });
  return {
    async decode(record, opts = {}) {
      const headers = record.rawHeaders ?? record.headers ?? {};
      const topic = headerText(headers[HeaderName.originalTopic]) ?? record.topic ?? opts.topic;
      const eventType = headerText(headers[HeaderName.eventType]);
      const onTopic = topic === undefined ? [] : descriptors.filter((d) => d.topic === topic);
      // Without event-type, the consumer of the topic would try its events; a tool that does not know
      // the topic (or whose events live elsewhere) tries them all, and the fingerprint decides.
      const candidates = eventType === undefined && onTopic.length > 0 ? onTopic : descriptors;
      const value = record.value === null || Buffer.isBuffer(record.value) ? record.value : toBuffer(record.value);
      try {
        const decoded = await serde.decode({ topic, headers, value }, candidates);
        return {
          type: decoded.descriptor.type,
          payload: decoded.payload,
          version: decoded.version,
          descriptor: decoded.descriptor,
        } as DecodedValue<EventsOf<E>>;
      } catch (e) {
        if (eventType === undefined && isSkejiError(e, ErrorCode.UNKNOWN_EVENT_TYPE))
          throw untyped(e, topic, candidates);
        throw e;
      }
    },
    close: () => serde.close(),
  };
}

/**
 * Decodes one record's value with `events` (event descriptors, topic descriptors such as the
 * generated `allTopics`, or both). For many records, `valueDecoder` keeps the registry's caches.
 */
export async function decodeValue<const E extends AnyEventDescriptor | TopicDescriptor>(
  record: RawRecord,
  events: readonly E[],
  options: DecodeValueOptions = {},
): Promise<DecodedValue<EventsOf<E>>> {
  const decoder = valueDecoder(events, options);
  try {
    return await decoder.decode(record, { topic: options.topic });
  } finally {
    await decoder.close();
  }
}

function flatten(events: readonly (AnyEventDescriptor | TopicDescriptor)[]): AnyEventDescriptor[] {
  const out: AnyEventDescriptor[] = [];
  for (const e of events) {
    for (const d of "events" in e ? e.events : [e]) if (!out.includes(d)) out.push(d);
  }
  return out;
}

const toBuffer = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** No `event-type`, and neither the topic nor the schema headers said which event the value is. */
function untyped(cause: unknown, topic: string | undefined, candidates: readonly AnyEventDescriptor[]): SkejiError {
  const where = topic === undefined ? "" : ` of topic ${topic}`;
  const types = candidates.map((d) => d.type);
  // Events the descriptors say share the topic, though not given (a single event of a topic with several).
  const carried = [...new Set(candidates.flatMap((d) => d.topicEvents ?? [d.type]))];
  return new SkejiError(
    ErrorCode.UNKNOWN_EVENT_TYPE,
    types.length === 0
      ? `the record has no event-type header and no events were given to decode it with`
      : carried.length > types.length
        ? `the record has no event-type header, and nothing in it says it is ${types.join(" or ")} rather than another of the ${carried.length} events${where} (${carried.join(", ")}): its schema-fingerprint (or schema id) matches none of the events given`
        : `the record has no event-type header, and nothing in it says which of the ${types.length} events${where} it is (${types.join(", ")}): its schema-fingerprint (or schema id) matches none of them`,
    { cause, details: { topic, known: types } },
  );
}
