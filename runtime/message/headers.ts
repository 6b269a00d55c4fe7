import { ErrorCode, SkejiError } from "../errors/base.ts";
import { parseRfc3339 } from "./rfc3339.ts";

/**
 * Standard header names, byte-identical to the Go services, and helpers to read
 * and write header values. Every value is a UTF-8 string.
 */

export const HeaderName = {
  /** UUID of the event; generated when the publisher sets none. */
  eventId: "event-id",
  /** e.g. `booking.created`. */
  eventType: "event-type",
  correlationId: "correlation-id",
  conversationId: "conversation-id",
  /** `v<N>`, the schema version the value was written with (e.g. `v2`). */
  schemaVersion: "schema-version",
  source: "source",
  /**
   * When the event was created, RFC3339. Written in UTC with whole seconds (`2025-11-18T15:00:00Z`);
   * read with any offset and fraction (`2025-11-18T17:00:00.123456789+02:00`), see `parseTimestamp`.
   */
  timestamp: "timestamp",
  /** Decimal count of re-deliveries (`0`, `1`, ... `12`); see `parseRetryCount` for what is read. */
  retryCount: "retry-count",
  // On dead-letter records:
  originalTopic: "original-topic",
  dlqError: "dlq-error",
  dlqTimestamp: "dlq-timestamp",
  dlqConsumerGroup: "dlq-consumer-group",
  // Added by this SDK (the Go services ignore headers they do not know):
  /** Fingerprint of the writer schema, so a reader can verify `schema-version` names the schema it holds. */
  schemaFingerprint: "schema-fingerprint",
  /** `application/avro`, `application/vnd.confluent.avro` or `application/json`. */
  contentType: "content-type",
  /** Error name and code on dead-letter records, e.g. `SkejiError:PUBLISH_FAILED`. */
  dlqErrorType: "dlq-error-type",
} as const;

export type HeaderName = (typeof HeaderName)[keyof typeof HeaderName];

export type Headers = Readonly<Record<string, string>>;

/** A header value as kafkajs hands it over. */
export type RawHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/**
 * Headers to be written exactly as given: bytes (`Buffer` / `Uint8Array`) as they are, text as
 * UTF-8, an array as a repeated header (one record header per element, in order). A consumed
 * record's `rawHeaders` fit as they are.
 */
export type RawHeaders = Readonly<Record<string, string | Uint8Array | readonly (string | Uint8Array)[] | undefined>>;

/** Converts record headers into plain strings; a repeated header keeps its last value. */
export function readHeaders(raw: Readonly<Record<string, RawHeaderValue>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const [name, value] of Object.entries(raw)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    out[name] = typeof last === "string" ? last : last.toString("utf8");
  }
  return out;
}

let cachedSecond = Number.NaN;
let cachedText = "";

/** RFC3339 in UTC with whole seconds, the form Go's `time.RFC3339` writes. */
export function rfc3339(date: Date | number): string {
  const ms = typeof date === "number" ? date : date.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    // Formatting is costly next to everything else per message; one string per second is enough.
    cachedText = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
    cachedSecond = second;
  }
  return cachedText;
}

/** `v3` for version 3; the form the Go services use. */
export function formatSchemaVersion(version: number): string {
  return `v${version}`;
}

/** Reads `v3` or `3`; `undefined` for anything else. */
export function parseSchemaVersion(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^v?(\d{1,9})$/i.exec(value.trim());
  return m === null ? undefined : Number(m[1]);
}

/**
 * Reads a `timestamp` header: an RFC 3339 date-time with any offset (`Z`, `+02:00`, `-05:30`) and
 * fractional seconds of any length, as Go's `time.RFC3339` / `time.RFC3339Nano` write it, to the
 * instant it names (to the millisecond). Throws INVALID_HEADER saying what is wrong otherwise: not
 * that form, or a date-time that does not exist (February 30, hour 24, a leap second).
 */
export function parseTimestamp(value: string): Date {
  const read = parseRfc3339(value.trim());
  if ("date" in read) return read.date;
  const shown = value.length > 64 ? `${JSON.stringify(value.slice(0, 64))}...` : JSON.stringify(value);
  throw new SkejiError(
    ErrorCode.INVALID_HEADER,
    `header ${HeaderName.timestamp} ${shown} is not an RFC 3339 timestamp: ${read.problem}`,
    {
      details: { header: HeaderName.timestamp, reason: read.problem },
    },
  );
}

/**
 * Reads `retry-count` as a decimal number; a missing or malformed header counts as 0. Also reads
 * what the Go services write past 9: they write the count as the one character `'0' + count`
 * (`:` for 10, `;` for 11, ...), which no decimal writer produces, so it cannot be misread.
 */
export function parseRetryCount(value: string | undefined): number {
  if (value === undefined) return 0;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const code = text.codePointAt(0) ?? 0;
  return text.length > 0 && text.length === String.fromCodePoint(code).length && code > 0x39 && code !== 0xfffd
    ? code - 0x30
    : 0;
}
