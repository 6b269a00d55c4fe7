/**
 * Consumer fencing against the real broker: a member whose handler blocks the event loop past
 * the rebalance timeout, while another member (a process of its own) takes its partitions over,
 * then fails. The failed record must be neither retried nor dead-lettered by the member that lost
 * it, and no further record of its fetched batches handled, until it has joined the group again:
 * the new owner handles the record (and dead-letters it, if it must).
 *
 * The scenario with the blocked member in a process of its own, busy and awaiting, is in the
 * fault suite (test/faults/consumer-fencing.test.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import type { MessageOutcome } from "../../../runtime/consumer/types.ts";
import { newPermanentError, newTransientError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import {
  handled,
  killAllConsumerProcesses,
  readChildLog,
  startConsumerProcess,
} from "../../faults/consumer-process.ts";
import { eventually, Fixture, kafka, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(async () => {
  killAllConsumerProcesses();
  await fx.close();
});

const timeouts = { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 3_000, heartbeatIntervalMs: 500 };

describe("consumer fencing", () => {
  for (const failure of ["permanent", "transient"] as const) {
    it(`a member that lost its partitions while its handler blocked the event loop neither ${failure === "permanent" ? "dead-letters" : "retries"} the ${failure} failure nor handles another record until it rejoins`, async () => {
      const topic = await fx.topic("fenced", 2);
      const sent = [0, 1].flatMap((p) =>
        Array.from({ length: 20 }, (_, i) => ({ partition: p, key: `k${p}`, value: `p${p}-${i}` })),
      );
      await fx.send(topic, sent);
      const config = testConfig(topic, { ...timeouts, maxRetries: 2 });
      const dir = mkdtempSync(join(tmpdir(), "skeji-fenced-"));
      const logB = join(dir, "b.log");

      // What A does, in its order; its successful commits come from its kafkajs consumer.
      const events: { ev: string; p?: number; o?: string; attempt?: number; outcome?: MessageOutcome }[] = [];
      const kafkaA = kafka();
      const makeConsumer = kafkaA.consumer.bind(kafkaA);
      kafkaA.consumer = (c) => {
        const consumer = makeConsumer(c);
        consumer.on(consumer.events.COMMIT_OFFSETS, () => events.push({ ev: "commit" }));
        return consumer;
      };
      let calls = 0;
      let b: ReturnType<typeof startConsumerProcess> | undefined;
      const a = createConsumer(config, {
        kafka: kafkaA,
        logger: silentLogger,
        retry: { initialDelayMs: 10, jitter: 0 },
        observer: {
          onGroupJoin: () => events.push({ ev: "join" }),
          onOutcome: (o) =>
            events.push({ ev: "outcome", p: o.message.partition, o: o.message.offset, outcome: o.outcome }),
        },
      }).handle(async (ctx, m) => {
        events.push({ ev: "handle", p: m.partition, o: m.offset, attempt: ctx.attempt });
        if (++calls !== 5) return;
        // B starts now; this call does not yield until B has handled a record of this partition.
        b = startConsumerProcess({ topic, group: config.groupId, log: logB, ...timeouts });
        while (!handled(readChildLog(logB)).some((e) => e.p === m.partition)) {
          const until = Date.now() + 20;
          while (Date.now() < until); // spin: no timer, no socket read, no heartbeat
        }
        events.push({ ev: "unblocked", p: m.partition, o: m.offset });
        throw failure === "permanent" ? newPermanentError("cannot be handled") : newTransientError("try again");
      });
      const runningA = a.start();
      const end = await fx.endOffsets(topic);
      await eventually(
        async () => {
          b?.alive();
          return JSON.stringify(await fx.committed(config.groupId, topic)) === JSON.stringify(end);
        },
        "everything committed",
        60_000,
      );
      await a.stop();
      await runningA;
      b?.child.kill("SIGTERM");
      expect((await b?.exited)?.code).toBe(0);

      const unblockedAt = events.findIndex((e) => e.ev === "unblocked");
      const rejoinedAt = events.findIndex((e, i) => i > unblockedAt && e.ev === "join");
      expect(unblockedAt).toBeGreaterThan(0);
      const blocked = events[unblockedAt];
      // Between the failed call and A's next join: the failed record abandoned, nothing else.
      expect(events.slice(unblockedAt + 1, rejoinedAt < 0 ? undefined : rejoinedAt)).toEqual([
        { ev: "outcome", p: blocked?.p, o: blocked?.o, outcome: "abandoned" },
      ]);
      // The new owner handled the record A failed on (it is B's to retry or dead-letter); the
      // group handled every record; A dead-lettered nothing.
      const byB = handled(readChildLog(logB));
      expect(byB.some((e) => e.p === blocked?.p && e.o === blocked?.o)).toBe(true);
      const seen = new Set([
        ...byB.map((e) => e.v),
        ...events.filter((e) => e.ev === "handle").map((e) => `p${e.p}-${e.o}`),
      ]);
      expect(sent.filter((m) => !seen.has(m.value))).toEqual([]);
      expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);
  }
});
