/**
 * A handler that outlives the rebalance timeout while another member joins: the group moves on
 * without the slow member and hands its partitions to the newcomer. The slow member must then
 * stop: no further handler call and no commit for the partitions it lost, until it has joined
 * the group again - two processes must never work one partition at once.
 *
 * Member A (a process of its own) blocks in one handler call until member B (another process)
 * has handled a record of the same partition, so the partition has provably changed hands while
 * A was blocked. `busy` spins the CPU (A's event loop never turns: no timer, no heartbeat);
 * `async` awaits timers (A's heartbeats are answered "rebalance in progress", then "unknown
 * member"). Both partitions' records are fetched before A blocks, so A also holds a fetched batch
 * of the other partition it must not start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueName } from "../infra/env.ts";
import { eventually, Fixture } from "../runtime/consumer/helpers.ts";
import {
  type ChildEvent,
  handled,
  killAllConsumerProcesses,
  readChildLog,
  startConsumerProcess,
} from "./consumer-process.ts";
import { recordScenario } from "./report.ts";

const fx = new Fixture();
afterAll(async () => {
  killAllConsumerProcesses();
  await fx.close();
});

const perPartition = 30;
const timeouts = { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 3_000, heartbeatIntervalMs: 500 };

describe("consumer fencing", () => {
  for (const mode of ["busy", "async"] as const) {
    it(`a member whose handler ${mode === "busy" ? "blocks the event loop" : "awaits"} past the rebalance timeout while another joins handles and commits nothing more of the partitions it lost`, async () => {
      const topic = await fx.topic("fencing", 2, false);
      const sent = [0, 1].flatMap((p) =>
        Array.from({ length: perPartition }, (_, i) => ({ partition: p, key: `k${p}-${i % 3}`, value: `p${p}-${i}` })),
      );
      await fx.send(topic, sent);
      const group = uniqueName("group");
      const dir = mkdtempSync(join(tmpdir(), "skeji-fencing-"));
      const [logA, logB] = [join(dir, "a.log"), join(dir, "b.log")];

      // A handles a few records (a commit or two go out), then blocks on the 8th.
      const a = startConsumerProcess({
        topic,
        group,
        log: logA,
        delayMs: 30,
        block: { at: 8, mode, until: logB },
        ...timeouts,
      });
      await eventually(
        () => {
          a.alive();
          return readChildLog(logA).some((e) => e.ev === "blocked");
        },
        "A blocked",
        30_000,
      );
      const b = startConsumerProcess({ topic, group, log: logB, ...timeouts });
      const end = await fx.endOffsets(topic);
      await eventually(
        async () => {
          a.alive();
          b.alive();
          return JSON.stringify(await fx.committed(group, topic)) === JSON.stringify(end);
        },
        "everything committed",
        60_000,
      );
      a.child.kill("SIGTERM");
      b.child.kill("SIGTERM");
      expect((await a.exited).code).toBe(0);
      expect((await b.exited).code).toBe(0);

      const eventsA = readChildLog(logA);
      const eventsB = readChildLog(logB);
      const blocked = eventsA.find((e): e is Extract<ChildEvent, { ev: "blocked" }> => e.ev === "blocked");
      const unblockedAt = eventsA.findIndex((e) => e.ev === "unblocked");
      expect(blocked).toBeDefined();
      expect(unblockedAt).toBeGreaterThan(0);
      const rejoinedAt = eventsA.findIndex((e, i) => i > unblockedAt && e.ev === "join");
      const [firstJoin] = eventsA.filter((e) => e.ev === "join");
      const rejoin = eventsA[rejoinedAt];
      // The scenario happened: A was evicted (it came back as a new member) and B had handled a
      // record of A's partition before A's handler returned.
      expect(rejoin?.ev === "join" && firstJoin?.ev === "join" && rejoin.member !== firstJoin.member).toBe(true);
      expect(handled(eventsB).some((e) => e.p === blocked?.p)).toBe(true);

      // The fence: between the end of the blocking call and A's next join, no handler call and
      // no commit, for any partition.
      const zombie = eventsA.slice(unblockedAt + 1, rejoinedAt);
      expect(zombie.filter((e) => e.ev === "handle" || e.ev === "commit")).toEqual([]);

      // Every record handled at least once by the group; B took A's partition over from A's last
      // commit, which is not past the record A was blocked on.
      const seen = [...handled(eventsA), ...handled(eventsB)];
      const unique = new Set(seen.map((e) => e.v));
      const lost = sent.filter((m) => !unique.has(m.value));
      expect(lost).toEqual([]);
      const firstByB = handled(eventsB).find((e) => e.p === blocked?.p);
      expect(Number(firstByB?.o)).toBeLessThanOrEqual(Number(blocked?.o));
      expect(await fx.committed(group, topic)).toEqual(end);

      recordScenario({
        scenario: `consumer: handler ${mode === "busy" ? "blocks the event loop" : "awaits"} past the rebalance timeout while a member joins`,
        published: sent.length,
        acknowledged: sent.length,
        lost: lost.length,
        duplicated: seen.length - unique.size,
        deadLettered: 0,
        ambiguous: 0,
        notes:
          "the evicted member handled and committed nothing after its blocking call until it rejoined; " +
          "duplicates: records the evicted member handled after its last commit, handled again by the new owner",
      });
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);
  }
});
