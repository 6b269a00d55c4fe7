/**
 * The three error classes a consumer handler speaks in, as in the Go package:
 *
 * - `TransientError`: worth retrying (a database hiccup, a timeout). Retried in-process with
 *   backoff up to the consumer's `maxRetries`; then dead-lettered.
 * - `PermanentError`: retrying cannot help (invalid input). Dead-lettered on the first attempt.
 * - `BusinessError`: an expected domain outcome (a booking conflict). Logged and counted,
 *   neither retried nor dead-lettered; the offset is committed.
 *
 * The class is carried by a `Symbol.for` brand, so errors from another copy of this package are
 * recognised; the guards never use `instanceof`.
 */
import { SkejiError, type SkejiErrorOptions } from "./base.ts";

/** How the consumer treats a failed message. */
export type ErrorClass = "transient" | "permanent" | "business";

/** Registry-wide brand holding the `ErrorClass` of a processing error. */
export const errorClassBrand: unique symbol = Symbol.for("@skeji/kafka.errorClass") as never;

/** Stable codes of the consumer's errors (alongside the codes in `base.ts`). */
export const ConsumerErrorCode = {
  TRANSIENT: "TRANSIENT",
  PERMANENT: "PERMANENT",
  BUSINESS: "BUSINESS",
  /** A request's reply did not arrive within its timeout. */
  REQUEST_TIMEOUT: "REQUEST_TIMEOUT",
  /** The consumer (or requester) was stopped while an operation waited on it. */
  CONSUMER_CLOSED: "CONSUMER_CLOSED",
  /** A handler attempt ran past the consumer's `handlerTimeoutMs`. Transient. */
  HANDLER_TIMEOUT: "HANDLER_TIMEOUT",
  /** The message carries no handler-compatible event and the consumer was told to dead-letter it. */
  NO_HANDLER: "NO_HANDLER",
  /**
   * `start()` could not connect, subscribe or join (names the group and topics, with kafkajs' error
   * as cause), or there was nothing to start: no handler registered, no topic to subscribe to
   * (`cause`: an INVALID_CONFIG saying which).
   */
  CONSUMER_START_FAILED: "CONSUMER_START_FAILED",
  /** `start()` was called on a consumer that is already starting, running or stopped: a consumer starts once. */
  CONSUMER_ALREADY_STARTED: "CONSUMER_ALREADY_STARTED",
  /** `ready()` was called before `start()`: call `start()` first (it runs until `stop()`), then await `ready()`. */
  CONSUMER_NOT_STARTED: "CONSUMER_NOT_STARTED",
} as const;
export type ConsumerErrorCode = (typeof ConsumerErrorCode)[keyof typeof ConsumerErrorCode];

abstract class ProcessingError extends SkejiError {
  abstract readonly [errorClassBrand]: ErrorClass;
}

/** A failure worth retrying. */
export class TransientError extends ProcessingError {
  override readonly name = "TransientError";
  readonly [errorClassBrand] = "transient" as const;
  constructor(message: string, options?: SkejiErrorOptions) {
    super(ConsumerErrorCode.TRANSIENT, message, options);
  }
}

/** A failure no retry can fix; the message goes to the dead-letter queue. */
export class PermanentError extends ProcessingError {
  override readonly name = "PermanentError";
  readonly [errorClassBrand] = "permanent" as const;
  constructor(message: string, options?: SkejiErrorOptions) {
    super(ConsumerErrorCode.PERMANENT, message, options);
  }
}

/** An expected domain outcome; logged and counted, the message is done. */
export class BusinessError extends ProcessingError {
  override readonly name = "BusinessError";
  readonly [errorClassBrand] = "business" as const;
  constructor(message: string, options?: SkejiErrorOptions) {
    super(ConsumerErrorCode.BUSINESS, message, options);
  }
}

const opts = (cause: unknown): SkejiErrorOptions => (cause === undefined || cause === null ? {} : { cause });

/** `newTransientError("database connection failed", err)`, as in the Go guide. */
export const newTransientError = (message: string, cause?: unknown): TransientError =>
  new TransientError(message, opts(cause));
/** `newPermanentError("invalid message schema", err)`, as in the Go guide. */
export const newPermanentError = (message: string, cause?: unknown): PermanentError =>
  new PermanentError(message, opts(cause));
/** `newBusinessError("booking conflict", err)`, as in the Go guide. */
export const newBusinessError = (message: string, cause?: unknown): BusinessError =>
  new BusinessError(message, opts(cause));

/** The class an error was explicitly given (by these classes, from any copy of the package), if any. */
export function explicitErrorClass(e: unknown): ErrorClass | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const c = (e as Record<symbol, unknown>)[errorClassBrand];
  return c === "transient" || c === "permanent" || c === "business" ? c : undefined;
}

export const isTransientError = (e: unknown): e is TransientError => explicitErrorClass(e) === "transient";
export const isPermanentError = (e: unknown): e is PermanentError => explicitErrorClass(e) === "permanent";
export const isBusinessError = (e: unknown): e is BusinessError => explicitErrorClass(e) === "business";
