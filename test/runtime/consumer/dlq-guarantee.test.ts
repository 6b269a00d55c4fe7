/**
 * The at-least-once guarantee: when the DLQ write fails, nothing at or past the failed message is
 * committed, and the message is dead-lettered once the DLQ accepts writes again.
 * The DLQ is made to fail for real: its topic refuses records larger than 64 bytes.
 */
import { ConfigResourceTypes } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { newPermanentError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { uniqueName } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

describe("a DLQ write that fails", () => {
  it("leaves the offset uncommitted, holds back the partition, and dead-letters the message once the DLQ works", async () => {
    const topic = await fx.topic("guarantee", 1, false);
    const dlqTopic = uniqueName("guarantee-dlq");
    await fx.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: dlqTopic, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "64" }] }],
    });
    await fx.send(topic, [
      { key: "k", value: "first" },
      { key: "k", value: "poison" },
      { key: "k", value: "third" },
    ]);
    const config = testConfig(topic, { dlqTopic, maxRetries: 0 });
    const handled: string[] = [];
    let dlqFailures = 0;
    const consumer = createConsumer(config, {
      logger: silentLogger,
      retryLaterMs: 100,
      observer: { onDlqWriteFailed: () => void dlqFailures++ },
    }).handle((_ctx, msg) => {
      handled.push(String(msg.value));
      if (String(msg.value) === "poison") throw newPermanentError("cannot handle poison");
    });
    const running = consumer.start();

    // The DLQ refuses the record again and again; meanwhile only "first" is committed and "third" waits.
    await eventually(() => dlqFailures >= 3, "three failed DLQ writes");
    expect(await fx.committed(config.groupId, topic)).toEqual([1]);
    expect(handled.filter((v) => v === "third")).toEqual([]);
    expect(await fx.endOffsets(dlqTopic)).toEqual([0]);

    await fx.admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: dlqTopic,
          configEntries: [{ name: "max.message.bytes", value: "1048576" }],
        },
      ],
    });
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 3, "all three committed");
    await consumer.stop();
    await running;

    const [dead] = await fx.read(dlqTopic, 1);
    expect(String(dead?.value)).toBe("poison");
    expect(dead?.headers["original-offset"]?.toString()).toBe("1");
    expect(await fx.endOffsets(dlqTopic)).toEqual([1]);
    // Every message handled in order; the poison one once per redelivery, "third" exactly once, after it.
    expect(handled[0]).toBe("first");
    expect(handled.at(-1)).toBe("third");
    expect(handled.filter((v) => v === "third")).toHaveLength(1);
    expect(handled.filter((v) => v === "poison").length).toBeGreaterThanOrEqual(4);
  });
});
