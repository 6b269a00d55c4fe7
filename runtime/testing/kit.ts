/**
 * The test kit: an in-memory broker behind the runtime's own producer and consumer, for unit
 * tests of a service's handlers. Publishing goes through `createProducer` (middleware, validation,
 * encoding, partitioning, headers) into the in-memory client; consuming goes through
 * `createConsumer` (routing, decoding, middleware, retries, error classes, dead letters, offset
 * commits) on a kafkajs stand-in. Retry backoff runs on a clock where waiting takes no time.
 */
// The timers of node:timers, not the globals: a test that fakes the global timers (vitest's
// `vi.useFakeTimers()`) does not freeze the broker.
import { clearTimeout, setImmediate, setTimeout } from "node:timers";
import type { KafkaClient } from "../client/types.ts";
import { consumerConfigFromEnv, producerConfigFromEnv } from "../config/env.ts";
import type { ConsumerConfig, ProducerConfig } from "../config/types.ts";
import { type Consumer, type ConsumerOptions, createConsumer } from "../consumer/consumer.ts";
import type { AnyEventDescriptor, PayloadOf, TopicDescriptor } from "../descriptor.ts";
import { DlqHeader } from "../dlq/record.ts";
import { clientDlqSink } from "../dlq/sink.ts";
import { ErrorCode, isSkejiError } from "../errors/base.ts";
import { readHeaders } from "../message/headers.ts";
import { type Logger, silentLogger } from "../observability/logger.ts";
import { createProducer, type ProducerOptions } from "../producer/producer.ts";
import type { Producer } from "../producer/types.ts";
import { createRequester, type Requester, type RequesterOptions } from "../request-reply/request-reply.ts";
import { createSerde } from "../serde/serde.ts";
import { InMemoryBroker, type StoredRecord, type TopicSpec } from "./broker.ts";
import { type TestClock, testClock } from "./clock.ts";
import { InMemoryKafka } from "./consumer-client.ts";
import { inMemoryClient, type SendFault } from "./producer-client.ts";

/** A topic to create: a generated topic or event descriptor (its DLQ topic too), a name, or a name and partition count. */
export type TopicInput = TopicDescriptor | AnyEventDescriptor | TopicSpec | string;

export interface TestKitOptions {
  /**
   * The topics the test uses, e.g. the generated `allTopics`. A topic descriptor creates its topic
   * with the manifest's partition count and its DLQ topic; an event descriptor its topic (one
   * partition) and DLQ topic. Publishing to or consuming from any other topic fails as it does
   * against a broker that does not create topics (unless the producer config allows it).
   */
  readonly topics?: readonly TopicInput[];
  /** For producers and consumers that are given none. Default: nothing is logged. */
  readonly logger?: Logger;
  /** The random source of retry jitter. Default `Math.random`; `() => 0.5` makes delays repeatable. */
  readonly random?: () => number;
  /** How long `drain()` waits for the consumers to run out of work before it fails. Default 10 s. */
  readonly drainTimeoutMs?: number;
}

/** A record in a topic, with its key and headers also as text. */
export interface KitRecord extends StoredRecord {
  /** The key as UTF-8; `undefined` for a null key. */
  readonly keyText: string | undefined;
  /** Header values as UTF-8 (the last value of a repeated header). */
  readonly headerText: Readonly<Record<string, string>>;
}

/** A dead letter, with the `dlq-*` and `original-*` headers read. */
export interface DeadLetter extends KitRecord {
  readonly originalTopic: string | undefined;
  readonly originalPartition: number | undefined;
  readonly originalOffset: string | undefined;
  /** `dlq-error`: the error message, causes included. */
  readonly error: string | undefined;
  /** `dlq-error-type`, e.g. `PermanentError:PERMANENT`. */
  readonly errorType: string | undefined;
  /** `dlq-error-class`: `permanent`, or `transient` when the retries ran out. */
  readonly errorClass: string | undefined;
  /** `retry-count`: retries before giving up, the received `retry-count` included. */
  readonly retryCount: number | undefined;
  readonly consumerGroup: string | undefined;
}

/** A published event, decoded with the runtime's serde. */
export interface PublishedEvent<T> {
  readonly payload: T;
  /** The version it was written with. */
  readonly version: number;
  readonly record: KitRecord;
}

export interface TestKit {
  readonly broker: InMemoryBroker;
  /** The consumers' clock: backoff waits move it on instead of taking time. */
  readonly clock: TestClock;
  /** The producer client interface on the broker (`ProducerOptions.client`). */
  readonly client: KafkaClient;
  /** The kafkajs stand-in on the broker (`ConsumerOptions.kafka`). */
  readonly kafka: InMemoryKafka;
  createTopic(topic: TopicInput): void;
  /**
   * A producer on the broker: each publish sent at once (`batchTimeoutMs` 0, `batchSize` 1), no
   * schema topic; `config` overrides.
   */
  producer(config?: Partial<ProducerConfig>, options?: ProducerOptions): Producer;
  /**
   * A consumer on the broker (not started): group `test-group` unless given, reading from the
   * oldest offset, the test clock, DLQ records written to the broker; `config` and `options`
   * override. Register handlers, then `kit.start(consumer)`.
   */
  consumer(config?: Partial<ConsumerConfig>, options?: ConsumerOptions): Consumer;
  /**
   * `createRequester` on the broker (its reply consumer on the kit's kafkajs stand-in, its requests
   * published by `producer`, default a new kit producer); `close()` closes it.
   */
  requester(
    options: Omit<RequesterOptions, "producer"> & { readonly producer?: Producer; readonly groupId?: string },
  ): Promise<Requester>;
  /** Starts a consumer and resolves once it has joined its group; `close()` stops it. */
  start(consumer: Consumer): Promise<void>;
  /**
   * Resolves once nothing more happens without time passing: every publish is flushed and every
   * started consumer has handled (or dead-lettered, or given up on for now) every record it can
   * fetch - including records its handlers published. A partition held for a later retry
   * (`retry-later`, a failed DLQ write) counts as done. Rejects if a consumer crashed.
   */
  drain(): Promise<void>;
  /** Every record of a topic, partition by partition, in offset order. */
  records(topic: string): KitRecord[];
  /**
   * The events of one type on its topic (or `topic`), decoded into the reader's payload type. A
   * record without `event-type` counts when its topic carries no other event, or its schema
   * fingerprint names this one (as a consumer reads it).
   */
  events<D extends AnyEventDescriptor>(descriptor: D, topic?: string): Promise<PublishedEvent<PayloadOf<D>>[]>;
  /** The records of a dead-letter topic, `dlq-*` headers read. */
  dlq(topic: string): DeadLetter[];
  /** The group's committed offset (the next one it reads) per partition of `topic`; -1 where none. */
  committed(group: string, topic: string): number[];
  /**
   * Fails the next `count` produce requests (publishes and DLQ writes), or only those to `topic`,
   * with `error` (default: the broker not reachable), as sends that were never written; later
   * ones succeed.
   */
  failSends(count: number, options?: { readonly topic?: string; readonly error?: unknown }): void;
  /** Stops every started consumer and closes every producer made by the kit. */
  close(): Promise<void>;
}

const placeholderEnv = { KAFKA_BROKERS: "in-memory:9092" };

export function createTestKit(options: TestKitOptions = {}): TestKit {
  const broker = new InMemoryBroker();
  const clock = testClock();
  const logger = options.logger ?? silentLogger;
  let faults: { left: number; topic: string | undefined; error: unknown } | undefined;
  const fault = (): SendFault | undefined => {
    if (faults === undefined || faults.left <= 0) return undefined;
    return (batch) => {
      if (faults === undefined || faults.left <= 0) return undefined;
      if (faults.topic !== undefined && !batch.some((t) => t.topic === faults?.topic)) return undefined;
      faults.left--;
      return faults.error;
    };
  };
  const client = inMemoryClient(broker, fault);
  const kafka = new InMemoryKafka(broker);
  const producers = new Set<Producer>();
  const started = new Map<Consumer, Promise<void>>();
  const crashes: unknown[] = [];
  const serde = createSerde({});

  const createTopic = (input: TopicInput): void => {
    if (typeof input === "string") {
      broker.createTopic({ topic: input });
      return;
    }
    if ("events" in input) {
      broker.createTopic({ topic: input.topic, partitions: input.settings.partitions });
      if (input.dlqTopic !== undefined) {
        broker.createTopic({ topic: input.dlqTopic, partitions: input.dlqSettings?.partitions });
      }
      return;
    }
    if ("versions" in input) {
      broker.createTopic({ topic: input.topic });
      if (input.dlqTopic !== undefined) broker.createTopic({ topic: input.dlqTopic });
      return;
    }
    broker.createTopic(input);
  };
  for (const t of options.topics ?? []) createTopic(t);

  const records = (topic: string): KitRecord[] => broker.records(topic).map(withText);
  const requesters = new Set<Requester>();
  const consumerConfig = (config: Partial<ConsumerConfig>): ConsumerConfig => ({
    ...consumerConfigFromEnv("test-kit", config.groupId ?? "test-group", placeholderEnv),
    topic: "",
    clientId: "test-kit",
    startOffset: "oldest",
    schemaTopic: false,
    ...config,
  });
  const consumerDefaults = (): ConsumerOptions => ({
    logger,
    kafka,
    clock,
    ...(options.random === undefined ? {} : { random: options.random }),
    dlq: clientDlqSink(
      client.producer({
        requiredAcks: -1,
        idempotent: true,
        compression: "none",
        maxAttempts: 1,
        allowAutoTopicCreation: false,
        requestTimeoutMs: 30_000,
      }),
    ),
  });

  const kit: TestKit = {
    broker,
    clock,
    client,
    kafka,
    createTopic,
    producer(config = {}, producerOptions = {}) {
      const producer = createProducer(
        {
          ...producerConfigFromEnv("test-kit", placeholderEnv),
          topic: "",
          clientId: "test-kit",
          // Every publish is sent at once, without a linger timer: publishing works under fake timers.
          batchTimeoutMs: 0,
          batchSize: 1,
          schemaTopic: false,
          ...config,
        },
        { logger, client, ...producerOptions },
      );
      producers.add(producer);
      return producer;
    },
    consumer(config = {}, consumerOptions = {}) {
      return createConsumer(consumerConfig(config), { ...consumerDefaults(), ...consumerOptions });
    },
    async requester({ producer, groupId, consumer, ...rest }) {
      const requester = await createRequester(consumerConfig({ groupId: groupId ?? "test-requester" }), {
        ...rest,
        producer: producer ?? kit.producer(),
        consumer: { ...consumerDefaults(), ...consumer },
      });
      requesters.add(requester);
      return requester;
    },
    async start(consumer) {
      const done = consumer.start();
      started.set(consumer, done);
      // A failed start rejects here; a consumer that fails once running fails the next drain().
      let joined = false;
      done.catch((e: unknown) => {
        if (joined) crashes.push(e);
      });
      await consumer.ready();
      joined = true;
    },
    async drain() {
      const limitMs = options.drainTimeoutMs ?? 10_000;
      // A timer of node:timers: real time even while a test fakes the global clock.
      let expired = false;
      const limit = setTimeout(() => {
        expired = true;
      }, limitMs);
      try {
        let quiet = 0;
        // Settled twice in a row across a turn of the event loop: no callback was about to publish.
        while (quiet < 2) {
          await Promise.all([...producers].map((p) => p.flush().catch(() => {})));
          await new Promise((resolve) => setImmediate(resolve));
          if (crashes.length > 0) throw crashes[0];
          quiet = kafka.settled() ? quiet + 1 : 0;
          if (quiet === 0 && expired) {
            throw new Error(
              `drain: the consumers were still busy after ${limitMs} ms (a handler that never settles, or one that publishes without end?)`,
            );
          }
        }
      } finally {
        clearTimeout(limit);
      }
    },
    records,
    async events(descriptor, topic = descriptor.topic) {
      const out = [];
      for (const record of records(topic)) {
        if (record.headerText["event-type"] !== undefined && record.headerText["event-type"] !== descriptor.type) {
          continue;
        }
        let decoded: Awaited<ReturnType<typeof serde.decode>>;
        try {
          decoded = await serde.decode({ topic, headers: record.headers, value: record.value }, [descriptor]);
        } catch (error) {
          // Without event-type, on a topic that carries other events too, nothing says it is this one.
          if (record.headerText["event-type"] === undefined && isSkejiError(error, ErrorCode.UNKNOWN_EVENT_TYPE))
            continue;
          throw error;
        }
        out.push({ payload: decoded.payload as PayloadOf<typeof descriptor>, version: decoded.version, record });
      }
      return out;
    },
    dlq(topic) {
      return records(topic).map((r) => {
        const h = r.headerText;
        const retry = h[DlqHeader.retryCount];
        const partition = h[DlqHeader.originalPartition];
        return {
          ...r,
          originalTopic: h[DlqHeader.originalTopic],
          originalPartition: partition === undefined ? undefined : Number(partition),
          originalOffset: h[DlqHeader.originalOffset],
          error: h[DlqHeader.error],
          errorType: h[DlqHeader.errorType],
          errorClass: h[DlqHeader.errorClass],
          retryCount: retry === undefined ? undefined : Number(retry),
          consumerGroup: h[DlqHeader.consumerGroup],
        };
      });
    },
    committed(group, topic) {
      return Array.from({ length: broker.partitionCount(topic) }, (_, p) => {
        const offset = broker.committed(group, topic, p);
        return offset === undefined ? -1 : Number(offset);
      });
    },
    failSends(count, failure = {}) {
      faults = {
        left: count,
        topic: failure.topic,
        error: failure.error ?? new Error("in-memory broker: connection refused (a fault the test asked for)"),
      };
    },
    async close() {
      await Promise.all([...requesters].map((r) => r.close().catch(() => {})));
      requesters.clear();
      await Promise.all([...started.keys()].map((c) => c.stop()));
      await Promise.all([...started.values()].map((done) => done.catch(() => {})));
      started.clear();
      await Promise.all([...producers].map((p) => p.close().catch(() => {})));
      producers.clear();
    },
  };
  return kit;
}

function withText(record: StoredRecord): KitRecord {
  return {
    ...record,
    keyText: record.key === null ? undefined : record.key.toString("utf8"),
    headerText: readHeaders(record.headers),
  };
}
