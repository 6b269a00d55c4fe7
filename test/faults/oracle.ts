/**
 * The oracle of the fault suite: what callers and handlers were told, against what the topics
 * really hold afterwards.
 *
 * Every message carries a unique id (its `event-id` header, copied into dead-letter records).
 * The ledger records what each publish's caller was told; the deliveries what each handler saw.
 * Once the faults are over, the topic and its dead-letter topics are read completely through
 * a listener no fault touches, and the verdict says:
 *
 * - lost: acknowledged (an offset, or a DLQ offset) but nowhere to be found; for consumers, in
 *   the topic but neither handled nor dead-lettered;
 * - misplaced: found, but not at the offset its caller was told;
 * - misreported: its caller was told it failed for sure (not "ambiguous"), yet it was written;
 * - duplicated: copies beyond the first (in the topic, the DLQ, or handler calls);
 * - out of order: per key, acknowledged records (or first deliveries) not in publish (offset) order.
 */
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { ErrorCode, isSkejiError, type PublishResult } from "../../runtime/index.ts";
import type { ScenarioRow } from "./report.ts";

/** The header that carries each message's unique id. */
export const idHeader = "event-id";

/** What a publish's caller was told. */
export type Told =
  | { readonly kind: "pending" }
  /** Told "written"; with acks=all an offset always comes with it (its absence counts as misplaced). */
  | {
      readonly kind: "acknowledged";
      readonly topic: string;
      readonly partition: number | undefined;
      readonly offset: string | undefined;
    }
  /** PUBLISHED_TO_DLQ; `ambiguous` when the failed publish itself may have been written too. */
  | {
      readonly kind: "dead-lettered";
      readonly topic: string | undefined;
      readonly partition: number | undefined;
      readonly offset: string | undefined;
      readonly ambiguous: boolean;
    }
  /** PUBLISH_AMBIGUOUS (anywhere in the error's causes): it may or may not have been written. */
  | { readonly kind: "ambiguous"; readonly code: string }
  /** Any other error: the record was not written (to the topic; a DLQ write may be unknown). */
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

export interface PublishEntry {
  readonly id: string;
  readonly key: string;
  /** Order of the publish calls, over the whole ledger. */
  readonly n: number;
  told: Told;
}

/** Codes of an error and of its causes, outermost first. */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (isSkejiError(e)) codes.push(e.code);
    else if (typeof e === "object" && "type" in e && typeof e.type === "string") codes.push(e.type); // kafkajs
    e = e instanceof Error ? e.cause : undefined;
  }
  return codes;
}

/** What a caller was told, from the publish's result or error. */
export function toldOf(result: PublishResult | undefined, error: unknown): Told {
  if (result !== undefined) {
    if (!result.acknowledged) return { kind: "failed", code: "NOT_ACKNOWLEDGED", message: "async or acks=0" };
    return { kind: "acknowledged", topic: result.topic, partition: result.partition, offset: result.offset };
  }
  const codes = errorCodes(error);
  const ambiguous = codes.includes(ErrorCode.PUBLISH_AMBIGUOUS);
  if (isSkejiError(error, ErrorCode.PUBLISHED_TO_DLQ)) {
    const d = error.details ?? {};
    return {
      kind: "dead-lettered",
      topic: typeof d.dlqTopic === "string" ? d.dlqTopic : undefined,
      partition: typeof d.dlqPartition === "number" ? d.dlqPartition : undefined,
      offset: typeof d.dlqOffset === "string" ? d.dlqOffset : undefined,
      ambiguous,
    };
  }
  if (ambiguous) return { kind: "ambiguous", code: codes[0] ?? ErrorCode.PUBLISH_AMBIGUOUS };
  return {
    kind: "failed",
    code: codes.join("<") || "UNKNOWN",
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Every publish of a scenario and what its caller was told. */
export class Ledger {
  readonly entries = new Map<string, PublishEntry>();
  private n = 0;
  private readonly run = randomUUID().slice(0, 8);

  /** A new message id for `key`, registered as pending. */
  next(key: string): PublishEntry {
    const n = this.n++;
    const entry: PublishEntry = { id: `${this.run}-${n}`, key, n, told: { kind: "pending" } };
    this.entries.set(entry.id, entry);
    return entry;
  }

  /** Publishes a new message of `key` with `publish(entry)`, and records what the caller was told. Never rejects. */
  async track(key: string, publish: (entry: PublishEntry) => Promise<PublishResult>): Promise<Told> {
    const entry = this.next(key);
    try {
      entry.told = toldOf(await publish(entry), undefined);
    } catch (error) {
      entry.told = toldOf(undefined, error);
    }
    return entry.told;
  }

  /** How many callers were told each outcome (failures by code). */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries.values()) {
      const name =
        e.told.kind === "failed"
          ? e.told.code
          : e.told.kind === "ambiguous"
            ? ErrorCode.PUBLISH_AMBIGUOUS
            : e.told.kind;
      out[name] = (out[name] ?? 0) + 1;
    }
    return out;
  }
}

/** A record as read back from a topic. */
export interface StoredRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly id: string | undefined;
  readonly key: string | undefined;
}

/** Reads every record of `topic` up to the end of each partition as it is now. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<StoredRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const records: StoredRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `faults-oracle-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const remaining = new Set(ends.keys());
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} records of ${topic}; partitions ${[...remaining]} unfinished`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            for (const m of batch.messages) {
              if (end === undefined || BigInt(m.offset) >= end) continue;
              const id = m.headers?.[idHeader];
              records.push({
                topic,
                partition: batch.partition,
                offset: m.offset,
                id: id === undefined ? undefined : String(Array.isArray(id) ? id[0] : id),
                key: m.key === null ? undefined : m.key.toString(),
              });
              if (BigInt(m.offset) === end - 1n) remaining.delete(batch.partition);
            }
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

const where = (r: { topic?: string | undefined; partition: number | undefined; offset: string | undefined }) =>
  `${r.topic ?? "?"}:${r.partition}@${r.offset}`;

function index(records: readonly StoredRecord[]): {
  byId: Map<string, StoredRecord[]>;
  at: Map<string, StoredRecord>;
  strangers: number;
} {
  const byId = new Map<string, StoredRecord[]>();
  const at = new Map<string, StoredRecord>();
  let strangers = 0;
  for (const r of records) {
    at.set(where(r), r);
    if (r.id === undefined) {
      strangers++;
      continue;
    }
    const list = byId.get(r.id);
    if (list === undefined) byId.set(r.id, [r]);
    else list.push(r);
  }
  return { byId, at, strangers };
}

export interface ProducerVerdict {
  readonly published: number;
  readonly acknowledged: number;
  /** Acknowledged (in the topic or the DLQ) but found nowhere. */
  readonly lost: number;
  /** Acknowledged and found, but not at the acknowledged offset (or acknowledged without one). */
  readonly misplaced: number;
  /** Told it failed for sure (not ambiguous, not dead-lettered), yet in the topic. */
  readonly misreported: number;
  readonly ambiguous: number;
  /** Ambiguous publishes that were in fact written (the rest were not: both are allowed). */
  readonly ambiguousWritten: number;
  /** Unique ids found in the dead-letter topic. */
  readonly deadLettered: number;
  /** Copies beyond the first of any id, over the topic and the DLQ together. */
  readonly duplicated: number;
  /** Acknowledged records of one key whose offsets are not in publish order. */
  readonly outOfOrder: number;
  /** Records without an id, or with an id the ledger does not know. */
  readonly strangers: number;
  /** Examples of what went wrong, for the failure message. */
  readonly examples: readonly string[];
}

/** Compares what the callers were told with what the topic and its DLQ hold. */
export function judgePublishes(
  ledger: Ledger,
  topicRecords: readonly StoredRecord[],
  dlqRecords: readonly StoredRecord[] = [],
): ProducerVerdict {
  const topic = index(topicRecords);
  const dlq = index(dlqRecords);
  const examples: string[] = [];
  const note = (s: string) => {
    if (examples.length < 10) examples.push(s);
  };
  let acknowledged = 0;
  let lost = 0;
  let misplaced = 0;
  let misreported = 0;
  let ambiguous = 0;
  let ambiguousWritten = 0;
  let duplicated = 0;
  const ackedByKey = new Map<string, { n: number; offset: bigint; partition: string }[]>();
  const check = (entry: PublishEntry, side: "topic" | "dlq", told: Parameters<typeof where>[0]) => {
    const found = (side === "topic" ? topic : dlq).byId.get(entry.id) ?? [];
    const atOffset = told.offset === undefined ? undefined : (side === "topic" ? topic : dlq).at.get(where(told));
    if (found.length === 0) {
      lost++;
      note(`${entry.id} acknowledged at ${where(told)} but missing (there: ${atOffset?.id ?? "nothing"})`);
    } else if (atOffset?.id !== entry.id) {
      misplaced++;
      note(`${entry.id} acknowledged at ${where(told)}, found at ${found.map(where)}`);
    }
  };
  for (const entry of ledger.entries.values()) {
    const inTopic = topic.byId.get(entry.id)?.length ?? 0;
    const inDlq = dlq.byId.get(entry.id)?.length ?? 0;
    duplicated += Math.max(0, inTopic + inDlq - 1);
    const told = entry.told;
    switch (told.kind) {
      case "acknowledged": {
        acknowledged++;
        check(entry, "topic", told);
        if (told.offset !== undefined) {
          const list = ackedByKey.get(entry.key) ?? [];
          list.push({ n: entry.n, offset: BigInt(told.offset), partition: `${told.topic}:${told.partition}` });
          ackedByKey.set(entry.key, list);
        }
        break;
      }
      case "dead-lettered":
        check(entry, "dlq", told);
        if (!told.ambiguous && inTopic > 0) {
          misreported++;
          note(`${entry.id} was dead-lettered as not written, but is in the topic`);
        }
        break;
      case "ambiguous":
        ambiguous++;
        if (inTopic + inDlq > 0) ambiguousWritten++;
        break;
      case "failed":
        if (inTopic > 0) {
          misreported++;
          note(`${entry.id} failed with ${told.code} (${told.message.slice(0, 120)}), but is in the topic`);
        }
        break;
      case "pending":
        note(`${entry.id} never settled`); // not acknowledged: nothing promised, but worth seeing
        break;
    }
  }
  let outOfOrder = 0;
  for (const [key, acks] of ackedByKey) {
    acks.sort((a, b) => a.n - b.n);
    for (let i = 1; i < acks.length; i++) {
      const prev = acks[i - 1];
      const cur = acks[i];
      if (prev !== undefined && cur !== undefined && prev.partition === cur.partition && cur.offset <= prev.offset) {
        outOfOrder++;
        note(`key ${key}: publish ${cur.n} acknowledged at ${cur.offset}, before publish ${prev.n} at ${prev.offset}`);
      }
    }
  }
  const known = (r: StoredRecord) => r.id !== undefined && ledger.entries.has(r.id);
  const strangers = [...topicRecords, ...dlqRecords].filter((r) => !known(r)).length;
  return {
    published: ledger.entries.size,
    acknowledged,
    lost,
    misplaced,
    misreported,
    ambiguous,
    ambiguousWritten,
    deadLettered: dlq.byId.size,
    duplicated,
    outOfOrder,
    strangers,
    examples,
  };
}

/** One handler call, as the scenario's handler logs it. */
export interface Delivery {
  readonly id: string;
  readonly key: string | undefined;
  readonly partition: number;
  readonly offset: string;
  /** The handler finished without an error (false: it threw, e.g. a record meant for the DLQ). */
  readonly handled: boolean;
}

export interface ConsumerVerdict {
  /** Unique ids in the topic: what the consumer had to handle or dead-letter. */
  readonly expected: number;
  readonly handled: number;
  readonly deadLettered: number;
  /** In the topic, neither handled nor dead-lettered. */
  readonly lost: number;
  /** Of those, the ones below the group's committed offset: given up on for good. */
  readonly committedMissing: number;
  /** Successful handler calls beyond the first per id, plus DLQ copies beyond the first. */
  readonly duplicated: number;
  /** Per key, first deliveries not in offset order. */
  readonly outOfOrder: number;
  readonly examples: readonly string[];
}

/**
 * Compares what the handlers saw and the DLQ holds with what the topic holds. `committed` is
 * the group's committed offset per partition, when known.
 */
export function judgeConsumption(
  topicRecords: readonly StoredRecord[],
  deliveries: readonly Delivery[],
  dlqRecords: readonly StoredRecord[],
  committed: ReadonlyMap<number, bigint> = new Map(),
): ConsumerVerdict {
  const examples: string[] = [];
  const note = (s: string) => {
    if (examples.length < 10) examples.push(s);
  };
  const handledCount = new Map<string, number>();
  const firstDelivery = new Map<string, Delivery>();
  const order: Delivery[] = [];
  for (const d of deliveries) {
    if (d.handled) handledCount.set(d.id, (handledCount.get(d.id) ?? 0) + 1);
    if (!firstDelivery.has(d.id)) {
      firstDelivery.set(d.id, d);
      order.push(d);
    }
  }
  const dlq = index(dlqRecords);
  const expected = new Map<string, StoredRecord>();
  for (const r of topicRecords) if (r.id !== undefined && !expected.has(r.id)) expected.set(r.id, r);
  let lost = 0;
  let committedMissing = 0;
  for (const [id, r] of expected) {
    if ((handledCount.get(id) ?? 0) > 0 || dlq.byId.has(id)) continue;
    lost++;
    const c = committed.get(r.partition);
    const below = c !== undefined && BigInt(r.offset) < c;
    if (below) committedMissing++;
    note(`${id} at ${where(r)} neither handled nor dead-lettered${below ? `, yet committed (offset ${c})` : ""}`);
  }
  let duplicated = 0;
  for (const n of handledCount.values()) duplicated += n - 1;
  for (const copies of dlq.byId.values()) duplicated += copies.length - 1;
  let outOfOrder = 0;
  const lastByKey = new Map<string, Delivery>();
  for (const d of order) {
    const key = `${d.key}`;
    const prev = lastByKey.get(key);
    if (prev !== undefined && prev.partition === d.partition && BigInt(d.offset) < BigInt(prev.offset)) {
      outOfOrder++;
      note(`key ${key}: ${d.id} (offset ${d.offset}) first delivered after ${prev.id} (offset ${prev.offset})`);
    }
    lastByKey.set(key, d);
  }
  return {
    expected: expected.size,
    handled: [...handledCount.keys()].filter((id) => expected.has(id)).length,
    deadLettered: dlq.byId.size,
    lost,
    committedMissing,
    duplicated,
    outOfOrder,
    examples,
  };
}

/** The report row of a producer scenario. */
export function producerRow(scenario: string, v: ProducerVerdict, notes: string): ScenarioRow {
  return {
    scenario,
    published: v.published,
    acknowledged: v.acknowledged,
    lost: v.lost,
    duplicated: v.duplicated,
    deadLettered: v.deadLettered,
    ambiguous: v.ambiguous,
    notes,
  };
}

/** The report row of a scenario with a consumer: the producer's losses and the consumer's add up. */
export function consumerRow(scenario: string, p: ProducerVerdict, c: ConsumerVerdict, notes: string): ScenarioRow {
  return {
    scenario,
    published: p.published,
    acknowledged: p.acknowledged,
    lost: p.lost + c.lost,
    duplicated: p.duplicated + c.duplicated,
    deadLettered: c.deadLettered,
    ambiguous: p.ambiguous,
    notes,
  };
}
