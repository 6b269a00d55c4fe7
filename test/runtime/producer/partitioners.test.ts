/**
 * The FNV-1a partitioner against published FNV-1a test vectors and kafka-go's index rule; the
 * murmur2 partitioner against kafkajs's (the Java client's partitions) on keys of every length.
 */
import { randomBytes } from "node:crypto";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createPartitioner, fnv1a32, fnv1aIndex, murmur2Index } from "../../../runtime/client/partitioners.ts";

const bytes = (s: string) => Buffer.from(s, "utf8");

describe("fnv1a32", () => {
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
    ["booking-1", 0xf54f1342],
  ])("%j hashes to %i", (input, hash) => {
    expect(fnv1a32(bytes(input))).toBe(hash);
  });
});

describe("fnv1aIndex", () => {
  it.each([
    // A hash with the top bit set is negative as int32: Go's remainder keeps the sign, then flips it.
    ["booking-1", 12, 6],
    ["+972501234567", 12, 7],
    ["corr-abc-123", 12, 11],
    ["", 12, 3],
  ])("%j over %i partitions is index %i", (key, count, index) => {
    expect(fnv1aIndex(bytes(key), count)).toBe(index);
  });
});

describe("murmur2", () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  const metadata = (count: number) =>
    Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
  const keys = [
    "",
    "a",
    "+972501234567",
    "booking-1",
    "שלום",
    ...Array.from({ length: 400 }, (_, i) => randomBytes(i % 40).toString("latin1")),
  ];

  it("picks kafkajs's partition for every key, as text and as bytes", () => {
    const ours = createPartitioner("murmur2");
    for (const count of [1, 3, 12, 100]) {
      const partitionMetadata = metadata(count);
      for (const key of keys) {
        const expected = kafkajs({ topic: "t", partitionMetadata, message: { key, value: null } });
        expect(murmur2Index(Buffer.from(key, "utf8"), count)).toBe(expected);
        expect(ours({ topic: "t", partitionMetadata, message: { key, value: null } })).toBe(expected);
      }
    }
  });

  it("leaves keyless records and explicit partitions as kafkajs's partitioner does", () => {
    const ours = createPartitioner("murmur2");
    const partitionMetadata = metadata(3);
    expect(ours({ topic: "t", partitionMetadata, message: { key: "k", value: null, partition: 2 } })).toBe(2);
    const spread = new Set(
      Array.from({ length: 6 }, () => ours({ topic: "t", partitionMetadata, message: { key: null, value: null } })),
    );
    expect(spread).toEqual(new Set([0, 1, 2]));
  });
});
