/** The consumer option `offsets: "memory"` against the real broker: nothing committed, position kept across a rejoin. */
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";
import { killableKafka } from "./killable.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const records = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    key: `k-${from + i}`,
    value: String(from + i),
    partition: (from + i) % 2,
  }));

describe('offsets: "memory"', () => {
  it("commits nothing, and after losing the cluster past its session timeout resumes each partition where it was", async () => {
    const topic = await fx.topic("offsets-memory", 2, false);
    // Oldest start offset: a rejoin that forgot the position would read every record again; one
    // that started at the newest offset would miss what was published during the cut.
    const config = testConfig(topic, { dlqTopic: undefined, startOffset: "oldest" });
    const { kafka, kill, revive } = killableKafka();
    const seen: string[] = [];
    let slow = true;
    const consumer = createConsumer(config, { logger: silentLogger, kafka, offsets: "memory", shutdownTimeoutMs: 500 })
      // Slow at first, so a batch outlasts the commit interval and passes a mid-batch commit point.
      .handle(async (_ctx, m) => {
        if (slow) await new Promise((r) => setTimeout(r, 10));
        seen.push(`${m.partition}:${m.offset}:${String(m.value)}`);
      });
    await fx.send(topic, records(0, 60));
    const running = consumer.start();
    await eventually(() => seen.length >= 60, "the first 60 records handled");
    slow = false;
    expect(await fx.committed(config.groupId, topic)).toEqual([-1, -1]);

    kill();
    await eventually(
      async () => (await fx.admin.describeGroups([config.groupId])).groups[0]?.members.length === 0,
      "the broker evicted the cut-off member",
      30_000,
    );
    await fx.send(topic, records(60, 70));
    revive();
    await eventually(() => seen.length >= 70, "the records published during the cut handled", 30_000);
    await consumer.stop();
    await running;

    // Every record exactly once: the rejoined member neither re-read from the start nor skipped ahead.
    const expected = [...records(0, 70)].map((r) => r.value);
    expect(seen.map((s) => s.split(":")[2]).sort()).toEqual(expected.sort());
    for (const partition of [0, 1]) {
      const offsets = seen.filter((s) => s.startsWith(`${partition}:`)).map((s) => Number(s.split(":")[1]));
      expect(offsets).toEqual(Array.from({ length: 35 }, (_, i) => i));
    }
    // Not during the batches, not at the rejoin, not on stop.
    expect(await fx.committed(config.groupId, topic)).toEqual([-1, -1]);
  }, 90_000);
});
