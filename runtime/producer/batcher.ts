/**
 * Coalesces concurrent publishes into shared produce requests (kafkajs has no
 * linger). The first message waits up to `lingerMs` for company; a batch goes
 * out early when it reaches `maxCount` messages or `maxBytes`. One batch is in
 * flight at a time (the idempotent producer's ordering needs that); messages
 * arriving meanwhile form the next batch, which leaves as soon as the first is answered.
 *
 * An item may come without a record: it is built (encoded) when
 * its batch is assembled, and the head of the queue is encoded ahead while the
 * previous batch waits for the broker, so encoding overlaps the round trip. An
 * item whose `build` throws is settled with that error and never sent.
 */
import type { OutgoingRecord, RecordAck } from "../client/types.ts";
import { recordBytes } from "./encode.ts";

export interface BatchItem {
  readonly topic: string;
  /** The record; undefined until `build` has run. */
  record: OutgoingRecord | undefined;
  /** Builds (encodes) the record; called only while `record` is undefined. May throw, e.g. INVALID_PAYLOAD. */
  build(): OutgoingRecord;
  /** Key, value and header bytes; 0 until the record is built. */
  bytes: number;
  /** Set when `build` threw (the item is already settled). */
  failed?: boolean;
  /** Set when the publish was aborted while queued: it is dropped, never built nor sent. */
  cancelled?: boolean;
  /** Called exactly once, with the ack or the error. */
  settle(ack: RecordAck | undefined, error: unknown): void;
}

/** An item whose record is built: what a batch is made of. */
export type ReadyItem = BatchItem & { readonly record: OutgoingRecord };

export interface BatchLimits {
  readonly lingerMs: number;
  readonly maxCount: number;
  readonly maxBytes: number;
}

/** Sends one batch; must settle every item and must not reject. */
export type SendBatch = (items: ReadyItem[]) => Promise<void>;

/** Records encoded per turn of the event loop while building ahead. */
const buildSlice = 64;

export class Batcher {
  private queue: BatchItem[] = [];
  private queuedBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly send: SendBatch,
    private readonly limits: BatchLimits,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  add(item: BatchItem): void {
    this.queue.push(item);
    this.queuedBytes += item.bytes;
    if (this.inFlight !== undefined) return; // leaves when the batch in flight is answered
    if (this.queue.length >= this.limits.maxCount || this.queuedBytes >= this.limits.maxBytes) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.limits.lingerMs);
  }

  /** Sends everything queued now and resolves when every batch has been answered. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight !== undefined) {
      if (this.inFlight === undefined) this.kick();
      await this.inFlight;
    }
  }

  private kick(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    const batch = this.take();
    if (batch.length === 0) {
      if (this.queue.length > 0) this.kick();
      return;
    }
    this.inFlight = this.send(batch)
      .catch(() => {}) // send settles every item itself
      .finally(() => {
        this.inFlight = undefined;
        // Whatever queued meanwhile has already waited for a whole round trip: send it now.
        if (this.queue.length > 0) this.kick();
      });
    if (this.queue.length > 0) setImmediate(() => this.buildAhead());
  }

  /** Takes the next batch within the limits (at least one message, even an oversized one), building records as needed. */
  private take(): ReadyItem[] {
    const batch: ReadyItem[] = [];
    let bytes = 0;
    let used = 0;
    let dropped = 0;
    while (used < this.queue.length && batch.length < this.limits.maxCount) {
      const item = this.queue[used] as BatchItem;
      if (item.cancelled === true) {
        dropped += item.bytes;
        used++;
        continue;
      }
      if (!this.ensureBuilt(item)) {
        used++;
        continue;
      }
      if (batch.length > 0 && bytes + item.bytes > this.limits.maxBytes) break;
      bytes += item.bytes;
      batch.push(item as ReadyItem);
      used++;
    }
    // Dropping the head by splice moves the rest once per batch; slice would copy it into a new array as well.
    this.queue.splice(0, used);
    this.queuedBytes = Math.max(0, this.queuedBytes - bytes - dropped);
    return batch;
  }

  /**
   * Encodes the head of the queue while a batch is in flight, in small slices so
   * that the broker's answer is handled as soon as it arrives.
   */
  private buildAhead(from = 0): void {
    const end = Math.min(this.queue.length, this.limits.maxCount, from + buildSlice);
    let i = from;
    for (; i < end; i++) {
      const item = this.queue[i] as BatchItem;
      if (item.record === undefined && item.cancelled !== true && this.ensureBuilt(item))
        this.queuedBytes += item.bytes;
    }
    // Failed items stay queued (settled, without a record); take() skips them.
    if (this.inFlight !== undefined && i < Math.min(this.queue.length, this.limits.maxCount)) {
      setImmediate(() => this.buildAhead(i));
    }
  }

  /** True when the item has a record; settles the item with the error when building fails. */
  private ensureBuilt(item: BatchItem): boolean {
    if (item.record !== undefined) return true;
    if (item.failed === true) return false;
    try {
      const record = item.build();
      item.record = record;
      if (item.bytes === 0) item.bytes = recordBytes(record); // build may have counted them already
      return true;
    } catch (error) {
      item.failed = true;
      item.settle(undefined, error);
      return false;
    }
  }
}
