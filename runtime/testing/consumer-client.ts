/**
 * kafkajs's consumer, as far as the runtime's consumer uses it (consumer/kafkajs-api.ts), on the
 * in-memory broker. The runtime's consumer runs unchanged on top of it - batch loop, lazy offset
 * resolution, retries, dead letters, retry-later pauses and seeks - so what a unit test sees is
 * what the consumer does against Kafka.
 *
 * Why this seam and not a transport interface of our own: the consumer is written against
 * kafkajs's eachBatch contract, and its subtle parts (an unresolved offset is fetched again, a
 * seek commits with auto-commit and makes the batch stale, a paused partition is not fetched, a
 * batch stops when the consumer stops) are that contract. Re-creating it here keeps the
 * production path byte for byte what it is; a new interface would have meant rewriting the
 * consumer against it and testing the rewrite. What is reproduced, as kafkajs 2.2 does it:
 *
 * - The fetch position of a partition is its last resolved offset + 1, else the group's committed
 *   offset, else the start (`fromBeginning`: offset 0; otherwise the end of the log when the
 *   member joined). Records a batch did not resolve are fetched again.
 * - Auto-commit commits the resolved offsets after every batch and on `commitOffsetsIfNecessary`
 *   (kafkajs waits for `autoCommitInterval` in the latter; in memory no time needs to pass).
 *   Without auto-commit nothing is committed.
 * - `seek` is applied before the partition's next fetch: with auto-commit it commits the offset
 *   (as kafkajs does), otherwise it becomes the resolved position; until then `isStale()` is true.
 * - A paused partition is not fetched; `pause()` in a batch returns its resume.
 * - `disconnect` stops fetching, waits for the running batches, commits, and leaves.
 *
 * Not reproduced: rebalancing between several members of one group (a group has one running
 * member at a time here), fetch size limits, compression, broker failures.
 */
// The timers of node:timers, not the globals: a test that fakes the global timers (vitest's
// `vi.useFakeTimers()`) does not freeze the broker.
import { setImmediate } from "node:timers";
import type {
  ConsumerConfig,
  ConsumerEvents,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  IHeaders,
  KafkaMessage,
  TopicPartitionOffset,
} from "kafkajs";
import type { AdminApi, ConsumerApi, ConsumerKafka } from "../consumer/kafkajs-api.ts";
import { type InMemoryBroker, type StoredRecord, UnknownTopicError } from "./broker.ts";

const events: ConsumerEvents = {
  HEARTBEAT: "consumer.heartbeat",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  GROUP_JOIN: "consumer.group_join",
  FETCH_START: "consumer.fetch_start",
  FETCH: "consumer.fetch",
  START_BATCH_PROCESS: "consumer.start_batch_process",
  END_BATCH_PROCESS: "consumer.end_batch_process",
  CONNECT: "consumer.connect",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  REBALANCING: "consumer.rebalancing",
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics",
  REQUEST: "consumer.network.request",
  REQUEST_TIMEOUT: "consumer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size",
};

/** The kafkajs `Kafka` stand-in handed to `createConsumer` as `options.kafka`. */
export class InMemoryKafka implements ConsumerKafka {
  /** Groups with a running member. */
  private readonly active = new Set<string>();
  private readonly consumers = new Set<InMemoryConsumer>();

  constructor(private readonly broker: InMemoryBroker) {}

  consumer(config: ConsumerConfig): ConsumerApi {
    const consumer = new InMemoryConsumer(this.broker, config.groupId, this.active, () =>
      this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  admin(): AdminApi {
    return {
      connect: async () => {},
      disconnect: async () => {},
      listTopics: async () => this.broker.topics(),
      deleteGroups: async (groupIds: string[]) => {
        for (const group of groupIds) this.broker.deleteGroup(group);
        return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
      },
    };
  }

  /** Whether every running consumer waits for records: no batch running, nothing to fetch. */
  settled(): boolean {
    for (const c of this.consumers) if (!c.settled()) return false;
    return true;
  }
}

type Listener = (event: { id: string; type: string; timestamp: number; payload: unknown }) => void;

class InMemoryConsumer implements ConsumerApi {
  readonly events = events;
  private readonly listeners = new Map<string, Set<Listener>>();
  private topics: string[] = [];
  private fromBeginning = false;
  private running = false;
  /** This consumer is its group's running member (from `run` until `disconnect`). */
  private member = false;
  private autoCommit = true;
  private loop: Promise<void> | undefined;
  /** The fetch loop waits for a change of the broker (found nothing to fetch). */
  private waiting = false;
  private readonly memberId = `in-memory-${Math.random().toString(36).slice(2, 10)}`;
  private generation = 0;
  /** `topic\0partition` -> next offset to fetch (resolved offset + 1). */
  private readonly resolved = new Map<string, string>();
  /** Where a partition without resolved or committed offset starts. */
  private readonly initial = new Map<string, string>();
  private readonly seeks = new Map<string, string>();
  private readonly paused = new Set<string>();
  private eventCount = 0;

  constructor(
    private readonly broker: InMemoryBroker,
    private readonly groupId: string,
    private readonly active: Set<string>,
    private readonly forget: () => void,
  ) {}

  readonly on = ((eventName: string, listener: Listener) => {
    let set = this.listeners.get(eventName);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(eventName, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }) as ConsumerApi["on"];

  async connect(): Promise<void> {}

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    const wanted = "topics" in subscription ? subscription.topics : [subscription.topic];
    for (const topic of wanted) {
      if (typeof topic !== "string") throw new Error("the in-memory broker subscribes to topics by name only");
      // The consumer never creates topics: kafkajs fails the same way without auto-creation.
      if (!this.broker.hasTopic(topic)) throw new UnknownTopicError(topic);
      if (!this.topics.includes(topic)) this.topics.push(topic);
    }
    this.fromBeginning = subscription.fromBeginning ?? false;
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    const eachBatch = config.eachBatch;
    if (eachBatch === undefined) throw new Error("the in-memory consumer runs eachBatch handlers only");
    if (config.eachBatchAutoResolve !== false) throw new Error("the in-memory consumer resolves offsets manually only");
    if (this.active.has(this.groupId)) {
      throw new Error(
        `group ${this.groupId} already has a running consumer: the in-memory broker does not rebalance a group between members`,
      );
    }
    this.active.add(this.groupId);
    this.member = true;
    this.autoCommit = config.autoCommit ?? true;
    this.running = true;
    this.generation++;
    const assignment: Record<string, number[]> = {};
    for (const topic of this.topics) {
      const n = this.broker.partitionCount(topic);
      assignment[topic] = Array.from({ length: n }, (_, p) => p);
      for (let p = 0; p < n; p++) {
        this.initial.set(tp(topic, p), this.fromBeginning ? "0" : String(this.broker.endOffset(topic, p)));
      }
    }
    this.emit(events.GROUP_JOIN, {
      duration: 0,
      groupId: this.groupId,
      isLeader: true,
      leaderId: this.memberId,
      groupProtocol: "RoundRobinAssigner",
      memberId: this.memberId,
      memberAssignment: assignment,
    });
    this.loop = this.fetchLoop(eachBatch, Math.max(1, config.partitionsConsumedConcurrently ?? 1));
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    this.seeks.set(tp(topic, partition), offset);
    this.broker.changed();
  }

  async disconnect(): Promise<void> {
    this.running = false;
    this.broker.changed();
    await this.loop;
    if (this.member) {
      // After a crash too: kafkajs commits what was resolved when it stops.
      if (this.autoCommit) this.commitResolved();
      this.active.delete(this.groupId);
      this.member = false;
    }
    this.forget();
    this.emit(events.DISCONNECT, {});
  }

  settled(): boolean {
    return !this.running || (this.waiting && this.seeks.size === 0 && this.fetch().length === 0);
  }

  private async fetchLoop(eachBatch: NonNullable<ConsumerRunConfig["eachBatch"]>, concurrency: number): Promise<void> {
    while (this.running) {
      this.applySeeks();
      const batches = this.fetch();
      // Waiting starts before the FETCH event, so a record produced by a listener is not missed.
      const change = batches.length === 0 ? this.broker.nextChange() : undefined;
      this.emit(events.FETCH, { numberOfBatches: batches.length, duration: 0, nodeId: 0 });
      if (change !== undefined) {
        this.waiting = true;
        await change;
        this.waiting = false;
        continue;
      }
      const queue = [...batches];
      const worker = async (): Promise<void> => {
        for (let b = queue.shift(); b !== undefined && this.running; b = queue.shift()) {
          try {
            await eachBatch(this.payload(b));
          } catch (error) {
            this.emit(events.CRASH, { error, groupId: this.groupId, restart: false });
            this.running = false;
            return;
          }
          if (this.autoCommit) this.commitResolved();
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      // Let timers and I/O run between fetches, as the network does for kafkajs.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** One batch per assigned, unpaused partition with records past its fetch position. */
  private fetch(): { topic: string; partition: number; records: StoredRecord[]; high: number }[] {
    const out: { topic: string; partition: number; records: StoredRecord[]; high: number }[] = [];
    for (const topic of this.topics) {
      const n = this.broker.partitionCount(topic);
      for (let partition = 0; partition < n; partition++) {
        const key = tp(topic, partition);
        if (this.paused.has(key)) continue;
        const records = this.broker.read(topic, partition, Number(this.position(topic, partition)));
        if (records.length > 0) out.push({ topic, partition, records, high: this.broker.endOffset(topic, partition) });
      }
    }
    return out;
  }

  private position(topic: string, partition: number): string {
    const key = tp(topic, partition);
    return (
      this.resolved.get(key) ??
      this.broker.committed(this.groupId, topic, partition) ??
      this.initial.get(key) ??
      String(this.broker.endOffset(topic, partition))
    );
  }

  private applySeeks(): void {
    for (const [key, offset] of this.seeks) {
      const [topic, partition] = untp(key);
      if (this.autoCommit) {
        this.broker.commit(this.groupId, topic, partition, offset);
        this.resolved.delete(key);
      } else {
        this.resolved.set(key, offset);
      }
    }
    this.seeks.clear();
  }

  private commitResolved(): void {
    for (const [key, offset] of this.resolved) {
      const [topic, partition] = untp(key);
      if (this.broker.committed(this.groupId, topic, partition) !== offset) {
        this.broker.commit(this.groupId, topic, partition, offset);
      }
    }
  }

  private payload(b: { topic: string; partition: number; records: StoredRecord[]; high: number }): EachBatchPayload {
    const { topic, partition, records, high } = b;
    const key = tp(topic, partition);
    const messages: KafkaMessage[] = records.map((r) => ({
      key: r.key,
      value: r.value,
      timestamp: String(r.timestamp),
      attributes: 0,
      offset: r.offset,
      headers: r.headers as IHeaders,
    }));
    const first = records[0]?.offset ?? null;
    const last = records[records.length - 1]?.offset ?? String(high - 1);
    return {
      batch: {
        topic,
        partition,
        highWatermark: String(high),
        messages,
        isEmpty: () => messages.length === 0,
        firstOffset: () => first,
        lastOffset: () => last,
        offsetLag: () => String(Math.max(0, high - 1 - Number(last))),
        offsetLagLow: () => String(Math.max(0, high - 1 - Number(first ?? last))),
      },
      resolveOffset: (offset) => {
        this.resolved.set(key, String(BigInt(offset) + 1n));
      },
      heartbeat: async () => {
        this.emit(events.HEARTBEAT, {
          groupId: this.groupId,
          memberId: this.memberId,
          groupGenerationId: this.generation,
        });
      },
      pause: () => {
        this.paused.add(key);
        return () => {
          this.paused.delete(key);
          this.broker.changed();
        };
      },
      commitOffsetsIfNecessary: async (offsets) => {
        if (offsets !== undefined) {
          for (const t of offsets.topics) {
            for (const p of t.partitions) this.broker.commit(this.groupId, t.topic, p.partition, p.offset);
          }
        } else if (this.autoCommit) {
          this.commitResolved();
        }
      },
      uncommittedOffsets: () => ({
        topics: [...this.resolved].map(([k, offset]) => {
          const [t, partition] = untp(k);
          return { topic: t, partitions: [{ partition, offset }] };
        }),
      }),
      isRunning: () => this.running,
      isStale: () => this.seeks.has(key),
    };
  }

  private emit(type: string, payload: unknown): void {
    const set = this.listeners.get(type);
    if (set === undefined) return;
    const event = { id: String(++this.eventCount), type, timestamp: Date.now(), payload };
    for (const listener of set) listener(event);
  }
}

const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const untp = (key: string): [string, number] => {
  const at = key.lastIndexOf("\u0000");
  return [key.slice(0, at), Number(key.slice(at + 1))];
};
