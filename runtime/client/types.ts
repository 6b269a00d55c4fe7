/**
 * The narrow interface the producer (and consumer) use to talk to Kafka. The kafkajs adapter
 * (kafkajs.ts) and the @platformatic/kafka adapter (platformatic.ts, producer only) implement it;
 * transport.ts picks one by configuration.
 */

import type { Compression, RequiredAcks } from "../config/types.ts";
import type { SkejiError } from "../errors/base.ts";
import type { PartitionerName } from "./partitioners.ts";

/** A header value on the wire: text (written as UTF-8), bytes, or the values of a repeated header. */
export type OutgoingHeaderValue = string | Buffer | readonly (string | Buffer)[];

/** A record ready for the wire: key and value are bytes, headers text or bytes. */
export interface OutgoingRecord {
  /** A string key is written as UTF-8. */
  readonly key: string | Buffer | null;
  /** `null` writes a tombstone. */
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, OutgoingHeaderValue>>;
  readonly partition?: number | undefined;
  /** Milliseconds since the epoch; the broker's clock when absent. */
  readonly timestamp?: number | undefined;
  /** How its key picks the partition (unless `partition` is given); the client's own when absent. */
  readonly partitioner?: PartitionerName | undefined;
}

export interface TopicRecords {
  readonly topic: string;
  readonly records: readonly OutgoingRecord[];
}

/** Where one record landed. `offset` is `undefined` when acks=0 (the broker does not answer). */
export interface RecordAck {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string | undefined;
  /**
   * Set when the send as a whole succeeded but this record is not confirmed by it (with acks 1 or
   * all, the broker's answer did not cover its partition): the record's own failure, e.g.
   * PUBLISH_AMBIGUOUS. Never set with acks=0, where no record is confirmed.
   */
  readonly error?: SkejiError | undefined;
}

export interface ProducerClientOptions {
  readonly requiredAcks: RequiredAcks;
  readonly idempotent: boolean;
  readonly compression: Compression;
  /** Attempts per request, the first included; retries back off exponentially with jitter. */
  readonly maxAttempts: number;
  readonly allowAutoTopicCreation: boolean;
  readonly requestTimeoutMs: number;
  /** Key-to-partition function of records that name none; default `murmur2` (see partitioners.ts). */
  readonly partitioner?: PartitionerName | undefined;
}

/** Observes every produce request sent to a broker (for metrics and tests). */
export interface ProduceRequestEvent {
  readonly broker: string;
  readonly durationMs: number;
  /** The request's bytes: as kafkajs reports them, or as the platformatic transport wrote them. */
  readonly size: number;
}

export interface ProducerClient {
  connect(): Promise<void>;
  /**
   * Sends records to their topics in as few requests as possible (one per broker)
   * and returns one ack per record, in the shape of the input. An ack means the broker wrote the
   * record (with acks=all: every in-sync replica has it). A failure rejects with a SkejiError whose
   * code says what is known of the records: CONNECTION_FAILED or PUBLISH_FAILED (not written),
   * PUBLISH_REJECTED or RECORD_TOO_LARGE (refused for good, not written; a topic the broker
   * refuses, such as an invalid name, is PUBLISH_REJECTED too), PUBLISH_AMBIGUOUS (may or may not
   * be written). After a failure no later send may be acknowledged on the strength of
   * a batch whose fate is unknown (an idempotent client moves to a new producer id).
   */
  send(batch: readonly TopicRecords[]): Promise<RecordAck[][]>;
  disconnect(): Promise<void>;
  /** Registers a listener for produce requests; returns a function that removes it. */
  onProduceRequest(listener: (event: ProduceRequestEvent) => void): () => void;
}

export interface KafkaClient {
  producer(options: ProducerClientOptions): ProducerClient;
}
