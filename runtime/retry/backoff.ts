/**
 * Exponential backoff with jitter, and a wait that keeps the consumer group membership alive.
 *
 * Delay before retry n (1-based): `min(maxDelayMs, initialDelayMs * multiplier^(n-1))`, then
 * "full jitter" picks uniformly in `[delay * (1 - jitter), delay]`. `jitter` 1 is full jitter,
 * 0 no jitter. Clock and random source are injectable for tests.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so `maxRetries + 1` attempts in all). */
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** Fraction of the delay that is randomised, 0..1. */
  readonly jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxRetries: 3,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
});

/** The delay before retry `retry` (1-based). `random` returns a number in [0, 1). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exp = policy.initialDelayMs * policy.multiplier ** Math.max(0, retry - 1);
  const capped = Math.min(policy.maxDelayMs, Number.isFinite(exp) ? exp : policy.maxDelayMs);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(capped * (1 - jitter) + capped * jitter * random());
}

/** Time, injectable so tests can run a long backoff instantly. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * Waits `ms`, calling `heartbeat` at least every `heartbeatEveryMs` meanwhile, so a wait longer
 * than the session timeout does not make the broker evict the member. Ends early on `signal`.
 * Heartbeat failures are passed to `onHeartbeatError` (a rebalance shows up there) and do not
 * end the wait by themselves; `stopWhen` lets the caller end it (e.g. when the partition was revoked).
 */
export async function sleepWithHeartbeat(
  ms: number,
  opts: {
    readonly heartbeat: () => Promise<void>;
    readonly heartbeatEveryMs: number;
    readonly clock?: Clock;
    readonly signal?: AbortSignal | undefined;
    readonly stopWhen?: () => boolean;
    readonly onHeartbeatError?: (e: unknown) => void;
  },
): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const end = clock.now() + ms;
  const step = Math.max(1, opts.heartbeatEveryMs);
  for (;;) {
    if (opts.signal?.aborted || opts.stopWhen?.()) return;
    const left = end - clock.now();
    if (left <= 0) return;
    await clock.sleep(Math.min(step, left), opts.signal);
    try {
      await opts.heartbeat();
    } catch (e) {
      opts.onHeartbeatError?.(e);
    }
  }
}
