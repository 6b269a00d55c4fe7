/**
 * Kafka's record batch (magic 2) for one partition, written into one Buffer.
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | firstTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records
 *
 *   record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *           key varint-length bytes (-1: null) | value likewise | header count varint |
 *           headers (name varint-length bytes, value varint-length bytes (-1: null))
 *
 * Sizes are computed first, so the records are written once, straight into the batch (or, when the
 * batch is compressed, into a scratch buffer that is reused from batch to batch and handed to the
 * codec); no per-record buffers, no BigInt per record. Timestamps are numbers: milliseconds since
 * the epoch are exact in a double for the next quarter million years.
 *
 * The bytes are those @platformatic/kafka's own `createRecordsBatch` writes for the same records and
 * producer state (test/runtime/producer/record-batch.test.ts compares them), so the broker sees no
 * difference between the two paths.
 */

import { crc32c } from "./crc32c.ts";

/**
 * A header name or value: bytes, or text written as UTF-8 straight into the batch (a value that
 * differs on every record, such as an id or a time, is never turned into a Buffer of its own).
 */
export type HeaderBytes = Buffer | string | null;

/** One record as the batch holds it: bytes, and header names and values alternating. */
export interface BatchRecord {
  /** `null` writes no key; text is written as UTF-8. */
  readonly key: HeaderBytes;
  /** `null` writes a tombstone; text is written as UTF-8. */
  readonly value: HeaderBytes;
  /** name, value, name, value, ...; a `null` value is written as a null header value. */
  readonly headers: readonly HeaderBytes[];
  /** Milliseconds since the epoch; the batch's `now` when absent. */
  readonly timestamp?: number | undefined;
}

/** Compression codec ids of the batch's attributes (bits 0-2). */
export const codecIds = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export interface BatchOptions {
  /** -1n without idempotence. */
  readonly producerId: bigint;
  /** -1 without idempotence. */
  readonly producerEpoch: number;
  /** The partition's next sequence number; -1 without idempotence. */
  readonly baseSequence: number;
  /** Attribute bits 0-2: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  readonly codec: number;
  /** Compresses the records section with the codec named by `codec` (unused when it is 0). */
  readonly compress?: ((records: Buffer) => Buffer) | undefined;
  /** The timestamp of records that carry none; `Date.now()` when absent. */
  readonly now?: number | undefined;
  /**
   * A faster CRC-32C of the same bytes, when one is at hand (e.g. a native one); the one of
   * crc32c.ts otherwise.
   */
  readonly crc32c?: ((bytes: Uint8Array) => number) | undefined;
  /** Written as given (the broker sets its own on append); 0 as the client writes it. */
  readonly partitionLeaderEpoch?: number | undefined;
  /**
   * The batch's base timestamp, from which each record's delta is counted, when the caller fixes it
   * (kafkajs takes the smallest of the records' timestamps); the first record's otherwise.
   */
  readonly firstTimestamp?: number | undefined;
  /** The batch's max timestamp, when the caller fixes it; the largest record's otherwise. */
  readonly maxTimestamp?: number | undefined;
}

/** Bytes before the records: fixed fields of the batch. */
export const BATCH_HEADER_SIZE = 61;
/** Offset of `attributes`, where the CRC starts. */
const CRC_START = 21;

const TWO_32 = 2 ** 32;

/** Bytes of a zigzag varint for an int32. */
function varintSize(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

/** Bytes of a zigzag varlong for a safe integer (a timestamp delta). */
function varlongSize(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return varintSize(value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function writeVarlong(buf: Buffer, pos: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, pos, value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** A signed 64-bit integer from a safe integer, without BigInt. */
function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

/** The UTF-8 length of text; short ASCII text (most header values) is measured without a native call. */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, "utf8");
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, "utf8");
  return n;
}

/**
 * The UTF-8 lengths of the text fields of the batch being encoded, in the order they are met:
 * measured once, read back when written.
 */
let textLengths = new Int32Array(4096);
let textCount = 0;
let textRead = 0;

function bytesSize(b: HeaderBytes): number {
  if (b === null) return 1;
  if (typeof b !== "string") return varintSize(b.length) + b.length;
  const n = utf8Length(b);
  if (textCount === textLengths.length) {
    const grown = new Int32Array(textLengths.length * 2);
    grown.set(textLengths);
    textLengths = grown;
  }
  textLengths[textCount++] = n;
  return varintSize(n) + n;
}

function writeBytes(buf: Buffer, pos: number, b: HeaderBytes): number {
  if (b === null) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  if (typeof b === "string") {
    const n = textLengths[textRead++] as number;
    pos = writeVarint(buf, pos, n);
    // Equal lengths: every character is ASCII, one byte each, copied without a call into the runtime.
    if (n === b.length && n <= 64) {
      for (let i = 0; i < n; i++) buf[pos + i] = b.charCodeAt(i);
      return pos + n;
    }
    return pos + buf.write(b, pos, n, "utf8");
  }
  pos = writeVarint(buf, pos, b.length);
  // A typed-array copy: no call into Node's bindings, whatever the length.
  buf.set(b, pos);
  return pos + b.length;
}

/** Record body sizes of the last batch (reused: a batch measures and then writes its records). */
let sizes = new Int32Array(1024);
/** The records section of a compressed batch is written here before the codec copies it out. */
let scratch = Buffer.allocUnsafe(64 * 1024);
const MAX_SCRATCH = 4 * 1024 * 1024;

/** The size of the records section; fills `sizes` with each record's body size. */
function measure(records: readonly BatchRecord[], first: number, now: number): number {
  if (sizes.length < records.length) sizes = new Int32Array(records.length * 2);
  textCount = 0;
  textRead = 0;
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as BatchRecord;
    const headers = r.headers;
    let size = 1 + varlongSize((r.timestamp ?? now) - first) + varintSize(i) + bytesSize(r.key) + bytesSize(r.value);
    size += varintSize(headers.length >> 1);
    for (let h = 0; h < headers.length; h++) size += bytesSize(headers[h] as HeaderBytes);
    sizes[i] = size;
    total += varintSize(size) + size;
  }
  return total;
}

function writeRecords(buf: Buffer, pos: number, records: readonly BatchRecord[], first: number, now: number): number {
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as BatchRecord;
    const headers = r.headers;
    pos = writeVarint(buf, pos, sizes[i] as number);
    buf[pos++] = 0; // attributes
    pos = writeVarlong(buf, pos, (r.timestamp ?? now) - first);
    pos = writeVarint(buf, pos, i);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    pos = writeVarint(buf, pos, headers.length >> 1);
    for (let h = 0; h < headers.length; h++) pos = writeBytes(buf, pos, headers[h] as HeaderBytes);
  }
  return pos;
}

/** The batch's base and max timestamps, and the records section's size (measured into `sizes`). */
function plan(
  records: readonly BatchRecord[],
  options: BatchOptions,
): { now: number; first: number; max: number; size: number } {
  if (records.length === 0) throw new RangeError("a record batch needs at least one record");
  const now = options.now ?? Date.now();
  const first = options.firstTimestamp ?? (records[0] as BatchRecord).timestamp ?? now;
  let max = options.maxTimestamp;
  if (max === undefined) {
    max = first;
    for (let i = 0; i < records.length; i++) {
      const t = (records[i] as BatchRecord).timestamp ?? now;
      if (t > max) max = t;
    }
  }
  return { now, first, max, size: measure(records, first, now) };
}

/**
 * One partition's records as a record batch: offsets 0..n-1, the first record's timestamp as the
 * batch's base (unless `firstTimestamp` says otherwise), the CRC filled in. Throws on an empty list
 * (a batch has at least one record).
 */
export function encodeRecordBatch(records: readonly BatchRecord[], options: BatchOptions): Buffer {
  const { now, first, max, size: recordsSize } = plan(records, options);

  let batch: Buffer;
  if (options.codec === 0) {
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
    writeRecords(batch, BATCH_HEADER_SIZE, records, first, now);
  } else {
    if (options.compress === undefined) throw new TypeError("a compressed record batch needs a compress function");
    // Kept for the next batch up to 4 MiB; a rare larger batch gets a buffer of its own.
    if (scratch.length < recordsSize && recordsSize <= MAX_SCRATCH)
      scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH, Math.max(recordsSize, scratch.length * 2)));
    const into = scratch.length >= recordsSize ? scratch : Buffer.allocUnsafe(recordsSize);
    writeRecords(into, 0, records, first, now);
    // The codec reads a view of the records and returns its own new buffer.
    const compressed = options.compress(into.subarray(0, recordsSize));
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(batch, BATCH_HEADER_SIZE);
  }
  return finish(batch, records.length, first, max, options);
}

/**
 * The same batch compressed by a codec that answers later (kafkajs's codecs are asynchronous). The
 * records are written into a buffer of their own rather than the shared scratch buffer, since other
 * batches may be encoded while the codec works.
 */
export async function encodeCompressedRecordBatch(
  records: readonly BatchRecord[],
  options: BatchOptions,
  compress: (records: Buffer) => Promise<Buffer>,
): Promise<Buffer> {
  const { now, first, max, size: recordsSize } = plan(records, options);
  const section = Buffer.allocUnsafe(recordsSize);
  writeRecords(section, 0, records, first, now);
  const compressed = await compress(section);
  const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
  compressed.copy(batch, BATCH_HEADER_SIZE);
  return finish(batch, records.length, first, max, options);
}

/** Fills in the fields before the records, and the CRC over everything after it. */
function finish(batch: Buffer, count: number, first: number, max: number, options: BatchOptions): Buffer {
  batch.writeInt32BE(0, 0); // baseOffset: the broker assigns offsets
  batch.writeInt32BE(0, 4);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? 0, 12);
  batch[16] = 2; // magic
  batch.writeInt16BE(options.codec, CRC_START);
  batch.writeInt32BE(count - 1, 23);
  writeInt64(batch, 27, first);
  writeInt64(batch, 35, max);
  batch.writeBigInt64BE(options.producerId, 43);
  batch.writeInt16BE(options.producerEpoch, 51);
  batch.writeInt32BE(options.baseSequence, 53);
  batch.writeInt32BE(count, 57);
  const crc = options.crc32c === undefined ? crc32c(batch, CRC_START) : options.crc32c(batch.subarray(CRC_START));
  batch.writeUInt32BE(crc >>> 0, 17);
  return batch;
}
