/**
 * The consumer's own decoder of Fetch v11 responses (the version kafkajs 2.2.4 asks a Kafka 2.3+
 * broker for), producing exactly what kafkajs's decoder produces: same objects, same fields, same
 * strings, Buffers with the same bytes. kafkajs spends most of a consumer's CPU here: a decoder
 * object per record, its 64-bit arithmetic through BigInt wrappers (three per record, for the
 * offset and the timestamp), and a headers object copied once per header. This one reads every
 * record straight off the response buffer with plain numbers while they are exact (below 2^53),
 * BigInt beyond, and builds each headers object once.
 *
 * It only decodes what it recognises as well formed: record batches (magic 2) whose every length
 * stays inside its bounds. Anything else - legacy message sets (magic 0/1), a length that runs
 * past its container, a varint longer than its type, a header named `__proto__` - makes it throw,
 * and the caller then decodes the whole response with kafkajs's own decoder, so a corrupt or
 * crafted response ends exactly as it did before (kafkajs's result or kafkajs's error). A partial
 * record batch at the end of a partition's records (the broker cuts the answer at maxBytes) is
 * dropped, as kafkajs drops it.
 */
import compression from "kafkajs/src/protocol/message/compression/index.js";

/** kafkajs's shape of one fetched record (its consumer reads these fields). */
export interface FetchedMessage {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

/** kafkajs's `batchContext`: the record batch a record came in, shared by its records. */
export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  lastStartOffset: string;
  abortedTransactions: { producerId: string; firstOffset: string }[];
  preferredReadReplica: number;
  messages: FetchedMessage[];
}

export interface FetchResponse {
  throttleTime: number;
  clientSideThrottleTime: number;
  errorCode: number;
  sessionId: number;
  responses: { topicName: string | null; partitions: FetchedPartition[] }[];
}

/** Thrown for anything this decoder leaves to kafkajs's; never reaches a user. */
class NotDecoded extends Error {}

function notDecoded(what: string): never {
  throw new NotDecoded(what);
}

const recordBatchMagic = 2;
/** Where the magic byte sits in a record batch (and in the legacy message sets). */
const magicOffset = 16;
/** Less than this left in a partition's records ends them (kafkajs's test, kept). */
const recordBatchOverhead = 49;
/** A record batch's fixed part after its length field, record count included. */
const batchHeaderLength = 49;
const timestampTypeFlag = 0x8;
const transactionalFlag = 0x10;
const controlFlag = 0x20;
/** kafkajs's TimestampTypes. */
const createTime = 0;
const logAppendTime = 1;

/** Reads a Fetch v11 response; throws when it should be left to kafkajs's decoder. */
export async function decodeFetchResponse(data: Buffer): Promise<FetchResponse> {
  const r = new Reader(data, 0, data.length);
  const clientSideThrottleTime = r.int32();
  const errorCode = r.int16();
  const sessionId = r.int32();
  const topics = r.arrayLength();
  const names = new HeaderNames();
  const responses: FetchResponse["responses"] = new Array(topics);
  for (let t = 0; t < topics; t++) {
    const topicName = r.string();
    const count = r.arrayLength();
    const partitions: FetchedPartition[] = new Array(count);
    for (let p = 0; p < count; p++) partitions[p] = await decodePartition(r, names);
    responses[t] = { topicName, partitions };
  }
  // kafkajs reports no throttle of its own: the broker did not throttle, it asks the client to.
  return { throttleTime: 0, clientSideThrottleTime, errorCode, sessionId, responses };
}

async function decodePartition(r: Reader, names: HeaderNames): Promise<FetchedPartition> {
  const partition = r.int32();
  const errorCode = r.int16();
  const highWatermark = r.int64String();
  const lastStableOffset = r.int64String();
  const lastStartOffset = r.int64String();
  const aborted = r.arrayLength();
  const abortedTransactions: FetchedPartition["abortedTransactions"] = new Array(aborted);
  for (let i = 0; i < aborted; i++) {
    abortedTransactions[i] = { producerId: r.int64String(), firstOffset: r.int64String() };
  }
  const preferredReadReplica = r.int32();
  const messages = await decodeRecordSet(r, names);
  return {
    partition,
    errorCode,
    highWatermark,
    lastStableOffset,
    lastStartOffset,
    abortedTransactions,
    preferredReadReplica,
    messages,
  };
}

/** A partition's records: consecutive record batches, the last possibly cut short. */
async function decodeRecordSet(r: Reader, names: HeaderNames): Promise<FetchedMessage[]> {
  const size = r.int32();
  if (size <= 0) return [];
  // kafkajs reads such a size as "no records" without skipping it; the bytes after it are left to it.
  if (size > r.end - r.pos) notDecoded("records past the end of the response");
  const start = r.pos;
  const end = start + size;
  r.pos = end;
  if (size <= magicOffset) notDecoded("records too short for a magic byte");
  if (r.buf[start + magicOffset] !== recordBatchMagic) notDecoded("a legacy message set");
  const buf = r.buf;
  const messages: FetchedMessage[] = [];
  let pos = start;
  while (end - pos >= recordBatchOverhead) {
    const length = buf.readInt32BE(pos + 8);
    const batchStart = pos + 12;
    // What the broker cut at maxBytes: the rest of the partition's records is dropped.
    if (length > end - batchStart) break;
    if (length < batchHeaderLength) notDecoded("a record batch shorter than its header");
    await decodeBatch(buf, pos, batchStart + length, messages, names);
    pos = batchStart + length;
  }
  return messages;
}

/** Decodes the record batch at `pos` (its offset field) ending at `end`, appending its records. */
async function decodeBatch(
  buf: Buffer,
  pos: number,
  end: number,
  out: FetchedMessage[],
  names: HeaderNames,
): Promise<void> {
  const firstOffsetNumber = int64Number(buf, pos);
  const firstOffset = int64String(buf, pos, firstOffsetNumber);
  const partitionLeaderEpoch = buf.readInt32BE(pos + 12);
  const magicByte = buf.readInt8(pos + 16);
  if (magicByte !== recordBatchMagic) notDecoded("a record batch of another format");
  // pos + 17: the CRC, which kafkajs does not check either.
  const attributes = buf.readInt16BE(pos + 21);
  const lastOffsetDelta = buf.readInt32BE(pos + 23);
  const firstTimestampNumber = int64Number(buf, pos + 27);
  const firstTimestamp = int64String(buf, pos + 27, firstTimestampNumber);
  const maxTimestamp = int64String(buf, pos + 35, int64Number(buf, pos + 35));
  const producerId = int64String(buf, pos + 43, int64Number(buf, pos + 43));
  const producerEpoch = buf.readInt16BE(pos + 51);
  const firstSequence = buf.readInt32BE(pos + 53);
  const count = buf.readInt32BE(pos + 57);
  const context: BatchContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & transactionalFlag) > 0,
    isControlBatch: (attributes & controlFlag) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType: (attributes & timestampTypeFlag) > 0 ? logAppendTime : createTime,
    magicByte,
  };
  // The same registry kafkajs's decoder and producers use (the SDK registers snappy, lz4, zstd).
  const codec = compression.lookupCodecByAttributes(attributes);
  const batch = new Batch(context, firstOffsetNumber, firstTimestampNumber, out, names);
  if (codec === null) {
    if (count === -1) return;
    if (count < 0) notDecoded("a negative record count");
    batch.records(new Reader(buf, pos + 61, end), count);
    return;
  }
  if (count <= 0) return;
  const records = await codec.decompress(buf.subarray(pos + 61, end));
  batch.records(new Reader(records, 0, records.length), count);
}

/** The records of one batch, decoded into kafkajs's message objects. */
class Batch {
  /** What a record's timestamp is, when the log appended it (kafkajs: the batch's max timestamp). */
  private readonly appendTime: string | undefined;

  constructor(
    private readonly context: BatchContext,
    /** The first offset and timestamp as numbers, or undefined when not exact as numbers. */
    private readonly firstOffset: number | undefined,
    private readonly firstTimestamp: number | undefined,
    private readonly out: FetchedMessage[],
    private readonly names: HeaderNames,
  ) {
    this.appendTime =
      context.timestampType === logAppendTime && context.maxTimestamp !== "" ? context.maxTimestamp : undefined;
  }

  records(r: Reader, count: number): void {
    const { context, out, appendTime, names } = this;
    const isControlRecord = context.isControlBatch;
    const end = r.end;
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      if (length < 0 || length > end - r.pos) notDecoded("a record past its batch");
      const next = r.pos + length;
      // The record's own fields stay inside its length, as kafkajs's per-record decoder keeps them.
      r.end = next;
      const attributes = r.int8();
      const timestamp = this.timestamp(r, appendTime);
      const offsetDelta = r.varint();
      const offset =
        this.firstOffset === undefined
          ? (BigInt(context.firstOffset) + BigInt(offsetDelta)).toString()
          : String(this.firstOffset + offsetDelta);
      const key = r.bytes();
      const value = r.bytes();
      const headers = r.headers(names);
      out.push({
        magicByte: context.magicByte,
        attributes,
        timestamp,
        offset,
        key,
        value,
        headers,
        isControlRecord,
        batchContext: context,
      });
      r.pos = next;
      r.end = end;
    }
  }

  /** Reads the timestamp delta; the record's timestamp as kafkajs writes it. */
  private timestamp(r: Reader, appendTime: string | undefined): string {
    const delta = r.varlong();
    if (appendTime !== undefined) return appendTime;
    if (typeof delta === "number" && this.firstTimestamp !== undefined) return String(this.firstTimestamp + delta);
    return (BigInt(this.context.firstTimestamp) + BigInt(delta)).toString();
  }
}

/** Exact as a number below 2^52 in magnitude, so adding any int32 or 7-byte varlong stays exact. */
const exactHigh = 2 ** 20;

/** A signed int64 as a number, or undefined when it is not exact as one (with room to add to). */
function int64Number(buf: Buffer, pos: number): number | undefined {
  const high = buf.readInt32BE(pos);
  if (high >= exactHigh || high < -exactHigh) return undefined;
  return high * 2 ** 32 + buf.readUInt32BE(pos + 4);
}

function int64String(buf: Buffer, pos: number, exact: number | undefined): string {
  return exact === undefined ? buf.readBigInt64BE(pos).toString() : String(exact);
}

/** Reads within [pos, end) of a buffer; any read past `end` throws (see the module comment). */
class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  private need(bytes: number): void {
    if (this.end - this.pos < bytes) notDecoded("a field past its bounds");
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64String(): string {
    this.need(8);
    const v = int64String(this.buf, this.pos, int64Number(this.buf, this.pos));
    this.pos += 8;
    return v;
  }

  /** An int32 array length; kafkajs reads -1 (null) as empty. */
  arrayLength(): number {
    const n = this.int32();
    if (n === -1) return 0;
    if (n < 0) notDecoded("a negative array length");
    return n;
  }

  /** An int16-length UTF-8 string, null for -1. */
  string(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) notDecoded("a negative string length");
    this.need(length);
    const v = this.buf.toString("utf8", this.pos, this.pos + length);
    this.pos += length;
    return v;
  }

  /**
   * A zigzag varint of at most 5 bytes, computed as kafkajs computes it (the same 32-bit
   * arithmetic, so the same value for every 5-byte input); a longer one is left to kafkajs.
   */
  varint(): number {
    const { buf, end } = this;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (pos >= end || shift > 28) notDecoded("a varint past its bounds");
      byte = buf[pos++] as number;
      result += (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80);
    this.pos = pos;
    return (result >>> 1) ^ -(result & 1);
  }

  /** A zigzag varlong: a number while at most 7 bytes (exact), a bigint up to kafkajs's 10. */
  varlong(): number | bigint {
    const { buf, end } = this;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      if (pos >= end) notDecoded("a varlong past its bounds");
      byte = buf[pos++] as number;
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80 && scale < 2 ** 49);
    if (byte < 0x80) {
      this.pos = pos;
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    let big = BigInt(result);
    let shift = 49n;
    do {
      if (pos >= end || shift > 63n) notDecoded("a varlong past its bounds");
      byte = buf[pos++] as number;
      big += BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte >= 0x80);
    this.pos = pos;
    return (big >> 1n) ^ -(big & 1n);
  }

  /** Varint-length bytes, null for -1: a view of the response (or decompressed) buffer, as kafkajs's. */
  bytes(): Buffer | null {
    const length = this.varint();
    if (length === -1) return null;
    if (length < 0) notDecoded("a negative length");
    this.need(length);
    const v = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return v;
  }

  /**
   * The record's headers as kafkajs gives them: one property per name, a Buffer (or null), an
   * array of them when a name repeats. The lookup of a name already present goes through the
   * object's prototype as kafkajs's does, so even a header named like an Object method comes out
   * the same; only `__proto__`, which an assignment cannot create, is left to kafkajs.
   */
  headers(names: HeaderNames): Record<string, unknown> {
    const headers: Record<string, unknown> = {};
    const count = this.varint();
    if (count === -1) return headers;
    if (count < 0) notDecoded("a negative header count");
    for (let i = 0; i < count; i++) {
      const length = this.varint();
      let key: string;
      if (length === -1) key = "null";
      else {
        if (length < 0) notDecoded("a negative header name length");
        this.need(length);
        key = names.text(this.buf, this.pos, length, i);
        this.pos += length;
      }
      if (key === "__proto__") notDecoded("a header named __proto__");
      const value = this.bytes();
      const seen = headers[key];
      headers[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    return headers;
  }
}

/**
 * Header names as strings, decoded once: records of a response mostly carry the same names in the
 * same order, so the name at a header's index is compared byte for byte with the last one seen at
 * that index (the same bytes decode to the same string) before a new string is made.
 */
class HeaderNames {
  private readonly buffers: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];
  private readonly texts: string[] = [];

  text(buf: Buffer, pos: number, length: number, index: number): string {
    const known = this.texts[index];
    if (known !== undefined && this.lengths[index] === length) {
      const other = this.buffers[index] as Buffer;
      const start = this.starts[index] as number;
      let i = 0;
      while (i < length && other[start + i] === buf[pos + i]) i++;
      if (i === length) return known;
    }
    const text = buf.toString("utf8", pos, pos + length);
    this.buffers[index] = buf;
    this.starts[index] = pos;
    this.lengths[index] = length;
    this.texts[index] = text;
    return text;
  }
}
