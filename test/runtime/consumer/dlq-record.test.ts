/** The dead-letter record builder (pure): what is kept, what is added, what is replaced. */
import { describe, expect, it } from "vitest";
import { toConsumedMessage } from "../../../runtime/consumer/message.ts";
import { buildDlqRecord } from "../../../runtime/dlq/record.ts";

const message = toConsumedMessage("bookings", 2, {
  key: Buffer.from("booking-1"),
  value: Buffer.from([0, 1, 2, 255]),
  offset: "9007199254740993",
  timestamp: "1763478000123",
  attributes: 0,
  headers: { "event-id": Buffer.from("e-1"), "retry-count": "7", "dlq-error": "old", tags: ["a", Buffer.from("b")] },
} as never);

describe("buildDlqRecord", () => {
  it("keeps key, value and other headers exactly (bytes, repeats), adds the DLQ headers as decimal strings and replaces same-named ones", () => {
    const r = buildDlqRecord({
      message,
      error: "invalid booking: missing slot",
      errorType: "PermanentError:PERMANENT",
      errorClass: "permanent",
      retryCount: 12,
      groupId: "bookings-service",
      now: new Date("2025-11-18T15:00:00.456Z"),
    });
    expect(r.key).toEqual(Buffer.from("booking-1"));
    expect(r.value).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(r.headers).toEqual({
      "event-id": Buffer.from("e-1"),
      tags: ["a", Buffer.from("b")],
      "original-topic": "bookings",
      "original-partition": "2",
      "original-offset": "9007199254740993",
      "original-timestamp": "1763478000123",
      "dlq-error": "invalid booking: missing slot",
      "dlq-error-type": "PermanentError:PERMANENT",
      "dlq-error-class": "permanent",
      "dlq-timestamp": "2025-11-18T15:00:00Z",
      "dlq-consumer-group": "bookings-service",
      "retry-count": "12",
    });
  });

  it("cuts an error text longer than 4 KiB", () => {
    const r = buildDlqRecord({
      message,
      error: "é".repeat(5000),
      errorType: "Error",
      errorClass: "transient",
      retryCount: 3,
      groupId: "g",
      now: new Date(0),
    });
    const text = String(r.headers["dlq-error"] ?? "");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(text.endsWith("...")).toBe(true);
  });
});
