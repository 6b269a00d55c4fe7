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
