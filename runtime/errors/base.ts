/**
 * The error every part of @skeji/kafka throws.
 *
 * Callers branch on `code` (a stable string), never on the message text and
 * never on `instanceof`: two copies of this package in one program (the dual
 * package hazard) must still recognise each other's errors. The brand is a
 * `Symbol.for` key, which is shared across copies of the module.
 */

/** Registry-wide brand; present (and `true`) on every SkejiError, from any copy of the package. */
export const skejiErrorBrand: unique symbol = Symbol.for("@skeji/kafka.error") as never;

/**
 * Stable error codes. New codes may be added; existing ones never change meaning.
 * Engineers extending the runtime add their codes here so that every code is listed once.
 */
export const ErrorCode = {
  /** A configuration value (environment variable or option) is missing or malformed. */
  INVALID_CONFIG: "INVALID_CONFIG",
  /** A payload does not match its Avro schema; `details.path` and `details.expected` say where and what. */
  INVALID_PAYLOAD: "INVALID_PAYLOAD",
  /** A message could not be built (e.g. a key could not be derived from the payload). */
  INVALID_MESSAGE: "INVALID_MESSAGE",
  /** Encoding a valid payload failed (should not happen; indicates a schema/codec bug). */
  ENCODE_FAILED: "ENCODE_FAILED",
  /** Bytes could not be decoded with the writer schema. */
  DECODE_FAILED: "DECODE_FAILED",
  /** An Avro schema is invalid, or a reader schema cannot read a writer schema's data. */
  INVALID_SCHEMA: "INVALID_SCHEMA",
  /** A record names a schema (version, fingerprint or registry id) that is not known. */
  UNKNOWN_SCHEMA: "UNKNOWN_SCHEMA",
  /**
   * A record was written with a newer version of its event than this reader's generated code
   * knows, and no schema registry supplied that version's schema. Not the record's fault:
   * upgrade the consumer or configure a registry; `details` holds `eventType`, `version`
   * (the writer's, when named) and `known` (the reader's versions).
   */
  UNKNOWN_VERSION: "UNKNOWN_VERSION",
  /**
   * A header value is not in the form its name requires (a `timestamp` that is not an RFC 3339
   * date-time); `details.header` names it and `details.reason` says what is wrong.
   */
  INVALID_HEADER: "INVALID_HEADER",
  /** A record's event type is not one of the known descriptors. */
  UNKNOWN_EVENT_TYPE: "UNKNOWN_EVENT_TYPE",
  /** The schema registry did not answer (network, timeout, 5xx). Transient. */
  REGISTRY_UNAVAILABLE: "REGISTRY_UNAVAILABLE",
  /** The schema registry answered with a refusal (4xx: incompatible schema, auth, not found). */
  REGISTRY_ERROR: "REGISTRY_ERROR",
  /** Publishing failed after every attempt; `cause` is the last broker/client error. */
  PUBLISH_FAILED: "PUBLISH_FAILED",
  /**
   * The broker may or may not have written the record: a produce request was sent and no
   * definite answer came back (the connection dropped, the request timed out, retries ran out
   * after such an attempt, or the broker lost the producer's sequence state). Never reported for
   * a record known not to be written. Publishing again may write it twice (at-least-once);
   * consumers must tolerate the duplicate (`event-id` is the same). The producer has already
   * fenced its old producer id, so nothing published later can be mistaken for this record.
   */
  PUBLISH_AMBIGUOUS: "PUBLISH_AMBIGUOUS",
  /**
   * The broker refused the record for good and did not write it (authorization, an invalid or
   * corrupt record, a policy violation): publishing it again cannot succeed.
   */
  PUBLISH_REJECTED: "PUBLISH_REJECTED",
  /**
   * The record (key, value and headers) is larger than the producer's `maxMessageBytes` or the
   * topic's `max.message.bytes`. Permanent; nothing was written.
   */
  RECORD_TOO_LARGE: "RECORD_TOO_LARGE",
  /** Publishing failed and the message was written to the dead-letter topic. */
  PUBLISHED_TO_DLQ: "PUBLISHED_TO_DLQ",
  /** Publishing failed and writing to the dead-letter topic failed as well. */
  DLQ_FAILED: "DLQ_FAILED",
  /** The producer was closed (or is closing) and accepts no more messages. */
  PRODUCER_CLOSED: "PRODUCER_CLOSED",
  /**
   * The publish (or request) was aborted by the caller's AbortSignal or a timeout. For a publish,
   * `details.sent` says whether its record had been handed to the client: `false`, it was not
   * written; `true`, it may still be written. `details.reason` is `signal` or `timeout`.
   */
  ABORTED: "ABORTED",
  /**
   * `ensureTopics()` could not make a topic usable: the cluster cannot hold it as described (a
   * replication factor above the broker count), the broker refused it, or it (new or not) did not
   * become usable in time. `details.topics` names them; `details.created` lists what this call
   * created and made usable, `details.notCreated` / `unusable` / `unknown` the others.
   */
  TOPIC_CREATE_FAILED: "TOPIC_CREATE_FAILED",
  /**
   * The schema topic (where writer schemas travel without a registry) could not be read or
   * written: the broker did not answer, or refused us. About our infrastructure, not the record:
   * a consumer holds the partition and retries; it never dead-letters because of it.
   */
  SCHEMA_TOPIC_UNAVAILABLE: "SCHEMA_TOPIC_UNAVAILABLE",
  /** A broker or client connection failed. Transient. */
  CONNECTION_FAILED: "CONNECTION_FAILED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface SkejiErrorOptions {
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The base error. `code` is stable; `details` carries structured, secret-free context. */
export class SkejiError extends Error {
  override readonly name: string = "SkejiError";
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [skejiErrorBrand] = true as const;

  constructor(code: string, message: string, options: SkejiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** The shape shared by every SkejiError from any copy of the package. */
export interface SkejiErrorLike extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
}

/**
 * True if `e` is a SkejiError (from this or any other copy of the package),
 * optionally with the given `code`.
 */
export function isSkejiError(e: unknown, code?: string): e is SkejiErrorLike {
  if (typeof e !== "object" || e === null) return false;
  if ((e as Record<symbol, unknown>)[skejiErrorBrand] !== true) return false;
  return code === undefined || (e as { code?: unknown }).code === code;
}

/** Shorthand constructor used across the runtime. */
export function skejiError(code: ErrorCode, message: string, options?: SkejiErrorOptions): SkejiError {
  return new SkejiError(code, message, options);
}
