/**
 * `event-id` values (runtime/message/event-id.ts): each a version 4 UUID in the canonical form,
 * all distinct, with the version and variant bits set and the other bits spread as random ones are.
 */
import { describe, expect, it } from "vitest";
import { newEventId } from "../../../runtime/message/event-id.ts";

describe("event ids", () => {
  it("are distinct version 4 UUIDs, lowercase, 8-4-4-4-12, across many refills of the random pool", () => {
    const ids = Array.from({ length: 20_000 }, newEventId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Each hex digit of the random positions is about equally frequent (1/16 each).
    const counts = new Map<string, number>();
    for (const id of ids) for (const c of id.replaceAll("-", "").slice(0, 12)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (ids.length * 12) / 16;
    for (const digit of "0123456789abcdef")
      expect(Math.abs((counts.get(digit) ?? 0) - expected) / expected).toBeLessThan(0.05);
  });
});
