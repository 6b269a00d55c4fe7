/**
 * A publish's cancellation and deadline: the Go package's `ctx` of `Publish(ctx, msg)`, as an
 * `AbortSignal` and/or `timeoutMs`.
 *
 * What an abort does depends on where the publish is, and the error says which:
 * - before its record is handed to the client (in middleware, waiting for its schema, queued in
 *   the batcher, or waiting for the connection): the record is taken out and never sent; the
 *   publish rejects with ABORTED, `details.sent: false`. Nothing was written.
 * - after it was handed to the client (its produce request may be on the wire): a request cannot
 *   be recalled, so the promise rejects with ABORTED, `details.sent: true`, and the record may
 *   still be written; the producer carries on with it as with any other (acks, DLQ on failure,
 *   metrics). Publishing it again may write it twice (with the same `event-id`).
 * In async mode a publish resolves as soon as it is queued: the signal and timeout cover only
 * the time until then.
 */
import { ErrorCode, SkejiError } from "../errors/base.ts";
import type { PublishResult } from "./types.ts";

/** Cancellation and deadline of one publish (also accepted by `publish(message, control)`). */
export interface PublishControl {
  /**
   * Aborts the publish: not sent if the record has not been handed to the client yet, else the
   * promise rejects and the record may still be written (ABORTED, `details.sent`).
   */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds the publish may take until acknowledged (1 to 86400000); past it, as an abort. */
  readonly timeoutMs?: number | undefined;
}

const maxTimeoutMs = 24 * 60 * 60 * 1000;

/** Why a publish was aborted: its signal, or `timeoutMs`. */
export type AbortReason = "signal" | "timeout";

/** A queued publish, as far as its deadline is concerned. */
export interface Cancellable {
  /** Set when the publish was aborted before being handed to the client: it must not be sent. */
  cancelled?: boolean;
}

export class PublishDeadline {
  /** Aborts (with the publish's error) when the publish is aborted: `PublishContext.signal`. */
  readonly controller = new AbortController();
  /** The record was handed to the client: an abort can no longer keep it from being written. */
  sent = false;
  /** The publish queued in the batcher, once it is. */
  item: Cancellable | undefined;
  private error: SkejiError | undefined;
  private settled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unlisten: (() => void) | undefined;
  private rejectCaller: ((error: SkejiError) => void) | undefined;

  constructor(
    private readonly control: PublishControl,
    private readonly topic: string,
    private readonly eventId: string,
  ) {}

  /** The ABORTED error once aborted. */
  get aborted(): SkejiError | undefined {
    return this.error;
  }

  /** Runs `publish`; rejects with ABORTED as soon as the signal aborts or the time is up, whichever first. */
  run(publish: () => Promise<PublishResult>): Promise<PublishResult> {
    const { signal, timeoutMs } = this.control;
    if (signal?.aborted === true) return Promise.reject(this.abort(reasonOf(signal), signal.reason));
    return new Promise<PublishResult>((resolve, reject) => {
      this.rejectCaller = reject;
      if (signal !== undefined) {
        const onAbort = (): void => void this.abort(reasonOf(signal), signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        this.unlisten = () => signal.removeEventListener("abort", onAbort);
      }
      if (timeoutMs !== undefined) this.timer = setTimeout(() => this.abort("timeout", undefined), timeoutMs);
      publish().then(
        (result) => this.settle(() => resolve(result)),
        (error: unknown) => this.settle(() => reject(error)),
      );
    });
  }

  private settle(report: () => void): void {
    if (this.settled) return;
    this.settled = true;
    this.dispose();
    report();
  }

  private abort(reason: AbortReason, cause: unknown): SkejiError {
    if (this.error !== undefined) return this.error;
    const error = abortedError(this.topic, this.eventId, reason, this.control.timeoutMs, this.sent, cause);
    if (this.settled) return error;
    this.error = error;
    this.settled = true;
    this.dispose();
    if (!this.sent && this.item !== undefined) this.item.cancelled = true;
    this.controller.abort(error);
    this.rejectCaller?.(error);
    return error;
  }

  private dispose(): void {
    clearTimeout(this.timer);
    this.unlisten?.();
  }
}

/** Problems with `control`, as an INVALID_CONFIG error naming the option; undefined when fine. */
export function controlProblem(control: PublishControl): SkejiError | undefined {
  const { signal, timeoutMs } = control;
  const problems: string[] = [];
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs >= 1 && timeoutMs <= maxTimeoutMs)) {
    problems.push(
      `invalid option "timeoutMs": expected a number of milliseconds from 1 to ${maxTimeoutMs} (1ms to 24h), got ${String(timeoutMs)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    problems.push('invalid option "signal": expected an AbortSignal');
  }
  if (problems.length === 0) return undefined;
  return new SkejiError(ErrorCode.INVALID_CONFIG, problems.join("; "), { details: { problems } });
}

/**
 * Hands `items` to the client: drops those aborted while they waited (never sent) and marks the
 * rest sent, so that a later abort says the record may be written.
 */
export function handOver<T extends { deadline?: PublishDeadline | undefined; cancelled?: boolean }>(items: T[]): T[] {
  const kept = live(items);
  for (const item of kept) if (item.deadline !== undefined) item.deadline.sent = true;
  return kept;
}

/** `items` without those aborted before being sent (the same array when there are none). */
export function live<T extends Cancellable>(items: T[]): T[] {
  return items.some((i) => i.cancelled === true) ? items.filter((i) => i.cancelled !== true) : items;
}

function reasonOf(signal: AbortSignal): AbortReason {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === "TimeoutError" ? "timeout" : "signal";
}

function abortedError(
  topic: string,
  eventId: string,
  reason: AbortReason,
  timeoutMs: number | undefined,
  sent: boolean,
  cause: unknown,
): SkejiError {
  const why =
    reason === "signal"
      ? "its signal was aborted"
      : timeoutMs !== undefined
        ? `its timeout of ${timeoutMs}ms passed`
        : "its signal timed out";
  const outcome = sent
    ? "after its record was sent: it may still be written (the broker's answer was not awaited), and publishing it again may write it twice"
    : "before its record was sent: nothing was written";
  return new SkejiError(ErrorCode.ABORTED, `publish to ${topic} (event-id ${eventId}) aborted, ${why}, ${outcome}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { topic, eventId, reason, sent, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
  });
}
