/** The FNV-1a partitioner against published FNV-1a test vectors and kafka-go's index rule. */
import { describe, expect, it } from "vitest";
import { fnv1a32, fnv1aIndex } from "../../../runtime/client/partitioners.ts";

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
