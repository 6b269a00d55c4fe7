/**
 * The Go guide's "Unit Testing Producer" example, line for line in TypeScript: a config of three
 * fields, a producer, a message from the builder, one publish - against the real broker.
 */
import { describe, expect, it } from "vitest";
import { createProducer, newMessage, producerConfig, silentLogger } from "../../../runtime/index.ts";
import { brokers } from "../../infra/env.ts";
import { header, newTopic, readRecords } from "./support.ts";

describe("the Go guide's producer unit test", () => {
  it("TestPublishMessage", async () => {
    const topic = await newTopic("test-topic");
    // config := &kafka.ProducerConfig{Config: kafka.Config{Brokers: ...}, Topic: "test-topic", MaxAttempts: 3}
    const config = producerConfig({ brokers: brokers(), topic, maxAttempts: 3 });

    const producer = createProducer(config, { logger: silentLogger });
    try {
      const msg = newMessage().withKey("test-key").withValue({ foo: "bar" }).build();
      await producer.publish(msg); // err = producer.Publish(context.Background(), msg)
    } finally {
      await producer.close(); // defer producer.Close()
    }

    const [record] = await readRecords(topic, 1);
    expect(record?.key?.toString()).toBe("test-key");
    expect(JSON.parse(record?.value?.toString() ?? "null")).toEqual({ foo: "bar" });
    expect(header(record as never, "retry-count")).toBe("0");
  });
});
