/**
 * A record that goes round DLQ -> `skeji-gen dlq replay` -> DLQ keeps counting its retries,
 * against the real broker: the SDK's consumer gives up after its retries, the replay sends the
 * record back with the dead letter's count + 1, and when it fails again its new dead letter
 * carries that count plus the retries made, while the handler saw the received header and
 * attempts counted from 1.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { dlqCommand } from "../../generator/dlq/command.ts";
import { loadDlqProject } from "../../generator/dlq/project.ts";
import * as runtime from "../../runtime/index.ts";
import { runCommand } from "../check/helpers.ts";
import { brokers, uniqueName } from "../infra/env.ts";
import { eventually } from "../runtime/consumer/helpers.ts";

const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const orders = uniqueName("dlqc-orders");
const dlq = uniqueName("dlqc-dlq");
const env = { KAFKA_BROKERS: brokers().join(","), KAFKA_SCHEMA_TOPIC: "none" };
let root: string;
let placed: runtime.AnyEventDescriptor;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "skeji-dlqc-"));
  mkdirSync(join(root, "schemas", "test.dlqc.placed"), { recursive: true });
  const schema = { type: "record", name: "Placed", namespace: "test.dlqc", fields: [{ name: "id", type: "string" }] };
  writeFileSync(join(root, "schemas", "test.dlqc.placed", "v1.avsc"), JSON.stringify(schema));
  const manifest = {
    defaults: { partitions: 1, replicationFactor: 1 },
    topics: { [orders]: { dlq, format: "json", events: { "test.dlqc.placed": { key: "id" } } } },
  };
  writeFileSync(join(root, "schemas", "manifest.json"), JSON.stringify(manifest));
  placed = loadDlqProject(runtime, join(root, "schemas"), undefined, root).events[0] as runtime.AnyEventDescriptor;
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [orders, dlq].map((topic) => ({ topic, numPartitions: 1 })),
  });
});
afterAll(async () => {
  await admin.disconnect();
});

const endOffset = async (topic: string) => Number((await admin.fetchTopicOffsets(topic))[0]?.high);

const group = uniqueName("dlqc-service");

/** The service, whose handler always fails transiently, with one retry, until `dlqEnd` dead letters exist. */
async function runFailingService(dlqEnd: number): Promise<{ attempt: number; retryCount: string | undefined }[]> {
  const seen: { attempt: number; retryCount: string | undefined }[] = [];
  const consumer = runtime.createConsumer(
    {
      ...runtime.consumerConfigFromEnv(orders, group, env),
      startOffset: "oldest",
      maxWaitMs: 100,
      maxRetries: 1,
    },
    { logger: runtime.silentLogger, retry: { initialDelayMs: 5, maxDelayMs: 20 } },
  );
  consumer.on(placed, (e) => {
    seen.push({ attempt: e.attempt, retryCount: e.headers["retry-count"] });
    throw runtime.newTransientError("inventory service unavailable");
  });
  const running = consumer.start();
  try {
    await eventually(async () => (await endOffset(dlq)) === dlqEnd, `${dlqEnd} dead letters`, 30_000);
  } finally {
    await consumer.stop();
    await running;
  }
  return seen;
}

async function deadLetterCount(offset: number): Promise<string | undefined> {
  const consumer = kafka.consumer({ groupId: uniqueName("dlqc-read") });
  let found: string | undefined;
  await consumer.connect();
  await consumer.subscribe({ topics: [dlq], fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.offset !== String(offset)) return;
            found = message.headers?.["retry-count"]?.toString();
            resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

it("a replayed record that fails again is dead-lettered with its count carried on, not started again", async () => {
  const producer = runtime.createProducer(runtime.producerConfigFromEnv(orders, env), {
    logger: runtime.silentLogger,
  });
  await producer.publishEvent(placed, { id: "o-1" }).finally(() => producer.close());
  expect(await runFailingService(1)).toEqual([
    { attempt: 1, retryCount: "0" },
    { attempt: 2, retryCount: "0" },
  ]);
  expect(await deadLetterCount(0)).toBe("1"); // gave up after 1 retry

  const replay = await runCommand((io) => dlqCommand(io, env), ["replay", dlq], root);
  expect(replay.code).toBe(0);
  expect(replay.out).toContain("retry-count 1 -> 2");

  // The same service (its group past the first record) meets the replayed record and gives up again.
  expect(await runFailingService(2)).toEqual([
    { attempt: 1, retryCount: "2" },
    { attempt: 2, retryCount: "2" },
  ]);
  expect(await deadLetterCount(1)).toBe("3"); // 2 received + 1 retry made, not 1 (counted afresh)
}, 60_000);
