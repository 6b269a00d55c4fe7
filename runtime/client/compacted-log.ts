/**
 * A small compacted topic read whole and appended to, behind a narrow interface like the rest of
 * the client adapter: what the schema topic needs (runtime/serde/schema-topic.ts).
 *
 * Reading takes a snapshot: the end offsets first, then every record below them. kafkajs has no
 * group-less consumer, so a read joins a group of its own (a fresh id, nothing committed) and leaves
 * once each partition has been read up to its end offset. The broker does not drop the group when
 * its last member leaves: an empty group without offsets stays listed until the coordinator's next
 * expiry pass (`offsets.retention.check.interval.ms`, every 10 minutes by default), so the reader
 * deletes it, rather than leave one behind per read among the cluster's groups. The record just below
 * an end offset always exists: compaction never touches the active segment, which holds the end of
 * the log.
 *
 * Appending uses an idempotent producer (a retry after a lost answer is not written twice), and a
 * new one after any failed append (a new producer id), like the runtime's producer does.
 */
import { randomUUID } from "node:crypto";
import { type Admin, Kafka, type Producer } from "kafkajs";
import type { ClientConfig } from "../config/types.ts";
import { errorMessage } from "../errors/classify.ts";
import type { Logger } from "../observability/logger.ts";
import { kafkajsConfig } from "./kafkajs.ts";

export interface LogRecord {
  readonly key: string;
  readonly value: Buffer;
}

export interface CompactedLog {
  /** Every record from the start of the topic up to its end offsets when the call began; none when the topic is missing. */
  readAll(): Promise<LogRecord[]>;
  /** Writes one record and resolves once every in-sync replica has it. */
  append(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface CompactedLogOptions {
  /** How long one read may take before it fails. Default 30 s. */
  readonly readTimeoutMs?: number | undefined;
}

export function kafkajsCompactedLog(
  config: ClientConfig,
  topic: string,
  logger: Logger,
  options: CompactedLogOptions = {},
): CompactedLog {
  const kafka = new Kafka({
    ...kafkajsConfig(config, logger.child({ component: "kafkajs" })),
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const readTimeoutMs = options.readTimeoutMs ?? 30_000;
  let producer: Promise<Producer> | undefined;
  /** The append under way: appends go one at a time (see `append`). */
  let appending: Promise<unknown> = Promise.resolve();

  const endOffsets = async (admin: Admin): Promise<Map<number, bigint>> => {
    // Listing first: asking for a missing topic's offsets could make the broker create it.
    if (!(await admin.listTopics()).includes(topic)) return new Map();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(
      offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)] as const),
    );
  };

  /**
   * Removes a reader's group once it has left. Best effort: without the right to delete groups
   * (or a coordinator that does not answer) the empty group - no members, no offsets - stays
   * until the broker's cleanup, and the read itself succeeded all the same.
   */
  const deleteGroup = async (admin: Admin, groupId: string): Promise<void> => {
    try {
      await admin.deleteGroups([groupId]);
    } catch (error) {
      logger.debug({ groupId, err: errorMessage(error) }, "could not delete the schema reader's group");
    }
  };

  const appendOne = async (key: string, value: Buffer): Promise<void> => {
    producer ??= (async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })().catch((error: unknown) => {
      producer = undefined;
      throw error;
    });
    const current = producer;
    const p = await current;
    try {
      await p.send({ topic, acks: -1, messages: [{ key, value }] });
    } catch (error) {
      // kafkajs winds the partition's sequence number back after a failed send, also when the
      // broker wrote the record (a lost answer): the next record of the same size would be taken
      // for a duplicate of it - acknowledged, never written - and a schema would be missing
      // whose records were published. A new producer id starts its sequences afresh.
      if (producer === current) producer = undefined;
      await p.disconnect().catch(() => {});
      throw error;
    }
  };

  /** Every record below the end offsets, read as a member of a throwaway group deleted afterwards. */
  const readBelow = async (admin: Admin): Promise<LogRecord[]> => {
    const ends = await endOffsets(admin);
    if (ends.size === 0) return [];
    const records: LogRecord[] = [];
    const groupId = `skeji-schema-reader-${randomUUID()}`;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic} took longer than ${readTimeoutMs} ms`)),
          readTimeoutMs,
        );
        consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const end = ends.get(batch.partition);
              if (end === undefined) return;
              for (const m of batch.messages) {
                if (BigInt(m.offset) >= end) break;
                if (m.key !== null && m.value !== null) records.push({ key: m.key.toString("utf8"), value: m.value });
              }
              if (BigInt(batch.lastOffset()) + 1n >= end) {
                ends.delete(batch.partition);
                if (ends.size === 0) resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => {});
      await deleteGroup(admin, groupId);
    }
    return records;
  };

  return {
    async readAll() {
      // One admin client for the end offsets and, after the read, the group's deletion.
      const admin = kafka.admin();
      await admin.connect();
      try {
        return await readBelow(admin);
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },

    append(key, value) {
      // One at a time: a send that started while another was failing would carry the sequence
      // number kafkajs winds back, and be taken for a duplicate of the failed one's record.
      const done = appending.then(() => appendOne(key, value));
      appending = done.catch(() => {});
      return done;
    },

    async close() {
      const p = producer;
      producer = undefined;
      await (await p?.catch(() => undefined))?.disconnect().catch(() => {});
    },
  };
}
