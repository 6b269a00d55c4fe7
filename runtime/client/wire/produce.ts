/**
 * The Produce request (API key 0) and its answer, versions 3 to 12, framed here so that record
 * batches built by record-batch.ts go to the broker as they are.
 *
 * Versions 3-8 use classic encodings (int16-length strings, int32-length arrays and records);
 * 9 and later are "flexible": compact strings, arrays and records (unsigned varint length + 1) and a
 * tagged-field section after every structure. The request body does not change from 3 to 12
 * (later versions only promise more of the answer: log_start_offset from 5, record_errors and
 * error_message from 8, a current leader in tagged fields from 10); 13 names topics by id and is
 * not framed here.
 *
 * The request is returned as a list of Buffers whose batches are the caller's own Buffers, not
 * copies: the connection joins them to its request header in one copy.
 */

/** The Produce versions framed here. */
export const PRODUCE_MIN_VERSION = 3;
export const PRODUCE_MAX_VERSION = 12;

export interface PartitionBatch {
  readonly partition: number;
  /** One record batch (record-batch.ts). */
  readonly batch: Buffer;
}

export interface TopicBatches {
  readonly topic: string;
  readonly partitions: readonly PartitionBatch[];
}

/** The answer for one partition. */
export interface PartitionAnswer {
  readonly topic: string;
  readonly partition: number;
  /** 0 when the batch was written; Kafka's error code otherwise. */
  readonly errorCode: number;
  /** The offset of the batch's first record (-1 on error). */
  readonly baseOffset: bigint;
  /** The broker's message for the error (from version 8), or null. */
  readonly errorMessage: string | null;
  /** Refused records by their index in the batch, with the broker's reason (from version 8). */
  readonly recordErrors: readonly { readonly index: number; readonly message: string | null }[];
}

/** Bytes of an unsigned varint. */
function uvarintSize(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value >>>= 7;
    n++;
  }
  return n;
}

function writeUvarint(buf: Buffer, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

/**
 * The request body (after the request header) as Buffers to be sent in order: small frames written
 * here, each batch as given. `transactionalId` is always null: this package does not produce in
 * transactions.
 */
export function encodeProduceRequest(
  version: number,
  acks: number,
  timeoutMs: number,
  topics: readonly TopicBatches[],
): Buffer[] {
  if (version < PRODUCE_MIN_VERSION || version > PRODUCE_MAX_VERSION)
    throw new RangeError(`Produce version ${version} is not framed here`);
  const flexible = version >= 9;
  const names = topics.map((t) => Buffer.from(t.topic, "utf8"));
  const parts: Buffer[] = [];

  // transactional_id (null), acks, timeout_ms, the topic array's length.
  const head = Buffer.allocUnsafe((flexible ? 1 : 2) + 2 + 4 + (flexible ? uvarintSize(topics.length + 1) : 4));
  let pos: number;
  if (flexible) {
    head[0] = 0; // compact null
    pos = 1;
  } else pos = head.writeInt16BE(-1, 0);
  pos = head.writeInt16BE(acks, pos);
  pos = head.writeInt32BE(timeoutMs, pos);
  if (flexible) writeUvarint(head, pos, topics.length + 1);
  else head.writeInt32BE(topics.length, pos);
  parts.push(head);

  for (let t = 0; t < topics.length; t++) {
    const topic = topics[t] as TopicBatches;
    const name = names[t] as Buffer;
    const count = topic.partitions.length;
    // name, the partition array's length; then per partition its index and the records' length.
    let size = flexible ? uvarintSize(name.length + 1) + name.length + uvarintSize(count + 1) : 2 + name.length + 4;
    for (const p of topic.partitions) size += 4 + (flexible ? uvarintSize(p.batch.length + 1) : 4);
    // Each partition's tagged fields come after its batch: written at the front of the next frame.
    if (flexible) size += count + 1;
    const frame = Buffer.allocUnsafe(size);
    pos = flexible ? writeUvarint(frame, 0, name.length + 1) : frame.writeInt16BE(name.length, 0);
    pos += name.copy(frame, pos);
    pos = flexible ? writeUvarint(frame, pos, count + 1) : frame.writeInt32BE(count, pos);
    let start = 0;
    for (let i = 0; i < count; i++) {
      const p = topic.partitions[i] as PartitionBatch;
      pos = frame.writeInt32BE(p.partition, pos);
      pos = flexible ? writeUvarint(frame, pos, p.batch.length + 1) : frame.writeInt32BE(p.batch.length, pos);
      parts.push(frame.subarray(start, pos), p.batch);
      start = pos;
      if (flexible) frame[pos++] = 0; // the partition's tagged fields
    }
    if (flexible) frame[pos++] = 0; // the topic's tagged fields
    parts.push(frame.subarray(start, pos));
  }
  if (flexible) parts.push(Buffer.from([0])); // the request's tagged fields
  return parts;
}

/** Reads an answer in place: positions move forward, nothing is copied but strings. */
class Cursor {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
  ) {
    this.pos = start;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError("a varint runs past the end of the answer");
      const b = this.buf[this.pos++] as number;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
      shift += 7;
      if (shift > 28) throw new RangeError("a varint is longer than five bytes");
    }
  }
  /** An array's length: -1 (null) or more. */
  length(flexible: boolean): number {
    return flexible ? this.uvarint() - 1 : this.int32();
  }
  string(flexible: boolean): string | null {
    const n = flexible ? this.uvarint() - 1 : this.int16();
    if (n < 0) return null;
    if (this.pos + n > this.buf.length) throw new RangeError("a string runs past the end of the answer");
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  /** Skips a tagged-field section (their contents are hints this package does not use). */
  tags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // the tag
      const size = this.uvarint(); // read before moving: `pos += uvarint()` would add to the old position
      this.pos += size;
    }
  }
  skip(n: number): void {
    this.pos += n;
  }
}

/**
 * The per-partition answers of a Produce response body (after its response header), in the order
 * the broker gave them. Throws on a malformed answer.
 */
export function parseProduceResponse(version: number, buf: Buffer, start = 0): PartitionAnswer[] {
  const flexible = version >= 9;
  const r = new Cursor(buf, start);
  const out: PartitionAnswer[] = [];
  const topics = r.length(flexible);
  for (let t = 0; t < topics; t++) {
    const topic = r.string(flexible) ?? "";
    const partitions = r.length(flexible);
    for (let p = 0; p < partitions; p++) {
      const partition = r.int32();
      const errorCode = r.int16();
      const baseOffset = r.int64();
      r.skip(8); // log_append_time_ms (version 2 and later)
      if (version >= 5) r.skip(8); // log_start_offset
      const recordErrors: { index: number; message: string | null }[] = [];
      let errorMessage: string | null = null;
      if (version >= 8) {
        const count = r.length(flexible);
        for (let e = 0; e < count; e++) {
          const index = r.int32();
          recordErrors.push({ index, message: r.string(flexible) });
          if (flexible) r.tags();
        }
        errorMessage = r.string(flexible);
      }
      if (flexible) r.tags();
      out.push({ topic, partition, errorCode, baseOffset, errorMessage, recordErrors });
    }
    if (flexible) r.tags();
  }
  r.int32(); // throttle_time_ms
  if (flexible) r.tags();
  if (r.pos > buf.length) throw new RangeError("the answer is shorter than its fields");
  return out;
}
