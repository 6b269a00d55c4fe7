/**
 * An in-memory Kafka cluster for unit tests: topics with partitions, append-only logs with offsets,
 * records as the wire has them (key, value and header values as bytes, a timestamp), and the
 * committed offsets of consumer groups. The producer client (producer-client.ts) writes into it,
 * the kafkajs consumer stand-in (consumer-client.ts) reads from it; nothing here knows about
 * events, serde or handlers - the runtime's own code does that on top, exactly as with a broker.
 */
import type { OutgoingHeaderValue } from "../client/types.ts";

/** A header as a consumer receives it: bytes, or the values of a repeated header. */
export type StoredHeaderValue = Buffer | Buffer[];

/** One record in a partition's log. */
export interface StoredRecord {
  readonly topic: string;
  readonly partition: number;
  /** Decimal, as kafkajs hands it out. */
  readonly offset: string;
  readonly key: Buffer | null;
  /** `null` for a tombstone. */
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, StoredHeaderValue>>;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
}

export interface TopicSpec {
  readonly topic: string;
  /** Default 1. */
  readonly partitions?: number | undefined;
}

/** The error kafkajs gives for a topic the cluster does not have (the runtime reads its `type`). */
export class UnknownTopicError extends Error {
  readonly type = "UNKNOWN_TOPIC_OR_PARTITION";
  readonly retriable = false;
  constructor(readonly topic: string) {
    super(`This server does not host this topic-partition (${topic})`);
    this.name = "KafkaJSProtocolError";
  }
}

export class InMemoryBroker {
  private readonly logs = new Map<string, StoredRecord[][]>();
  /** group -> topic -> partition -> next offset to read. */
  private readonly commits = new Map<string, Map<string, Map<number, string>>>();
  private waiters: (() => void)[] = [];

  /** Creates a topic (or adds nothing to an existing one: its partition count stays). */
  createTopic(spec: TopicSpec): void {
    if (this.logs.has(spec.topic)) return;
    const n = spec.partitions ?? 1;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`topic ${spec.topic}: partitions must be a positive integer, got ${n}`);
    }
    this.logs.set(
      spec.topic,
      Array.from({ length: n }, () => []),
    );
  }

  hasTopic(topic: string): boolean {
    return this.logs.has(topic);
  }

  topics(): string[] {
    return [...this.logs.keys()].sort();
  }

  partitionCount(topic: string): number {
    return this.partitionsOf(topic).length;
  }

  /** Appends one record to a partition; returns its offset. */
  append(
    topic: string,
    partition: number,
    record: {
      key: string | Buffer | null;
      value: Buffer | null;
      headers: Readonly<Record<string, OutgoingHeaderValue>>;
      timestamp?: number | undefined;
    },
  ): string {
    const log = this.partitionsOf(topic)[partition];
    if (log === undefined) throw new UnknownTopicError(`${topic}[${partition}]`);
    const offset = String(log.length);
    log.push({
      topic,
      partition,
      offset,
      key: record.key === null ? null : Buffer.from(record.key),
      value: record.value === null ? null : Buffer.from(record.value),
      headers: storedHeaders(record.headers),
      timestamp: record.timestamp ?? Date.now(),
    });
    this.changed();
    return offset;
  }

  /** The records of a partition from `offset` on. */
  read(topic: string, partition: number, offset: number, max = Number.POSITIVE_INFINITY): StoredRecord[] {
    const log = this.partitionsOf(topic)[partition] ?? [];
    return log.slice(offset, offset + Math.min(max, log.length));
  }

  /** The offset the next record of a partition gets (its high watermark). */
  endOffset(topic: string, partition: number): number {
    return this.partitionsOf(topic)[partition]?.length ?? 0;
  }

  /** Every record of a topic, partition by partition, each in offset order. */
  records(topic: string): StoredRecord[] {
    return this.partitionsOf(topic).flat();
  }

  commit(group: string, topic: string, partition: number, offset: string): void {
    let byTopic = this.commits.get(group);
    if (byTopic === undefined) {
      byTopic = new Map();
      this.commits.set(group, byTopic);
    }
    let byPartition = byTopic.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      byTopic.set(topic, byPartition);
    }
    byPartition.set(partition, offset);
    this.changed();
  }

  /** The group's committed offset of a partition (the next offset it reads), if any. */
  committed(group: string, topic: string, partition: number): string | undefined {
    return this.commits.get(group)?.get(topic)?.get(partition);
  }

  /** Forgets a group's committed offsets. */
  deleteGroup(group: string): void {
    this.commits.delete(group);
  }

  /** Resolves on the next append or commit (consumers wait here instead of polling). */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes everyone waiting for a change (also used for seeks, resumes and shutdowns). */
  changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private partitionsOf(topic: string): StoredRecord[][] {
    const partitions = this.logs.get(topic);
    if (partitions === undefined) {
      throw new Error(`topic ${topic} does not exist in the in-memory broker (list it in the test kit's \`topics\`)`);
    }
    return partitions;
  }
}

/** Header values as the broker stores them: text written as UTF-8, repeated headers kept in order. */
function storedHeaders(headers: Readonly<Record<string, OutgoingHeaderValue>>): Record<string, StoredHeaderValue> {
  const out: Record<string, StoredHeaderValue> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(toBytes) : toBytes(value as string | Buffer);
  }
  return out;
}

const toBytes = (v: string | Buffer): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v));
