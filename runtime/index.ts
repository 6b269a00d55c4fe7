/**
 * @skeji/kafka: typed Kafka events.
 *
 * Named exports only, on purpose. User-facing API first; the names generated
 * code uses are listed in their own block at the end.
 */

// --- For generated code ---------------------------------------------------------------------------
export { codegenSymbols, runtimeModule } from "./codegen-symbols.ts";
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
// --- Errors ---------------------------------------------------------------------------------------
export type { ErrorCode as ErrorCodeValue, SkejiErrorLike, SkejiErrorOptions } from "./errors/base.ts";
export { ErrorCode, isSkejiError, SkejiError } from "./errors/base.ts";
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
