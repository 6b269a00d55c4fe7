/**
 * Descriptors: what generated code knows about an event, as plain data.
 *
 * Generated code emits one `EventDescriptor` constant per event and one
 * `TopicDescriptor` per topic; every behaviour (validation, encoding, headers,
 * routing) lives in the runtime and takes a descriptor as input.
 */

/** An Avro schema as parsed JSON (a primitive name, an object, or a union array). */
export type AvroSchema = string | { readonly [key: string]: unknown } | readonly AvroSchema[];

/** Compatibility levels, as Confluent Schema Registry names them. */
export type CompatibilityLevel =
  | "NONE"
  | "BACKWARD"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD"
  | "FORWARD_TRANSITIVE"
  | "FULL"
  | "FULL_TRANSITIVE";

/**
 * How an event's value is written to Kafka.
 * - `avro`: Avro binary; the writer schema is embedded in generated code and named by
 *   the `schema-version` header plus a schema fingerprint header. No registry needed.
 * - `confluent`: Confluent wire format (magic byte 0, 4-byte schema id, Avro binary),
 *   schemas registered under the `<topic>-<event-type>` subject (see `subjectFor`).
 * - `json`: JSON text validated against the Avro schema (interoperates with JSON-only services).
 */
export type WireFormat = "avro" | "confluent" | "json";

/**
 * How a record's key picks its partition. Every producer of a topic must use the same one, or one
 * key's records split across partitions and lose their order, so it belongs to the topic:
 * - `murmur2`: the Java client's and kafkajs' default partitioner.
 * - `fnv1a`: kafka-go's `Hash` balancer (FNV-1a, as Sarama), what the Go services use.
 */
export type PartitionerName = "murmur2" | "fnv1a";
export const partitionerNames: readonly PartitionerName[] = ["murmur2", "fnv1a"];

/** One published version of an event's schema. Versions count up from 1 without gaps. */
export interface EventVersion {
  readonly version: number;
  /** The writer schema, self-contained: shared named types are defined inline, at their first use. */
  readonly schema: AvroSchema;
  /**
   * Full names of the shared named types the schema uses (defined in other schema files), each
   * after the types it uses. The Confluent format registers each under its own subject and the
   * event's schema with references to them; other formats ignore it.
   */
  readonly references?: readonly string[] | undefined;
}

/**
 * Everything the runtime needs to publish and consume one event type.
 * `T` is the payload as consumers receive it (latest version, defaults filled in);
 * `TInit` is what a publisher passes (fields with defaults may be left out);
 * `Type` is the event type as a literal, so a topic's events narrow on `type`.
 */
export interface EventDescriptor<T = unknown, TInit = T, Type extends string = string> {
  /** Event type, e.g. `booking.create.requested`; written to the `event-type` header. */
  readonly type: Type;
  /** The TypeScript name of the payload type, e.g. `BookingCreateRequested`. */
  readonly name: string;
  /** The topic this event travels on. */
  readonly topic: string;
  /** Dotted path of the payload field whose value is the record key, e.g. `params.user_phone`. */
  readonly keyField: string;
  readonly format: WireFormat;
  readonly compatibility: CompatibilityLevel;
  /**
   * Where consumers dead-letter this event: the DLQ the manifest declares for the event's
   * topic (the same as its `TopicDescriptor.dlqTopic`), or `undefined` when it declares none.
   */
  readonly dlqTopic: string | undefined;
  /**
   * The partitioner the manifest declares for the event's topic (the same as its
   * `TopicDescriptor.partitioner`); `undefined` when it declares none: the producer's configured one.
   */
  readonly partitioner?: PartitionerName | undefined;
  /** Every version, ascending; the last is the one published and the reader schema for consumers. */
  readonly versions: readonly EventVersion[];
  /**
   * Every event type the manifest puts on the event's topic, this one included (generated
   * descriptors list it). It tells a consumer that registers only some of a topic's events that the
   * topic carries others, so a record without `event-type` is never taken for the registered event
   * unless its schema says so (see `carriesOtherEvents`). `undefined` (descriptors written by hand):
   * the events registered for the topic are taken to be all it carries.
   */
  readonly topicEvents?: readonly string[] | undefined;
  /** Phantom member carrying the payload types; never present at run time. */
  readonly "~types"?: { readonly payload: T; readonly init: TInit } | undefined;
}

/**
 * How a topic is created (by `ensureTopics()` or `skeji-gen topics apply`), as the manifest says.
 * A setting left `undefined` is the broker's default (`num.partitions`, `default.replication.factor`).
 */
export interface TopicSettings {
  readonly partitions: number | undefined;
  readonly replicationFactor: number | undefined;
  /** Kafka topic configs (`retention.ms`, `cleanup.policy`, ...), values as Kafka's strings. */
  readonly config: Readonly<Record<string, string>>;
}

/** Settings as generated code writes them: every member may be left out. */
export interface TopicSettingsInit {
  readonly partitions?: number | undefined;
  readonly replicationFactor?: number | undefined;
  readonly config?: Readonly<Record<string, string>> | undefined;
}

/** A topic and the events that travel on it. */
export interface TopicDescriptor<E extends AnyEventDescriptor = AnyEventDescriptor> {
  readonly topic: string;
  /** Where consumers of this topic dead-letter messages, if the manifest names one. */
  readonly dlqTopic: string | undefined;
  readonly events: readonly E[];
  /** How keys pick partitions on this topic; `undefined` when the manifest says nothing (the producer's configured one). */
  readonly partitioner: PartitionerName | undefined;
  /** How the topic is created. */
  readonly settings: TopicSettings;
  /** How the DLQ topic is created (broker defaults when the manifest says nothing); `undefined` without a DLQ. */
  readonly dlqSettings: TopicSettings | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: descriptors of any payload type must be assignable here.
export type AnyEventDescriptor = EventDescriptor<any, any>;

/** The payload type consumers receive for a descriptor. */
export type PayloadOf<D> = D extends EventDescriptor<infer T, infer _I> ? T : never;
/** The payload type publishers pass for a descriptor. */
export type InitOf<D> = D extends EventDescriptor<infer _T, infer I> ? I : never;

/**
 * The discriminated union of a topic's events: `{ type: "booking.created"; payload: BookingCreated } | ...`.
 * Narrow on `type` to get the payload type.
 */
export type TopicEvent<TD extends TopicDescriptor> = TD["events"][number] extends infer D
  ? D extends EventDescriptor<infer T, infer _I>
    ? { readonly type: D["type"]; readonly payload: T }
    : never
  : never;

/**
 * Creates an event descriptor (generated code calls this). `dlqTopic` may be left out
 * (descriptors written by hand before it existed); it is then `undefined`.
 */
export function defineEvent<T, TInit = T, const Type extends string = string>(
  spec: Omit<EventDescriptor<T, TInit>, "~types" | "type" | "dlqTopic"> & {
    readonly type: Type;
    readonly dlqTopic?: string | undefined;
  },
): EventDescriptor<T, TInit, Type> {
  return Object.freeze({ ...spec, dlqTopic: spec.dlqTopic });
}

/**
 * Whether a record of `descriptor`'s topic may be another event than this one by what the
 * descriptor itself says (`topicEvents`). A record without `event-type` is then that event only when
 * its schema (fingerprint, Confluent schema id) says so, as on any topic with several events.
 */
export function carriesOtherEvents(descriptor: AnyEventDescriptor): boolean {
  return descriptor.topicEvents?.some((type) => type !== descriptor.type) === true;
}

/** Settings with every member present; nothing given is the broker's defaults. */
export function topicSettings(init: TopicSettingsInit = {}): TopicSettings {
  return Object.freeze({
    partitions: init.partitions,
    replicationFactor: init.replicationFactor,
    config: Object.freeze({ ...init.config }),
  });
}

/**
 * Creates a topic descriptor (generated code calls this). `settings` and `dlqSettings` may be left
 * out (the broker's defaults); `dlqSettings` counts only when there is a `dlqTopic`; `partitioner`
 * may be left out (the producer's configured one).
 */
export function defineTopic<const E extends readonly AnyEventDescriptor[]>(spec: {
  readonly topic: string;
  readonly dlqTopic?: string | undefined;
  readonly settings?: TopicSettingsInit | undefined;
  readonly dlqSettings?: TopicSettingsInit | undefined;
  readonly partitioner?: PartitionerName | undefined;
  readonly events: E;
}): TopicDescriptor<E[number]> {
  return Object.freeze({
    topic: spec.topic,
    dlqTopic: spec.dlqTopic,
    events: spec.events,
    partitioner: spec.partitioner,
    settings: topicSettings(spec.settings),
    dlqSettings: spec.dlqTopic === undefined ? undefined : topicSettings(spec.dlqSettings),
  });
}
