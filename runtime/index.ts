/**
 * @skeji/kafka: typed Kafka events.
 *
 * Named exports only, on purpose. User-facing API first; the names generated
 * code uses are listed in their own block at the end.
 */

// --- For generated code ---------------------------------------------------------------------------
export { codegenSymbols, runtimeModule } from "./codegen-symbols.ts";
// --- Configuration --------------------------------------------------------------------------------
export { clientConfigFromEnv, consumerConfigFromEnv, producerConfigFromEnv } from "./config/env.ts";
export type {
  ClientConfig,
  Compression,
  ConsumerConfig,
  ProducerConfig,
  RequiredAcks,
  SaslConfig,
  SaslMechanism,
  SchemaRegistryConfig,
  StartOffset,
  TlsConfig,
} from "./config/types.ts";
// --- Consumer -------------------------------------------------------------------------------------
export type { Consumer, ConsumerOptions } from "./consumer/consumer.ts";
export { createConsumer } from "./consumer/consumer.ts";
export type { ConsumerObserver } from "./consumer/processor.ts";
export type { DecodedRecord, DecodeFn } from "./consumer/router.ts";
export type { ShutdownSignal } from "./consumer/shutdown.ts";
export { shutdownOnSignals } from "./consumer/shutdown.ts";
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
// --- Descriptors and payload types --------------------------------------------------------------
export type {
  AnyEventDescriptor,
  AvroSchema,
  CompatibilityLevel,
  EventDescriptor,
  EventVersion,
  InitOf,
  PayloadOf,
  TopicDescriptor,
  TopicEvent,
  WireFormat,
} from "./descriptor.ts";
export { defineEvent, defineTopic } from "./descriptor.ts";
export type { DlqRecord } from "./dlq/record.ts";
export { buildDlqRecord, DlqHeader } from "./dlq/record.ts";
export type { DlqSink } from "./dlq/sink.ts";
export { producerDlqSink } from "./dlq/sink.ts";
// --- Errors ---------------------------------------------------------------------------------------
export type { ErrorCode as ErrorCodeValue, SkejiErrorLike, SkejiErrorOptions } from "./errors/base.ts";
export { ErrorCode, isSkejiError, SkejiError } from "./errors/base.ts";
export type { ClassifyOptions } from "./errors/classify.ts";
export { classifyError } from "./errors/classify.ts";
export type { ErrorClass } from "./errors/processing.ts";
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
// --- Messages and headers -------------------------------------------------------------------------
export type { Headers } from "./message/headers.ts";
export { HeaderName, parseRetryCount, parseSchemaVersion, readHeaders, rfc3339 } from "./message/headers.ts";
export type { Message } from "./message/message.ts";
export { MessageBuilder, newMessage } from "./message/message.ts";
export {
  loggingConsumerMiddleware,
  metricsConsumerMiddleware,
  tracingConsumerMiddleware,
} from "./middleware/consumer.ts";
// --- Producer -------------------------------------------------------------------------------------
export {
  composeProducerMiddleware,
  loggingProducerMiddleware,
  tracingProducerMiddleware,
} from "./middleware/producer.ts";
export type { ConsumerMetrics } from "./observability/consumer-metrics.ts";
export { consumerMetrics } from "./observability/consumer-metrics.ts";
export type { Logger } from "./observability/logger.ts";
export { defaultLogger, silentLogger } from "./observability/logger.ts";
export type { ProducerMetrics } from "./observability/metrics.ts";
export { producerMetrics } from "./observability/metrics.ts";
export type { ProducerOptions } from "./producer/producer.ts";
export { createProducer } from "./producer/producer.ts";
export type {
  Producer,
  ProducerMiddleware,
  PublishContext,
  PublishNext,
  PublishOptions,
  PublishResult,
} from "./producer/types.ts";
export type { Requester, RequesterOptions, RequestOptions } from "./request-reply/request-reply.ts";
export { createRequester, reply, replyToHeader } from "./request-reply/request-reply.ts";
export type { Clock, RetryPolicy } from "./retry/backoff.ts";
export { backoffDelay, defaultRetryPolicy } from "./retry/backoff.ts";
// --- Avro codec ---------------------------------------------------------------------------------
export type {
  AvroCodec,
  AvroCodecOptions,
  AvroUnion,
  LongRepresentation,
  ResolvingCodec,
  ValidationIssue,
} from "./serde/avro.ts";
export { avroCodec, INVALID_SCHEMA, resolvingCodec } from "./serde/avro.ts";
// --- Wire formats ---------------------------------------------------------------------------------
export type { RegistryClient, RegistryClientOptions } from "./serde/registry.ts";
export { createRegistryClient } from "./serde/registry.ts";
export type { DecodeOptions, EncoderOptions, Serde, SerdeOptions } from "./serde/serde.ts";
export { ContentType, createEncoder, createSerde, decodeRecord } from "./serde/serde.ts";
export type { SubjectSource } from "./serde/subjects.ts";
export { subjectFor } from "./serde/subjects.ts";
export type { DecodedEvent, EncodedValue, EventEncoder, EventSerde, RecordToDecode } from "./serde/types.ts";
