// biome-ignore-all assist/source/organizeImports: grouped by purpose on purpose - user-facing names first, generated-code names last.
/**
 * @skeji/kafka: typed Kafka events.
 *
 * Named exports only, on purpose; nothing internal is re-exported wholesale. Sections, in
 * the order a service meets them: configuration, producing, consuming, errors, messages and
 * headers, observability, request-response, schemas and wire formats, lower-level building
 * blocks, and last the names generated code imports.
 */

// --- Configuration from the environment -----------------------------------------------------------
export { clientConfigFromEnv, consumerConfigFromEnv, producerConfigFromEnv } from "./config/env.ts";
export { consumerConfig, producerConfig } from "./config/build.ts";
export type { ConsumerConfigInit, ProducerConfigInit } from "./config/build.ts";
export { FirstOffset, LastOffset, normalizeStartOffset } from "./config/start-offset.ts";
export { defaultOptionalHeaders, fetchDecoders, optionalHeaderNames, recordEncoders } from "./config/types.ts";
export type {
  ClientConfig,
  Compression,
  ConsumerConfig,
  FetchDecoder,
  OptionalHeader,
  ProducerConfig,
  RecordEncoder,
  RequiredAcks,
  Transport,
  SaslConfig,
  SaslMechanism,
  SchemaRegistryConfig,
  SchemaTopicConfig,
  StartOffset,
  StartPosition,
  TlsConfig,
} from "./config/types.ts";

// --- Topics: create what the manifest describes ----------------------------------------------------
export { ensureTopics, planTopics } from "./topics/ensure.ts";
export type { EnsureTopicsResult, TopicsOptions } from "./topics/ensure.ts";
export type { ObservedTopic, TopicDrift, TopicPlan, TopicState, TopicStatus } from "./topics/plan.ts";
export type { TopicRole, TopicSource, TopicSpec } from "./topics/wanted.ts";
export type { TopicSettings, TopicSettingsInit } from "./descriptor.ts";

// --- Producing ------------------------------------------------------------------------------------
export { createProducer } from "./producer/producer.ts";
export type { ProducerOptions } from "./producer/producer.ts";
export type { AbortReason, PublishControl } from "./producer/deadline.ts";
export type {
  Producer,
  ProducerMiddleware,
  PublishContext,
  PublishNext,
  PublishOptions,
  PublishResult,
} from "./producer/types.ts";
export {
  composeProducerMiddleware,
  loggingProducerMiddleware,
  metricsProducerMiddleware,
  tracingProducerMiddleware,
} from "./middleware/producer.ts";

// --- Consuming ------------------------------------------------------------------------------------
export { createConsumer } from "./consumer/consumer.ts";
export type { Consumer, ConsumerOptions } from "./consumer/consumer.ts";
export type { OffsetStorage } from "./consumer/positions.ts";
export { shutdownOnSignals } from "./consumer/shutdown.ts";
export type { ShutdownSignal } from "./consumer/shutdown.ts";
export type {
  ConsumedEvent,
  ConsumedEventBase,
  ConsumedMessage,
  ConsumerMiddleware,
  EventHandler,
  HandlerContext,
  MessageHandler,
  MessageOutcome,
  TopicConsumedEvent,
  TopicHandler,
} from "./consumer/types.ts";
export type { ConsumerObserver } from "./consumer/processor.ts";
export type {
  UnknownEventAction,
  UnknownEventInfo,
  UnknownEventReason,
  UnknownEventsOption,
} from "./consumer/unknown-events.ts";
// Decoding a raw record's value by hand (the Go package's `msg.DecodeValue`), e.g. in a DLQ tool.
export { decodeValue, valueDecoder } from "./consumer/decode-value.ts";
export type {
  DecodedValue,
  DecodeValueOptions,
  EventsOf,
  RawRecord,
  ValueDecoder,
  ValueDecoderOptions,
} from "./consumer/decode-value.ts";
export {
  loggingConsumerMiddleware,
  metricsConsumerMiddleware,
  tracingConsumerMiddleware,
} from "./middleware/consumer.ts";

// --- Errors: handler outcomes, classification, stable codes ---------------------------------------
export {
  BusinessError,
  ConsumerErrorCode,
  isBusinessError,
  isPermanentError,
  isTransientError,
  newBusinessError,
  newPermanentError,
  newTransientError,
  PermanentError,
  TransientError,
} from "./errors/processing.ts";
export type { ErrorClass } from "./errors/processing.ts";
export { classifyError } from "./errors/classify.ts";
export type { ClassifyOptions } from "./errors/classify.ts";
export { ErrorCode, isSkejiError, SkejiError } from "./errors/base.ts";
export type { ErrorCode as ErrorCodeValue, SkejiErrorLike, SkejiErrorOptions } from "./errors/base.ts";

// --- Messages and headers (the Go services' names) ------------------------------------------------
export { MessageBuilder, newMessage } from "./message/message.ts";
export type { Message } from "./message/message.ts";
export {
  HeaderName,
  parseRetryCount,
  parseSchemaVersion,
  parseTimestamp,
  readHeaders,
  rfc3339,
} from "./message/headers.ts";
export type { Headers, RawHeaders } from "./message/headers.ts";
export { DlqHeader } from "./dlq/record.ts";

// --- Observability ----------------------------------------------------------------------------------
export { defaultLogger, silentLogger } from "./observability/logger.ts";
export type { Logger } from "./observability/logger.ts";
export { producerMetrics } from "./observability/metrics.ts";
export type { ProducerMetrics } from "./observability/metrics.ts";
export { consumerMetrics } from "./observability/consumer-metrics.ts";
export type { ConsumerMetrics } from "./observability/consumer-metrics.ts";
export { formatConsumerMetrics, formatProducerMetrics } from "./observability/snapshot.ts";
export type {
  ConsumerMetricsSnapshot,
  LatencySnapshot,
  MetricsOutput,
  ProducerMetricsSnapshot,
} from "./observability/snapshot.ts";

// --- Request-response -----------------------------------------------------------------------------
export { createRequester, reply, replyToHeader } from "./request-reply/request-reply.ts";
export type { Requester, RequesterOptions, RequestOptions } from "./request-reply/request-reply.ts";

// --- Descriptors, payload types, subjects ---------------------------------------------------------
export type {
  AnyEventDescriptor,
  AvroSchema,
  CompatibilityLevel,
  EventVersion,
  InitOf,
  PartitionerName,
  PayloadOf,
  WireFormat,
} from "./descriptor.ts";
export { partitionerNames } from "./descriptor.ts";
export { sharedTypeSubject, subjectFor } from "./serde/subjects.ts";
export type { SubjectSource } from "./serde/subjects.ts";

// --- Building blocks: codecs, wire formats, DLQ records, retry policy -----------------------------
// For tools and tests that work below the producer and consumer (reading a DLQ, replaying, custom
// sinks). Services normally do not need them.
export { avroCodec, INVALID_SCHEMA, resolvingCodec } from "./serde/avro.ts";
export { expandReferences, splitReferences } from "./serde/avro/references.ts";
export type { SplitSchema, SplitType } from "./serde/avro/references.ts";
export type {
  AvroCodec,
  AvroCodecOptions,
  LongRepresentation,
  ResolvingCodec,
  ValidationIssue,
} from "./serde/avro.ts";
export { ContentType, createEncoder, createSerde, decodeRecord, serdeForConfig } from "./serde/serde.ts";
export type { DecodeOptions, EncoderOptions, Serde, SerdeOptions } from "./serde/serde.ts";
export type { DecodedEvent, EncodedValue, EventEncoder, EventSerde, RecordToDecode } from "./serde/types.ts";
export { createRegistryClient, schemaIdWithReferences } from "./serde/registry.ts";
export { schemaTopicSettings, schemaTopicStore } from "./serde/schema-topic.ts";
export type { SchemaTopicEntry, SchemaTopicOptions } from "./serde/schema-topic.ts";
export { registryStore } from "./serde/writer-schemas.ts";
export type { WriterSchemaStore } from "./serde/writer-schemas.ts";
export type { RegistryClient, RegistryClientOptions, SchemaReference } from "./serde/registry.ts";
export type { DecodedRecord, DecodeFn } from "./consumer/router.ts";
export { buildDlqRecord } from "./dlq/record.ts";
export { deadLetterSize, fitDeadLetter } from "./dlq/truncate.ts";
export type { DlqRecord } from "./dlq/record.ts";
export { kafkaDlqSink, producerDlqSink } from "./dlq/sink.ts";
export type { DlqSink } from "./dlq/sink.ts";
export { backoffDelay, defaultRetryPolicy } from "./retry/backoff.ts";
// The kafkajs configuration a service's clients use (brokers, TLS, SASL, timeouts), for tools that
// need a kafkajs client of their own on the same cluster.
export { kafkajsConfig } from "./client/kafkajs.ts";
export type { Clock, RetryPolicy } from "./retry/backoff.ts";

// --- For generated code ---------------------------------------------------------------------------
// Generated files import only these (listed in `codegenSymbols`), plus `Producer`, `PublishOptions`,
// `Consumer`, `EventHandler` and `TopicHandler` above.
export { codegenSymbols, runtimeModule } from "./codegen-symbols.ts";
export { defineEvent, defineTopic } from "./descriptor.ts";
export type { EventDescriptor, TopicDescriptor, TopicEvent } from "./descriptor.ts";
export type { AvroUnion } from "./serde/avro.ts";
