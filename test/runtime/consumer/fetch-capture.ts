/**
 * Raw Fetch v11 responses from the test broker, for the fetch decoder's differential tests: a
 * kafkajs broker connection sends kafkajs's own Fetch v11 request and hands back the response's
 * bytes undecoded. Also a walker over a response's record batches, to rewrite their fields.
 */
import { createRequire } from "node:module";
import type { ISocketFactory } from "kafkajs";

const require = createRequire(import.meta.url);
const Connection = require("kafkajs/src/network/connection.js");
const { createLogger, LEVELS } = require("kafkajs/src/loggers/index.js");
const fetchRequests = require("kafkajs/src/protocol/requests/fetch/index.js");
const netSocketFactory = require("kafkajs/src/network/socketFactory.js");

export interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: string;
  readonly maxBytes: number;
}

export interface FetchArgs {
  readonly topics: { topic: string; partitions: FetchPartition[] }[];
  readonly maxBytes?: number;
  /** 0: read uncommitted (aborted records too), 1: read committed (kafkajs's default). */
  readonly isolationLevel?: 0 | 1;
}

/** kafkajs's Fetch v11 protocol object: the request and kafkajs's own response module. */
export function fetchV11(args: FetchArgs): { request: unknown; response: unknown; requestTimeout: number } {
  return fetchRequests.protocol({ version: 11 })({
    maxWaitTime: 50,
    minBytes: 1,
    maxBytes: args.maxBytes ?? 10 * 1024 * 1024,
    isolationLevel: args.isolationLevel ?? 1,
    topics: args.topics,
  });
}

export interface BrokerConnection {
  send(protocol: unknown): Promise<unknown>;
  /** The response's bytes as they came, not decoded. */
  raw(args: FetchArgs): Promise<Buffer>;
  disconnect(): Promise<void>;
}

/** A connected kafkajs broker connection, made with `socketFactory` (kafkajs's own by default). */
export async function brokerConnection(
  broker: string,
  socketFactory: ISocketFactory = netSocketFactory(),
): Promise<BrokerConnection> {
  const [host, port] = broker.split(":");
  const connection = new Connection({
    host,
    port: Number(port),
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    socketFactory,
    requestTimeout: 10_000,
    connectionTimeout: 3_000,
  });
  await connection.connect();
  const undecoded = { decode: async (data: Buffer) => data, parse: async (data: Buffer) => data };
  return {
    send: (protocol) => connection.send(protocol),
    raw: async (args) => (await connection.send({ ...fetchV11(args), response: undecoded })) as Buffer,
    disconnect: () => connection.disconnect(),
  };
}

/** Where each record batch of a Fetch v11 response starts (its first offset field). */
export function recordBatchPositions(data: Buffer): number[] {
  return recordBatches(data).positions;
}

/** The complete record batches of a response, and how many partitions' records end in a cut one. */
export function recordBatches(data: Buffer): { positions: number[]; cut: number } {
  const out: number[] = [];
  let cut = 0;
  let pos = 10; // throttle time, error code, session id
  const topics = data.readInt32BE(pos);
  pos += 4;
  for (let t = 0; t < topics; t++) {
    pos += 2 + data.readInt16BE(pos);
    const partitions = data.readInt32BE(pos);
    pos += 4;
    for (let p = 0; p < partitions; p++) {
      pos += 4 + 2 + 8 + 8 + 8;
      const aborted = data.readInt32BE(pos);
      pos += 4 + Math.max(aborted, 0) * 16 + 4;
      const size = data.readInt32BE(pos);
      pos += 4;
      const end = pos + Math.max(size, 0);
      let batch = pos;
      while (end - batch >= 61) {
        const length = data.readInt32BE(batch + 8);
        if (batch + 12 + length > end) {
          cut++;
          break;
        }
        out.push(batch);
        batch += 12 + length;
      }
      pos = end;
    }
  }
  return { positions: out, cut };
}

/** A record as it goes on the wire, every field given (lengths of -1: null). */
export interface WireRecord {
  readonly attributes?: number;
  /** The timestamp delta, zigzag-encoded as a varlong (any 64-bit value). */
  readonly timestampDelta: bigint;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Null names and values are written with length -1; `headerCount` overrides the count. */
  readonly headers: readonly [string | null, Buffer | null][];
  readonly headerCount?: number;
}

/** A Fetch v11 response of one topic and partition holding one uncompressed record batch. */
export function fetchResponse(batch: {
  firstOffset: bigint;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  attributes?: number;
  records: readonly WireRecord[];
}): Buffer {
  const records = Buffer.concat(batch.records.map(wireRecord));
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(batch.firstOffset, 0);
  header.writeInt32BE(49 + records.length, 8);
  header.writeInt32BE(0, 12); // partition leader epoch
  header.writeInt8(2, 16); // magic
  header.writeInt16BE(batch.attributes ?? 0, 21);
  header.writeInt32BE(Math.max(0, batch.records.length - 1), 23);
  header.writeBigInt64BE(batch.firstTimestamp, 27);
  header.writeBigInt64BE(batch.maxTimestamp, 35);
  header.writeBigInt64BE(-1n, 43); // producer id
  header.writeInt16BE(-1, 51);
  header.writeInt32BE(-1, 53);
  header.writeInt32BE(batch.records.length, 57);
  const recordSet = Buffer.concat([header, records]);
  const topic = Buffer.from("t");
  const head = Buffer.alloc(4 + 2 + 4 + 4 + 2);
  head.writeInt16BE(0, 4);
  head.writeInt32BE(1, 10); // one topic
  head.writeInt16BE(topic.length, 14);
  const partition = Buffer.alloc(4 + 4 + 2 + 8 + 8 + 8 + 4 + 4 + 4);
  partition.writeInt32BE(1, 0); // one partition
  partition.writeInt32BE(0, 4); // partition 0
  partition.writeBigInt64BE(batch.firstOffset + 100n, 10);
  partition.writeBigInt64BE(batch.firstOffset + 100n, 18);
  partition.writeBigInt64BE(0n, 26);
  partition.writeInt32BE(-1, 34); // no aborted transactions (null)
  partition.writeInt32BE(-1, 38); // preferred read replica
  partition.writeInt32BE(recordSet.length, 42);
  return Buffer.concat([head, topic, partition, recordSet]);
}

function wireRecord(r: WireRecord): Buffer {
  const parts: Buffer[] = [
    Buffer.from([r.attributes ?? 0]),
    varlong(r.timestampDelta),
    varint(r.offsetDelta),
    bytes(r.key),
    bytes(r.value),
    varint(r.headerCount ?? r.headers.length),
  ];
  for (const [name, value] of r.headers) parts.push(bytes(name === null ? null : Buffer.from(name)), bytes(value));
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length), body]);
}

function bytes(b: Buffer | null): Buffer {
  return b === null ? varint(-1) : Buffer.concat([varint(b.length), b]);
}

function varint(n: number): Buffer {
  return varlong(BigInt(n));
}

/** Zigzag, then 7 bits a byte, as Kafka writes varints and varlongs. */
function varlong(n: bigint): Buffer {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}
