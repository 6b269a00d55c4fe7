/** Backoff delays (table-driven) and a heartbeating wait, with a fake clock. */
import { describe, expect, it } from "vitest";
import { backoffDelay, type Clock, type RetryPolicy, sleepWithHeartbeat } from "../../../runtime/retry/backoff.ts";

const policy: RetryPolicy = { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 0.5 };

describe("backoffDelay", () => {
  const cases: [retry: number, random: number, expected: number][] = [
    [1, 0, 50],
    [1, 0.999999, 100],
    [2, 0, 100],
    [3, 0.5, 300],
    [4, 1 - 1e-9, 800],
    [5, 0.999999, 1_000],
    [50, 0, 500],
  ];
  it.each(cases)("retry %i with random %d -> %i ms", (retry, random, expected) => {
    expect(backoffDelay(policy, retry, () => random)).toBe(expected);
  });

  it("without jitter is deterministic, with full jitter can reach zero", () => {
    expect(backoffDelay({ ...policy, jitter: 0 }, 3, () => 0.3)).toBe(400);
    expect(backoffDelay({ ...policy, jitter: 1 }, 3, () => 0)).toBe(0);
  });
});

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe("sleepWithHeartbeat", () => {
  it("heartbeats at least every interval for the whole wait", async () => {
    const clock = fakeClock();
    let beats = 0;
    await sleepWithHeartbeat(10_500, { heartbeat: async () => void beats++, heartbeatEveryMs: 1_000, clock });
    expect(clock.now()).toBe(10_500);
    expect(beats).toBe(11);
    expect(Math.max(...clock.slept)).toBe(1_000);
  });

  it("keeps waiting when a heartbeat fails, reports the failure, and stops when told to", async () => {
    const clock = fakeClock();
    const errors: unknown[] = [];
    let beats = 0;
    await sleepWithHeartbeat(10_000, {
      heartbeat: async () => {
        beats++;
        throw new Error("REBALANCE_IN_PROGRESS");
      },
      heartbeatEveryMs: 1_000,
      clock,
      onHeartbeatError: (e) => errors.push(e),
      stopWhen: () => beats >= 3,
    });
    expect(beats).toBe(3);
    expect(errors).toHaveLength(3);
    expect(clock.now()).toBe(3_000);
  });

  it("ends at once when the signal aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    const clock = fakeClock();
    await sleepWithHeartbeat(10_000, {
      heartbeat: async () => {},
      heartbeatEveryMs: 1_000,
      clock,
      signal: controller.signal,
    });
    expect(clock.now()).toBe(0);
  });
});
