/**
 * kafkajs's Produce request (versions 3 to 7), encoded by the SDK's record-batch encoder
 * (wire/record-batch.ts, wire/produce.ts) from the same input kafkajs's own request module takes,
 * giving the same bytes.
 *
 * kafkajs writes each record and each header through an encoder object of its own, with 64-bit
 * arithmetic through BigInt wrappers; most of a producer's CPU goes there. This writes each batch
 * into one buffer, sizes first. What kafkajs does is reproduced exactly, including its less obvious
 * choices: the batch's base timestamp is the smallest of the records' timestamps as its default
 * (text) sort orders them, or the time of encoding when none has one; a record whose timestamp is
 * falsy is stamped with that time; header values given as arrays become repeated headers in order.
 * test/runtime/producer/kafkajs-produce.test.ts compares the bytes with kafkajs's own.
 *
 * Input outside what is reproduced here - transactions, a key, value or header that is not text
 * or a Buffer, a timestamp that is not an integer, an empty partition, numbers out of their field's
 * range - gives `undefined`, and the caller leaves the request to kafkajs (which encodes it, or
 * fails on it, as it always has).
 */
import Encoder from "kafkajs/src/protocol/encoder.js";
import compression from "kafkajs/src/protocol/message/compression/index.js";
import { encodeProduceRequest, type PartitionBatch, type TopicBatches } from "./wire/produce.ts";
import {
  type BatchOptions,
  type BatchRecord,
  encodeCompressedRecordBatch,
  encodeRecordBatch,
  type HeaderBytes,
} from "./wire/record-batch.ts";

/** The Produce versions kafkajs 2.2.4 writes with a record batch (magic 2). */
export const KAFKAJS_PRODUCE_MIN_VERSION = 3;
export const KAFKAJS_PRODUCE_MAX_VERSION = 7;

/** A message as kafkajs's producer hands it to its Produce request. */
export interface KafkajsProduceMessage {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
  readonly timestamp?: unknown;
}

/** What kafkajs's `requests.Produce.protocol({ version })` takes. */
export interface KafkajsProduceInput {
  readonly acks: number;
  readonly timeout: number;
  readonly compression?: number | undefined;
  readonly transactionalId?: string | null | undefined;
  readonly producerId?: unknown;
  readonly producerEpoch?: number | undefined;
  readonly topicData: readonly {
    readonly topic: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly firstSequence?: number | undefined;
      readonly messages: readonly KafkajsProduceMessage[];
    }[];
  }[];
}

/** kafkajs's asynchronous codec, given the records as kafkajs would give them (an encoder). */
interface Codec {
  compress(encoder: { readonly buffer: Buffer }): Promise<Buffer>;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isInt(value: unknown, bits: 16 | 32): value is number {
  const limit = 2 ** (bits - 1);
  return Number.isInteger(value) && (value as number) >= -limit && (value as number) < limit;
}

/** A producer id as kafkajs's `Long.fromValue` reads it, or undefined when this does not reproduce it. */
function producerIdOf(value: unknown): bigint | undefined {
  let id: bigint;
  if (value === undefined) id = -1n;
  else if (typeof value === "number" && Number.isSafeInteger(value)) id = BigInt(value);
  else if (typeof value === "string" && /^-?\d{1,19}$/.test(value)) id = BigInt(value);
  else if (typeof value === "object" && value !== null && typeof (value as { value?: unknown }).value === "bigint")
    id = (value as { value: bigint }).value; // kafkajs's Long
  else return undefined;
  return id >= INT64_MIN && id <= INT64_MAX ? id : undefined;
}

/** A timestamp as kafkajs reads it (a number or decimal text), or undefined when not reproduced. */
function timestampOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

function bytesOf(value: unknown): HeaderBytes | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || Buffer.isBuffer(value)) return value;
  return undefined;
}

/** Header names and values alternating, in kafkajs's order; undefined when not reproduced. */
function headersOf(headers: unknown): HeaderBytes[] | undefined {
  if (headers === undefined) return [];
  if (typeof headers !== "object" || headers === null) return undefined;
  const out: HeaderBytes[] = [];
  for (const name of Object.keys(headers)) {
    const value = (headers as Record<string, unknown>)[name];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== "string" && !Buffer.isBuffer(item)) return undefined;
        out.push(name, item);
      }
    } else if (typeof value === "string" || Buffer.isBuffer(value)) out.push(name, value);
    else return undefined; // kafkajs fails on it (it measures null and undefined as text)
  }
  return out;
}

interface PartitionPlan {
  readonly records: BatchRecord[];
  readonly now: number;
  readonly first: number;
  readonly max: number;
}

/** One partition's messages as batch records, with kafkajs's base and max timestamps. */
function planPartition(messages: readonly KafkajsProduceMessage[]): PartitionPlan | undefined {
  if (messages.length === 0) return undefined;
  const now = Date.now();
  const records: BatchRecord[] = new Array(messages.length);
  let stamped = false;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as KafkajsProduceMessage;
    const key = bytesOf(m.key);
    const value = bytesOf(m.value);
    const headers = headersOf(m.headers);
    if (key === undefined || value === undefined || headers === undefined) return undefined;
    let timestamp = now;
    if (m.timestamp !== undefined && m.timestamp !== null) {
      const t = timestampOf(m.timestamp);
      if (t === undefined) return undefined;
      stamped = true;
      if (m.timestamp) timestamp = t; // kafkajs: `timestamp || now`
    }
    records[i] = { key, value, headers, timestamp };
  }
  if (!stamped) return { records, now, first: now, max: now };
  // kafkajs's own choice: the given timestamps in default (text) order, first and last.
  const sorted = messages
    .map((m) => m.timestamp)
    .filter((t) => t !== undefined && t !== null)
    .sort();
  const first = timestampOf(sorted[0]) as number;
  const max = timestampOf(sorted[sorted.length - 1]) as number;
  return { records, now, first, max };
}

/**
 * The body of kafkajs's Produce request of `version` for `input` (what its `encode()` gives after
 * the request header), or undefined when the input is not one this reproduces.
 */
export async function encodeKafkajsProduce(version: number, input: KafkajsProduceInput): Promise<Buffer | undefined> {
  if (version < KAFKAJS_PRODUCE_MIN_VERSION || version > KAFKAJS_PRODUCE_MAX_VERSION) return undefined;
  const codec = input.compression ?? 0;
  if (input.transactionalId !== undefined && input.transactionalId !== null) return undefined;
  if (!Number.isInteger(codec) || codec < 0 || codec > 4) return undefined;
  if (!isInt(input.acks, 16) || !isInt(input.timeout, 32)) return undefined;
  const producerId = producerIdOf(input.producerId);
  const producerEpoch = input.producerEpoch ?? 0;
  if (producerId === undefined || !isInt(producerEpoch, 16)) return undefined;

  // Every partition is checked before any is compressed: nothing is handed to a codec for a request
  // that kafkajs then encodes after all.
  const plans: PartitionPlan[][] = [];
  for (const topic of input.topicData) {
    if (typeof topic.topic !== "string") return undefined;
    const partitions: PartitionPlan[] = [];
    for (const p of topic.partitions) {
      const sequence = p.firstSequence ?? 0;
      if (!isInt(p.partition, 32) || !isInt(sequence, 32)) return undefined;
      const plan = planPartition(p.messages);
      if (plan === undefined) return undefined;
      partitions.push(plan);
    }
    plans.push(partitions);
  }

  // Looked up as kafkajs does, when it does: a codec that is not registered fails the same way.
  const registered = codec === 0 ? undefined : (compression.lookupCodec(codec) as Codec | null);
  const topics: TopicBatches[] = [];
  for (const [t, topic] of input.topicData.entries()) {
    const partitions: PartitionBatch[] = [];
    for (const [i, p] of topic.partitions.entries()) {
      const plan = (plans[t] as PartitionPlan[])[i] as PartitionPlan;
      const options: BatchOptions = {
        producerId,
        producerEpoch,
        baseSequence: p.firstSequence ?? 0,
        codec,
        now: plan.now,
        firstTimestamp: plan.first,
        maxTimestamp: plan.max,
      };
      const batch =
        registered === undefined
          ? encodeRecordBatch(plan.records, options)
          : await encodeCompressedRecordBatch(plan.records, options, (records) =>
              (registered as Codec).compress(kafkajsEncoder(records)),
            );
      partitions.push({ partition: p.partition, batch });
    }
    topics.push({ topic: topic.topic, partitions });
  }
  return Buffer.concat(encodeProduceRequest(version, input.acks, input.timeout, topics));
}

/** The records as kafkajs hands them to a codec: one of its encoders, holding the bytes (not a copy). */
export function kafkajsEncoder(bytes: Buffer): Encoder {
  const encoder = new Encoder(0);
  encoder.buf = bytes;
  encoder.offset = bytes.length;
  return encoder;
}
