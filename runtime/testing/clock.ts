/**
 * A clock on which time passes only when someone waits: `sleep(ms)` moves `now()` forward by `ms`
 * and resolves at once (after the event loop's pending callbacks, so the rest of the program
 * keeps running). Given to the consumer as `options.clock`, it makes retry backoff take no real
 * time, while the delays the consumer asked for stay visible (`sleeps`).
 */
// The timers of node:timers, not the globals: a test that fakes the global timers (vitest's
// `vi.useFakeTimers()`) does not freeze the broker.
import { setImmediate } from "node:timers";
import type { Clock } from "../retry/backoff.ts";

export interface TestClock extends Clock {
  /**
   * Every wait asked for, in milliseconds, in order. A wait longer than the consumer's heartbeat
   * interval is asked for in heartbeat-sized steps, as the consumer heartbeats between them.
   */
  readonly sleeps: readonly number[];
  /** Milliseconds the clock has moved on since it was created. */
  elapsed(): number;
}

export function testClock(start: number = Date.now()): TestClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    elapsed: () => now - start,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.resolve();
      const wait = Math.max(0, ms);
      sleeps.push(wait);
      now += wait;
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}
