/**
 * Dead-letter records that fit: a record whose dead-letter copy is larger than the dead-letter
 * topic accepts (a value near the source topic's `max.message.bytes` plus the `dlq-*` headers, a
 * 1 MB header) would otherwise be refused on every attempt and hold its partition forever. Such a
 * record is dead-lettered truncated instead, saying so in a header:
 *
 * - the DLQ's own headers (`original-*`, `dlq-*`, `retry-count`) are kept whole;
 * - the key is kept whole if it fits, else dropped (a cut key would be another key);
 * - the value and the other headers share what is left: every one larger than a common cap is
 *   cut to its first bytes (text on a character boundary, ending in `...`), the largest cap that
 *   fits; smaller ones stay whole;
 * - `dlq-truncated` says which parts were cut and how large they were (see `DlqTruncatedHeader`).
 *
 * Sizes are counted as the broker counts `max.message.bytes` for a batch of one uncompressed
 * record, with every length field at its largest, so an estimate within the limit is within it on
 * the wire too.
 */
import { ErrorCode, isSkejiError } from "../errors/base.ts";
import { truncateUtf8 } from "../message/truncate.ts";
import { DlqHeader } from "./record.ts";

/** The header a truncated dead-letter record carries (see `DlqTruncatedHeader`). */
export const dlqTruncatedHeader = DlqHeader.truncated;

/**
 * The value of `dlq-truncated`, JSON: the original size in bytes of the record (`record`) and of
 * each part that was cut or dropped - `key` (dropped), `value` (cut), `header:<name>` (cut; a
 * repeated header counts all its values). E.g. `{"record":2097305,"value":1048576,"header:blob":1048576}`.
 */
export type DlqTruncatedHeader = Readonly<Record<string, number>>;

/**
 * The default largest dead-letter record, in bytes: what Kafka accepts by default
 * (`max.message.bytes` is 1 MiB + 12 bytes of batch overhead allowance).
 */
export const defaultDlqMaxRecordBytes = 1024 * 1024;

type HeaderPart = string | Buffer;
type HeaderValue = HeaderPart | readonly HeaderPart[] | undefined;

/** What the truncation needs of a dead-letter record (the consumer's and the producer's fit). */
export interface DeadLetterShape {
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** Batch header of a one-record batch, plus the record's own fields at their largest varint sizes. */
const recordOverhead = 61 + 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** Per header: its name's and its value's length fields, at their largest. */
const headerOverhead = 10;

const bytesOf = (v: HeaderPart | null): number =>
  v === null ? 0 : typeof v === "string" ? Buffer.byteLength(v) : v.length;
const partsOf = (v: HeaderValue): readonly HeaderPart[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v as HeaderPart];

/** The size of `record` on the wire, at most: what the broker compares with `max.message.bytes`. */
export function deadLetterSize(record: DeadLetterShape): number {
  let size = recordOverhead + bytesOf(record.key) + bytesOf(record.value);
  for (const [name, value] of Object.entries(record.headers)) {
    for (const part of partsOf(value)) size += headerOverhead + Buffer.byteLength(name) + bytesOf(part);
  }
  return size;
}

const kept = new Set<string>(Object.values(DlqHeader));

/**
 * `record` itself when it fits in `maxBytes`, else a truncated copy (see above) that fits if
 * anything can: when the DLQ's own headers alone are larger, the copy keeps only them.
 */
export function fitDeadLetter<R extends DeadLetterShape>(record: R, maxBytes: number): R {
  const original = deadLetterSize(record);
  if (original <= maxBytes) return record;
  const ours: [string, HeaderValue][] = [];
  const theirs: [string, readonly HeaderPart[]][] = [];
  for (const [name, value] of Object.entries(record.headers)) {
    if (value === undefined) continue;
    if (kept.has(name)) ours.push([name, value]);
    else theirs.push([name, partsOf(value)]);
  }
  const sizeOfHeaders = (headers: readonly [string, HeaderValue][]): number =>
    deadLetterSize({ key: null, value: null, headers: Object.fromEntries(headers) }) - recordOverhead;
  // The room `dlq-truncated` can take at most: every part listed, with the original sizes.
  const reserve = headerOverhead + dlqTruncatedHeader.length + everyPartListed(original, record, theirs).length;
  let room = maxBytes - recordOverhead - sizeOfHeaders(ours) - reserve;
  const cut: Record<string, number> = { record: original };

  const keyBytes = bytesOf(record.key);
  let key = record.key;
  if (keyBytes > 0 && keyBytes > room) {
    key = null;
    cut.key = keyBytes;
  } else room -= keyBytes;

  // Header names (and their length fields) cannot be cut; if they alone do not fit, the other
  // headers are left out altogether.
  const names = theirs.reduce((n, [name, parts]) => n + parts.length * (headerOverhead + Buffer.byteLength(name)), 0);
  const dropHeaders = names > room;
  if (dropHeaders) {
    for (const [name, parts] of theirs) cut[`header:${name}`] = parts.reduce((n, p) => n + bytesOf(p), 0);
  } else room -= names;

  const sizes = [bytesOf(record.value), ...(dropHeaders ? [] : theirs.flatMap(([, parts]) => parts.map(bytesOf)))];
  const cap = largestCap(sizes, Math.max(0, room));
  const value = record.value === null || record.value.length <= cap ? record.value : record.value.subarray(0, cap);
  if (value !== record.value) cut.value = bytesOf(record.value);
  const headers: Record<string, HeaderValue> = {};
  if (!dropHeaders) {
    for (const [name, parts] of theirs) {
      const fitted = parts.map((p) => cutPart(p, cap));
      if (fitted.some((p, i) => p !== parts[i])) cut[`header:${name}`] = parts.reduce((n, p) => n + bytesOf(p), 0);
      headers[name] = fitted.length === 1 ? fitted[0] : fitted;
    }
  }
  for (const [name, value] of ours) headers[name] = value;
  headers[dlqTruncatedHeader] = JSON.stringify(cut);
  return { ...record, key, value, headers } as R;
}

/** The largest `cap` with sum(min(size, cap)) <= room: parts up to it stay whole, larger ones are cut to it. */
function largestCap(sizes: readonly number[], room: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let left = room;
  for (let i = 0; i < sorted.length; i++) {
    const size = sorted[i] as number;
    const share = Math.floor(left / (sorted.length - i));
    if (size > share) return share;
    left -= size;
  }
  return Number.POSITIVE_INFINITY;
}

const cutPart = (part: HeaderPart, cap: number): HeaderPart => {
  if (bytesOf(part) <= cap) return part;
  if (typeof part !== "string") return part.subarray(0, cap);
  return cap < 3 ? "" : truncateUtf8(part, cap); // room for the "..." that marks the cut
};

/** `dlq-truncated` as if every part had been cut: the most room it can take. */
function everyPartListed(
  original: number,
  record: DeadLetterShape,
  theirs: readonly [string, readonly HeaderPart[]][],
): string {
  const parts: Record<string, number> = { record: original, key: bytesOf(record.key), value: bytesOf(record.value) };
  for (const [name, values] of theirs) parts[`header:${name}`] = values.reduce((n, p) => n + bytesOf(p), 0);
  return JSON.stringify(parts);
}

/**
 * True when a write failed because the record is too large: the broker's MESSAGE_TOO_LARGE or
 * RECORD_LIST_TOO_LARGE (kafkajs), or the runtime's RECORD_TOO_LARGE, anywhere in the cause chain.
 */
export function isTooLarge(error: unknown): boolean {
  // A refusal inside a request that may have written the record (several partitions at once) is
  // not a refusal of this record: writing a cut copy could leave two dead letters.
  if (isSkejiError(error, ErrorCode.PUBLISH_AMBIGUOUS)) return false;
  let e: unknown = error;
  for (let depth = 0; e !== null && typeof e === "object" && depth < 8; depth++) {
    const type = (e as { type?: unknown }).type;
    if (type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE") return true;
    if (isSkejiError(e, ErrorCode.RECORD_TOO_LARGE)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Writes a dead-letter record with `write`, fitted to `maxBytes` first; when the topic refuses it
 * as too large all the same (its `max.message.bytes` is smaller), writes it again cut to half the
 * size, until it is accepted or cannot be cut any further (then the last refusal is thrown).
 * Resolves with the record as written.
 */
export async function writeFitted<R extends DeadLetterShape>(
  write: (record: R) => Promise<void>,
  record: R,
  maxBytes: number,
): Promise<R> {
  let candidate = fitDeadLetter(record, maxBytes);
  for (;;) {
    try {
      await write(candidate);
      return candidate;
    } catch (e) {
      if (!isTooLarge(e)) throw e;
      const size = deadLetterSize(candidate);
      const smaller = fitDeadLetter(record, Math.floor(size / 2));
      if (deadLetterSize(smaller) >= size) throw e;
      candidate = smaller;
    }
  }
}
