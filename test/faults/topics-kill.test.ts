/**
 * `ensureTopics()` (and `skeji-gen topics apply`, which runs it) against a broker SIGKILLed while
 * it creates the topics. Three brokers; the broker the creation requests go to dies as its first
 * answer leaves, so some topics are created and answered, some created without an answer, some
 * never created; then a run while it is still down. Claim: ensureTopics either succeeds with every
 * topic usable (every partition led by a live broker), or fails with TOPIC_CREATE_FAILED naming
 * each topic it did not make usable, whether it exists, and the ones it did make usable - never
 * success for a topic that cannot be used. Once the broker is back, a run makes every topic usable
 * and the next changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientConfigFromEnv,
  type EnsureTopicsResult,
  ensureTopics,
  isSkejiError,
  type Logger,
  type SkejiError,
  silentLogger,
} from "../../runtime/index.ts";
import { uniqueName } from "../infra/env.ts";
import { FaultCluster } from "./cluster.ts";
import { recordScenario } from "./report.ts";
import { eventually } from "./support.ts";

let fc: FaultCluster;
beforeAll(async () => {
  fc = await FaultCluster.start(3, "topics-kill");
});
afterAll(() => fc?.stop());

const CreateTopics = 19;

interface Usable {
  readonly partitions: number;
  /** Partitions whose leader is missing or a broker that is not alive. */
  readonly unled: number;
}

/** Each topic as the surviving brokers see it: its partitions, and how many have no live leader. */
async function observe(topics: readonly string[], alive: readonly number[]): Promise<Map<string, Usable>> {
  const admin = fc.kafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    const out = new Map<string, Usable>();
    if (present.length === 0) return out;
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: present });
    for (const t of meta) {
      out.set(t.name, {
        partitions: t.partitions.length,
        unled: t.partitions.filter((p) => !alive.includes(p.leader)).length,
      });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** A logger that keeps the warnings: what ensureTopics went through. */
function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (_obj, msg) => {
      warnings.push(msg ?? "");
    },
    child: () => logger,
  };
  return { logger, warnings };
}

type Outcome = { result: EnsureTopicsResult; error: undefined } | { result: undefined; error: SkejiError };

function settle(run: Promise<EnsureTopicsResult>): Promise<Outcome> {
  return run.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error: error as SkejiError }),
  );
}

interface FailureDetails {
  topics: string[];
  created: string[];
  notCreated: string[];
  unusable: string[];
  unknown: string[];
}

/**
 * The claim, against what the live brokers hold: on success every topic is usable; on failure each
 * topic is usable or named as failed, what is said not created does not exist, and what is said
 * created is usable.
 */
function judge(outcome: Outcome, names: readonly string[], seen: Map<string, Usable>): string[] {
  const usable = names.filter((t) => seen.get(t)?.partitions === 3 && seen.get(t)?.unled === 0);
  const detail = `${outcome.error?.message ?? `created ${JSON.stringify(outcome.result?.created)}`}\n${JSON.stringify([...seen])}`;
  if (outcome.error === undefined) {
    expect(usable, detail).toEqual(names);
    return usable;
  }
  expect(isSkejiError(outcome.error, "TOPIC_CREATE_FAILED"), detail).toBe(true);
  const d = outcome.error.details as unknown as FailureDetails;
  const accounted = [...d.notCreated, ...d.unusable, ...d.unknown];
  for (const t of d.topics) {
    expect(accounted, detail).toContain(t);
    expect(outcome.error.message, detail).toContain(t);
  }
  for (const t of names.filter((n) => !usable.includes(n))) expect(accounted, detail).toContain(t);
  for (const t of d.created) expect(usable, detail).toContain(t);
  for (const t of d.notCreated) expect(seen.has(t), detail).toBe(false);
  return usable;
}

/** Brokers the cluster counts as alive (a killed one until it is fenced). */
async function liveBrokers(): Promise<number> {
  const admin = fc.kafka().admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect();
  }
}

const clientConfig = () =>
  clientConfigFromEnv({ KAFKA_BROKERS: fc.brokers.join(","), KAFKA_CLIENT_ID: "faults-topics" });

describe("ensureTopics when the answer to a creation is lost", () => {
  it("finds each topic created, reports it created and usable; the next run creates nothing", async () => {
    const prefix = uniqueName("answer");
    const specs = Array.from({ length: 3 }, (_, i) => ({
      topic: `${prefix}-${i}`,
      partitions: 3,
      replicationFactor: 3,
    }));
    const names = specs.map((t) => t.topic);
    // Whichever broker the creations go to: it carries each out, and the answer is lost (the connection cut).
    const drops = [1, 2, 3].map((node) =>
      fc.proxy(node).dropResponses({ apiKey: CreateTopics, count: Number.POSITIVE_INFINITY }),
    );
    const rec = recorder();
    const outcome = await settle(ensureTopics(clientConfig(), specs, { logger: rec.logger, timeoutMs: 8000 }));
    for (const drop of drops) drop.stop();
    const dropped = drops.reduce((n, d) => n + d.dropped, 0);
    const found = rec.warnings.filter((w) => w.includes("got no answer, but it exists")).length;

    judge(outcome, names, await observe(names, [1, 2, 3]));
    expect(outcome.error?.message).toBeUndefined();
    expect([...(outcome.result?.created ?? [])].sort()).toEqual([...names].sort());
    // Answers to requests on the connection a drop cuts are lost with it, uncounted.
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(found).toBe(3);
    const again = await ensureTopics(clientConfig(), specs, { logger: silentLogger });
    expect(again.created).toEqual([]);
    expect(again.drifted).toEqual([]);
    recordScenario({
      scenario: "topics: the answer to every creation lost",
      published: 0,
      acknowledged: 0,
      lost: 0,
      duplicated: 0,
      deadLettered: 0,
      ambiguous: 0,
      notes: `Three brokers; ensureTopics of 3 topics (replication factor 3, 3 partitions) while the proxies lose every CreateTopics answer and cut the connection (${dropped} answers dropped, those of the other requests on a cut connection lost with it). Each topic was found created after its lost answer (${found} of 3) and reported created and usable; the next run created nothing and found no drift.`,
    });
  });
});

describe("ensureTopics with a broker SIGKILLed during creation", () => {
  it("succeeds only with every topic usable, else names what it did not make usable; idempotent once the broker is back", async () => {
    const prefix = uniqueName("ensure");
    // Replication factor 3 (needs three live brokers to be created, survives one once created) and 2.
    const batch = (name: string, count: number) => [
      ...Array.from({ length: count }, (_, i) => ({
        topic: `${prefix}-${name}-rf3-${i}`,
        partitions: 3,
        replicationFactor: 3,
      })),
      ...Array.from({ length: count }, (_, i) => ({
        topic: `${prefix}-${name}-rf2-${i}`,
        partitions: 3,
        replicationFactor: 2,
      })),
    ];
    const during = batch("during", 4);
    const after = batch("after", 2);
    const config = clientConfig();

    // The broker that answers the first creation request dies as that answer leaves.
    let killed: number | undefined;
    let killing: Promise<void> | undefined;
    const requests = new Set<string>();
    const stops = [1, 2, 3].flatMap((node) => [
      fc.proxy(node).onRequest((r) => {
        if (r.apiKey === CreateTopics) requests.add(`${node}:${r.connection}:${r.correlationId}`);
      }),
      fc.proxy(node).onResponse((r) => {
        if (!requests.has(`${node}:${r.connection}:${r.correlationId}`) || killed !== undefined) return;
        killed = node;
        killing = fc.kill(node);
      }),
    ]);
    const first = recorder();
    const duringOutcome = await settle(ensureTopics(config, during, { logger: first.logger, timeoutMs: 8000 }));
    for (const stop of stops) stop();
    await killing;
    expect(killed, "a creation request was answered").toBeDefined();
    const alive = [1, 2, 3].filter((n) => n !== killed);
    const duringNames = during.map((t) => t.topic);
    const duringUsable = judge(duringOutcome, duringNames, await observe(duringNames, alive));

    // Still down, and known to be (fenced): three replicas cannot be placed.
    await eventually(async () => (await liveBrokers()) === 2, "the cluster fences the killed broker", 20_000);
    const second = recorder();
    const afterOutcome = await settle(ensureTopics(config, after, { logger: second.logger, timeoutMs: 5000 }));
    const afterNames = after.map((t) => t.topic);
    judge(afterOutcome, afterNames, await observe(afterNames, alive));
    expect(afterOutcome.error?.code).toBe("TOPIC_CREATE_FAILED");
    const afterDetails = afterOutcome.error?.details as unknown as FailureDetails;
    // Refused before anything is created: the replication factor 3 topics named, none created.
    expect(afterDetails.topics.sort()).toEqual(afterNames.filter((t) => t.includes("-rf3-")).sort());
    expect(afterDetails.notCreated.sort()).toEqual([...afterNames].sort());
    expect(afterDetails.created).toEqual([]);

    // The broker back: a run makes every topic usable, the next one changes nothing.
    await fc.restart(killed as number);
    const specs = [...during, ...after];
    const names = specs.map((t) => t.topic);
    const again = await ensureTopics(config, specs, { logger: silentLogger, timeoutMs: 15_000 });
    const all = await observe(names, [1, 2, 3]);
    expect(
      names.filter((t) => all.get(t)?.partitions !== 3 || all.get(t)?.unled !== 0),
      JSON.stringify([...all]),
    ).toEqual([]);
    const last = await ensureTopics(config, specs, { logger: silentLogger });
    expect(last.created).toEqual([]);
    expect(last.drifted).toEqual([]);

    const lostAnswers = first.warnings.filter((w) => w.includes("got no answer, but it exists")).length;
    const retried = first.warnings.filter((w) => w.includes("trying again")).length;
    recordScenario({
      scenario: "topics: the broker creating them SIGKILLed, then a run while it is down",
      published: 0,
      acknowledged: 0,
      lost: 0,
      duplicated: 0,
      deadLettered: 0,
      ambiguous: 0,
      notes: `Three brokers; ensureTopics of 8 topics (4 with replication factor 3, 4 with 2; 3 partitions each); node ${killed}, which the creation requests went to, is SIGKILLed as its first answer leaves. That run ${duringOutcome.error === undefined ? "succeeded" : `failed with ${duringOutcome.error.code}`}: ${duringUsable.length} of 8 usable (every partition led by a broker that answers), ${lostAnswers} creation(s) whose answer was lost found carried out, ${retried} sent again. A run of 4 more while the node is down and fenced fails with TOPIC_CREATE_FAILED before creating anything, naming the 2 with replication factor 3 (3 replicas, 2 live brokers). With the node back, one run makes all 12 usable (created ${again.created.length}), the next creates nothing and finds no drift.`,
    });
  });
});
