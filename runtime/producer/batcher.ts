/**
 * Coalesces concurrent publishes into shared produce requests (kafkajs has no
 * linger). The first message waits up to `lingerMs` for company; a batch goes
 * out early when it reaches `maxCount` messages or `maxBytes`. One batch is in
 * flight at a time (the idempotent producer's ordering needs that); messages
 * arriving meanwhile form the next batch, which leaves as soon as the first is answered.
 */
import type { OutgoingRecord, RecordAck } from "../client/types.ts";

export interface BatchItem {
  readonly topic: string;
  readonly record: OutgoingRecord;
  readonly bytes: number;
  /** Called exactly once, with the ack or the error. */
  settle(ack: RecordAck | undefined, error: unknown): void;
}

export interface BatchLimits {
  readonly lingerMs: number;
  readonly maxCount: number;
  readonly maxBytes: number;
}

/** Sends one batch; must settle every item and must not reject. */
export type SendBatch = (items: BatchItem[]) => Promise<void>;

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
    this.inFlight = this.send(batch)
      .catch(() => {}) // send settles every item itself
      .finally(() => {
        this.inFlight = undefined;
        // Whatever queued meanwhile has already waited for a whole round trip: send it now.
        if (this.queue.length > 0) this.kick();
      });
  }

  /** Takes the next batch within the limits (at least one message, even an oversized one). */
  private take(): BatchItem[] {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.limits.maxCount) {
      const next = (this.queue[count] as BatchItem).bytes;
      if (count > 0 && bytes + next > this.limits.maxBytes) break;
      bytes += next;
      count++;
    }
    const batch = this.queue.slice(0, count);
    this.queue = this.queue.slice(count);
    this.queuedBytes -= bytes;
    return batch;
  }
}
