/**
 * Config objects built from a few fields (`producerConfig`, `consumerConfig`): the rest takes the
 * environment reader's defaults, the result is validated, and a start offset may be given as Go's
 * -1/-2 or as the words.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type ConsumerConfig,
  consumerConfig,
  consumerConfigFromEnv,
  FirstOffset,
  isSkejiError,
  LastOffset,
  normalizeStartOffset,
  type ProducerConfig,
  producerConfig,
  producerConfigFromEnv,
  type StartOffset,
} from "../../../runtime/index.ts";

function invalid(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (isSkejiError(e, "INVALID_CONFIG")) return (e.details?.problems ?? []) as string[];
    throw e;
  }
  throw new Error("expected INVALID_CONFIG");
}

describe("producerConfig", () => {
  it("fills every field the Go guide's three-field config leaves out with the environment's defaults", () => {
    const config = producerConfig({ brokers: ["localhost:9092"], topic: "test-topic", maxAttempts: 3 });
    expect(config).toEqual(producerConfigFromEnv("test-topic", { KAFKA_BROKERS: "localhost:9092" }));
    expectTypeOf(config).toEqualTypeOf<ProducerConfig>();
  });

  it("keeps the given fields and derives idempotence from the acks, as the environment reader does", () => {
    expect(producerConfig({ brokers: ["b:9092"], requiredAcks: 1 })).toMatchObject({
      requiredAcks: 1,
      idempotent: false,
      topic: "",
    });
    expect(producerConfig({ brokers: ["b:9092"], topic: "t", requiredAcks: 1 })).toEqual(
      producerConfigFromEnv("t", { KAFKA_BROKERS: "b:9092", KAFKA_PRODUCER_REQUIRE_ACKS: "1" }),
    );
    expect(producerConfig({ brokers: ["b:9092"], compression: "zstd", dlqTopic: undefined })).toMatchObject({
      compression: "zstd",
      dlqTopic: undefined,
      idempotent: true,
    });
  });

  it.each([
    ["no brokers", { brokers: [] }, 'invalid option "brokers"'],
    ["maxAttempts 0", { brokers: ["b:9092"], maxAttempts: 0 }, 'invalid option "maxAttempts": expected an integer'],
    [
      "idempotent with acks 1",
      { brokers: ["b:9092"], requiredAcks: 1, idempotent: true },
      'invalid option "idempotent"',
    ],
    ["a Go field name", { brokers: ["b:9092"], MaxAttempts: 3 }, 'invalid option "MaxAttempts": not a config field'],
  ])("%s is INVALID_CONFIG naming the option", (_, init, text) => {
    const problems = invalid(() => producerConfig(init as never));
    expect(problems.join("; ")).toContain(text);
  });

  it("does not compile without brokers, and names them when called so from JavaScript", () => {
    // @ts-expect-error brokers is required
    expect(invalid(() => producerConfig({ topic: "t" })).join()).toContain('invalid option "brokers"');
  });
});

describe("consumerConfig", () => {
  it("fills the rest with the environment's defaults", () => {
    const config = consumerConfig({ brokers: ["localhost:9092"], topic: "orders", groupId: "g" });
    expect(config).toEqual(consumerConfigFromEnv("orders", "g", { KAFKA_BROKERS: "localhost:9092" }));
    expectTypeOf(config).toEqualTypeOf<ConsumerConfig>();
  });

  it.each([
    [-1, "newest"],
    [-2, "oldest"],
    [LastOffset, "newest"],
    [FirstOffset, "oldest"],
    ["newest", "newest"],
    ["oldest", "oldest"],
  ] as const)("startOffset %s is held as %s", (startOffset, position) => {
    expect(consumerConfig({ brokers: ["b:9092"], groupId: "g", startOffset }).startOffset).toBe(position);
    expect(normalizeStartOffset(startOffset)).toBe(position);
  });

  it("rejects a start offset that is neither form, and a missing group", () => {
    expect(invalid(() => consumerConfig({ brokers: ["b:9092"], groupId: "g", startOffset: 0 as StartOffset }))).toEqual(
      [
        'invalid option "startOffset": expected "newest" or -1 (kafka.LastOffset), "oldest" or -2 (kafka.FirstOffset), got 0',
      ],
    );
    expect(invalid(() => consumerConfig({ brokers: ["b:9092"], groupId: " " })).join()).toContain(
      'invalid option "groupId"',
    );
    // @ts-expect-error groupId is required
    expect(invalid(() => consumerConfig({ brokers: ["b:9092"] })).join()).toContain('invalid option "groupId"');
    // @ts-expect-error -3 is not a start offset
    expect(() => consumerConfig({ brokers: ["b:9092"], groupId: "g", startOffset: -3 })).toThrow();
  });

  it("checks the combined fields as any config object (heartbeat shorter than the session)", () => {
    expect(
      invalid(() => consumerConfig({ brokers: ["b:9092"], groupId: "g", heartbeatIntervalMs: 20_000 })).join(),
    ).toContain('invalid option "heartbeatIntervalMs": expected less than sessionTimeoutMs');
  });
});
