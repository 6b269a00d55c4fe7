/** Configuration as plain objects: build one from the environment, then override any field. */

import type { PartitionerName } from "../client/partitioners.ts";

export type Compression = "none" | "gzip" | "snappy" | "lz4" | "zstd";
export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";
/** -1 waits for all in-sync replicas, 1 for the leader only, 0 for nothing. */
export type RequiredAcks = -1 | 0 | 1;
/** The Kafka client a producer sends through (see docs/reliability.md, "Transports"). */
export type Transport = "kafkajs" | "platformatic";

export interface TlsConfig {
  /** PEM text of the CA bundle; `undefined` uses Node's default trust store. */
  readonly ca?: string | undefined;
  /** PEM text of the client certificate and key, for mutual TLS. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** Verify the broker's certificate. On by default; turn off only for local testing. */
  readonly rejectUnauthorized: boolean;
}

export interface SaslConfig {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

export interface SchemaRegistryConfig {
  /** Base URL of a Confluent-compatible API, without credentials. */
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /**
   * Producers register their writer schema on first publish (true, the default), or only look it
   * up (false: a schema that is not registered fails the publish). `SCHEMA_REGISTRY_AUTO_REGISTER`.
   */
  readonly autoRegister?: boolean | undefined;
}

/**
 * Where writer schemas travel when no schema registry is configured: a compacted topic on the same
 * cluster, keyed by schema fingerprint (see docs/runtime.md, "Schemas travel with the data").
 */
export interface SchemaTopicConfig {
  /** The topic's name. Default `_skeji-schemas`. `KAFKA_SCHEMA_TOPIC`. */
  readonly topic: string;
  /**
   * A producer creates the topic (compacted, one partition) when it is missing (true, the default),
   * or fails its first publish of a version saying the topic must be created (false: for clusters
   * where services may not create topics). `KAFKA_SCHEMA_TOPIC_CREATE`.
   */
  readonly create?: boolean | undefined;
}

/** What every client (producer, consumer, admin) needs. */
export interface ClientConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: TlsConfig | undefined;
  readonly sasl: SaslConfig | undefined;
  readonly schemaRegistry: SchemaRegistryConfig | undefined;
  /**
   * The schema topic used when `schemaRegistry` is undefined; `false` turns it off (a reader then
   * knows only the versions in its generated code). Undefined: `_skeji-schemas`, created when missing.
   */
  readonly schemaTopic?: SchemaTopicConfig | false | undefined;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface ProducerConfig extends ClientConfig {
  /** Default topic for messages that name none (typed events carry their own). */
  readonly topic: string;
  /** Attempts per message, the first included, before the message fails (and goes to the DLQ). */
  readonly maxAttempts: number;
  /** How long a publish waits for others to share its request (linger). */
  readonly batchTimeoutMs: number;
  /** A batch is sent as soon as it holds this many messages... */
  readonly batchSize: number;
  /** ...or this many bytes of keys and values. */
  readonly batchBytes: number;
  /**
   * The largest record (key, value, headers and Kafka's framing) the producer sends; a larger one
   * fails with RECORD_TOO_LARGE before anything is sent, as Java's `max.request.size` does. Keep it
   * at or below the topics' `max.message.bytes`. Default 1 MiB (1048576).
   */
  readonly maxMessageBytes?: number | undefined;
  readonly requiredAcks: RequiredAcks;
  /** Exactly-once per partition on retries; needs `requiredAcks: -1`. */
  readonly idempotent: boolean;
  readonly compression: Compression;
  /** `publish` resolves at once; failures go to the error hook and metrics. */
  readonly async: boolean;
  /** Where messages that could not be published are written, with error headers. */
  readonly dlqTopic: string | undefined;
  /** Value of the `source` header when a message sets none. */
  readonly source: string | undefined;
  /** Create topics on first publish if the broker allows it. Off by default: a typo should fail. */
  readonly allowAutoTopicCreation: boolean;
  /**
   * How keys map to partitions: `murmur2` (Java client, kafkajs) or `fnv1a` (kafka-go's `Hash`
   * balancer, Sarama). Unset (the default), each typed event goes by its topic's partitioner as the
   * manifest declares it, and every other record by `murmur2`. Set, it applies to every record, and
   * the producer logs a warning for each topic whose manifest says otherwise: one key's records
   * would split across partitions between this producer and the topic's others.
   */
  readonly partitioner?: PartitionerName | undefined;
  /**
   * The client that carries the produce requests: `kafkajs` (the default) or `platformatic`
   * (@platformatic/kafka, an optional peer dependency installed by the service that chooses it).
   * Both give the same guarantees; see docs/reliability.md. `KAFKA_TRANSPORT`.
   */
  readonly transport?: Transport | undefined;
  /**
   * What turns records into Produce requests on the `kafkajs` transport: `sdk` (the default; the
   * SDK's own record-batch encoder, which writes exactly the bytes kafkajs's writes, with less
   * work) or `kafkajs` (kafkajs's own). The `platformatic` transport always uses the SDK's.
   * `KAFKA_PRODUCER_RECORD_ENCODER`.
   */
  readonly recordEncoder?: RecordEncoder | undefined;
  /**
   * Which optional headers a typed publish writes (see `OptionalHeader`); default
   * `defaultOptionalHeaders`: `schema-fingerprint` and `retry-count`, not `content-type` on
   * embedded Avro. The standard headers the Go services read are always written.
   */
  readonly optionalHeaders?: readonly OptionalHeader[] | undefined;
}

/** The normalised start position: what the consumer works with. */
export type StartPosition = "newest" | "oldest";

/**
 * Where a group without committed offsets starts: "newest" or -1 (kafka-go's `kafka.LastOffset`),
 * "oldest" or -2 (`kafka.FirstOffset`). Configs from the environment and from `consumerConfig`
 * hold the word; a number set in code is normalised when the consumer is created.
 */
export type StartOffset = StartPosition | -1 | -2;

/**
 * Headers a typed publish may leave out, each costing bytes and client work on every record:
 * - `schema-fingerprint`: lets a reader whose generated code is older than the writer's find the
 *   writer schema (registry or schema topic) and check that `schema-version` names the schema it
 *   holds. Left out, a record of a version the reader does not know fails with UNKNOWN_VERSION.
 * - `content-type` on embedded Avro records (JSON and Confluent records always carry it): a reader
 *   takes the format from its generated code when the header is absent.
 * - `retry-count` when it is `0` (a first attempt): readers count an absent header as 0. The Go
 *   package writes it on every record.
 */
export type OptionalHeader = "schema-fingerprint" | "content-type" | "retry-count";

export const optionalHeaderNames: readonly OptionalHeader[] = ["schema-fingerprint", "content-type", "retry-count"];

/** What a producer writes unless told otherwise: what readers need (see `OptionalHeader`). */
export const defaultOptionalHeaders: readonly OptionalHeader[] = ["schema-fingerprint", "retry-count"];

export interface ConsumerConfig extends ClientConfig {
  readonly topic: string;
  readonly groupId: string;
  /** Where a group without committed offsets starts: "newest"/-1 or "oldest"/-2 (see `StartOffset`). */
  readonly startOffset: StartOffset;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxWaitMs: number;
  readonly commitIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly dlqTopic: string | undefined;
  /** Retries of a failing handler before the message goes to the DLQ. */
  readonly maxRetries: number;
  /**
   * What decodes fetched records: `sdk` (the default; the SDK's own decoder, which gives the
   * consumer exactly what kafkajs's gives, faster) or `kafkajs` (kafkajs's own).
   * `KAFKA_CONSUMER_FETCH_DECODER`.
   */
  readonly fetchDecoder?: FetchDecoder | undefined;
}

/** The decoders of fetched records a consumer can use (see `ConsumerConfig.fetchDecoder`). */
export type FetchDecoder = "sdk" | "kafkajs";
export const fetchDecoders: readonly FetchDecoder[] = ["sdk", "kafkajs"];

/** The encoders of produced records a kafkajs producer can use (see `ProducerConfig.recordEncoder`). */
export type RecordEncoder = "sdk" | "kafkajs";
export const recordEncoders: readonly RecordEncoder[] = ["sdk", "kafkajs"];
