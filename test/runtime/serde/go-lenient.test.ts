/**
 * Reading what the Go services write, table-driven: JSON null for nil slices and maps, RFC 3339
 * timestamps with any offset, fingerprints in either byte order, Go's retry-count past 9.
 * Writing stays canonical.
 */
import { describe, expect, it } from "vitest";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { parseRetryCount, parseTimestamp } from "../../../runtime/message/headers.ts";
import { otherByteOrder } from "../../../runtime/serde/avro/fingerprint.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { decodeRecord } from "../../../runtime/serde/serde.ts";

const tag = { type: "record", name: "Tag", fields: [{ name: "label", type: "string" }] } as const;
const schema = {
  type: "record",
  name: "Booking",
  namespace: "test.go",
  fields: [
    { name: "id", type: "string" },
    { name: "slots", type: { type: "array", items: "int" } },
    { name: "params", type: { type: "map", values: "string" } },
    { name: "tags", type: { type: "array", items: tag } },
    {
      name: "inner",
      type: {
        type: "record",
        name: "Inner",
        fields: [
          { name: "ids", type: { type: "array", items: "string" } },
          { name: "byDay", type: { type: "map", values: { type: "array", items: "int" } } },
        ],
      },
    },
    { name: "matrix", type: { type: "array", items: { type: "array", items: "int" } } },
    { name: "either", type: ["int", { type: "array", items: "string" }] },
    { name: "maybe", type: ["null", { type: "array", items: "string" }], default: null },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
  ],
} as const;

const codec = avroCodec(schema);
const base = {
  id: "b-1",
  slots: [1],
  params: { a: "x" },
  tags: [{ label: "t" }],
  inner: { ids: ["i"], byDay: { mon: [1] } },
  matrix: [[1]],
  either: { int: 1 },
  maybe: ["m"],
  at: "2025-11-18T15:00:00Z",
};
const read = (patch: Record<string, unknown>): Record<string, unknown> =>
  codec.fromJSON(JSON.stringify({ ...base, ...patch })) as Record<string, unknown>;

describe("JSON null for a non-nullable array or map (a Go nil slice or map)", () => {
  it.each([
    ["a top-level array", { slots: null }, "slots", []],
    ["a top-level map", { params: null }, "params", {}],
    ["an array in a nested record", { inner: { ids: null, byDay: null } }, "inner", { ids: [], byDay: {} }],
    [
      "a map value that is an array",
      { inner: { ids: [], byDay: { mon: null } } },
      "inner",
      { ids: [], byDay: { mon: [] } },
    ],
    ["an array item that is an array", { matrix: [null, [2]] }, "matrix", [[], [2]]],
    ["the array branch of a union", { either: { array: null } }, "either", { array: [] }],
  ])("reads as empty: %s", (_, patch, field, expected) => {
    expect(read(patch)[field]).toEqual(expected);
  });

  it("keeps null where the schema allows it (a nullable union is null, not empty)", () => {
    expect(read({ maybe: null }).maybe).toBeNull();
  });

  it.each([
    ["a string", { id: null }, /id: expected string, got null/],
    ["a record", { inner: null }, /inner: expected record/],
    ["a record in an array", { tags: [null] }, /tags\[0\]: expected record/],
    ["a string in a nested array", { inner: { ids: [null], byDay: {} } }, /inner\.ids\[0\]: expected string/],
    [
      "an int in a map of arrays",
      { inner: { ids: [], byDay: { mon: [null] } } },
      /inner\.byDay\.mon\[0\]: expected int/,
    ],
  ])("is still DECODE_FAILED naming the field path: %s", (_, patch, message) => {
    let error: unknown;
    try {
      read(patch);
    } catch (e) {
      error = e;
    }
    expect(isSkejiError(error, "DECODE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it("writes empty collections as [] and {}, never null", () => {
    const value = read({ slots: null, params: null, inner: { ids: null, byDay: null }, maybe: null });
    expect(JSON.parse(codec.toJSON(value as never))).toMatchObject({
      slots: [],
      params: {},
      inner: { ids: [], byDay: {} },
      maybe: null,
    });
  });
});

describe("RFC 3339 timestamps (the timestamp header and JSON timestamp fields)", () => {
  it.each([
    ["UTC, whole seconds (what this SDK writes)", "2025-11-18T15:00:00Z", "2025-11-18T15:00:00.000Z"],
    ["a positive offset", "2025-11-18T17:00:00+02:00", "2025-11-18T15:00:00.000Z"],
    ["a negative half-hour offset", "2025-11-18T09:30:00-05:30", "2025-11-18T15:00:00.000Z"],
    ["-00:00 (offset unknown)", "2025-11-18T15:00:00-00:00", "2025-11-18T15:00:00.000Z"],
    ["one fractional digit", "2025-11-18T15:00:00.5Z", "2025-11-18T15:00:00.500Z"],
    ["nanoseconds (time.RFC3339Nano)", "2025-11-18T17:00:00.123456789+02:00", "2025-11-18T15:00:00.123Z"],
    ["more digits than nanoseconds, truncated", "2025-11-18T15:00:00.9999999999Z", "2025-11-18T15:00:00.999Z"],
    ["an offset crossing midnight and the year", "2026-01-01T01:00:00+03:00", "2025-12-31T22:00:00.000Z"],
    ["a negative offset crossing a leap day", "2024-02-29T23:30:00-01:00", "2024-03-01T00:30:00.000Z"],
    ["lower-case t and z", "2025-11-18t15:00:00z", "2025-11-18T15:00:00.000Z"],
    ["a space for T", "2025-11-18 15:00:00Z", "2025-11-18T15:00:00.000Z"],
    ["a year below 100 (not read as 19xx)", "0042-01-01T00:00:00Z", "0042-01-01T00:00:00.000Z"],
  ])("reads %s", (_, text, instant) => {
    expect(parseTimestamp(text).toISOString()).toBe(instant);
    expect((read({ at: text }).at as Date).toISOString()).toBe(instant);
  });

  it.each([
    ["not a date", "yesterday", /expected YYYY-MM-DDTHH:MM:SS/],
    ["no offset", "2025-11-18T15:00:00", /expected YYYY-MM-DDTHH:MM:SS/],
    ["an offset without a colon", "2025-11-18T15:00:00+0200", /expected YYYY-MM-DDTHH:MM:SS/],
    ["a dot without digits", "2025-11-18T15:00:00.Z", /expected YYYY-MM-DDTHH:MM:SS/],
    ["February 30", "2025-02-30T15:00:00Z", /day 30 is not 01 to 28 \(February 2025 has 28 days\)/],
    ["February 29 outside a leap year", "2100-02-29T00:00:00Z", /day 29 is not 01 to 28/],
    ["month 13", "2025-13-01T00:00:00Z", /month 13 is not 01 to 12/],
    ["hour 24", "2025-11-18T24:00:00Z", /hour 24 is not 00 to 23/],
    ["minute 60", "2025-11-18T15:60:00Z", /minute 60 is not 00 to 59/],
    ["a leap second", "2016-12-31T23:59:60Z", /leap second/],
    ["offset +24:00", "2025-11-18T15:00:00+24:00", /offset hour 24 is not 00 to 23/],
    ["offset minute 60", "2025-11-18T15:00:00+01:60", /offset minute 60 is not 00 to 59/],
  ])("rejects %s with the reason", (_, text, reason) => {
    let error: unknown;
    try {
      parseTimestamp(text);
    } catch (e) {
      error = e;
    }
    expect(isSkejiError(error, "INVALID_HEADER")).toBe(true);
    expect((error as Error).message).toMatch(/header timestamp ".*" is not an RFC 3339 timestamp: /);
    expect((error as Error).message).toMatch(reason);
    expect(() => read({ at: text })).toThrow(/at: expected timestamp-millis \(RFC 3339 string/);
  });

  it("a JSON field with a date that does not exist names the reason", () => {
    expect(() => read({ at: "2025-02-30T15:00:00Z" })).toThrow(
      /at: expected timestamp-millis \(RFC 3339 string; day 30 is not 01 to 28/,
    );
  });
});

describe("retry-count", () => {
  it.each([
    ["0", 0],
    ["3", 3],
    [" 12 ", 12],
    // Go writes string(rune(count + '0')): ':' is 10, ';' is 11, 'c' is 51.
    [":", 10],
    [";", 11],
    ["c", 51],
    [undefined, 0],
    ["", 0],
    ["-1", 0],
    ["1.5", 0],
    ["ab", 0],
    ["\ufffd", 0],
  ])("%j reads as %d", (text, count) => {
    expect(parseRetryCount(text)).toBe(count);
  });
});

describe("schema-fingerprint in either byte order", () => {
  const v1 = { type: "record", name: "Ping", namespace: "test.fp", fields: [{ name: "n", type: "int" }] } as const;
  const v2 = {
    ...v1,
    fields: [
      { name: "n", type: "int" },
      { name: "note", type: "string", default: "" },
    ],
  } as const;
  const event = defineEvent<{ n: number; note: string }>({
    type: "test.fp.ping",
    name: "Ping",
    topic: "fp",
    keyField: "n",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ],
  });
  const fp1 = avroCodec(v1).fingerprint;
  const bytes = Buffer.from(avroCodec(v1).encode({ n: 7 }));
  const decode = (headers: Record<string, string>) =>
    decodeRecord({ topic: "fp", value: bytes, headers: { "event-type": event.type, ...headers } }, [event]);

  it("reverses the bytes, not the digits", () => {
    expect(otherByteOrder("0123456789abcdef")).toBe("efcdab8967452301");
    expect(otherByteOrder("0123456789ABCDEF")).toBe("efcdab8967452301");
    expect(otherByteOrder("not-a-fingerprint")).toBeUndefined();
  });

  it.each([
    ["big-endian (as written)", fp1],
    ["little-endian", otherByteOrder(fp1) as string],
    ["little-endian, upper case", (otherByteOrder(fp1) as string).toUpperCase()],
  ])("reads v1 named by its fingerprint %s, with and without schema-version", async (_, fingerprint) => {
    for (const headers of [
      { "schema-fingerprint": fingerprint },
      { "schema-fingerprint": fingerprint, "schema-version": "v1" },
    ]) {
      const decoded = await decode(headers);
      expect(decoded.version).toBe(1);
      expect(decoded.payload).toEqual({ n: 7, note: "" });
    }
  });

  it("still refuses a fingerprint of neither order (UNKNOWN_SCHEMA)", async () => {
    await expect(decode({ "schema-fingerprint": "0000000000000001", "schema-version": "v1" })).rejects.toMatchObject({
      code: "UNKNOWN_SCHEMA",
    });
  });

  it("prefers the exact byte order when one schema's little-endian rendering is another's big-endian one", async () => {
    // Such a pair is crafted: CRC-64-AVRO is affine in the bits of a fixed-length text, so a
    // field name of 72 letters, each 'a' or 'c', can be solved for any fingerprint.
    const crafted = schemaWithFingerprint(otherByteOrder(fp1) as string);
    const fpCrafted = avroCodec(crafted).fingerprint;
    expect(fpCrafted).toBe(otherByteOrder(fp1));
    const extra = crafted.fields[1].name;
    const craftedBytes = Buffer.from(avroCodec(crafted).encode({ n: 9, [extra]: 5 }));
    const both = defineEvent<Record<string, number>>({
      ...event,
      type: "test.fp.both",
      versions: [
        { version: 1, schema: v1 },
        { version: 2, schema: crafted },
      ],
    });
    // One event: the header equals v2's fingerprint as written and v1's little-endian rendering.
    const asWritten = await decodeRecord(
      { topic: "fp", value: craftedBytes, headers: { "event-type": both.type, "schema-fingerprint": fpCrafted } },
      [both],
    );
    expect(asWritten.version).toBe(2);
    expect(asWritten.payload).toEqual({ n: 9, [extra]: 5 });
    // A named version settles it either way: v1 with its little-endian fingerprint is v1.
    const named = await decodeRecord(
      {
        topic: "fp",
        value: bytes,
        headers: { "event-type": both.type, "schema-fingerprint": fpCrafted, "schema-version": "v1" },
      },
      [both],
    );
    expect(named.version).toBe(1);
    expect(named.payload).toEqual({ n: 7, [extra]: 0 });
    // Two events, no event-type: the exact order wins over the swapped one, in both directions.
    const a = defineEvent<Record<string, number>>({
      ...event,
      type: "test.fp.a",
      versions: [{ version: 1, schema: v1 }],
    });
    const b = defineEvent<Record<string, number>>({
      ...event,
      type: "test.fp.b",
      versions: [{ version: 1, schema: crafted }],
    });
    const untyped = (fingerprint: string, value: Buffer) =>
      decodeRecord({ topic: "fp", value, headers: { "schema-fingerprint": fingerprint } }, [a, b]);
    expect((await untyped(fpCrafted, craftedBytes)).descriptor.type).toBe(b.type);
    expect((await untyped(fp1, bytes)).descriptor.type).toBe(a.type);
  });

  it("does not guess between two events with one schema", async () => {
    const twin = defineEvent<{ n: number }>({ ...event, type: "test.fp.twin", versions: [{ version: 1, schema: v1 }] });
    await expect(
      decodeRecord({ topic: "fp", value: bytes, headers: { "schema-fingerprint": fp1 } }, [event, twin]),
    ).rejects.toMatchObject({ code: "UNKNOWN_EVENT_TYPE" });
  });
});

/** Ping with an added int field (a later version of v1) whose fingerprint is `target` (solved over GF(2)). */
function schemaWithFingerprint(target: string) {
  const n = 72;
  const make = (letters: string) =>
    ({
      type: "record",
      name: "Ping",
      namespace: "test.fp",
      fields: [
        { name: "n", type: "int" },
        { name: `f${letters}`, type: "int", default: 0 },
      ],
    }) as const;
  const fp = (letters: string): bigint => BigInt(`0x${avroCodec(make(letters)).fingerprint}`);
  const base = "a".repeat(n);
  const fp0 = fp(base);
  // Row i: what flipping letter i (a -> c) does to the fingerprint, and which letters it combines.
  const rows = Array.from({ length: n }, (_, i) => ({
    value: fp(`${base.slice(0, i)}c${base.slice(i + 1)}`) ^ fp0,
    flips: 1n << BigInt(i),
  }));
  let want = BigInt(`0x${target}`) ^ fp0;
  let chosen = 0n;
  for (let bit = 63; bit >= 0; bit--) {
    const mask = 1n << BigInt(bit);
    const pivot = rows.findIndex((r) => (r.value & mask) !== 0n);
    if (pivot < 0) continue;
    const p = rows.splice(pivot, 1)[0] as { value: bigint; flips: bigint };
    for (const r of rows) {
      if ((r.value & mask) !== 0n) {
        r.value ^= p.value;
        r.flips ^= p.flips;
      }
    }
    if ((want & mask) !== 0n) {
      want ^= p.value;
      chosen ^= p.flips;
    }
  }
  if (want !== 0n) throw new Error("no solution; lengthen the name");
  const letters = Array.from(base, (c, i) => ((chosen >> BigInt(i)) & 1n ? "c" : c)).join("");
  return make(letters);
}
