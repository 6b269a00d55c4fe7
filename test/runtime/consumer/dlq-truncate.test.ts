/** Dead-letter records that fit (pure): what is kept, what is cut, what the header says. */
import { describe, expect, it } from "vitest";
import { toConsumedMessage } from "../../../runtime/consumer/message.ts";
import { buildDlqRecord, type DlqRecord } from "../../../runtime/dlq/record.ts";
import {
  deadLetterSize,
  defaultDlqMaxRecordBytes,
  dlqTruncatedHeader,
  fitDeadLetter,
  isTooLarge,
  writeFitted,
} from "../../../runtime/dlq/truncate.ts";
import { ErrorCode, SkejiError } from "../../../runtime/errors/base.ts";

const MiB = 1024 * 1024;

/** The dead-letter record of a record with these parts, failed with a 4 KiB error message. */
function deadLetter(parts: {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: Record<string, unknown>;
}): DlqRecord {
  const message = toConsumedMessage("bookings", 1, {
    key: parts.key === undefined ? Buffer.from("booking-1") : parts.key,
    value: parts.value === undefined ? Buffer.from("{}") : parts.value,
    offset: "42",
    timestamp: "1763478000123",
    attributes: 0,
    headers: { "event-id": Buffer.from("e-1"), ...parts.headers },
  } as never);
  return buildDlqRecord({
    message,
    error: "x".repeat(5000),
    errorType: "PermanentError:PERMANENT",
    errorClass: "permanent",
    retryCount: 0,
    groupId: "bookings-service",
    now: new Date("2025-11-18T15:00:00Z"),
  });
}

const dlqHeaders = (r: DlqRecord) =>
  Object.fromEntries(Object.entries(r.headers).filter(([n]) => n.startsWith("original-") || n.startsWith("dlq-e")));
const bytes = (v: unknown): Buffer => (typeof v === "string" ? Buffer.from(v) : (v as Buffer));
const isPrefix = (part: Buffer, of: Buffer): boolean => of.subarray(0, part.length).equals(part);
const truncation = (r: DlqRecord) => JSON.parse(String(r.headers[dlqTruncatedHeader])) as Record<string, number>;

describe("fitDeadLetter", () => {
  it("returns a record that fits as it is", () => {
    const r = deadLetter({ value: Buffer.alloc(1000, 1) });
    expect(fitDeadLetter(r, defaultDlqMaxRecordBytes)).toBe(r);
  });

  it.each([
    {
      name: "a 1 MiB header",
      parts: { headers: { blob: Buffer.alloc(MiB, 7) } },
      cut: ["header:blob"],
    },
    {
      name: "a value close to the limit",
      parts: { value: Buffer.alloc(MiB - 2000, 7) },
      cut: ["value"],
    },
    {
      name: "a large value and a large header",
      parts: { value: Buffer.alloc(800_000, 7), headers: { blob: Buffer.alloc(900_000, 8), small: "kept" } },
      cut: ["value", "header:blob"],
    },
    {
      name: "a repeated header with large values",
      parts: { headers: { tags: [Buffer.alloc(600_000, 1), "small", Buffer.alloc(600_000, 2)] } },
      cut: ["header:tags"],
    },
    {
      name: "a key larger than the limit",
      parts: { key: Buffer.alloc(2 * MiB, 3) },
      cut: ["key"],
    },
  ])("$name: fits, keeps the DLQ headers and the key if it fits, cuts $cut to their first bytes", ({ parts, cut }) => {
    const r = deadLetter(parts);
    const fitted = fitDeadLetter(r, defaultDlqMaxRecordBytes);
    expect(deadLetterSize(r)).toBeGreaterThan(defaultDlqMaxRecordBytes);
    expect(deadLetterSize(fitted)).toBeLessThanOrEqual(defaultDlqMaxRecordBytes);
    expect(dlqHeaders(fitted)).toEqual(dlqHeaders(r));
    expect(fitted.headers["event-id"]).toEqual(Buffer.from("e-1"));
    expect(fitted.headers["retry-count"]).toBe("0");
    const said = truncation(fitted);
    expect(Object.keys(said).sort()).toEqual(["record", ...cut].sort());
    expect(said.record).toBe(deadLetterSize(r));
    // What was cut is a prefix of the original; what was not is whole.
    if (cut.includes("key")) {
      expect(fitted.key).toBeNull();
      expect(said.key).toBe(r.key?.length);
    } else expect(fitted.key).toBe(r.key);
    const value = fitted.value as Buffer;
    expect(isPrefix(value, r.value as Buffer)).toBe(true);
    if (cut.includes("value")) {
      expect(value.length).toBeLessThan((r.value as Buffer).length);
      expect(said.value).toBe((r.value as Buffer).length);
    } else expect(value.equals(r.value as Buffer)).toBe(true);
    for (const name of Object.keys(parts.headers ?? {})) {
      const before = [r.headers[name]].flat().map(bytes);
      const after = [fitted.headers[name]].flat().map(bytes);
      expect(after).toHaveLength(before.length);
      for (const [i, b] of after.entries()) expect(isPrefix(b, before[i] as Buffer)).toBe(true);
      if (cut.includes(`header:${name}`)) {
        expect(said[`header:${name}`]).toBe(before.reduce((n, v) => n + v.length, 0));
      } else expect(after.every((b, i) => b.equals(before[i] as Buffer))).toBe(true);
    }
  });

  it("cuts the largest parts to one cap and leaves smaller ones whole", () => {
    const r = deadLetter({
      value: Buffer.alloc(300_000, 1),
      headers: { a: Buffer.alloc(100, 2), b: Buffer.alloc(700_000, 3), c: Buffer.alloc(200_000, 4) },
    });
    const fitted = fitDeadLetter(r, 500_000);
    expect(deadLetterSize(fitted)).toBeLessThanOrEqual(500_000);
    expect(fitted.headers.a).toEqual(r.headers.a);
    const cap = (fitted.value as Buffer).length;
    expect((fitted.headers.b as Buffer).length).toBe(cap);
    expect((fitted.headers.c as Buffer).length).toBe(cap);
    // Nearly all the room is used: the cap is the largest that fits.
    expect(deadLetterSize(fitted)).toBeGreaterThan(500_000 - 600);
  });

  it("cuts a text header on a character boundary, marked with ...", () => {
    const r = deadLetter({ headers: { note: "é".repeat(600_000) } });
    const note = fitDeadLetter(r, defaultDlqMaxRecordBytes).headers.note as string;
    expect(note.endsWith("...")).toBe(true);
    expect(note.slice(0, -3)).toBe("é".repeat((note.length - 3) as number));
  });

  it("fits smaller limits too, down to the DLQ headers alone", () => {
    const r = deadLetter({ value: Buffer.alloc(50_000, 1), headers: { blob: Buffer.alloc(50_000, 2) } });
    for (const limit of [60_000, 20_000, 8_000]) {
      const fitted = fitDeadLetter(r, limit);
      expect(deadLetterSize(fitted)).toBeLessThanOrEqual(limit);
      expect(dlqHeaders(fitted)).toEqual(dlqHeaders(r));
    }
    // When the DLQ's own headers do not fit, they are all that is left (and still too large).
    const bare = fitDeadLetter(r, 1_000);
    expect(bare.key).toBeNull();
    expect(bare.value).toEqual(Buffer.alloc(0));
    expect(dlqHeaders(bare)).toEqual(dlqHeaders(r));
    expect(Object.keys(bare.headers)).not.toContain("blob");
  });
});

describe("isTooLarge", () => {
  it.each([
    [{ type: "MESSAGE_TOO_LARGE" }, true],
    [{ type: "RECORD_LIST_TOO_LARGE" }, true],
    [new Error("wrapped", { cause: { type: "MESSAGE_TOO_LARGE" } }), true],
    [new SkejiError(ErrorCode.RECORD_TOO_LARGE, "too large"), true],
    [new SkejiError(ErrorCode.PUBLISH_AMBIGUOUS, "may be written", { cause: new Error("timeout") }), false],
    [{ type: "NOT_ENOUGH_REPLICAS" }, false],
    [new Error("MESSAGE_TOO_LARGE"), false],
    [null, false],
  ])("%o -> %s", (error, expected) => {
    expect(isTooLarge(error)).toBe(expected);
  });
});

describe("writeFitted", () => {
  const big = deadLetter({ value: Buffer.alloc(900_000, 1) });

  it("writes the record cut to half, then to half again, while the topic refuses it as too large", async () => {
    const tried: number[] = [];
    const written = await writeFitted(
      async (r: DlqRecord) => {
        tried.push(deadLetterSize(r));
        if (deadLetterSize(r) > 100_000) throw Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE" });
      },
      big,
      defaultDlqMaxRecordBytes,
    );
    expect(tried[0]).toBe(deadLetterSize(big)); // it fitted the configured limit: sent whole first
    expect(tried.length).toBeGreaterThan(2);
    for (let i = 1; i < tried.length; i++) expect(tried[i]).toBeLessThanOrEqual((tried[i - 1] as number) / 2);
    expect(deadLetterSize(written)).toBe(tried[tried.length - 1]);
    expect(truncation(written).value).toBe(900_000);
  });

  it("rethrows any other failure, and a refusal once nothing more can be cut", async () => {
    const unavailable = Object.assign(new Error("not enough replicas"), { type: "NOT_ENOUGH_REPLICAS" });
    await expect(writeFitted(() => Promise.reject(unavailable), big, defaultDlqMaxRecordBytes)).rejects.toBe(
      unavailable,
    );
    const tooLarge = Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE" });
    let attempts = 0;
    await expect(
      writeFitted(
        () => {
          attempts++;
          return Promise.reject(tooLarge);
        },
        big,
        defaultDlqMaxRecordBytes,
      ),
    ).rejects.toBe(tooLarge);
    expect(attempts).toBeLessThan(20);
  });
});
