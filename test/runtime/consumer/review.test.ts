/** Review fixes, against the real broker: exact DLQ headers, no-DLQ handling, start() failures, timeouts. */
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { newPermanentError } from "../../../runtime/errors/processing.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { uniqueName } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const fast = { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentLogger } as const;

describe("DLQ records", () => {
  it("keep the original headers exactly: no event-id filled in, binary bytes kept, every value of a repeated header", async () => {
    const topic = await fx.topic("rawdlq");
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    await fx.send(topic, [{ key: "k", value: "bad", headers: { blob: binary, tag: ["a", "b", "c"] } }]);
    const config = testConfig(topic);
    const consumer = createConsumer(config, fast).handle(() => {
      throw newPermanentError("rejected");
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "committed");
    await consumer.stop();
    await running;
    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(dead?.headers.blob).toEqual(binary);
    expect((dead?.headers.tag as Buffer[]).map(String)).toEqual(["a", "b", "c"]);
    expect(dead?.headers["event-id"]).toBeUndefined();
    expect(dead?.headers.timestamp).toBeUndefined();
    expect(Object.keys(dead?.headers ?? {}).sort()).toEqual(
      [
        "blob",
        "tag",
        "original-topic",
        "original-partition",
        "original-offset",
        "original-timestamp",
        "dlq-error",
        "dlq-error-type",
        "dlq-error-class",
        "dlq-timestamp",
        "dlq-consumer-group",
        "retry-count",
      ].sort(),
    );
    expect(dead?.headers["dlq-error"]?.toString()).toBe("rejected");
  });
});
