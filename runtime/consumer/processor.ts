/**
 * One message, start to finish: run the middleware chain and handler, retry transient failures
 * with backoff (heartbeating meanwhile), dead-letter permanent ones, and say whether the offset
 * may be committed.
 *
 * The guarantee: the outcome is committable (`handled`, `business-error`, `skipped`,
 * `dead-lettered`) only when the handler finished, the error was a business error, the DLQ
 * acknowledged the record with acks=all, or (opt-in, `withoutDlq: "skip"`) no DLQ topic is
 * configured. A failed DLQ write, no DLQ topic (by default), or an infrastructure error that
 * outlasts the retries (the schema registry not answering), yields `retry-later`: the caller
 * commits nothing at or past this offset and redelivers the message later.
 */

import { buildDlqRecord, type DlqRecord } from "../dlq/record.ts";
import type { DlqSink } from "../dlq/sink.ts";
import { dlqTruncatedHeader, writeFitted } from "../dlq/truncate.ts";
import { ErrorCode, isSkejiError, SkejiError } from "../errors/base.ts";
import { classifyError, errorMessage, errorTypeName } from "../errors/classify.ts";
import { ConsumerErrorCode, type ErrorClass } from "../errors/processing.ts";
import { HeaderName, parseRetryCount } from "../message/headers.ts";
import type { Logger } from "../observability/logger.ts";
import { backoffDelay, type Clock, type RetryPolicy, sleepWithHeartbeat } from "../retry/backoff.ts";
import { messageHeader } from "./message.ts";
import type { RouteResult } from "./router.ts";
import type { ConsumedMessage, HandlerContext, MessageOutcome } from "./types.ts";
import { isHeldUnknownEvent, type UnknownEventInfo } from "./unknown-events.ts";

/** Observes what the consumer does with each message (metrics, tests). */
export interface ConsumerObserver {
  onAttemptFailed?(info: { message: ConsumedMessage; attempt: number; error: unknown; errorClass: ErrorClass }): void;
  onOutcome?(info: { message: ConsumedMessage; outcome: MessageOutcome; attempts: number; error?: unknown }): void;
  onDlqWriteFailed?(info: { message: ConsumedMessage; error: unknown }): void;
  /** A record no handler can take was met; `action` is what `unknownEvents` does with it. */
  onUnknownEvent?(info: UnknownEventInfo): void;
  /** A message failed for good and no DLQ topic is configured; `action` is what was done. */
  onNoDlq?(info: { message: ConsumedMessage; error: unknown; action: "hold" | "skip" }): void;
}

export interface ProcessorDeps {
  readonly groupId: string;
  /**
   * The middleware chain and handler; may return synchronously or throw synchronously. A promise
   * that settles to no route result (middleware returns nothing) is answered by `wasSkipped`.
   */
  readonly run: (ctx: HandlerContext, message: ConsumedMessage) => RouteResult | Promise<RouteResult | undefined>;
  /** Whether the router skipped `message` (no handler), once a `run` promise settled without saying. */
  readonly wasSkipped: (message: ConsumedMessage) => boolean;
  readonly policy: RetryPolicy;
  readonly unclassified: ErrorClass;
  readonly dlq: {
    readonly sink: DlqSink;
    readonly topicFor: (sourceTopic: string) => string | undefined;
    /** The largest dead-letter record written whole; a larger one is written truncated. */
    readonly maxRecordBytes: number;
  };
  /** A failure with no DLQ topic: `hold` the partition (retry later) or `skip` (commit) the message. */
  readonly withoutDlq: "hold" | "skip";
  readonly clock: Clock;
  readonly random: () => number;
  readonly heartbeatEveryMs: number;
  /** Hold the partition (retry later) on UNKNOWN_VERSION instead of dead-lettering. */
  readonly holdUnknownVersions: boolean;
  /** Per-attempt time limit; the attempt then fails with a transient HANDLER_TIMEOUT. */
  readonly handlerTimeoutMs: number | undefined;
  readonly logger: Logger;
  readonly observer: ConsumerObserver;
}

/** What the messages of one batch share (built once per batch, not per message). */
export interface MessageRun {
  readonly signal: AbortSignal;
  readonly heartbeat: () => Promise<void>;
  /** True once the consumer stops or loses the partition: give up without committing. */
  readonly shouldStop: () => boolean;
  /**
   * Resolves true while the partition is still this member's (its hold is recent, or a heartbeat
   * now succeeds), false once it may belong to another member: then no retry and no DLQ write.
   */
  readonly confirmOwnership: (offset: string) => Promise<boolean>;
}

/**
 * Errors about our own infrastructure, not the message: a registry that does not answer, or
 * refuses us (credentials, no registry configured), a schema topic that cannot be read. Never dead-lettered: dead-lettering every
 * message because of a misconfiguration would empty the topic into the DLQ.
 */
const isInfrastructureError = (e: unknown): boolean =>
  isSkejiError(e, ErrorCode.REGISTRY_UNAVAILABLE) ||
  isSkejiError(e, ErrorCode.REGISTRY_ERROR) ||
  isSkejiError(e, ErrorCode.SCHEMA_TOPIC_UNAVAILABLE);

/**
 * The first attempt of a message: its route result when the middleware and handler finished
 * synchronously, or the pending attempt. Throws what a synchronous attempt threw. The batch loop
 * drives it (awaiting only a pending attempt) and hands a failure to `handleFailure`: the common
 * case, a first attempt that succeeds, then costs no promise beyond the middleware's own.
 */
export function startFirstAttempt(
  deps: ProcessorDeps,
  run: MessageRun,
  message: ConsumedMessage,
): RouteResult | Promise<RouteResult | undefined> {
  return attemptOnce(deps, run, message, 1);
}

/** The outcome of a first attempt that succeeded with `result` (undefined: ask the chain). */
export function firstAttemptSucceeded(
  deps: ProcessorDeps,
  message: ConsumedMessage,
  result: RouteResult | undefined,
): MessageOutcome {
  return firstAttemptDone(deps, message, result ?? routeResultOf(deps, message));
}

const routeResultOf = (deps: ProcessorDeps, message: ConsumedMessage): RouteResult =>
  deps.wasSkipped(message) ? "skipped" : "handled";

function firstAttemptDone(deps: ProcessorDeps, message: ConsumedMessage, result: RouteResult): MessageOutcome {
  const outcome: MessageOutcome = result === "skipped" ? "skipped" : "handled";
  deps.observer.onOutcome?.({ message, outcome, attempts: 1 });
  return outcome;
}

/** One run of the middleware chain and handler, within `handlerTimeoutMs` if set. */
function attemptOnce(
  deps: ProcessorDeps,
  run: MessageRun,
  message: ConsumedMessage,
  attempt: number,
): RouteResult | Promise<RouteResult | undefined> {
  const limit = deps.handlerTimeoutMs;
  if (limit === undefined) return deps.run({ signal: run.signal, attempt, groupId: deps.groupId }, message);
  // The attempt gets its own signal, aborted at the time limit or when the consumer's is.
  const own = new AbortController();
  const onStop = (): void => own.abort(run.signal.reason);
  if (run.signal.aborted) onStop();
  else run.signal.addEventListener("abort", onStop, { once: true });
  const signal = own.signal;
  let timer: NodeJS.Timeout | undefined;
  let timeoutError: SkejiError | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timeoutError = new SkejiError(
        ConsumerErrorCode.HANDLER_TIMEOUT,
        `the handler did not finish within ${limit} ms`,
        {
          details: { attempt, timeoutMs: limit },
        },
      );
      own.abort(timeoutError);
      reject(timeoutError);
    }, limit);
  });
  let running: Promise<RouteResult | undefined>;
  try {
    running = Promise.resolve(deps.run({ signal, attempt, groupId: deps.groupId }, message));
  } catch (e) {
    running = Promise.reject(e);
  }
  return Promise.race([running, timedOut])
    .catch(async (e: unknown) => {
      if (e !== timeoutError) throw e;
      // One at a time per partition: neither the retry nor the next message starts while the
      // timed-out attempt still runs. It was told through its signal; wait until it settles, or
      // until the consumer gives up on in-flight work (shutdown grace period over).
      deps.logger.warn(
        { topic: message.topic, partition: message.partition, offset: message.offset, attempt },
        "handler timed out; waiting for it to settle before moving on",
      );
      await settledOrAborted(running, run.signal);
      throw e;
    })
    .finally(() => {
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onStop);
    });
}

/** Resolves once `work` settles (either way) or `signal` aborts. */
function settledOrAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    work.then(done, done);
  });
}

/** After a failed first attempt: retry transient errors, then dead-letter, hold or commit. */
export async function handleFailure(
  deps: ProcessorDeps,
  run: MessageRun,
  message: ConsumedMessage,
  firstError: unknown,
): Promise<MessageOutcome> {
  const base = { topic: message.topic, partition: message.partition, offset: message.offset };
  const done = (outcome: MessageOutcome, attempts: number, error?: unknown): MessageOutcome => {
    deps.observer.onOutcome?.({ message, outcome, attempts, ...(error === undefined ? {} : { error }) });
    return outcome;
  };
  let error: unknown = firstError;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) {
      if (!(await run.confirmOwnership(message.offset))) return done("abandoned", attempt - 1, error);
      try {
        const result = (await attemptOnce(deps, run, message, attempt)) ?? routeResultOf(deps, message);
        return done(result === "skipped" ? "skipped" : "handled", attempt);
      } catch (e) {
        error = e;
      }
    }
    const errorClass = classifyError(error, { unclassified: deps.unclassified });
    deps.observer.onAttemptFailed?.({ message, attempt, error, errorClass });
    if (errorClass === "business") {
      deps.logger.info({ ...base, err: errorMessage(error) }, "business error; message committed");
      return done("business-error", attempt, error);
    }
    if (run.shouldStop()) return done("abandoned", attempt, error);
    if (errorClass === "transient" && attempt <= deps.policy.maxRetries) {
      const delay = backoffDelay(deps.policy, attempt, deps.random);
      deps.logger.warn({ ...base, attempt, delayMs: delay, err: errorMessage(error) }, "transient error; retrying");
      await sleepWithHeartbeat(delay, {
        heartbeat: run.heartbeat,
        heartbeatEveryMs: deps.heartbeatEveryMs,
        clock: deps.clock,
        signal: run.signal,
        stopWhen: run.shouldStop,
      });
      if (run.shouldStop()) return done("abandoned", attempt, error);
      continue;
    }
    if (isHeldUnknownEvent(error)) {
      deps.logger.warn(
        { ...base, err: errorMessage(error) },
        "no handler takes the record (unknownEvents: retry-later); will retry later",
      );
      return done("retry-later", attempt, error);
    }
    if (isInfrastructureError(error) || (deps.holdUnknownVersions && isSkejiError(error, ErrorCode.UNKNOWN_VERSION))) {
      deps.logger.warn({ ...base, attempt, err: errorMessage(error) }, "infrastructure unavailable; will retry later");
      return done("retry-later", attempt, error);
    }
    // A dead letter written for a partition another member now owns would be written twice.
    if (!(await run.confirmOwnership(message.offset))) return done("abandoned", attempt, error);
    return done(await deadLetter(deps, message, error, errorClass, retriesSoFar(message, attempt)), attempt, error);
  }
}

/**
 * The dead letter's `retry-count`: the retries the record had behind it when it arrived (its own
 * `retry-count`, which a replay from the DLQ sets to the dead letter's count + 1) plus the retries
 * made here. A record that goes round DLQ -> replay -> DLQ so keeps counting instead of starting
 * again at 0 each time. Handlers see the received header unchanged, and `attempt` counts this
 * delivery's attempts only.
 */
function retriesSoFar(message: ConsumedMessage, attempt: number): number {
  return parseRetryCount(messageHeader(message, HeaderName.retryCount)) + (attempt - 1);
}

async function deadLetter(
  deps: ProcessorDeps,
  message: ConsumedMessage,
  error: unknown,
  errorClass: ErrorClass,
  retryCount: number,
): Promise<MessageOutcome> {
  const base = { topic: message.topic, partition: message.partition, offset: message.offset };
  const topic = deps.dlq.topicFor(message.topic);
  if (topic === undefined) {
    const action = deps.withoutDlq;
    deps.observer.onNoDlq?.({ message, error, action });
    if (action === "skip") {
      deps.logger.error(
        { ...base, err: errorMessage(error) },
        "message failed and no DLQ topic is configured; skipped",
      );
      return "skipped";
    }
    deps.logger.error(
      { ...base, err: errorMessage(error) },
      "message failed and no DLQ topic is configured; partition held, will retry later",
    );
    return "retry-later";
  }
  const record = buildDlqRecord({
    message,
    error: errorMessage(error),
    errorType: errorTypeName(error),
    errorClass,
    retryCount,
    groupId: deps.groupId,
    now: new Date(deps.clock.now()),
  });
  let written: DlqRecord;
  try {
    // A record too large for the DLQ topic is written truncated rather than refused forever.
    written = await writeFitted((r) => deps.dlq.sink.write(topic, r), record, deps.dlq.maxRecordBytes);
  } catch (e) {
    deps.observer.onDlqWriteFailed?.({ message, error: e });
    deps.logger.error({ ...base, dlqTopic: topic, err: errorMessage(e) }, "DLQ write failed; offset not committed");
    return "retry-later";
  }
  const truncated = written.headers[dlqTruncatedHeader];
  deps.logger.warn(
    {
      ...base,
      dlqTopic: topic,
      errorClass,
      retryCount,
      err: errorMessage(error),
      ...(truncated === undefined ? {} : { truncated: String(truncated) }),
    },
    truncated === undefined ? "dead-lettered" : "dead-lettered truncated: too large for the DLQ topic",
  );
  return "dead-lettered";
}
