/**
 * The two transports the behaviour tests run on: the test kit's in-memory broker and the real
 * broker. Each gives the runtime's own producer and consumer and reads back what a user observes
 * (records with their header bytes, dead letters, committed offsets), so one test body, run on
 * both, shows the in-memory broker behaves like Kafka where a unit test depends on it.
 */
import { consumerConfigFromEnv, producerConfigFromEnv } from "../../runtime/config/env.ts";
import type { ConsumerConfig, ProducerConfig } from "../../runtime/config/types.ts";
import { type Consumer, type ConsumerOptions, createConsumer } from "../../runtime/consumer/consumer.ts";
import { readHeaders } from "../../runtime/message/headers.ts";
import { silentLogger } from "../../runtime/observability/logger.ts";
import { createProducer } from "../../runtime/producer/producer.ts";
import type { Producer } from "../../runtime/producer/types.ts";
import { testClock } from "../../runtime/testing/clock.ts";
import { createTestKit } from "../../runtime/testing.ts";
import { brokers, uniqueName } from "../infra/env.ts";
import { eventually, Fixture } from "../runtime/consumer/helpers.ts";

/** A record as a reader of the topic sees it. */
export interface Observed {
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Header values as bytes (a repeated header: its values in order). */
  readonly headers: Readonly<Record<string, Buffer | Buffer[]>>;
  readonly text: Readonly<Record<string, string>>;
}

export interface Transport {
  /** A topic of `partitions` partitions and its dead-letter topic `<topic>-dlq`, both new. */
  topic(prefix: string, partitions?: number): Promise<string>;
  producer(config?: Partial<ProducerConfig>): Producer;
  /** A consumer reading from the oldest offset, with a clock on which backoff takes no time. */
  consumer(config: Partial<ConsumerConfig> & { groupId: string }, options?: ConsumerOptions): Consumer;
  /** Starts the consumer; resolves once it has joined its group. */
  start(consumer: Consumer): Promise<void>;
  /**
   * Resolves once `check` holds. In memory: after `drain()` it must hold at once (nothing more
   * can happen); on the broker it is polled until it holds.
   */
  until(check: () => boolean | Promise<boolean>, what: string): Promise<void>;
  /** Every record of a topic, in partition and offset order. */
  records(topic: string): Promise<Observed[]>;
  committed(group: string, topic: string): Promise<number[]>;
  close(): Promise<void>;
}

export interface TransportCase {
  readonly name: string;
  create(): Transport;
}

export const transports: readonly TransportCase[] = [
  { name: "in-memory", create: inMemory },
  { name: "broker", create: realBroker },
];

function inMemory(): Transport {
  const kit = createTestKit({ random: () => 0.5 });
  return {
    async topic(prefix, partitions = 1) {
      const topic = uniqueName(prefix);
      kit.createTopic({ topic, partitions });
      kit.createTopic(`${topic}-dlq`);
      return topic;
    },
    producer: (config) => kit.producer(config),
    consumer: (config, options) => kit.consumer(config, options),
    start: (consumer) => kit.start(consumer),
    async until(check, what) {
      await kit.drain();
      if (!(await check())) throw new Error(`after drain(), still not: ${what}`);
    },
    async records(topic) {
      return kit.records(topic).map((r) => ({
        partition: r.partition,
        offset: Number(r.offset),
        key: r.key,
        value: r.value,
        headers: r.headers,
        text: r.headerText,
      }));
    },
    committed: async (group, topic) => kit.committed(group, topic),
    close: () => kit.close(),
  };
}

function realBroker(): Transport {
  const fx = new Fixture();
  const env = { KAFKA_BROKERS: brokers().join(",") };
  const producers: Producer[] = [];
  const running = new Map<Consumer, Promise<void>>();
  return {
    topic: (prefix, partitions = 1) => fx.topic(prefix, partitions),
    producer(config = {}) {
      const producer = createProducer(
        { ...producerConfigFromEnv("unused", env), topic: "", batchTimeoutMs: 0, schemaTopic: false, ...config },
        { logger: silentLogger },
      );
      producers.push(producer);
      return producer;
    },
    consumer(config, options = {}) {
      return createConsumer(
        {
          ...consumerConfigFromEnv("unused", config.groupId, env),
          topic: "",
          startOffset: "oldest",
          schemaTopic: false,
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
          maxWaitMs: 100,
          commitIntervalMs: 100,
          ...config,
        },
        { logger: silentLogger, clock: testClock(), random: () => 0.5, ...options },
      );
    },
    async start(consumer) {
      const done = consumer.start();
      done.catch(() => {});
      running.set(consumer, done);
      await consumer.ready();
    },
    until: (check, what) => eventually(check, what, 30_000),
    async records(topic) {
      const ends = await fx.endOffsets(topic);
      const total = ends.reduce((a, b) => a + b, 0);
      if (total === 0) return [];
      const read = await readAll(fx, topic, total);
      return read.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    },
    committed: (group, topic) => fx.committed(group, topic),
    async close() {
      await Promise.all([...running.keys()].map((c) => c.stop()));
      await Promise.all(producers.map((p) => p.close()));
      await fx.close();
    },
  };
}

/** Reads `count` records with their partitions and offsets (the fixture's reader drops them). */
async function readAll(fx: Fixture, topic: string, count: number): Promise<Observed[]> {
  const out: Observed[] = [];
  const consumer = fx.kafka.consumer({ groupId: uniqueName("reader"), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length}/${count} from ${topic}`)), 20_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers = (message.headers ?? {}) as Record<string, Buffer | Buffer[]>;
          out.push({
            partition,
            offset: Number(message.offset),
            key: message.key,
            value: message.value,
            headers,
            text: readHeaders(headers),
          });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
