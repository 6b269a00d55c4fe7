/**
 * One kafkajs batch (one partition's fetched records), handled in order.
 *
 * Offsets are resolved only for committable outcomes; `retry-later` rewinds and pauses the
 * partition; `abandoned` (shutdown, rebalance, seek) leaves the rest of the batch unresolved.
 * A heartbeat ticker runs for the whole batch, so a slow handler or a long backoff keeps the
 * member in the group. The loop is raced against the consumer's abort signal, so shutdown never
 * waits longer than its grace period for a handler.
 */
import type { EachBatchPayload } from "kafkajs";
import type { ConsumerMetrics } from "../observability/consumer-metrics.ts";
import { toConsumedMessage } from "./message.ts";
import { type ProcessorDeps, processMessage } from "./processor.ts";
import type { ConsumedMessage, MessageOutcome } from "./types.ts";

export interface BatchDeps {
  readonly processor: ProcessorDeps;
  readonly metrics: ConsumerMetrics;
  /** Aborted when the grace period of a shutdown has passed. */
  readonly signal: AbortSignal;
  readonly isStopping: () => boolean;
  readonly heartbeatIntervalMs: number;
  readonly commitIntervalMs: number;
  /** Rewinds the partition to `message` and pauses it for a while. */
  readonly retryLater: (message: ConsumedMessage, pause: () => () => void) => void;
  /** The partition made progress (resets its retry-later backoff). */
  readonly progressed: (topic: string, partition: number) => void;
}

/** Heartbeat answers that mean this member must rejoin: finish the current message and let go of the batch. */
const rejoinTypes = new Set(["REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "FENCED_INSTANCE_ID"]);
const isRebalance = (e: unknown): boolean => {
  const type = (e as { type?: unknown } | null)?.type;
  return (typeof type === "string" && rejoinTypes.has(type)) || /rebalanc/i.test(String(e));
};

export function createBatchHandler(deps: BatchDeps): (payload: EachBatchPayload) => Promise<void> {
  return async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale, commitOffsetsIfNecessary }) => {
    const { topic, partition } = batch;
    deps.metrics.lag(topic, partition, Number(batch.offsetLagLow()));
    let rebalancing = false;
    const beat = async (): Promise<void> => {
      try {
        await heartbeat();
      } catch (e) {
        if (isRebalance(e)) rebalancing = true;
        throw e;
      }
    };
    const ticker = setInterval(() => void beat().catch(() => {}), deps.heartbeatIntervalMs);
    const shouldStop = (): boolean => rebalancing || deps.isStopping() || !isRunning() || isStale();

    // Shutdown must not wait for a handler past the grace period: the loop is raced (once per
    // batch) against the abort signal; a loop left behind resolves no further offsets.
    let onAbort = (): void => {};
    const aborted = new Promise<"aborted">((resolve) => {
      onAbort = () => resolve("aborted");
    });
    if (deps.signal.aborted) onAbort();
    else deps.signal.addEventListener("abort", onAbort, { once: true });
    let detached = false;
    let lastDone: string | undefined;
    const outcomes = new Map<MessageOutcome, number>();
    let handled = 0; // the common outcome, counted without a map lookup

    const run = { signal: deps.signal, heartbeat: beat, shouldStop };
    const loop = async (): Promise<void> => {
      let lastCommitCheck = Date.now();
      for (const m of batch.messages) {
        if (detached || shouldStop()) return;
        const message = toConsumedMessage(topic, partition, m);
        const outcome = await processMessage(deps.processor, run, message);
        if (outcome === "handled") handled++;
        else outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (detached || outcome === "abandoned") return;
        if (outcome === "retry-later") {
          deps.retryLater(message, pause);
          return;
        }
        resolveOffset(m.offset);
        if (lastDone === undefined) deps.progressed(topic, partition);
        lastDone = m.offset;
        const now = Date.now();
        if (now - lastCommitCheck >= deps.commitIntervalMs) {
          lastCommitCheck = now;
          await commitOffsetsIfNecessary();
        }
      }
    };
    try {
      if ((await Promise.race([loop(), aborted])) === "aborted") detached = true;
    } finally {
      clearInterval(ticker);
      deps.signal.removeEventListener("abort", onAbort);
      if (handled > 0) deps.metrics.outcome(topic, "handled", handled);
      for (const [outcome, count] of outcomes) deps.metrics.outcome(topic, outcome, count);
      if (lastDone !== undefined) {
        deps.metrics.lag(topic, partition, Math.max(0, Number(batch.highWatermark) - 1 - Number(lastDone)));
      }
    }
  };
}
