/** Turning publish input into record bytes: keys from payloads, plain message values. */
import type { OutgoingHeaderValue, OutgoingRecord } from "../client/types.ts";
import type { OptionalHeader } from "../config/types.ts";
import type { AnyEventDescriptor } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { HeaderName, type RawHeaders } from "../message/headers.ts";
import { ContentType } from "../serde/serde.ts";

const keyPaths = new Map<string, readonly string[]>();

/**
 * The record key: the value at the descriptor's dotted `keyField` in the payload.
 * Strings are used as they are, numbers and bigints in decimal. A missing key is
 * an error, not a silently unkeyed message (ordering depends on it).
 */
export function keyFromPayload(descriptor: AnyEventDescriptor, payload: unknown): string | undefined {
  if (descriptor.keyField === "") return undefined;
  let value: unknown = payload;
  let path = keyPaths.get(descriptor.keyField);
  if (path === undefined) {
    path = descriptor.keyField.split(".");
    keyPaths.set(descriptor.keyField, path);
  }
  for (const part of path) {
    value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new SkejiError(
    ErrorCode.INVALID_PAYLOAD,
    `${descriptor.type}: key field "${descriptor.keyField}" is ${value === undefined || value === null ? "missing" : `a ${typeof value}`}; expected a string or number`,
    { details: { path: descriptor.keyField, expected: "string" } },
  );
}

type SchemaHeaders = Readonly<Record<string, string>>;

/**
 * The schema headers an encoder returns, less the optional ones the producer leaves out:
 * `schema-fingerprint` unless chosen, `content-type` on embedded Avro unless chosen. An encoder
 * returns the same (frozen) object for every record, so the result is worked out once per object.
 */
export function schemaHeaderFilter(optional: readonly OptionalHeader[]): (headers: SchemaHeaders) => SchemaHeaders {
  const fingerprint = optional.includes(HeaderName.schemaFingerprint);
  const contentType = optional.includes(HeaderName.contentType);
  if (fingerprint && contentType) return (headers) => headers;
  const kept = new WeakMap<SchemaHeaders, SchemaHeaders>();
  return (headers) => {
    let out = kept.get(headers);
    if (out === undefined) {
      const copy: Record<string, string> = {};
      for (const name of Object.keys(headers)) {
        const value = headers[name] as string;
        if (name === HeaderName.schemaFingerprint && !fingerprint) continue;
        if (name === HeaderName.contentType && !contentType && value === ContentType.avro) continue;
        copy[name] = value;
      }
      out = Object.freeze(copy);
      kept.set(headers, out);
    }
    return out;
  };
}

/** Bytes as they are, text as UTF-8, `null` as a tombstone, anything else as JSON (what the Go package does). */
export function messageValueBytes(value: unknown): Buffer | null {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value === undefined) {
    throw new SkejiError(
      ErrorCode.INVALID_MESSAGE,
      "the message has no value; use withValue(), or null for a tombstone",
    );
  }
  try {
    return Buffer.from(JSON.stringify(value), "utf8");
  } catch (error) {
    throw new SkejiError(ErrorCode.INVALID_PAYLOAD, "the message value cannot be written as JSON", { cause: error });
  }
}

/**
 * A message's `rawHeaders` ready for the wire: Buffers and text as they are, other Uint8Arrays
 * as Buffers over the same memory (no copy), arrays element by element, undefined left out.
 */
export function outgoingHeaders(raw: RawHeaders): Record<string, OutgoingHeaderValue> {
  const out: Record<string, OutgoingHeaderValue> = {};
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (value === undefined) continue;
    out[name] = typeof value === "string" || value instanceof Uint8Array ? headerBytes(value) : value.map(headerBytes);
  }
  return out;
}

function headerBytes(value: string | Uint8Array): string | Buffer {
  if (typeof value === "string" || Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Key, value and header bytes of a record (for batch limits; text headers counted by length). */
export function recordBytes(record: OutgoingRecord): number {
  const key = record.key;
  let n = (typeof key === "string" ? Buffer.byteLength(key) : (key?.length ?? 0)) + (record.value?.length ?? 0);
  for (const name in record.headers) {
    const value = record.headers[name];
    n += name.length;
    if (typeof value === "string") n += value.length;
    else if (value !== undefined) n += Buffer.isBuffer(value) ? value.length : repeatedBytes(value);
  }
  return n;
}

/**
 * Kafka's framing around a record sent alone: the record batch header (61 bytes) and the record's
 * own length, attributes, timestamp and offset deltas and key/value lengths (varints, at most 36).
 */
export const recordFramingBytes = 61 + 36;

/**
 * A record's size on the wire when sent alone, at most: its bytes (text as UTF-8), the framing,
 * and two length varints per header value.
 */
export function wireBytes(record: OutgoingRecord): number {
  const key = record.key;
  let n = recordFramingBytes + (typeof key === "string" ? Buffer.byteLength(key) : (key?.length ?? 0));
  n += record.value?.length ?? 0;
  for (const name in record.headers) {
    const value = record.headers[name];
    const values = typeof value === "string" || Buffer.isBuffer(value) ? [value] : (value ?? []);
    for (const v of values)
      n += 10 + Buffer.byteLength(name) + (typeof v === "string" ? Buffer.byteLength(v) : v.length);
  }
  return n;
}

function repeatedBytes(values: readonly (string | Buffer)[]): number {
  let n = 0;
  for (const v of values) n += v.length;
  return n;
}
