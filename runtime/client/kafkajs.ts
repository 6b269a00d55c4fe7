/**
 * The kafkajs implementation of the client interface. It maps configuration
 * (TLS, SASL, retries, compression), routes kafkajs logs into pino, and turns
 * kafkajs's per-partition acks into one ack per record.
 */
import {
  type IHeaders,
  Kafka,
  type KafkaConfig,
  type ProducerRecord as KafkajsMessageLike,
  logLevel,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import type { ClientConfig, RecordEncoder } from "../config/types.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { compressionType, registerCompressionCodecs } from "./compression.ts";
import { brokerSocketFactory } from "./connection.ts";
import { logKafkajs } from "./kafkajs-log.ts";
import { useSdkRecordEncoder } from "./kafkajs-produce-hook.ts";
import { createPartitioner, type PartitionerName } from "./partitioners.ts";
import { pointsToMissingTopic, sendFailure } from "./send-outcome.ts";
import { missingTopics } from "./topics.ts";
import type {
  KafkaClient,
  OutgoingRecord,
  ProduceRequestEvent,
  ProducerClient,
  ProducerClientOptions,
  RecordAck,
  TopicRecords,
} from "./types.ts";

type KafkajsMessage = KafkajsMessageLike["messages"][number];
type Partitioner = ReturnType<typeof createPartitioner>;

export interface KafkajsClientOptions {
  readonly logger?: Logger | undefined;
  /** Attempts for connections and metadata, the first included (kafkajs's default is 6, up to 30 s apart). */
  readonly maxAttempts?: number | undefined;
  /**
   * What encodes its producers' Produce requests: `sdk` (the default; kafkajs-produce-hook.ts) or
   * `kafkajs`.
   */
  readonly recordEncoder?: RecordEncoder | undefined;
}

/** Creates the kafkajs-backed client for a configuration. Nothing connects until a producer does. */
export function createKafkajsClient(config: ClientConfig, options: KafkajsClientOptions = {}): KafkaClient {
  registerCompressionCodecs();
  const logger = (options.logger ?? defaultLogger()).child({ component: "kafkajs" });
  const kafkaConfig = kafkajsConfig(config, logger);
  // The client's socket factory is its own: marking it puts our encoder under this client's
  // producers only.
  if (options.recordEncoder !== "kafkajs" && kafkaConfig.socketFactory !== undefined) {
    if (!useSdkRecordEncoder(kafkaConfig.socketFactory)) {
      logger.debug(
        { recordEncoder: "kafkajs" },
        "produced records are encoded by kafkajs: the installed kafkajs is not the release the SDK's encoder was proven on",
      );
    }
  }
  const kafka = new Kafka({
    ...kafkaConfig,
    ...(options.maxAttempts === undefined ? {} : { retry: retryPolicy(options.maxAttempts, false) }),
  });
  return { producer: (producerOptions) => new KafkajsProducer(kafka, producerOptions, logger) };
}

/**
 * A producer client on an existing kafkajs instance (the consumer's dead-letter writer shares the
 * consumer's), with the same recovery as the producer's own: see {@link KafkajsProducer}.
 */
export function kafkajsProducerClient(kafka: Kafka, options: ProducerClientOptions, logger?: Logger): ProducerClient {
  return new KafkajsProducer(kafka, options, (logger ?? defaultLogger()).child({ component: "kafkajs" }));
}

/**
 * The kafkajs configuration for a client config (exported for the consumer side).
 * Also registers the compression codecs, so any client built from it can read every codec.
 */
export function kafkajsConfig(config: ClientConfig, logger: Logger): KafkaConfig {
  registerCompressionCodecs();
  const out: KafkaConfig = {
    brokers: [...config.brokers],
    clientId: config.clientId,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Also bounds a broker's first answer by the connection timeout, and releases ended sockets.
    socketFactory: brokerSocketFactory(config.connectionTimeoutMs),
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => logKafkajs(logger, entry.level, entry.log),
  };
  if (config.ssl !== undefined) {
    const { ca, cert, key, rejectUnauthorized } = config.ssl;
    out.ssl = {
      rejectUnauthorized,
      ...(ca === undefined ? {} : { ca: [ca] }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
  }
  if (config.sasl !== undefined) {
    const { mechanism, username, password } = config.sasl;
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}

/** Exponential backoff: 100 ms doubling up to 2 s, 20 % jitter. */
function retryPolicy(maxAttempts: number, idempotent: boolean) {
  // kafkajs requires at least one retry for an idempotent producer.
  return {
    retries: Math.max(idempotent ? 1 : 0, maxAttempts - 1),
    initialRetryTime: 100,
    maxRetryTime: 2000,
    multiplier: 2,
    factor: 0.2,
  };
}

/**
 * The kafkajs producer behind the client interface, with the recovery kafkajs lacks.
 *
 * kafkajs's idempotent producer winds a partition's sequence number back after any failed produce
 * request, also when the broker did write the batch (a lost response, a timeout). Sending on with
 * it makes the broker take the next batch of the same size for a duplicate of the written one -
 * acknowledged, never written - and any other size fail with OUT_OF_ORDER_SEQUENCE_NUMBER for good.
 * So after any failed send the kafkajs producer is retired: the next send goes through a new one,
 * whose InitProducerId gives it a new producer id with sequences from zero (the Java client bumps
 * its epoch for the same reason). Nothing sent later can then be matched against a batch whose
 * fate is unknown. The failed send itself rejects with what is known (see send-outcome.ts).
 */
class KafkajsProducer implements ProducerClient {
  private current: Producer;
  private connecting: Promise<void> | undefined;
  /** A send failed: the current producer's sequence numbers can no longer be trusted. */
  private stale = false;
  private closed = false;
  /** Producers being disconnected after they were retired. */
  private readonly retiring = new Set<Promise<void>>();
  private readonly listeners = new Set<(event: ProduceRequestEvent) => void>();
  /** Partitioner calls: tells whether the failed send got as far as choosing partitions. */
  private partitioned = 0;
  /** The partitioner of records that name none, and the named ones. */
  private readonly partitioner: Partitioner;
  private readonly partitioners: Readonly<Record<PartitionerName, Partitioner>>;
  /** Producer ids used so far (1 + retirements), for logs and tests. */
  generation = 1;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ProducerClientOptions,
    private readonly logger: Logger,
  ) {
    this.partitioners = { murmur2: createPartitioner("murmur2"), fnv1a: createPartitioner("fnv1a") };
    this.partitioner = this.partitioners[options.partitioner ?? "murmur2"];
    this.current = this.spawn();
  }

  private spawn(): Producer {
    const { options } = this;
    const producer = this.kafka.producer({
      idempotent: options.idempotent,
      maxInFlightRequests: options.idempotent ? 1 : 5,
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      retry: retryPolicy(options.maxAttempts, options.idempotent),
      // The record's partitioner (its topic's: murmur2 as the Java client, or kafka-go's FNV-1a), noting its
      // choice on the message for the acks. A record keeps its partition on every retry: kafkajs
      // partitions again on each attempt, and a keyless record would move to the next partition
      // (round robin), so the retry of a batch whose answer was lost would carry other records
      // under the same sequence numbers - taken by the broker for the written batch, acknowledged
      // and never written. The Java client fixes a record's partition once, for the same reason.
      createPartitioner: () => (args) => {
        this.partitioned++;
        const chosen = (args.message as Chosen)[chosenPartition];
        if (chosen !== undefined && chosen < args.partitionMetadata.length) return chosen;
        const named = (args.message as Partial<Pick<OutgoingRecord, "partitioner">>).partitioner;
        const partition = (named === undefined ? this.partitioner : this.partitioners[named])(args);
        (args.message as Chosen)[chosenPartition] = partition;
        return partition;
      },
    });
    producer.on(producer.events.REQUEST, (e) => {
      const p = e.payload as { apiName: string; broker: string; duration: number; size: number };
      if (p.apiName !== "Produce" || this.listeners.size === 0) return;
      const event = { broker: p.broker, durationMs: p.duration, size: p.size };
      for (const listener of this.listeners) listener(event);
    });
    return producer;
  }

  connect(): Promise<void> {
    if (this.stale) this.retire();
    this.connecting ??= this.current.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    if (connecting !== undefined) await connecting.catch(() => {});
    await Promise.all([this.current.disconnect().catch(() => {}), ...this.retiring]);
  }

  onProduceRequest(listener: (event: ProduceRequestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces the current kafkajs producer with a new one (a new producer id on connect). */
  private retire(): void {
    const old = this.current;
    const connecting = this.connecting;
    this.current = this.spawn();
    this.connecting = undefined;
    this.stale = false;
    this.generation++;
    this.logger.warn(
      { generation: this.generation },
      "a produce request failed; continuing with a new producer id so that no later record is taken for a duplicate of one whose fate is unknown",
    );
    // Its requests still in flight (to other brokers) end with it; their records were already
    // reported as ambiguous with the failed send.
    const retired = (connecting ?? Promise.resolve())
      .catch(() => {})
      .then(() => old.disconnect())
      .catch(() => {})
      .finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
  }

  async send(batch: readonly TopicRecords[]): Promise<RecordAck[][]> {
    if (this.closed) throw new SkejiError(ErrorCode.PRODUCER_CLOSED, "the producer is closed");
    const topics = batch.map((t) => t.topic);
    const records = batch.reduce((n, t) => n + t.records.length, 0);
    try {
      await this.connect();
    } catch (error) {
      throw sendFailure(error, { topics, partitions: 0, records, sent: false });
    }
    const messages = batch.map((t) => t.records.map(toKafkajs));
    this.partitioned = 0;
    let metadata: Awaited<ReturnType<Producer["sendBatch"]>>;
    try {
      metadata = await this.current.sendBatch({
        acks: this.options.requiredAcks,
        timeout: this.options.requestTimeoutMs,
        compression: compressionType[this.options.compression],
        topicMessages: batch.map((t, i) => ({ topic: t.topic, messages: messages[i] ?? [] })),
      });
    } catch (error) {
      if (this.options.idempotent) this.stale = true;
      const missing = pointsToMissingTopic(error) ? await missingTopics(this.kafka, topics) : undefined;
      throw sendFailure(error, {
        topics,
        partitions: this.partitionsOf(batch, messages),
        records,
        sent: true,
        ...(missing === undefined ? {} : { missingTopics: missing }),
      });
    }
    const acks: RecordAck[][] = [];
    let unanswered: SkejiError | undefined;
    for (const [i, t] of batch.entries()) {
      // Offsets of each partition's records count up from the base offset the broker answered with.
      const next = new Map<number, bigint | number>();
      for (const m of metadata) {
        if (m.topicName !== t.topic || m.baseOffset === undefined || m.baseOffset === null || m.baseOffset === "-1")
          continue;
        const base = BigInt(m.baseOffset);
        next.set(m.partition, base < maxSafe ? Number(base) : base);
      }
      acks.push(
        (messages[i] ?? []).map((message) => {
          const partition = message.partition ?? (message as Chosen)[chosenPartition] ?? -1;
          const offset = next.get(partition);
          if (offset === undefined) {
            if (this.options.requiredAcks === 0) return { topic: t.topic, partition, offset: undefined };
            unanswered ??= this.unanswered(t.topic, partition);
            return { topic: t.topic, partition, offset: undefined, error: unanswered };
          }
          next.set(partition, typeof offset === "number" ? offset + 1 : offset + 1n);
          return { topic: t.topic, partition, offset: String(offset) };
        }),
      );
    }
    // kafkajs keeps each broker's answer across its retries: when a partition's leader moved to a
    // broker that had already answered for other partitions, that partition is never sent again,
    // and the send "succeeds" without it. Its records may have been written by the first attempt
    // (to the old leader) or not at all - and the sequence numbers kafkajs kept for the partition
    // no longer say which, so the producer id goes too.
    if (unanswered !== undefined && this.options.idempotent) this.stale = true;
    return acks;
  }

  private unanswered(topic: string, partition: number): SkejiError {
    return new SkejiError(
      ErrorCode.PUBLISH_AMBIGUOUS,
      `publishing to ${topic} may or may not have succeeded: the broker's answer did not cover partition ${partition} (its leader moved while the request was retried); the record may be in the topic (publishing it again may duplicate it)`,
      { details: { topics: [topic], partition, written: "unknown" } },
    );
  }

  /** Distinct partitions of a failed send, or 0 when it failed before choosing them. */
  private partitionsOf(batch: readonly TopicRecords[], messages: KafkajsMessage[][]): number {
    const seen = new Set<string>();
    for (const [i, t] of batch.entries()) {
      for (const message of messages[i] ?? []) {
        const partition =
          message.partition ?? (this.partitioned > 0 ? (message as Chosen)[chosenPartition] : undefined);
        if (partition === undefined) return 0;
        seen.add(`${t.topic}\u0000${partition}`);
      }
    }
    return seen.size;
  }
}

/** Below this, offsets are counted with plain numbers (a batch adds far less than the margin). */
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER) - 1_000_000_000n;

const chosenPartition = Symbol("partition");
type Chosen = KafkajsMessage & { [chosenPartition]?: number };

function toKafkajs(record: OutgoingRecord): KafkajsMessage {
  // Already in kafkajs's shape (a string, Buffer or null key, no timestamp to format): handed over
  // as it is, one object less per message. kafkajs only reads it (the partitioner notes its choice
  // and reads `partitioner`, which kafkajs ignores).
  if (record.timestamp === undefined) return record as unknown as KafkajsMessage;
  const message: KafkajsMessage = {
    key: record.key,
    value: record.value,
    headers: record.headers as IHeaders, // kafkajs only reads them
  };
  if (record.partition !== undefined) message.partition = record.partition;
  if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
  if (record.partitioner !== undefined) (message as { partitioner?: PartitionerName }).partitioner = record.partitioner;
  return message;
}
