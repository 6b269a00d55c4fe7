/**
 * The consumer never creates topics. The local broker has auto.create.topics.enable=true, as
 * brokers often do: a consumer that let it (kafkajs's default) failed once, the broker created
 * the missing topic, and the restarted consumer joined an empty, mistyped topic without a word.
 * Now start() fails naming the missing topics, and they still do not exist afterwards.
 */
import { afterAll, describe, expect, it } from "vitest";
import { producerConfigFromEnv } from "../../../runtime/config/env.ts";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { createProducer } from "../../../runtime/producer/producer.ts";
import { createRequester } from "../../../runtime/request-reply/request-reply.ts";
import { brokers, uniqueName } from "../../infra/env.ts";
import { Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const startError = async (topics: string[]) => {
  const [first = ""] = topics;
  const consumer = createConsumer(testConfig(first, { dlqTopic: undefined }), { logger: silentLogger, topics }).handle(
    () => {},
  );
  const running = consumer.start();
  const error = await Promise.race([consumer.ready(), running]).then(
    () => ({ code: "STARTED", message: `the consumer started on ${topics.join(", ")}` }),
    (e: unknown) => e as { code?: string; message: string; details?: Record<string, unknown> },
  );
  await consumer.stop();
  await running.catch(() => {});
  return error;
};

const exists = async (topic: string): Promise<boolean> => (await fx.admin.listTopics()).includes(topic);

describe("a consumer whose topic does not exist", () => {
  it("fails to start naming the topic, and the topic is not created (a restart fails the same way)", async () => {
    const topic = uniqueName("never-created");
    await fx.admin.connect();
    for (const attempt of [1, 2]) {
      // A restart comes a little later (the broker creates an auto-created topic within that time).
      if (attempt > 1) await new Promise((r) => setTimeout(r, 1_000));
      const error = await startError([topic]);
      expect(error, `attempt ${attempt}`).toMatchObject({
        code: "CONSUMER_START_FAILED",
        details: { missingTopics: [topic] },
      });
      expect(error?.message).toContain(`topic ${topic} does not exist`);
      expect(error?.message).toContain(
        "create it from the manifest with `npx skeji-gen topics apply`, or in code with `ensureTopics(config, allTopics)`",
      );
    }
    expect(await exists(topic), `the broker created ${topic}`).toBe(false);
  });

  it("names only the topics that are missing", async () => {
    const present = await fx.topic("present", 1, false);
    const missing = uniqueName("missing");
    const error = await startError([present, missing]);
    expect(error).toMatchObject({ code: "CONSUMER_START_FAILED", details: { missingTopics: [missing] } });
    expect(error?.message).toContain(`topic ${missing} does not exist`);
    expect(error?.message).not.toContain(present);
    expect(await exists(missing)).toBe(false);
  });

  it("a requester whose reply topic does not exist fails naming it, and does not create it", async () => {
    const requests = await fx.topic("rr-requests", 1, false);
    const replies = uniqueName("rr-replies-missing");
    const Replied = defineEvent<{ id: string }, { id: string }, "test.replied">({
      type: "test.replied",
      name: "Replied",
      topic: replies,
      keyField: "id",
      format: "json",
      compatibility: "BACKWARD",
      versions: [{ version: 1, schema: { type: "record", name: "Replied", fields: [{ name: "id", type: "string" }] } }],
    });
    const producer = createProducer(producerConfigFromEnv(requests, { KAFKA_BROKERS: brokers().join(",") }), {
      logger: silentLogger,
    });
    try {
      const failed = await createRequester(testConfig(requests), {
        producer,
        replies: [Replied],
        consumer: { logger: silentLogger },
      }).then(
        async (r) => {
          await r.close();
          return undefined;
        },
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(failed).toMatchObject({ code: "CONSUMER_START_FAILED" });
      expect(failed?.message).toContain(`topic ${replies} does not exist`);
      expect(await exists(replies)).toBe(false);
    } finally {
      await producer.close();
    }
  });
});
