/** Header matchers: raw header values (bytes, text, repeated) against one expected text. */
import { describe, expect, it } from "vitest";
import { headerMatcher } from "../../../runtime/consumer/header-match.ts";

describe("headerMatcher", () => {
  const texts = ["", "v1", "application/avro", "bench.booking.created", "é✓ unicode", "x".repeat(128), "y".repeat(300)];

  it.each(texts.map((t) => [t.length > 20 ? `${t.slice(0, 12)}... (${t.length})` : JSON.stringify(t), t]))(
    "matches exactly its own bytes and text: %s",
    (_name, text) => {
      const matches = headerMatcher(text);
      const bytes = Buffer.from(text, "utf8");
      expect(matches(bytes)).toBe(true);
      expect(matches(text)).toBe(true);
      // A slice of a larger buffer, as kafkajs hands header values over.
      expect(matches(Buffer.concat([Buffer.from("xx"), bytes, Buffer.from("yy")]).subarray(2, 2 + bytes.length))).toBe(
        true,
      );
      expect(matches(undefined)).toBe(false);
      expect(matches(Buffer.concat([bytes, Buffer.from([0])]))).toBe(false);
      expect(matches(`${text}!`)).toBe(false);
      if (bytes.length > 0) {
        expect(matches(bytes.subarray(0, bytes.length - 1))).toBe(false);
        for (const i of [0, Math.floor(bytes.length / 2), bytes.length - 1]) {
          const changed = Buffer.from(bytes);
          changed[i] = (changed[i] as number) ^ 1;
          expect(matches(changed)).toBe(false);
        }
      }
    },
  );

  it("judges a repeated header by its last value", () => {
    const matches = headerMatcher("v2");
    expect(matches([Buffer.from("v1"), Buffer.from("v2")])).toBe(true);
    expect(matches(["v2", "v1"])).toBe(false);
    expect(matches([])).toBe(false);
  });
});
