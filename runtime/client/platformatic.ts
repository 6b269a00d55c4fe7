/**
 * The @platformatic/kafka implementation of the client interface (producer side), chosen with
 * `transport: "platformatic"` / `KAFKA_TRANSPORT=platformatic`.
 *
 * @platformatic/kafka is an optional peer dependency, loaded on the first connect of a producer that
 * chooses it: it is an ES module that needs Node 20.19.4 or later (the CommonJS build of this package
 * reaches it through `require` of an ES module), and a service on the default transport should not
 * install it. This module only imports its types.
 *
 * What is taken from the client and what is not. Its connections (TLS, SASL, one request at a time
 * per connection), metadata, ApiVersions and InitProducerId are used as they are. Its record
 * encoding and send path are not: each record cost a writer, a growing buffer, BigInt timestamps
 * and a Map walk for its headers, most of the transport's CPU. Record batches are encoded here
 * (wire/record-batch.ts, one Buffer per partition, the same bytes the client writes) and the
 * Produce request is framed and its answer read here (wire/produce.ts), sent on the instance's own
 * connection to each partition's leader (platformatic-produce.ts).
 *
 * What the client does on its failure paths, read in its source (1.35), and what is done about it:
 * - Sequence numbers are ours, per instance and partition, advanced only when the broker answers
 *   that a batch was written. Once a send has failed, the counter of a partition whose batch the
 *   broker did write (a lost response, a timeout, a connection cut after the write) would be
 *   behind the log: the next batch of the same size would be taken by the broker for a duplicate
 *   of the written one - acknowledged, never written - and any other size fails with
 *   OUT_OF_ORDER_SEQUENCE_NUMBER for good. So after any failed send the producer instance is
 *   retired and the next send goes through a new one, whose InitProducerId gives it a new producer
 *   id with sequences from zero (as the kafkajs adapter does, and the Java client bumps its epoch).
 * - A request that timed out stays on the client's connection, and its late answer is not consumed
 *   from the read buffer: that connection cannot be trusted either. Retiring the instance closes
 *   its connections, so this is done after any failed send, idempotent or not.
 * - A batch is resent (same bytes, same sequence, after the retry delay and a metadata refresh,
 *   within maxAttempts) only when nothing of it can have been written: no connection to its leader,
 *   or an answer that says so (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 *   UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS). A timeout or a lost connection ends the send
 *   ambiguous at once: its request may have been written.
 * - Concurrent sends would carry the same sequence to a partition (the broker refuses the second
 *   with OUT_OF_ORDER_SEQUENCE_NUMBER, or takes it for a duplicate when the sizes match). Sends are
 *   therefore queued here, one at a time per producer; the requests of one send to different
 *   leaders go out together, one per leader (the Java client's max.in.flight of 1 with idempotence
 *   is the same trade).
 * - An idempotent producer built by the client forces retries to "forever" when asked for fewer
 *   than two; the instance is built non-idempotent with our retry count (its metadata and
 *   connection retries), and InitProducerId is asked for here when the producer is idempotent.
 * - An explicit partition beyond the topic's would be wrapped around by the client
 *   (`partition %= count`); it is refused here before anything is sent, as kafkajs cannot send it
 *   either.
 * - Partitions are chosen here, once per record, with this package's partitioners (the client
 *   partitions keyless records round robin on each call, which would move a record between
 *   attempts of one send otherwise).
 */
import zlib from "node:zlib";
import type { ProducerOptions as PltProducerOptions } from "@platformatic/kafka";
import type { ClientConfig } from "../config/types.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { createPartitioner, keyIndex, type PartitionerName } from "./partitioners.ts";
import { brokerErrorType, errorText, platformaticFailure, readable, unknownTopic } from "./platformatic-outcome.ts";
import {
  type Instance,
  nativeCrc32c,
  negotiateVersion,
  type PartitionSend,
  ProduceFailure,
  type Producer,
  type ProduceSettings,
  produce,
} from "./platformatic-produce.ts";
import { type FailedSend, sendFailure } from "./send-outcome.ts";
import type {
  KafkaClient,
  OutgoingHeaderValue,
  OutgoingRecord,
  ProduceRequestEvent,
  ProducerClient,
  ProducerClientOptions,
  RecordAck,
  TopicRecords,
} from "./types.ts";
import type { BatchRecord, HeaderBytes } from "./wire/record-batch.ts";

type Platformatic = typeof import("@platformatic/kafka");
type Partitioner = ReturnType<typeof createPartitioner>;
type PartitionerArgs = Parameters<Partitioner>[0];

/** The version the adapter was written and proven against; other 1.x may differ on failure paths. */
export const platformaticVersion = "1.35.0";

let loading: Promise<Platformatic> | undefined;

/** Loads @platformatic/kafka once; a missing install fails the connect, saying what to install. */
function loadPlatformatic(): Promise<Platformatic> {
  loading ??= import("@platformatic/kafka").catch((error: unknown) => {
    loading = undefined;
    throw new SkejiError(
      ErrorCode.INVALID_CONFIG,
      `transport "platformatic" (KAFKA_TRANSPORT) needs the package @platformatic/kafka: install it with \`npm install @platformatic/kafka@${platformaticVersion}\` (Node 20.19.4 or later), or use the default transport "kafkajs"`,
      { cause: error },
    );
  });
  return loading;
}

export interface PlatformaticClientOptions {
  readonly logger?: Logger | undefined;
}

/** Creates the @platformatic/kafka-backed client for a configuration. Nothing loads or connects until a producer does. */
export function createPlatformaticClient(config: ClientConfig, options: PlatformaticClientOptions = {}): KafkaClient {
  const logger = (options.logger ?? defaultLogger()).child({ component: "platformatic-kafka" });
  return { producer: (producerOptions) => new PlatformaticProducer(config, producerOptions, logger) };
}

/** Node versions before 22.15 have no zstd in zlib, which the client compresses zstd with. */
export const platformaticHasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === "function";

/** Exponential backoff as the kafkajs adapter's: 100 ms doubling up to 2 s, 20 % jitter. */
function retryDelay(_client: unknown, _operation: string, attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The client's options for a configuration (connection, TLS, SASL, timeouts, retries). */
function clientOptions(
  config: ClientConfig,
  options: ProducerClientOptions,
): PltProducerOptions<never, never, never, never> {
  const out: PltProducerOptions<never, never, never, never> = {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: config.connectionTimeoutMs,
    // The socket's wait for an answer (the broker's own is the produce request's timeout_ms).
    requestTimeout: config.requestTimeoutMs,
    timeout: options.requestTimeoutMs,
    // Retries of the client's own requests (metadata, ApiVersions, InitProducerId, connecting).
    retries: options.maxAttempts - 1,
    retryDelay,
    // Built non-idempotent on purpose (see the top of this module); InitProducerId is asked for here.
    idempotent: false,
    // One request at a time per connection with idempotence: sequence numbers advance on answers.
    maxInflights: options.idempotent ? 1 : 5,
    autocreateTopics: options.allowAutoTopicCreation,
  };
  if (config.ssl !== undefined) {
    const { ca, cert, key, rejectUnauthorized } = config.ssl;
    out.tls = {
      rejectUnauthorized,
      ...(ca === undefined ? {} : { ca: [ca] }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
    // The broker's host name for SNI and certificate checks (Node refuses an IP address as a name).
    out.tlsServerName = !config.brokers.every((b) => /^[\d.]+(:\d+)?$|^\[/.test(b));
  }
  if (config.sasl !== undefined) {
    const { mechanism, username, password } = config.sasl;
    out.sasl = { mechanism: mechanism.toUpperCase() as "PLAIN", username, password };
  }
  return out;
}

interface SendPlan {
  /** Each distinct topic-partition's records, in input order within it. */
  readonly sends: PartitionSend[];
  /** Each input record's share: its partition's send, in the shape of the input. */
  readonly chosen: PartitionSend[][];
}

class PlatformaticProducer implements ProducerClient {
  /** The producer instance in use (connected, with its producer id when idempotent), while it is trusted. */
  private current: Promise<Instance> | undefined;
  /** Sends run one after another (see the top of this module). */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly retiring = new Set<Promise<void>>();
  private readonly listeners = new Set<(event: ProduceRequestEvent) => void>();
  private readonly partitioners: Readonly<Record<PartitionerName, Partitioner>>;
  private readonly settings: ProduceSettings;
  /** Instances created so far (1 + retirements once connected), for logs and tests. */
  generation = 0;

  constructor(
    private readonly config: ClientConfig,
    private readonly options: ProducerClientOptions,
    private readonly logger: Logger,
  ) {
    if (options.compression === "zstd" && !platformaticHasZstd) {
      throw new SkejiError(
        ErrorCode.INVALID_CONFIG,
        `compression "zstd" is not available with transport "platformatic" on Node ${process.versions.node}: @platformatic/kafka compresses zstd with node:zlib, which has it from Node 22.15; choose snappy, lz4 or gzip (KAFKA_PRODUCER_COMPRESSION) or transport "kafkajs"`,
      );
    }
    this.partitioners = { murmur2: createPartitioner("murmur2"), fnv1a: createPartitioner("fnv1a") };
    this.settings = {
      // Idempotence needs every in-sync replica's acknowledgement.
      acks: options.idempotent ? -1 : options.requiredAcks,
      idempotent: options.idempotent,
      compression: options.compression,
      maxAttempts: options.maxAttempts,
      timeoutMs: options.requestTimeoutMs,
      retryDelay: (attempt) => retryDelay(undefined, "produce", attempt),
      clientIdBytes: Buffer.byteLength(config.clientId, "utf8"),
      observe: (event) => {
        for (const listener of this.listeners) listener(event);
      },
    };
  }

  connect(): Promise<void> {
    return this.instance().then(() => {});
  }

  /** The trusted instance, created (and connected: metadata, producer id) when there is none. */
  private instance(): Promise<Instance> {
    if (this.closed) return Promise.reject(new SkejiError(ErrorCode.PRODUCER_CLOSED, "the producer is closed"));
    if (this.current !== undefined) return this.current;
    const created = this.spawn();
    this.current = created;
    created.catch(() => {
      if (this.current === created) this.current = undefined; // the next send tries again
    });
    return created;
  }

  private async spawn(): Promise<Instance> {
    const lib = await loadPlatformatic();
    const producer = new lib.Producer(clientOptions(this.config, this.options)) as unknown as Producer;
    this.generation++;
    producer.on("client:broker:failed", (event: { broker?: { host: string; port: number } }) =>
      this.logger.debug({ broker: brokerName(event.broker) }, "cannot reach a broker"),
    );
    try {
      await producer.metadata({ topics: [] });
      const version = await negotiateVersion(producer);
      if (this.options.idempotent) await producer.initIdempotentProducer({});
      return { producer, lib, version, sequences: new Map(), crc32c: await nativeCrc32c() };
    } catch (error) {
      this.release(producer);
      throw error;
    }
  }

  private release(producer: Producer): void {
    const closing = (producer.close(true) as unknown as Promise<void>)
      .catch(() => {})
      .finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
  }

  /** Drops the current instance: the next send gets a new one, with a new producer id. */
  private retire(reason: string): void {
    const old = this.current;
    this.current = undefined;
    if (old === undefined) return;
    this.logger.warn(
      { generation: this.generation + 1, reason },
      "a produce request failed; continuing with a new producer id so that no later record is taken for a duplicate of one whose fate is unknown",
    );
    // Its requests still in flight end with it; their records were reported with the failed send.
    old.then((i) => this.release(i.producer)).catch(() => {});
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => {});
    const current = this.current;
    this.current = undefined;
    if (current !== undefined) await current.then((i) => this.release(i.producer)).catch(() => {});
    await Promise.all([...this.retiring]);
  }

  onProduceRequest(listener: (event: ProduceRequestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(batch: readonly TopicRecords[]): Promise<RecordAck[][]> {
    const run = this.queue.then(() => this.sendNow(batch));
    this.queue = run.catch(() => {});
    return run;
  }

  private async sendNow(batch: readonly TopicRecords[]): Promise<RecordAck[][]> {
    if (this.closed) throw new SkejiError(ErrorCode.PRODUCER_CLOSED, "the producer is closed");
    const topics = batch.map((t) => t.topic);
    const records = batch.reduce((n, t) => n + t.records.length, 0);
    const failed = (partitions: number, sent: boolean, extra: Partial<FailedSend> = {}): FailedSend => ({
      topics,
      partitions,
      records,
      sent,
      ...extra,
    });
    let instance: Instance;
    try {
      instance = await this.instance();
    } catch (error) {
      throw sendFailure(readable(error), failed(0, false));
    }
    const producer = instance.producer;
    let plan: SendPlan;
    try {
      plan = await this.plan(producer, batch);
    } catch (error) {
      if (error instanceof SkejiError) throw error;
      // Nothing was sent: only metadata was asked for.
      const missing = unknownTopic(error) ? await this.missingTopics(producer, topics) : undefined;
      const known = missing !== undefined && missing.length > 0;
      // A broker's refusal of the metadata request (e.g. INVALID_TOPIC_EXCEPTION for a name that is
      // not a topic name) is an answer: the cluster was reached, and no record was sent.
      const answered = brokerErrorType(error) !== undefined;
      throw platformaticFailure(error, failed(0, known || answered, known ? { missingTopics: missing } : {}));
    }
    const count = plan.sends.length;
    try {
      await produce(instance, plan.sends, this.settings);
    } catch (error) {
      this.retire(error instanceof ProduceFailure ? error.message : errorText(error));
      if (!(error instanceof ProduceFailure)) throw platformaticFailure(error, failed(count, true));
      const cause = error.cause === undefined ? error : readable(error.cause);
      const reason =
        error.cause === undefined ? error : new Error(`${error.message}: ${errorText(error.cause)}`, { cause });
      throw sendFailure(
        reason,
        failed(count, error.sent, error.brokerError === undefined ? {} : { brokerError: error.brokerError }),
      );
    }
    if (this.settings.acks === 0) {
      return batch.map((t, i) =>
        (plan.chosen[i] as PartitionSend[]).map((s) => ({ topic: t.topic, partition: s.partition, offset: undefined })),
      );
    }
    // Each partition's records count up from the base offset the broker answered with (numbers
    // while they are exact, as offsets are in practice; bigints beyond).
    const next = new Map<PartitionSend, number | bigint>();
    for (const s of plan.sends) {
      if (s.baseOffset !== undefined && s.baseOffset >= 0n)
        next.set(s, s.baseOffset <= maxExact ? Number(s.baseOffset) : s.baseOffset);
    }
    let unanswered: SkejiError | undefined;
    const acks = batch.map((t, i) =>
      (plan.chosen[i] as PartitionSend[]).map((s): RecordAck => {
        const offset = next.get(s);
        if (offset === undefined) {
          // Written (a duplicate of a batch the broker has), at an offset it did not say.
          unanswered ??= new SkejiError(
            ErrorCode.PUBLISH_AMBIGUOUS,
            `publishing to ${t.topic} may or may not have succeeded: the broker's answer gave no offset for partition ${s.partition}; the record may be in the topic (publishing it again may duplicate it)`,
            { details: { topics: [t.topic], partition: s.partition, written: "unknown" } },
          );
          return { topic: t.topic, partition: s.partition, offset: undefined, error: unanswered };
        }
        next.set(s, typeof offset === "number" ? offset + 1 : offset + 1n);
        return { topic: t.topic, partition: s.partition, offset: String(offset) };
      }),
    );
    if (unanswered !== undefined) this.retire(unanswered.message);
    return acks;
  }

  /** Asks for the topics' metadata and chooses each record's partition, once; groups records by partition. */
  private async plan(producer: Producer, batch: readonly TopicRecords[]): Promise<SendPlan> {
    const topics = [...new Set(batch.map((t) => t.topic))];
    const metadata = await producer.metadata({ topics, autocreateTopics: this.options.allowAutoTopicCreation });
    const sends: PartitionSend[] = [];
    const chosen: PartitionSend[][] = [];
    /** The partitions' sends, by topic. */
    const byTopic = new Map<string, PartitionSend[]>();
    for (const t of batch) {
      const topic = metadata.topics.get(t.topic);
      const count = topic?.partitionsCount ?? 0;
      if (count === 0) {
        throw new SkejiError(
          ErrorCode.PUBLISH_FAILED,
          `the cluster's metadata lists no partitions of ${t.topic}; nothing was sent`,
          { details: { topics: [t.topic], written: false } },
        );
      }
      let partitionMetadata: PartitionerArgs["partitionMetadata"] | undefined;
      const shares: PartitionSend[] = [];
      let used = byTopic.get(t.topic);
      if (used === undefined) {
        used = [];
        byTopic.set(t.topic, used);
      }
      for (const record of t.records) {
        const key = record.key === null ? null : utf8(record.key);
        let partition = record.partition;
        if (partition === undefined) {
          const name = record.partitioner ?? this.options.partitioner ?? "murmur2";
          if (key !== null) partition = keyIndex(name, key, count);
          else {
            // Keyless records are spread round robin, as kafkajs's default partitioner spreads them.
            partitionMetadata ??= (topic?.partitions ?? []).map((p, partitionId) => ({
              partitionId,
              leader: p.leader,
              partitionErrorCode: 0,
              replicas: p.replicas,
              isr: p.isr,
            }));
            partition = this.partitioners[name]({
              topic: t.topic,
              partitionMetadata,
              message: { key: null, value: record.value },
            } as PartitionerArgs);
          }
        } else if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
          throw new SkejiError(
            ErrorCode.PUBLISH_REJECTED,
            `partition ${partition} of ${t.topic} does not exist: the topic has ${count} partitions (0 to ${count - 1}); nothing was sent`,
            { details: { topics: [t.topic], partition, partitions: count, written: false } },
          );
        }
        let share = used[partition];
        if (share === undefined) {
          share = { topic: t.topic, partition, records: [] };
          used[partition] = share;
          sends.push(share);
        }
        share.records.push(toBatchRecord(key, record));
        shares.push(share);
      }
      chosen.push(shares);
    }
    return { sends, chosen };
  }

  /** The topics the cluster does not have, asked one by one (the client names only the first it misses). */
  private async missingTopics(producer: Producer, topics: readonly string[]): Promise<string[] | undefined> {
    const missing: string[] = [];
    for (const topic of new Set(topics)) {
      try {
        await producer.metadata({ topics: [topic], autocreateTopics: false, forceUpdate: true });
      } catch (error) {
        if (!unknownTopic(error)) return undefined;
        missing.push(topic);
      }
    }
    return missing;
  }
}

const brokerName = (b: { host: string; port: number } | undefined) =>
  b === undefined ? "unknown" : `${b.host}:${b.port}`;

const utf8 = (v: string | Buffer): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : v);

/** The largest offset counted in numbers (beyond it, in bigints) with room for a batch's records after it. */
const maxExact = BigInt(Number.MAX_SAFE_INTEGER - 2 ** 31);

/** Header names as bytes, converted once: a producer writes the same few names on every record. */
const headerNames = new Map<string, Buffer>();

/** The bytes of a header name, shared by every record that has it. */
function nameBytes(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, "utf8");
    // Bounded: names come from code, but a service could make them up (e.g. from data).
    if (headerNames.size < 1024) headerNames.set(name, bytes);
  }
  return bytes;
}

/**
 * The last value of each header name, and its bytes once it repeats: most headers (event type,
 * schema version, retry count, fingerprint) carry the same value on every record and are converted
 * once. A value that keeps changing (event id, time) is handed to the encoder as text, which writes
 * it straight into the batch without a Buffer of its own; once it has changed on 8 records in a
 * row it is no longer compared either (comparing a fresh string costs more than writing it).
 */
const lastValues = new Map<string, { text: string; bytes: Buffer | undefined; changes: number }>();

function valueBytes(name: string, value: string | Buffer): HeaderBytes {
  if (typeof value !== "string") return value;
  const last = lastValues.get(name);
  if (last === undefined) {
    if (lastValues.size < 1024) lastValues.set(name, { text: value, bytes: undefined, changes: 0 });
    return value;
  }
  if (last.changes >= 8) return value;
  if (last.text !== value) {
    last.text = value;
    last.bytes = undefined;
    last.changes++;
    return value;
  }
  last.changes = 0;
  last.bytes ??= Buffer.from(value, "utf8");
  return last.bytes;
}

/**
 * One record as the batch encoder takes it: key and value as they are, each header as its name's
 * bytes and its value's bytes or text. The same name and value Buffers serve every record: the
 * encoder only copies them into the batch.
 */
function toBatchRecord(key: Buffer | null, record: OutgoingRecord): BatchRecord {
  const headers: HeaderBytes[] = [];
  const all = record.headers;
  for (const name in all) {
    const value = all[name] as OutgoingHeaderValue;
    if (typeof value === "string" || Buffer.isBuffer(value)) headers.push(nameBytes(name), valueBytes(name, value));
    else for (const one of value) headers.push(nameBytes(name), one);
  }
  return { key, value: record.value, headers, timestamp: record.timestamp };
}
