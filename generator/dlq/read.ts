/**
 * Reading a dead-letter topic without a trace: nothing is committed and no group of the
 * service's is joined. kafkajs has no group-less consumer, so the reader joins a group of its own
 * (a fresh id, auto-commit off, nothing ever committed), seeks each partition to where the
 * operator asked, and deletes the group when it leaves.
 *
 * Without `follow`, a read takes a snapshot: the end offsets first, then every record below them,
 * and it ends once each partition has been read up to its end (or past `until`). With `follow` it
 * keeps waiting for new records until the signal aborts or the callback says stop.
 */
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { type DeadLetter, deadLetter } from "./dead-letter.ts";

/** Per partition, an offset; `all` applies to partitions not listed. */
export interface OffsetSpec {
  readonly all: bigint | undefined;
  readonly partitions: ReadonlyMap<number, bigint>;
}

export type Start =
  | { readonly from: "beginning" }
  | { readonly from: "offsets"; readonly offsets: OffsetSpec }
  | { readonly from: "time"; readonly at: number };

export interface ReadOptions {
  readonly topic: string;
  readonly start: Start;
  /** Positions that win over `start` for their partitions (a replay group's committed offsets). */
  readonly resumeAt?: ReadonlyMap<number, bigint> | undefined;
  /** Last offset to read (inclusive), per partition. */
  readonly until?: OffsetSpec | undefined;
  readonly follow?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly parseRetryCount: (value: string | undefined) => number;
  /**
   * Read as a member of this group instead of a throwaway one; with `commit`, the positions are
   * committed to it (after each `sent` record, and at the end for every partition).
   */
  readonly group?: { readonly id: string; readonly commit: boolean } | undefined;
}

export interface ReadResult {
  /** Per partition of the topic, the offset after the last record accounted for (the start, if none). */
  readonly next: ReadonlyMap<number, bigint>;
  /** With a group that commits: the commit that failed (the read stopped there). */
  readonly commitError?: unknown;
}

/** What became of a record handed to `each`, and whether to read on. */
export interface Outcome {
  /**
   * `done`: accounted for (shown, skipped, not selected); the position moves past it. `sent`: the
   * same, and with a committing group the position past it is committed at once. `failed`: not
   * accounted for; the position stays before it and the read stops.
   */
  readonly status: "done" | "sent" | "failed";
  readonly more: boolean;
}

const offsetFor = (spec: OffsetSpec, partition: number): bigint | undefined =>
  spec.partitions.get(partition) ?? spec.all;

/**
 * Hands every record of `topic` from the start positions to `each`, one at a time, in offset
 * order per partition, until the end, `more: false`, a `failed` record or the signal.
 */
export async function readDeadLetters(
  kafka: Kafka,
  options: ReadOptions,
  each: (record: DeadLetter) => Promise<Outcome>,
): Promise<ReadResult> {
  const { topic } = options;
  const admin = kafka.admin();
  const next = new Map<number, bigint>();
  const end = new Map<number, bigint>();
  await admin.connect();
  try {
    // Listing first: asking for a missing topic's offsets could make the broker create it.
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
    const offsets = await admin.fetchTopicOffsets(topic);
    const byTime =
      options.start.from === "time" ? await admin.fetchTopicOffsetsByTimestamp(topic, options.start.at) : [];
    for (const o of offsets) {
      const low = BigInt(o.low);
      const high = BigInt(o.high);
      let start = low;
      if (options.start.from === "offsets") {
        const asked = offsetFor(options.start.offsets, o.partition);
        if (asked !== undefined) start = asked < low ? low : asked;
      } else if (options.start.from === "time") {
        const found = byTime.find((t) => t.partition === o.partition)?.offset;
        // -1: no record at or after the time.
        start = found === undefined || BigInt(found) < 0n ? high : BigInt(found);
        if (start < low) start = low;
      }
      const resume = options.resumeAt?.get(o.partition);
      if (resume !== undefined) start = resume < low ? low : resume;
      next.set(o.partition, start);
      end.set(o.partition, high);
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }

  const pastUntil = (partition: number, offset: bigint): boolean => {
    const until = options.until === undefined ? undefined : offsetFor(options.until, partition);
    return until !== undefined && offset > until;
  };
  const open = new Set<number>();
  for (const [p, start] of next) {
    if (options.follow || (start < (end.get(p) ?? 0n) && !pastUntil(p, start))) open.add(p);
  }
  if (open.size === 0 || options.signal?.aborted) return { next };

  const groupId = options.group?.id ?? `skeji-dlq-reader-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
  });
  const commits = options.group?.commit === true;
  const commit = (positions: Iterable<[number, bigint]>) =>
    consumer.commitOffsets([...positions].map(([partition, o]) => ({ topic, partition, offset: o.toString() })));
  let commitError: unknown;
  let stopping = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        stopping = true;
        resolve();
      };
      options.signal?.addEventListener("abort", stop, { once: true });
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const p = batch.partition;
            if (!open.has(p) || stopping) return;
            for (const m of batch.messages) {
              if (stopping) return;
              const offset = BigInt(m.offset);
              // Records below the position (fetched before the seek took effect, or read again) are skipped.
              if (offset < (next.get(p) ?? 0n)) continue;
              if (pastUntil(p, offset) || (!options.follow && offset >= (end.get(p) ?? 0n))) break;
              const outcome = await each(deadLetter(topic, p, m, options.parseRetryCount));
              if (outcome.status === "failed") return stop();
              next.set(p, offset + 1n);
              if (outcome.status === "sent" && commits) {
                try {
                  await commit([[p, offset + 1n]]);
                } catch (e) {
                  commitError = e;
                  return stop();
                }
              }
              await heartbeat();
              if (!outcome.more) return stop();
            }
            const last = BigInt(batch.lastOffset());
            if (pastUntil(p, last + 1n) || (!options.follow && last + 1n >= (end.get(p) ?? 0n))) {
              open.delete(p);
              if (open.size === 0) stop();
            }
          },
        })
        .then(() => {
          for (const [p, offset] of next) consumer.seek({ topic, partition: p, offset: offset.toString() });
        })
        .catch(reject);
    });
    if (commits && commitError === undefined) await commit(next).catch((e: unknown) => (commitError = e));
  } finally {
    stopping = true;
    await consumer.disconnect().catch(() => {});
    if (options.group === undefined) await deleteGroup(kafka, groupId);
  }
  return commitError === undefined ? { next } : { next, commitError };
}

/**
 * Removes the reader's throwaway group, so that it does not show among the cluster's groups until
 * the broker's next cleanup of empty groups. Best effort: without the right to delete groups, the
 * empty group (no members, no offsets) is left to that cleanup.
 */
async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // left to the broker's cleanup
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** `0:13,1:7`: the positions as `--from-offset` reads them. */
export function formatOffsets(next: ReadonlyMap<number, bigint>): string {
  return [...next]
    .sort(([a], [b]) => a - b)
    .map(([p, o]) => `${p}:${o}`)
    .join(",");
}

/** Reads `12` (every partition) or `0:12,1:7` (those partitions); `undefined` with the reason otherwise. */
export function parseOffsets(text: string): OffsetSpec | { readonly problem: string } {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { all: BigInt(t), partitions: new Map() };
  const partitions = new Map<number, bigint>();
  for (const part of t.split(",")) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (m === null) return { problem: `"${text}" is not an offset (12) or a list of partition:offset (0:12,1:7)` };
    partitions.set(Number(m[1]), BigInt(m[2] as string));
  }
  return { all: undefined, partitions };
}
