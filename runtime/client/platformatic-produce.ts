/**
 * One send's Produce requests, built here and sent on a @platformatic/kafka producer's own
 * connections: the client's connection pool, metadata and producer id are used, its record
 * encoding and its send path are not (see the top of platformatic.ts for why).
 *
 * - Each partition's records become one record batch (wire/record-batch.ts), encoded once: a
 *   resend carries the same bytes under the same sequence number.
 * - Partitions are grouped by their leader; the requests to different leaders go out together.
 * - Sequence numbers are this module's, per instance and partition, advanced only when the broker
 *   answers that the batch was written. A send that fails in any other way leaves them unknowable,
 *   and the caller retires the instance (new producer id, sequences from zero).
 * - An answer that proves the batch was not written (the broker is not the partition's leader, the
 *   leader is unknown or lacks replicas for acks=all, the partition is not known yet) is resent,
 *   same bytes and sequence, after the retry delay and a metadata refresh, while attempts remain.
 *   A failure to connect is resent the same way: no request left. Everything else - a timeout, a
 *   lost connection, a refusal - ends the send: a request whose answer did not come may have been
 *   written, and only a new producer id makes the next one safe.
 */
import type { Producer as PltProducer } from "@platformatic/kafka";
import type { ProduceRequestEvent } from "./types.ts";
import {
  encodeProduceRequest,
  type PartitionAnswer,
  PRODUCE_MAX_VERSION,
  PRODUCE_MIN_VERSION,
  parseProduceResponse,
  type TopicBatches,
} from "./wire/produce.ts";
import { type BatchRecord, codecIds, encodeRecordBatch } from "./wire/record-batch.ts";

type Platformatic = typeof import("@platformatic/kafka");
export type Producer = PltProducer<Buffer | undefined, Buffer | null, Buffer, Buffer>;

/** One partition's share of a send. */
export interface PartitionSend {
  readonly topic: string;
  readonly partition: number;
  readonly records: BatchRecord[];
  /** Set when the broker answered that the batch was written (undefined with acks=0). */
  baseOffset?: bigint | undefined;
}

/** A producer instance as this module uses it. */
export interface Instance {
  readonly producer: Producer;
  readonly lib: Platformatic;
  /** The Produce version both the broker and wire/produce.ts speak. */
  readonly version: number;
  /** The next sequence number of each partition, by topic. */
  readonly sequences: Map<string, number[]>;
  /** A native CRC-32C, when one could be loaded. */
  readonly crc32c?: ((bytes: Uint8Array) => number) | undefined;
}

export interface ProduceSettings {
  readonly acks: number;
  readonly idempotent: boolean;
  readonly compression: keyof typeof codecIds;
  readonly maxAttempts: number;
  /** The broker's own wait for replicas (the request's timeout_ms). */
  readonly timeoutMs: number;
  readonly retryDelay: (attempt: number) => number;
  /** The UTF-8 length of the client id every request header carries. */
  readonly clientIdBytes: number;
  /** Told of every request the broker answered (with acks=0: every request written to the socket). */
  readonly observe?: ((event: ProduceRequestEvent) => void) | undefined;
}

/** Why a send failed, in the terms send-outcome.ts needs. */
export class ProduceFailure extends Error {
  constructor(
    message: string,
    /** Whether any request of the send can have reached a broker. */
    readonly sent: boolean,
    /** The broker's error type, when every failed partition was refused with the same one. */
    readonly brokerError: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ProduceFailure";
  }
}

/** Answers that prove the batch was not appended: safe to send again, same bytes and sequence. */
const notWritten: ReadonlySet<string> = new Set([
  "NOT_LEADER_OR_FOLLOWER",
  "LEADER_NOT_AVAILABLE",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "NOT_ENOUGH_REPLICAS",
]);

const DUPLICATE_SEQUENCE_NUMBER = 46;

/** The next sequence number after `count` records, wrapping past 2^31 - 1 to 0 as Kafka does. */
function nextSequence(sequence: number, count: number): number {
  const next = sequence + count;
  return next > 0x7fffffff ? next - 0x80000000 : next;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The highest Produce version both sides speak, from the broker's ApiVersions answer. */
export async function negotiateVersion(producer: Producer): Promise<number> {
  const apis = (await producer.listApis()) as {
    name?: string;
    apiKey?: number;
    minVersion: number;
    maxVersion: number;
  }[];
  const produce = apis.find((a) => a.apiKey === 0 || a.name === "Produce");
  const version = Math.min(produce?.maxVersion ?? -1, PRODUCE_MAX_VERSION);
  if (produce === undefined || version < Math.max(produce.minVersion, PRODUCE_MIN_VERSION)) {
    throw new Error(
      `the broker offers Produce versions ${produce?.minVersion}-${produce?.maxVersion}, and this client writes ${PRODUCE_MIN_VERSION}-${PRODUCE_MAX_VERSION} (Kafka 0.11 and later)`,
    );
  }
  return version;
}

let native: Promise<((bytes: Uint8Array) => number) | undefined> | undefined;

/**
 * The native CRC-32C of @node-rs/crc32 (installed with @platformatic/kafka, as its optional
 * dependency; about six times the speed of crc32c.ts), or undefined when it cannot be loaded.
 */
export function nativeCrc32c(): Promise<((bytes: Uint8Array) => number) | undefined> {
  // A name in a variable: the package is not a dependency of this one, only used when present.
  const name = "@node-rs/crc32";
  native ??= import(name).then(
    (m: { crc32c?: unknown; default?: { crc32c?: unknown } }) => {
      const f = m.crc32c ?? m.default?.crc32c;
      return typeof f === "function" ? (f as (bytes: Uint8Array) => number) : undefined;
    },
    () => undefined,
  );
  return native;
}

/** The partition's name in messages. */
const where = (p: { topic: string; partition: number }) => `${p.topic}[${p.partition}]`;

/**
 * Sends every partition's records: resolves when each was written (its `baseOffset` set), rejects
 * with a ProduceFailure otherwise. `sequences` of `instance` advance for the written ones.
 */
export async function produce(
  instance: Instance,
  sends: readonly PartitionSend[],
  settings: ProduceSettings,
): Promise<void> {
  const { producer, lib } = instance;
  const codec = codecIds[settings.compression];
  const algorithm = codec === 0 ? undefined : lib.compressionsAlgorithms[settings.compression];
  const compress = algorithm === undefined ? undefined : (b: Buffer) => algorithm.compressSync(b) as Buffer;
  const producerId = settings.idempotent ? (producer.producerId as bigint) : -1n;
  const producerEpoch = settings.idempotent ? (producer.producerEpoch as number) : -1;
  const now = Date.now();
  const batches = sends.map((s) => {
    let baseSequence = -1;
    if (settings.idempotent) {
      const byPartition = instance.sequences.get(s.topic);
      baseSequence = byPartition?.[s.partition] ?? 0;
    }
    return encodeRecordBatch(s.records, {
      producerId,
      producerEpoch,
      baseSequence,
      codec,
      compress,
      now,
      crc32c: instance.crc32c,
    });
  });
  const topics = [...new Set(sends.map((s) => s.topic))];

  let pending = sends.map((_, i) => i);
  let sent = false;
  for (let attempt = 1; ; attempt++) {
    const metadata = await producer.metadata({ topics, forceUpdate: attempt > 1 });
    // Partitions by leader; a partition without one waits for the next attempt.
    const byLeader = new Map<number, number[]>();
    const retry: { index: number; why: string; cause?: unknown }[] = [];
    for (const i of pending) {
      const s = sends[i] as PartitionSend;
      const leader = metadata.topics.get(s.topic)?.partitions[s.partition]?.leader ?? -1;
      if (leader < 0 || !metadata.brokers.has(leader)) {
        retry.push({ index: i, why: `${where(s)} has no leader (LEADER_NOT_AVAILABLE)` });
        continue;
      }
      const list = byLeader.get(leader) ?? [];
      byLeader.set(leader, list);
      list.push(i);
    }
    const failures: { why: string; type: string | undefined; cause?: unknown }[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, indexes]) => {
        const broker = metadata.brokers.get(leader) as { host: string; port: number };
        let connection: Connection;
        try {
          connection = (await producer.connections.get(broker)) as unknown as Connection;
        } catch (error) {
          // Nothing left for this leader: its partitions are tried again.
          for (const index of indexes)
            retry.push({ index, why: `cannot connect to ${broker.host}:${broker.port}`, cause: error });
          return;
        }
        sent = true;
        let answers: PartitionAnswer[] | undefined;
        try {
          answers = await request(lib, connection, broker, instance.version, settings, indexes, sends, batches);
        } catch (error) {
          failures.push({ why: `no answer from ${broker.host}:${broker.port}`, type: undefined, cause: error });
          return;
        }
        if (answers === undefined) return; // acks=0: nothing more will be known
        const answered = new Set<number>();
        for (const a of answers) {
          const index = indexes.find((i) => sends[i]?.partition === a.partition && sends[i]?.topic === a.topic);
          if (index === undefined) continue;
          answered.add(index);
          const s = sends[index] as PartitionSend;
          if (a.errorCode === 0 || (a.errorCode === DUPLICATE_SEQUENCE_NUMBER && settings.idempotent)) {
            s.baseOffset = a.baseOffset;
            if (settings.idempotent) {
              const byPartition = instance.sequences.get(s.topic) ?? [];
              instance.sequences.set(s.topic, byPartition);
              byPartition[s.partition] = nextSequence(byPartition[s.partition] ?? 0, s.records.length);
            }
            continue;
          }
          const type = lib.protocolErrorsCodesById[a.errorCode as keyof typeof lib.protocolErrorsCodesById] as
            | string
            | undefined;
          const detail = a.recordErrors.map((e) => `record ${e.index}: ${e.message ?? "refused"}`).join("; ");
          const why = `${where(s)}: ${a.errorMessage ?? describe(lib, type) ?? "refused"} (${type ?? `error ${a.errorCode}`})${detail === "" ? "" : `; ${detail}`}`;
          if (type !== undefined && notWritten.has(type)) retry.push({ index, why });
          else failures.push({ why, type: type ?? `error ${a.errorCode}` });
        }
        for (const index of indexes) {
          if (!answered.has(index)) {
            const s = sends[index] as PartitionSend;
            failures.push({ why: `the broker's answer did not cover ${where(s)}`, type: undefined });
          }
        }
      }),
    );
    if (failures.length > 0 || (retry.length > 0 && attempt >= settings.maxAttempts)) {
      const all = [...failures, ...retry.map((r) => ({ ...r, type: typeOf(r.why) }))];
      const types = new Set(all.map((f) => f.type));
      const type = types.size === 1 ? [...types][0] : undefined;
      const message = [...new Set(all.map((f) => f.why))].join("; ");
      const cause = all.find((f) => f.cause !== undefined)?.cause;
      throw new ProduceFailure(
        attempt > 1 ? `${message} (after ${attempt} attempts)` : message,
        sent,
        type,
        cause === undefined ? undefined : { cause },
      );
    }
    if (retry.length === 0) return;
    pending = retry.map((r) => r.index);
    await sleep(settings.retryDelay(attempt));
  }
}

/** The error type written in parentheses at the end of a reason, if any. */
function typeOf(why: string): string | undefined {
  return /\(([A-Z_]+)\)$/.exec(why)?.[1];
}

function describe(lib: Platformatic, type: string | undefined): string | undefined {
  if (type === undefined) return undefined;
  return (lib.protocolErrors as Record<string, { message?: string } | undefined>)[type]?.message;
}

/** The part of the client's Connection this module uses. */
interface Connection {
  send(
    apiKey: number,
    apiVersion: number,
    createPayload: () => unknown,
    parse: (
      correlationId: number,
      apiKey: number,
      apiVersion: number,
      reader: { buffer: unknown; position: number },
    ) => unknown,
    hasRequestHeaderTaggedFields: boolean,
    hasResponseHeaderTaggedFields: boolean,
    callback: (error: unknown, result: unknown) => void,
  ): void;
}

/** One Produce request to one leader: its partitions' answers, or undefined with acks=0. */
function request(
  lib: Platformatic,
  connection: Connection,
  broker: { host: string; port: number },
  version: number,
  settings: ProduceSettings,
  indexes: readonly number[],
  sends: readonly PartitionSend[],
  batches: readonly Buffer[],
): Promise<PartitionAnswer[] | undefined> {
  const byTopic = new Map<string, { partition: number; batch: Buffer }[]>();
  for (const i of indexes) {
    const s = sends[i] as PartitionSend;
    const list = byTopic.get(s.topic) ?? [];
    byTopic.set(s.topic, list);
    list.push({ partition: s.partition, batch: batches[i] as Buffer });
  }
  const topics: TopicBatches[] = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  const parts = encodeProduceRequest(version, settings.acks, settings.timeoutMs, topics);
  const flexible = version >= 9;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    connection.send(
      0,
      version,
      () => {
        // The client's Writer holds the parts by reference; the connection joins them once.
        const writer = lib.Writer.create();
        for (const part of parts) writer.append(part);
        if (settings.acks === 0) writer.context.noResponse = true;
        return writer;
      },
      (_correlationId, _apiKey, apiVersion, reader) => {
        const held = reader.buffer as Buffer | { buffer: Buffer };
        const bytes = Buffer.isBuffer(held) ? held : held.buffer;
        return parseProduceResponse(apiVersion, bytes, reader.position);
      },
      flexible,
      flexible,
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        if (settings.observe !== undefined) {
          let size = 0;
          for (const part of parts) size += part.length;
          // The request's size and header: API key and version, correlation id, client id, tagged fields.
          size += 4 + 2 + 2 + 4 + 2 + settings.clientIdBytes + (flexible ? 1 : 0);
          settings.observe({ broker: `${broker.host}:${broker.port}`, durationMs: performance.now() - started, size });
        }
        resolve(settings.acks === 0 ? undefined : (result as PartitionAnswer[]));
      },
    );
  });
}
