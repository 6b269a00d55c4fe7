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
  type SASLOptions,
} from "kafkajs";
import type { ClientConfig } from "../config/types.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { compressionType, registerCompressionCodecs } from "./compression.ts";
import { brokerSocketFactory } from "./connection.ts";
import { createPartitioner } from "./partitioners.ts";
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

export interface KafkajsClientOptions {
  readonly logger?: Logger | undefined;
  /** Attempts for connections and metadata, the first included (kafkajs's default is 6, up to 30 s apart). */
  readonly maxAttempts?: number | undefined;
}

/** Creates the kafkajs-backed client for a configuration. Nothing connects until a producer does. */
export function createKafkajsClient(config: ClientConfig, options: KafkajsClientOptions = {}): KafkaClient {
  registerCompressionCodecs();
  const logger = (options.logger ?? defaultLogger()).child({ component: "kafkajs" });
  const kafka = new Kafka({
    ...kafkajsConfig(config, logger),
    ...(options.maxAttempts === undefined ? {} : { retry: retryPolicy(options.maxAttempts, false) }),
  });
  return { producer: (producerOptions) => new KafkajsProducer(kafka, producerOptions) };
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

interface KafkajsLog {
  readonly message: string;
  readonly [key: string]: unknown;
}

function logKafkajs(logger: Logger, level: logLevel, log: KafkajsLog): void {
  const { message, timestamp: _t, logger: _l, ...rest } = log;
  // Our own retry policy limits the idempotent producer's retries on purpose; the warning is noise.
  if (message.startsWith("Limiting retries for the idempotent producer")) return;
  if (level === logLevel.ERROR) logger.error(rest, message);
  else if (level === logLevel.WARN) logger.warn(rest, message);
  else if (level === logLevel.INFO) logger.debug(rest, message);
  else logger.debug(rest, message);
}

class KafkajsProducer implements ProducerClient {
  private readonly producer;
  private readonly options: ProducerClientOptions;

  constructor(kafka: Kafka, options: ProducerClientOptions) {
    this.options = options;
    const partitioner = createPartitioner(options.partitioner ?? "murmur2");
    this.producer = kafka.producer({
      idempotent: options.idempotent,
      maxInFlightRequests: options.idempotent ? 1 : 5,
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      retry: retryPolicy(options.maxAttempts, options.idempotent),
      // The configured partitioner (murmur2 as the Java client, or kafka-go's FNV-1a), noting its choice on the message for the acks.
      createPartitioner: () => (args) => {
        const partition = partitioner(args);
        (args.message as Chosen)[chosenPartition] = partition;
        return partition;
      },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  onProduceRequest(listener: (event: ProduceRequestEvent) => void): () => void {
    return this.producer.on(this.producer.events.REQUEST, (e) => {
      const p = e.payload as { apiName: string; broker: string; duration: number; size: number };
      if (p.apiName === "Produce") listener({ broker: p.broker, durationMs: p.duration, size: p.size });
    });
  }

  async send(batch: readonly TopicRecords[]): Promise<RecordAck[][]> {
    const messages = batch.map((t) => t.records.map(toKafkajs));
    const metadata = await this.producer.sendBatch({
      acks: this.options.requiredAcks,
      timeout: this.options.requestTimeoutMs,
      compression: compressionType[this.options.compression],
      topicMessages: batch.map((t, i) => ({ topic: t.topic, messages: messages[i] ?? [] })),
    });
    const acks: RecordAck[][] = [];
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
          if (offset === undefined) return { topic: t.topic, partition, offset: undefined };
          next.set(partition, typeof offset === "number" ? offset + 1 : offset + 1n);
          return { topic: t.topic, partition, offset: String(offset) };
        }),
      );
    }
    return acks;
  }
}

/** Below this, offsets are counted with plain numbers (a batch adds far less than the margin). */
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER) - 1_000_000_000n;

const chosenPartition = Symbol("partition");
type Chosen = KafkajsMessage & { [chosenPartition]?: number };

function toKafkajs(record: OutgoingRecord): KafkajsMessage {
  // Already in kafkajs's shape (a string, Buffer or null key, no timestamp to format): handed over
  // as it is, one object less per message. kafkajs only reads it (the partitioner notes its choice).
  if (record.timestamp === undefined) return record as unknown as KafkajsMessage;
  const message: KafkajsMessage = {
    key: record.key,
    value: record.value,
    headers: record.headers as IHeaders, // kafkajs only reads them
  };
  if (record.partition !== undefined) message.partition = record.partition;
  if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
  return message;
}
