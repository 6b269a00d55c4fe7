/**
 * Group behaviour against the real broker: a consumer process killed with SIGKILL mid-stream, a
 * consumer whose connections are cut mid-stream, a rebalance under load, shutdown with work in
 * flight, and a backoff longer than the session timeout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { newTransientError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { brokers, uniqueName } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";
import { killableKafka } from "./killable.ts";

const fx = new Fixture();
const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await fx.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `consume-child.ts` in a Node process of its own (see that file). */
function consumerProcess(topic: string, group: string, out: string, delayMs: number) {
  const child = spawn(
    process.execPath,
    [
      "--conditions=skeji-source",
      "--import",
      "tsx",
      join(import.meta.dirname, "consume-child.ts"),
      topic,
      group,
      out,
      String(delayMs),
    ],
    {
      cwd: join(import.meta.dirname, "..", "..", ".."),
      env: { ...process.env, KAFKA_BROKERS: brokers().join(",") },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stderr });
    });
  });
  /** Fails the wait at once, with the child's stderr, when the child died on its own. */
  const alive = (): void => {
    if (child.exitCode !== null) throw new Error(`consumer process exited with ${child.exitCode}: ${stderr}`);
  };
  return { child, exited, alive };
}

interface Handled {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** The records a consumer process has handled so far, in its order. */
const handledBy = (file: string): Handled[] =>
  (existsSync(file) ? readFileSync(file, "utf8").split("\n") : [])
    .filter((l) => l !== "")
    .map((l) => {
      const [partition = "", offset = "", ...value] = l.split(":");
      return { partition: Number(partition), offset: Number(offset), value: value.join(":") };
    });

/** The offsets handled from one partition, in order. */
const offsetsOf = (records: readonly Handled[], partition: number): number[] =>
  records.filter((r) => r.partition === partition).map((r) => r.offset);

/** `[from, from + 1, ..., to - 1]` */
const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** True when every key's sequence numbers appear in ascending order (each value is `key#seq`). */
const inKeyOrder = (records: readonly Handled[]): boolean => {
  const last = new Map<string, number>();
  for (const { value } of records) {
    const [key = "", seq = ""] = value.split("#");
    if (Number(seq) <= (last.get(key) ?? -1)) return false;
    last.set(key, Number(seq));
  }
  return true;
};

const keyed = (keys: number, perKey: number) =>
  Array.from({ length: perKey }, (_, seq) => Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, seq }))).flat();

describe("consumer group", () => {
  it("a consumer process killed with SIGKILL mid-stream and a second process in the same group handle every message at least once, in key order", async () => {
    const topic = await fx.topic("sigkill", 3);
    const sent = keyed(6, 20);
    await fx.send(
      topic,
      sent.map((m) => ({ key: m.key, value: `${m.key}#${m.seq}` })),
    );
    const group = uniqueName("group");
    const dir = mkdtempSync(join(tmpdir(), "skeji-sigkill-"));
    const [outA, outB] = [join(dir, "a.log"), join(dir, "b.log")];

    // A handles a record every 40 ms and is killed (no shutdown, no leave-group, no final commit) after 30.
    const a = consumerProcess(topic, group, outA, 40);
    await eventually(
      () => {
        a.alive();
        return handledBy(outA).length >= 30;
      },
      "process A handled 30 records",
      30_000,
    );
    a.child.kill("SIGKILL");
    expect(await a.exited).toMatchObject({ code: null, signal: "SIGKILL" });
    const seenA = handledBy(outA);
    expect(seenA.length).toBeLessThan(sent.length);
    const committedByA = await fx.committed(group, topic);
    const end = await fx.endOffsets(topic);

    // B joins the same group; A's partitions come back to the group once A's 6 s session expires.
    const b = consumerProcess(topic, group, outB, 0);
    await eventually(
      async () => {
        b.alive();
        return JSON.stringify(await fx.committed(group, topic)) === JSON.stringify(end);
      },
      "everything committed by process B",
      40_000,
    );
    b.child.kill("SIGTERM");
    expect(await b.exited).toEqual({ code: 0, signal: null, stderr: "" });
    const seenB = handledBy(outB);

    const values = (records: readonly Handled[]) => records.map((r) => r.value);
    expect([...new Set([...values(seenA), ...values(seenB)])].sort()).toEqual(
      sent.map((m) => `${m.key}#${m.seq}`).sort(),
    );
    for (const [partition, endOffset] of end.entries()) {
      // A read each partition from its start, in order, until it died.
      const byA = offsetsOf(seenA, partition);
      expect(byA).toEqual(range(0, byA.length));
      // B resumed at A's last commit: not before it, and not after the first record A had not
      // handled (so a record handled but not committed is handled again); then read to the end.
      const byB = offsetsOf(seenB, partition);
      const resumedAt = byB[0] ?? endOffset;
      expect(resumedAt).toBeGreaterThanOrEqual(Math.max(0, committedByA[partition] ?? 0));
      expect(resumedAt).toBeLessThanOrEqual(byA.length);
      expect(byB).toEqual(range(resumedAt, endOffset));
    }
    expect(inKeyOrder(seenA)).toBe(true);
    expect(inKeyOrder(seenB)).toBe(true);
    expect(await fx.committed(group, topic)).toEqual(end);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  // A connection loss without a process death: the process lives on (its handler frozen, its
  // client unable to reach the cluster) and must not commit anything more, while a replacement in
  // the same group takes its partitions over.
  it("a consumer whose connections are cut mid-stream and a replacement in the same group process every message at least once", async () => {
    const topic = await fx.topic("kill", 3);
    const sent = keyed(6, 10);
    await fx.send(
      topic,
      sent.map((m) => ({ key: m.key, value: `${m.key}#${m.seq}` })),
    );
    const config = testConfig(topic, { rebalanceTimeoutMs: 10_000 });
    const { kafka, kill } = killableKafka();
    const seenA: string[] = [];
    const a = createConsumer(config, { kafka, logger: silentLogger, shutdownTimeoutMs: 100 }).handle(
      async (_ctx, m) => {
        seenA.push(String(m.value));
        await sleep(20);
        if (seenA.length >= 20) await new Promise(() => {}); // frozen, like a process about to die
      },
    );
    const runningA = a.start().catch(() => {});
    await eventually(() => seenA.length >= 20, "A handled 20");
    kill();

    const seenB: string[] = [];
    const b = createConsumer(config, { logger: silentLogger }).handle((_ctx, m) => {
      seenB.push(String(m.value));
    });
    const runningB = b.start();
    const end = await fx.endOffsets(topic);
    await eventually(
      async () => JSON.stringify(await fx.committed(config.groupId, topic)) === JSON.stringify(end),
      "everything committed by B",
      40_000,
    );
    await b.stop();
    await runningB;
    await a.stop();
    await runningA;

    const all = new Set([...seenA, ...seenB]);
    expect([...all].sort()).toEqual(sent.map((m) => `${m.key}#${m.seq}`).sort());
    // B redelivered what A had not committed, so B saw more than the remainder alone.
    expect(seenB.length).toBeGreaterThanOrEqual(sent.length - seenA.length);
    for (const key of new Set(sent.map((m) => m.key))) {
      const seqs = seenB.filter((v) => v.startsWith(`${key}#`)).map((v) => Number(v.split("#")[1]));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  }, 60_000);

  it("two consumers with a rebalance under load lose nothing and keep per-key order", async () => {
    const topic = await fx.topic("rebalance", 4);
    const config = testConfig(topic, { rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 6_000 });
    const seen: Record<string, string[]> = { a: [], b: [] };
    const make = (name: "a" | "b") =>
      createConsumer(config, { logger: silentLogger, partitionsConsumedConcurrently: 2 }).handle(async (_ctx, m) => {
        seen[name]?.push(String(m.value));
        await sleep(5);
      });
    const a = make("a");
    const runningA = a.start();
    await a.ready();
    const sent = keyed(12, 50);
    const producing = (async () => {
      for (let i = 0; i < sent.length; i += 30) {
        await fx.send(
          topic,
          sent.slice(i, i + 30).map((m) => ({ key: m.key, value: `${m.key}#${m.seq}` })),
        );
        await sleep(30);
      }
    })();
    await eventually(() => (seen.a?.length ?? 0) >= 60, "A under load");
    const joins: string[] = [];
    const b = createConsumer(config, {
      logger: silentLogger,
      observer: { onGroupJoin: (j) => joins.push(Object.values(j.assignment).flat().join(",")) },
    }).handle(async (_ctx, m) => {
      seen.b?.push(String(m.value));
      await sleep(5);
    });
    const runningB = b.start();
    await producing;
    const end = await fx.endOffsets(topic);
    await eventually(
      async () => JSON.stringify(await fx.committed(config.groupId, topic)) === JSON.stringify(end),
      "everything committed",
      40_000,
    );
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([runningA, runningB]);

    expect(joins.length).toBeGreaterThanOrEqual(1);
    expect(seen.b?.length).toBeGreaterThan(0);
    const union = new Set([...(seen.a ?? []), ...(seen.b ?? [])]);
    expect([...union].sort()).toEqual(sent.map((m) => `${m.key}#${m.seq}`).sort());
    for (const name of ["a", "b"] as const) {
      for (let k = 0; k < 12; k++) {
        const seqs = (seen[name] ?? []).filter((v) => v.startsWith(`key-${k}#`)).map((v) => Number(v.split("#")[1]));
        // Within one consumer a key's messages arrive in publish order.
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      }
    }
  }, 60_000);

  it("shutdown lets the in-flight handler finish and commits it; a handler past the grace period is aborted and not committed", async () => {
    const topic = await fx.topic("shutdown");
    await fx.send(topic, [
      { key: "k", value: "slow" },
      { key: "k", value: "stuck" },
    ]);
    const config = testConfig(topic);
    let started!: () => void;
    const slowStarted = new Promise<void>((r) => {
      started = r;
    });
    let finishedSlow = false;
    const c1 = createConsumer(config, { logger: silentLogger }).handle(async (_ctx, m) => {
      if (String(m.value) !== "slow") throw new Error("only the slow one should run");
      started();
      await sleep(1_500);
      finishedSlow = true;
    });
    const running1 = c1.start();
    await slowStarted;
    await c1.stop();
    await running1;
    expect(finishedSlow).toBe(true);
    expect(await fx.committed(config.groupId, topic)).toEqual([1]);

    let abortedSeen = false;
    const c2 = createConsumer(config, { logger: silentLogger, shutdownTimeoutMs: 300 }).handle(
      (ctx, _m) =>
        new Promise<void>((resolve) => {
          started();
          ctx.signal.addEventListener("abort", () => {
            abortedSeen = true;
            setTimeout(resolve, 1_000);
          });
        }),
    );
    const stuckStarted = new Promise<void>((r) => {
      started = r;
    });
    const running2 = c2.start();
    await stuckStarted;
    await c2.stop();
    await running2;
    expect(abortedSeen).toBe(true);
    expect(await fx.committed(config.groupId, topic)).toEqual([1]);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
  });

  it("a transient backoff longer than the session timeout causes no rebalance", async () => {
    const topic = await fx.topic("backoff");
    await fx.send(topic, [{ key: "k", value: "flaky" }]);
    const config = testConfig(topic, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxRetries: 1 });
    const joins: string[] = [];
    let attempts = 0;
    const consumer = createConsumer(config, {
      logger: silentLogger,
      retry: { initialDelayMs: 9_000, jitter: 0 },
      observer: { onGroupJoin: (j) => joins.push(j.memberId) },
    }).handle((ctx) => {
      attempts = ctx.attempt;
      if (ctx.attempt === 1) throw newTransientError("database connection failed");
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "committed after the retry");
    const [group] = (await fx.admin.describeGroups([config.groupId])).groups;
    await consumer.stop();
    await running;
    expect(attempts).toBe(2);
    // One join, and the same member still in the group: the broker never evicted it.
    expect(joins).toHaveLength(1);
    expect(group?.members.map((m) => m.memberId)).toEqual(joins);
  }, 40_000);
});
