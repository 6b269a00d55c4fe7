/** The `dlq-error` header text: at most 4 KiB of UTF-8, cut on a character boundary (pure logic, table-driven). */
import { describe, expect, it } from "vitest";
import { truncateUtf8 } from "../../../runtime/message/truncate.ts";
import { errorText, producerDlqRecord } from "../../../runtime/producer/dlq.ts";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
/** True when `s` has no lone surrogate (half of a character). */
const wellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe("truncateUtf8", () => {
  it.each([
    ["short ASCII", "boom", 16, "boom"],
    ["exactly the limit", "a".repeat(16), 16, "a".repeat(16)],
    ["ASCII over the limit", "a".repeat(17), 16, `${"a".repeat(13)}...`],
    ["3-byte characters fit exactly", "€€€€€", 15, "€€€€€"],
    ["a cut inside a 3-byte character backs off to its start", "€€€€€€", 16, "€€€€..."],
    ["a cut inside a 4-byte emoji (a surrogate pair) backs off to its start", "ab😀😀😀", 12, "ab😀..."],
  ])("%s", (_what, text, max, expected) => {
    const out = truncateUtf8(text, max);
    expect(out).toBe(expected);
    expect(bytes(out)).toBeLessThanOrEqual(max);
    expect(wellFormed(out)).toBe(true);
  });
});

describe("the producer's dlq-error", () => {
  it("is at most 4096 bytes of UTF-8 with whole characters, even when every character takes 4 bytes", () => {
    const error = new Error("😀".repeat(3000)); // 6000 UTF-16 units, 12000 bytes
    const text = errorText(error);
    expect(bytes(text)).toBeLessThanOrEqual(4096);
    expect(bytes(text)).toBeGreaterThan(4096 - 8);
    expect(wellFormed(text)).toBe(true);
    expect(text.endsWith("😀...")).toBe(true);
    const record = producerDlqRecord({ key: "k", value: Buffer.from("v"), headers: {} }, "orders", error);
    expect(record.headers["dlq-error"]).toBe(text);
  });

  it("keeps a short error and its causes whole", () => {
    const error = new Error("publish failed", { cause: new Error("broker said no") });
    expect(errorText(error)).toBe("publish failed: broker said no");
  });

  it("does not repeat a cause whose message the wrapper already ends with", () => {
    const error = new Error("decoding failed: truncated buffer", { cause: new Error("truncated buffer") });
    expect(errorText(error)).toBe("decoding failed: truncated buffer");
  });
});
