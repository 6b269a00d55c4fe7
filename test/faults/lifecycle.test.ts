/**
 * Fault scenarios of the client's lifecycle, end to end in processes of their own:
 *
 * - a producer and a consumer pointed at an endpoint that accepts TCP and never answers (a load
 *   balancer without a backend), at an HTTP port, at a refused port, and at a broker that stalls
 *   once connected (a proxy that swallows Metadata requests). Each must fail with an error that
 *   says so - the first two within the connection timeout per attempt, though the request
 *   timeout is 10 minutes - and its process must end by itself after close() / stop(): a pod
 *   crash-loops instead of hanging;
 * - a consumer of a topic that does not exist, on a broker that auto-creates topics, started
 *   twice (a crash loop): both starts fail naming the topic, and the topic is never created.
 *
 * One row per scenario in docs/reliability.md; nothing is acknowledged, so nothing can be lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers, uniqueName } from "../infra/env.ts";
import {
  type ChildOutcome,
  type Endpoint,
  httpEndpoint,
  refusedEndpoint,
  runLifecycleChild,
  silentEndpoint,
  stallingProxy,
} from "../runtime/client/endpoints.ts";
import { Fixture } from "../runtime/consumer/helpers.ts";
import { recordScenario } from "./report.ts";

const deadlineMs = 60_000;
const timeout = deadlineMs * 2 + 30_000;
const timeouts = { KAFKA_CONNECTION_TIMEOUT: "500ms", KAFKA_REQUEST_TIMEOUT: "10m" };
const metadataApiKey = 3;

const endpoints: Record<string, Endpoint> = {};
const fx = new Fixture();
beforeAll(async () => {
  endpoints.silent = await silentEndpoint();
  endpoints.http = await httpEndpoint();
  endpoints.refused = await refusedEndpoint();
  endpoints.stalled = await stallingProxy(brokers()[0] as string, [metadataApiKey]);
});
afterAll(async () => {
  for (const e of Object.values(endpoints)) await e.close();
  await fx.close();
});

const run = (role: "producer" | "consumer", topic: string, env: Record<string, string>): Promise<ChildOutcome> =>
  runLifecycleChild(role, topic, env, deadlineMs);

/** How long the child's publish or start took to fail, and whether its process then ended (for the notes). */
function ending(child: ChildOutcome, closing: string): string {
  const seconds = (Number(child.lines[0]?.elapsedMs) / 1000).toFixed(1);
  return child.exitedByItself
    ? `failed after ${seconds} s; the process ended by itself after ${closing}`
    : `the process was still running after ${deadlineMs / 1000} s and was killed`;
}

const connectAttempts =
  "connection timeout 500 ms, request timeout 10 min; the producer connects 3 times, the consumer 6, with backoff";
// [endpoint, what it is, settings, what the error must say, what the timing means]
const cases: [string, string, Record<string, string>, string, string][] = [
  [
    "silent",
    "endpoint accepts TCP, never answers",
    timeouts,
    "did not answer as a Kafka broker within 500 ms",
    connectAttempts,
  ],
  ["http", "HTTP port", timeouts, "did not answer as a Kafka broker (it answered with HTTP)", connectAttempts],
  ["refused", "connection refused", timeouts, "ECONNREFUSED", connectAttempts],
  [
    "stalled",
    "broker stalls once connected",
    { ...timeouts, KAFKA_REQUEST_TIMEOUT: "1s" },
    "timed out",
    "a proxy to the broker swallows Metadata requests; request timeout 1 s",
  ],
];

describe.concurrent("lifecycle", () => {
  it.each(cases)(
    "producer, %s endpoint: fails, closes, its process ends",
    { timeout },
    async (kind, what, env, says, how) => {
      const child = await run("producer", "lifecycle", {
        KAFKA_BROKERS: (endpoints[kind] as Endpoint).address,
        ...env,
      });
      const [outcome] = child.lines;
      const acknowledged = outcome?.ok === true ? 1 : 0;
      recordScenario({
        scenario: `lifecycle: producer, ${what}`,
        published: 1,
        acknowledged,
        lost: acknowledged, // nothing behind the endpoint could have written it
        duplicated: 0,
        deadLettered: 0,
        ambiguous: 0,
        notes: `publish rejected with ${String(outcome?.code)} ("${says}"), ${ending(child, "close()")}; ${how}`,
      });
      expect(child.exitedByItself, child.stderr).toBe(true);
      expect(outcome).toMatchObject({ ok: false, code: "CONNECTION_FAILED" });
      expect(outcome?.message).toContain(says);
    },
  );

  it.each(cases)(
    "consumer, %s endpoint: fails to start, stops, its process ends",
    { timeout },
    async (kind, what, env, says, how) => {
      const child = await run("consumer", "lifecycle", {
        KAFKA_BROKERS: (endpoints[kind] as Endpoint).address,
        ...env,
      });
      const [outcome] = child.lines;
      const cause = outcome?.causeCode === undefined ? "" : ` (cause ${String(outcome.causeCode)})`;
      recordScenario({
        scenario: `lifecycle: consumer, ${what}`,
        published: 0,
        acknowledged: 0,
        lost: 0,
        duplicated: 0,
        deadLettered: 0,
        ambiguous: 0,
        notes: `start() rejected with ${String(outcome?.code)}${cause} ("${says}"), ${ending(child, "stop()")}; ${how}`,
      });
      expect(child.exitedByItself, child.stderr).toBe(true);
      expect(outcome).toMatchObject({ ok: false, code: "CONSUMER_START_FAILED" });
      expect(outcome?.message).toContain(says);
    },
  );

  it("consumer of a missing topic on an auto-creating broker, restarted: never creates it", { timeout }, async () => {
    const topic = uniqueName("lifecycle-missing");
    const env = { KAFKA_BROKERS: brokers().join(",") };
    const first = await run("consumer", topic, env);
    // The restart of a crash loop comes a little later; an auto-created topic would exist by then.
    await new Promise((r) => setTimeout(r, 1_000));
    const second = await run("consumer", topic, env);
    await fx.admin.connect();
    const created = (await fx.admin.listTopics()).includes(topic);
    const ended = first.exitedByItself && second.exitedByItself;
    recordScenario({
      scenario: "lifecycle: consumer of a missing topic, restarted (broker auto-creates topics)",
      published: 0,
      acknowledged: 0,
      lost: 0,
      duplicated: 0,
      deadLettered: 0,
      ambiguous: 0,
      notes:
        `both starts rejected with ${[first, second].map((c) => String(c.lines[0]?.code)).join(" / ")} naming the topic; ` +
        `afterwards the topic ${created ? "EXISTS (auto-created)" : "still does not exist"} (auto.create.topics.enable=true); ` +
        `both processes ${ended ? "ended by themselves" : "did NOT end by themselves"}`,
    });
    for (const [i, child] of [first, second].entries()) {
      expect(child.exitedByItself, `start ${i + 1}: ${child.stderr}`).toBe(true);
      expect(child.lines[0], `start ${i + 1}`).toMatchObject({
        ok: false,
        code: "CONSUMER_START_FAILED",
        missingTopics: [topic],
      });
      expect(child.lines[0]?.message).toContain(`topic ${topic} does not exist`);
    }
    expect(created, `the broker created ${topic}`).toBe(false);
  });
});
