/**
 * One kafkajs batch (one partition's fetched records), handled in order.
 *
 * Offsets are resolved only for committable outcomes; `retry-later` rewinds and pauses the
 * partition; `abandoned` (shutdown, rebalance, seek) leaves the rest of the batch unresolved.
 * A heartbeat ticker runs for the whole batch, so a slow handler or a long backoff keeps the
 * member in the group. The loop is raced against the consumer's abort signal, so shutdown never
 * waits longer than its grace period for a handler.
 *
 * The fence (see membership.ts): before each record, and before each retry or dead-letter write,
 * the member's hold on the partition must be recent or confirmed by a heartbeat; once it is lost
 * (a heartbeat said "rejoin", or the member joined a newer generation) the batch stops at the next
 * record, and a batch from an older generation resolves no offsets at all.
 */
import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import type { ConsumerMetrics } from "../observability/consumer-metrics.ts";
import type { Membership } from "./membership.ts";
import { toConsumedMessage } from "./message.ts";
import { firstAttemptSucceeded, handleFailure, type ProcessorDeps, startFirstAttempt } from "./processor.ts";
import type { RouteResult } from "./router.ts";
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
  /**
   * How many seeks the consumer has made so far. Only the consumer seeks (to retry a message
   * later), so a batch can only go stale when this changes; kafkajs's own staleness check costs a
   * JSON string per call and is therefore asked only then.
   */
  readonly seeks: () => number;
  /** The member's hold on its partitions, shared by all batches (joins and heartbeats update it). */
  readonly membership: Membership;
}

export function createBatchHandler(deps: BatchDeps): (payload: EachBatchPayload) => Promise<void> {
  return async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale, commitOffsetsIfNecessary }) => {
    const { topic, partition } = batch;
    deps.metrics.lag(topic, partition, Number(batch.offsetLagLow()));
    const membership = deps.membership;
    const generation = membership.generation;
    const beat = async (): Promise<void> => {
      try {
        await heartbeat();
      } catch (e) {
        membership.heartbeatFailed(e);
        throw e;
      }
    };
    const ticker = setInterval(() => void beat().catch(() => {}), deps.heartbeatIntervalMs);
    const seeksAtStart = deps.seeks();
    const shouldStop = (): boolean =>
      membership.lost(generation) || deps.isStopping() || !isRunning() || (deps.seeks() !== seeksAtStart && isStale());
    // The hold on the partition is older than a heartbeat interval: a heartbeat must succeed
    // before anything more is done with the batch. A heartbeat that fails for another reason
    // than "rejoin" (the coordinator unreachable) cannot prove ownership either: the batch stops,
    // and what it did not handle is fetched again (or handled by the partition's next owner).
    const confirm = async (offset: string): Promise<boolean> => {
      const before = membership.confirmations;
      let failure: unknown;
      try {
        await beat();
      } catch (e) {
        failure = e;
      }
      // A heartbeat call that resolved without an answer was not sent (kafkajs had no member id,
      // or its wall clock disagrees): no proof either.
      if (failure === undefined && membership.confirmations === before) failure = "no heartbeat was sent";
      if (failure === undefined) return !shouldStop();
      if (!membership.lost(generation)) {
        deps.processor.logger.warn(
          { topic, partition, offset, err: String(failure) },
          "could not confirm this member still owns the partition; batch stopped",
        );
      }
      return false;
    };
    const confirmOwnership = (offset: string): Promise<boolean> =>
      membership.recent() ? Promise.resolve(!shouldStop()) : confirm(offset);

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

    const run = { signal: deps.signal, heartbeat: beat, shouldStop, confirmOwnership };
    // Offsets are resolved lazily: the last finished offset is handed to kafkajs before each
    // commit check and when the batch ends (the finally below), not once per message. kafkajs
    // commits only resolved offsets, and only at those points, so what it commits is the same.
    // A batch of an older generation resolves nothing: kafkajs resolves into the offsets of the
    // generation current at the call, which may no longer include this partition.
    let resolved: string | undefined;
    const resolveDone = (): void => {
      if (lastDone !== undefined && lastDone !== resolved && membership.generation === generation) {
        resolved = lastDone;
        resolveOffset(lastDone);
      }
    };
    // Mid-batch commits (a long batch should not hold back all its progress): a timer raises a
    // flag, so the loop reads a boolean per message instead of the clock.
    let commitDue = false;
    const commitTicker = setInterval(() => {
      commitDue = true;
    }, deps.commitIntervalMs);
    const loop = async (): Promise<void> => {
      const records = batch.messages;
      for (let i = 0; i < records.length; i++) {
        if (detached || shouldStop()) return;
        const m = records[i] as KafkaMessage;
        if (!membership.recent() && (!(await confirm(m.offset)) || detached)) return;
        const message = toConsumedMessage(topic, partition, m);
        // Synchronous when the handler and middleware are: no promise per message then; otherwise
        // the middleware's promise is awaited here directly.
        let result: RouteResult | undefined;
        let failure: { error: unknown } | undefined;
        try {
          const first = startFirstAttempt(deps.processor, run, message);
          result = typeof first === "string" ? first : await first;
        } catch (error) {
          failure = { error };
        }
        const outcome =
          failure === undefined
            ? firstAttemptSucceeded(deps.processor, message, result)
            : await handleFailure(deps.processor, run, message, failure.error);
        if (outcome === "handled") handled++;
        else outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (detached || outcome === "abandoned") return;
        if (outcome === "retry-later") {
          // A partition that may be another member's by now is neither rewound nor paused here.
          if (membership.lost(generation)) return;
          resolveDone();
          deps.retryLater(message, pause);
          return;
        }
        if (lastDone === undefined) deps.progressed(topic, partition);
        lastDone = m.offset;
        if (commitDue && !membership.lost(generation)) {
          commitDue = false;
          resolveDone();
          await commitOffsetsIfNecessary();
        }
      }
    };
    try {
      if ((await Promise.race([loop(), aborted])) === "aborted") detached = true;
    } finally {
      resolveDone();
      clearInterval(ticker);
      clearInterval(commitTicker);
      deps.signal.removeEventListener("abort", onAbort);
      if (handled > 0) deps.metrics.outcome(topic, "handled", handled);
      for (const [outcome, count] of outcomes) deps.metrics.outcome(topic, outcome, count);
      if (lastDone !== undefined) {
        deps.metrics.lag(topic, partition, Math.max(0, Number(batch.highWatermark) - 1 - Number(lastDone)));
      }
    }
  };
}
