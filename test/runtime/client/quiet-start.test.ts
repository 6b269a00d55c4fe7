/**
 * What a service's log shows when it starts: on a broker that was just started (its group and
 * transaction coordinators still loading, topics created on first publish), a producer and a
 * consumer group that start normally write no warning and no error. A broker answer that is a
 * real error still is one, and a "not yet" that never resolves still fails the call that waited.
 *
 * The broker is this file's own, started fresh: the shared test broker has long finished loading
 * its coordinators, so it cannot show what a service sees after `kafka up` or in a CI job.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaCluster, reapOrphans } from "../../../generator/infra/cluster.ts";
import { stateDir } from "../../../generator/infra/common.ts";
import {
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  defineEvent,
  type Logger,
  producerConfigFromEnv,
} from "../../../runtime/index.ts";
import { freePorts } from "../../faults/cluster.ts";

const parent = join(stateDir, "quiet-start");
let cluster: KafkaCluster;

beforeAll(async () => {
  await reapOrphans(parent);
  const [client = 0, internal = 0, controller = 0] = await freePorts(3);
  cluster = await KafkaCluster.start({
    name: "quiet-start broker",
    dir: join(parent, randomUUID().slice(0, 8)),
    nodes: [{ client, internal, controller }],
    owner: process.pid,
  });
});
afterAll(async () => {
  await cluster?.stop();
});

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly error?: string;
  readonly [key: string]: unknown;
}

/** A real pino logger at debug whose output is kept, parsed, line by line. */
function capturedLog(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

const warnOrWorse = (lines: readonly Line[]) =>
  lines.filter((l) => l.level >= 40).map((l) => `${l.level} ${l.msg} ${l.error ?? ""}`);

function event(topic: string) {
  return defineEvent<{ id: string }, { id: string }, "quiet.started">({
    type: "quiet.started",
    name: "Started",
    topic,
    keyField: "id",
    format: "json",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema: { type: "record", name: "Started", fields: [{ name: "id", type: "string" }] } }],
  });
}

describe("a healthy start on a freshly started broker", () => {
  it("writes no warning and no error; the coordinators' 'not yet' answers are at debug", async () => {
    const { logger, lines } = capturedLog();
    const topic = `quiet-${randomUUID().slice(0, 8)}`;
    const env = { KAFKA_BROKERS: cluster.brokers.join(","), KAFKA_PRODUCER_AUTO_CREATE_TOPICS: "true" };
    const started = event(topic);
    const producer = createProducer(producerConfigFromEnv(topic, env), { logger });
    const consumer = createConsumer(
      { ...consumerConfigFromEnv(topic, `quiet-group-${randomUUID().slice(0, 8)}`, env), startOffset: "oldest" },
      { logger },
    );
    const seen: string[] = [];
    consumer.on(started, (e) => {
      seen.push(e.payload.id);
    });
    try {
      await producer.publishEvent(started, { id: "first" });
      const running = consumer.start();
      await consumer.ready();
      await producer.publishEvent(started, { id: "second" });
      while (seen.length < 2) await new Promise((r) => setTimeout(r, 50));
      await consumer.stop();
      await running;
    } finally {
      await consumer.stop();
      await producer.close();
    }

    expect(seen).toEqual(["first", "second"]);
    expect(warnOrWorse(lines)).toEqual([]);
    expect(lines.some((l) => l.msg.includes("KafkaJS v2.0.0 switched default partitioner") && l.level > 20)).toBe(
      false,
    );
    // The start did meet the cluster settling (else this test would prove nothing): the broker
    // answered "coordinator not available / loading" at least once, and it was written at debug.
    const settling = lines.filter((l) => /coordinator/i.test(l.error ?? ""));
    expect(settling.length).toBeGreaterThan(0);
    expect(settling.every((l) => l.level === 20)).toBe(true);
  });
});

describe("what is not noise", () => {
  it("a broker refusing a record stays an error, and the publish fails", async () => {
    // Random bytes: the producer compresses, and a compressible record would fit.
    const admin = cluster.client("quiet-admin").admin();
    const topic = `quiet-small-${randomUUID().slice(0, 8)}`;
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, configEntries: [{ name: "max.message.bytes", value: "1024" }] }],
      });
    } finally {
      await admin.disconnect();
    }
    const { logger, lines } = capturedLog();
    const producer = createProducer(
      { ...producerConfigFromEnv(topic, { KAFKA_BROKERS: cluster.brokers.join(",") }), maxAttempts: 1 },
      { logger },
    );
    try {
      await expect(producer.publish({ key: "k", value: randomBytes(8 * 1024), headers: {} })).rejects.toThrow(
        /MESSAGE_TOO_LARGE/,
      );
    } finally {
      await producer.close();
    }
    expect(warnOrWorse(lines).some((l) => l.startsWith("50 ") && /larger than the max message size/.test(l))).toBe(
      true,
    );
  });

  it("a topic that never appears fails the publish, naming it, though its 'not yet' answers are at debug", async () => {
    const { logger, lines } = capturedLog();
    const topic = `quiet-missing-${randomUUID().slice(0, 8)}`;
    const producer = createProducer(producerConfigFromEnv(topic, { KAFKA_BROKERS: cluster.brokers.join(",") }), {
      logger,
    });
    try {
      await expect(producer.publish({ key: "k", value: Buffer.from("v"), headers: {} })).rejects.toMatchObject({
        code: "PUBLISH_FAILED",
        message: expect.stringContaining(`topic ${topic} does not exist`),
      });
    } finally {
      await producer.close();
    }
    const notHosted = lines.filter((l) => l.error === "This server does not host this topic-partition");
    expect(notHosted.length).toBeGreaterThan(0);
    expect(notHosted.every((l) => l.level === 20)).toBe(true);
  });
});
