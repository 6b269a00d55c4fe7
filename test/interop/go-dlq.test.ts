/**
 * A dead letter written by kafka-go as a Go service writes one (test/interop/go/: snappy, the Go
 * package's headers plus only original-topic, dlq-error, dlq-timestamp and dlq-consumer-group; JSON
 * with nil slices; no event-type), inspected and replayed by `skeji-gen dlq`, and the replayed
 * record read back by kafka-go: on the partition kafka-go's Hash balancer picks for its key, with
 * its original headers and retry-count + 1, without the dead-letter headers.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dlqCommand } from "../../generator/dlq/command.ts";
import { runCommand } from "../check/helpers.ts";
import { brokers } from "../infra/env.ts";
import { Fixture } from "../runtime/consumer/helpers.ts";
import { goConsume, goPartitions, goProduce, goProgram, skipGo } from "./go-program.ts";

// SKEJI_SKIP_GO_INTEROP=1 skips it, as it does go.test.ts.
describe.skipIf(skipGo)("dead letters of a Go service", () => {
  const fx = new Fixture();
  let root: string;
  let topic: string;
  const env = () => ({ KAFKA_BROKERS: brokers().join(","), KAFKA_SCHEMA_TOPIC: "none" });
  const cli = (args: string[]) => runCommand((io) => dlqCommand(io, env()), args, root);

  beforeAll(async () => {
    await goProgram();
    topic = await fx.topic("go-dlq-gateway", 3); // and `${topic}-dlq`
    root = mkdtempSync(join(tmpdir(), "skeji-go-dlq-"));
    mkdirSync(join(root, "schemas", "test.go.message"), { recursive: true });
    writeFileSync(
      join(root, "schemas", "test.go.message", "v1.avsc"),
      JSON.stringify({
        type: "record",
        name: "Message",
        namespace: "test.go",
        fields: [
          { name: "user", type: "string" },
          { name: "tags", type: { type: "array", items: "string" } },
        ],
      }),
    );
    const manifest = {
      defaults: { format: "json", partitioner: "fnv1a" },
      topics: { [topic]: { dlq: `${topic}-dlq`, events: { "test.go.message": { key: "user" } } } },
    };
    writeFileSync(join(root, "schemas", "manifest.json"), JSON.stringify(manifest));
  }, 120_000);
  afterAll(() => fx.close());

  it("is inspected decoded, and replayed where kafka-go puts its key, with retry-count + 1", async () => {
    const user = "+972501234567";
    await goProduce(brokers(), `${topic}-dlq`, [
      {
        key: user,
        eventId: "go-dead-1",
        correlationId: "corr-1",
        source: "gateway",
        nilEmpty: true,
        value: { user, tags: [] },
        headers: {
          "original-topic": topic,
          "dlq-error": "invalid message format: no such user",
          "dlq-timestamp": "2025-11-18T15:00:00Z",
          "dlq-consumer-group": "gateway-consumer-group",
        },
      },
    ]);

    const inspect = await cli(["inspect", "--format", "json"]); // the manifest's only DLQ topic
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.out)).toMatchObject({
      dlq: { topic: `${topic}-dlq`, offset: "0" },
      original: { topic },
      error: "invalid message format: no such user",
      consumerGroup: "gateway-consumer-group",
      retryCount: 0,
      eventType: "test.go.message",
      payload: { user, tags: [] },
    });

    const replay = await cli(["replay"]);
    expect(replay.code).toBe(0);
    const [expected] = (await goPartitions("hash", [Buffer.from(user)], [3])).get(3) ?? [];
    // The key was chosen so that the Java client's partitioner would put it elsewhere.
    expect((await goPartitions("murmur2", [Buffer.from(user)], [3])).get(3)).not.toEqual([expected]);
    expect(replay.out).toContain(`replayed      ${topic}-dlq 0:0 -> ${topic} ${expected}:0  test.go.message`);

    const [back, ...rest] = await goConsume(brokers(), topic, 1);
    const [dead] = await goConsume(brokers(), `${topic}-dlq`, 1);
    expect(rest).toEqual([]);
    expect(back).toMatchObject({ partition: expected, key: user, value: dead?.value });
    expect(JSON.parse(back?.value ?? "")).toEqual({ user, tags: null }); // the bytes as the Go service wrote them
    expect(back?.headers).toMatchObject({
      "event-id": "go-dead-1",
      "correlation-id": "corr-1",
      source: "gateway",
      "retry-count": "1",
    });
    expect(back?.headerNames.filter((h) => h.startsWith("dlq-") || h.startsWith("original-"))).toEqual([]);
  });
});
