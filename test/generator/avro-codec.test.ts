/** The Avro codec: every construct of the type mapping round-trips; invalid payloads are reported with paths. */

import { describe, expect, it } from "vitest";
import { isSkejiError } from "../../runtime/errors/base.ts";
import { errorMessage } from "../../runtime/errors/classify.ts";
import { errorText } from "../../runtime/producer/dlq.ts";
import { FAIL } from "../../runtime/serde/avro/fast.ts";
import { compileFastDecode } from "../../runtime/serde/avro/fast-decode.ts";
import { compileFastRead } from "../../runtime/serde/avro/fast-read.ts";
import { parseSchema } from "../../runtime/serde/avro/model.ts";
import { fromRaw, toRaw, type ValueOptions } from "../../runtime/serde/avro/values.ts";
import { type AvroSchema, avroCodec, resolvingCodec } from "../../runtime/serde/avro.ts";

const record = (fields: unknown[], name = "T"): AvroSchema => ({ type: "record", name, namespace: "test", fields });
const field = (type: unknown, extra: Record<string, unknown> = {}) => record([{ name: "v", type, ...extra }]);

/** Buffers and Uint8Arrays compare equal by content. */
const plain = (x: unknown): unknown => {
  if (x instanceof Uint8Array) return [...x];
  if (Array.isArray(x)) return x.map(plain);
  if (x instanceof Date || x === null || typeof x !== "object") return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
};

const roundTrips: [string, AvroSchema, unknown][] = [
  ["null", field("null"), null],
  ["boolean", field("boolean"), true],
  ["int", field("int"), -2147483648],
  ["long at the safe limit", field("long"), Number.MAX_SAFE_INTEGER],
  ["negative long beyond 2^52", field("long"), -(2 ** 52 + 1)],
  ["float", field("float"), 1.5],
  ["double", field("double"), Math.PI],
  ["string", field("string"), "héllo ✓"],
  ["bytes", field("bytes"), new Uint8Array([0, 1, 255])],
  ["fixed", field({ type: "fixed", name: "Hash", size: 4 }), new Uint8Array([9, 8, 7, 6])],
  ["enum", field({ type: "enum", name: "Status", symbols: ["PENDING", "CONFIRMED"] }), "CONFIRMED"],
  ["array", field({ type: "array", items: "int" }), [1, 2, 3]],
  ["map", field({ type: "map", values: "string" }), { a: "x", "with space": "y" }],
  ["nullable (null first), null", field(["null", "string"]), null],
  ["nullable (null first), value", field(["null", "string"]), "x"],
  ["nullable (null last), value", field(["string", "null"]), "x"],
  ["wrapped union, string", field(["null", "string", "long"]), { string: "x" }],
  ["wrapped union, long", field(["null", "string", "long"]), { long: 42 }],
  ["wrapped union, null", field(["null", "string", "long"]), null],
  [
    "wrapped union of records",
    field([
      { type: "record", name: "A", fields: [{ name: "a", type: "int" }] },
      { type: "record", name: "B", fields: [{ name: "b", type: "string" }] },
    ]),
    { "test.B": { b: "x" } },
  ],
  ["timestamp-millis", field({ type: "long", logicalType: "timestamp-millis" }), new Date("2025-11-18T15:00:00.123Z")],
  ["timestamp-micros", field({ type: "long", logicalType: "timestamp-micros" }), new Date("2025-11-18T15:00:00.123Z")],
  [
    "timestamp before 1970",
    field({ type: "long", logicalType: "timestamp-micros" }),
    new Date("1969-12-31T23:59:59.999Z"),
  ],
  ["date", field({ type: "int", logicalType: "date" }), new Date("2025-11-18T00:00:00Z")],
  ["time-millis", field({ type: "int", logicalType: "time-millis" }), 54_000_000],
  ["time-micros", field({ type: "long", logicalType: "time-micros" }), 86_399_999_999],
  ["uuid", field({ type: "string", logicalType: "uuid" }), "123e4567-e89b-12d3-a456-426614174000"],
  ["decimal on bytes", field({ type: "bytes", logicalType: "decimal", precision: 10, scale: 2 }), "-12345678.90"],
  [
    "decimal on fixed",
    field({ type: "fixed", name: "Money", size: 8, logicalType: "decimal", precision: 18, scale: 4 }),
    "99999999999999.9999",
  ],
  ["unknown logical type falls back", field({ type: "string", logicalType: "phone-number" }), "+972501234567"],
  [
    "invalid decimal falls back to bytes",
    field({ type: "bytes", logicalType: "decimal", precision: 0 }),
    new Uint8Array([1]),
  ],
  [
    "named types, namespaces and references",
    record([
      {
        name: "a",
        type: { type: "record", name: "Money", namespace: "other", fields: [{ name: "cents", type: "long" }] },
      },
      { name: "b", type: "other.Money" },
      { name: "c", type: { type: "enum", name: "Kind", symbols: ["X", "Y"] } },
      { name: "d", type: { type: "array", items: "test.Kind" } },
    ]),
    { a: { cents: 1 }, b: { cents: 2 }, c: "X", d: ["Y", "X"] },
  ],
  [
    "recursive type",
    {
      type: "record",
      name: "Node",
      fields: [
        { name: "value", type: "int" },
        { name: "children", type: { type: "array", items: "Node" } },
        { name: "next", type: ["null", "Node"], default: null },
      ],
    },
    { value: 1, children: [{ value: 2, children: [], next: null }], next: { value: 3, children: [], next: null } },
  ],
];

describe("avroCodec round trips", () => {
  it.each(roundTrips)("%s", (_name, schema, v) => {
    const codec = avroCodec(schema);
    const fields = (schema as { fields: { name: string }[] }).fields;
    const value = fields.length === 1 && fields[0]?.name === "v" ? { v } : v;
    expect(codec.validate(value)).toEqual([]);
    const decoded = codec.decode(codec.encode(value));
    expect(plain(decoded)).toEqual(plain(value));
    expect(codec.fromJSON(codec.toJSON(value))).toEqual(decoded);
  });

  it("decodes bytes as Uint8Array and dates as Date", () => {
    const codec = avroCodec(
      record([
        { name: "b", type: "bytes" },
        { name: "t", type: { type: "long", logicalType: "timestamp-millis" } },
      ]),
    );
    const out = codec.decode(codec.encode({ b: Buffer.from("ab"), t: new Date(5) })) as { b: unknown; t: unknown };
    expect(out.b).toBeInstanceOf(Uint8Array);
    expect(out.t).toEqual(new Date(5));
  });

  it("writes the canonical decimal with exactly `scale` fraction digits", () => {
    const codec = avroCodec(field({ type: "bytes", logicalType: "decimal", precision: 5, scale: 2 }));
    expect(codec.decode(codec.encode({ v: "1.5" }))).toEqual({ v: "1.50" });
    expect(codec.decode(codec.encode({ v: "-0.01" }))).toEqual({ v: "-0.01" });
  });

  it("writes large negative longs exactly (zig-zag varint of -(2^52 + 1) is 2^53 + 1)", () => {
    const zigzagVarint = (n: bigint): number[] => {
      let z = n < 0n ? -2n * n - 1n : 2n * n;
      const out: number[] = [];
      while (z >= 0x80n) {
        out.push(Number((z & 0x7fn) | 0x80n));
        z >>= 7n;
      }
      return [...out, Number(z)];
    };
    const codec = avroCodec(field("long"));
    for (const n of [-(2 ** 52 + 1), -(2 ** 53 - 1), 2 ** 53 - 1, -1, 0]) {
      expect([...codec.encode({ v: n })]).toEqual(zigzagVarint(BigInt(n)));
    }
  });

  it("encodes exactly the bytes the Avro specification prescribes", () => {
    const codec = avroCodec(
      record([
        { name: "n", type: "long" },
        { name: "s", type: ["null", "string"] },
      ]),
    );
    // zig-zag 64 = 0x80 0x01; union branch 1 = 0x02; string length 1 = 0x02, "a"
    expect([...codec.encode({ n: 64, s: "a" })]).toEqual([0x80, 0x01, 0x02, 0x02, 0x61]);
  });
});

describe("validation", () => {
  const booking = record(
    [
      { name: "action", type: "string" },
      {
        name: "params",
        type: {
          type: "record",
          name: "Params",
          fields: [
            { name: "user_phone", type: "string" },
            { name: "start_time", type: { type: "long", logicalType: "timestamp-millis" } },
          ],
        },
      },
      {
        name: "items",
        type: { type: "array", items: { type: "record", name: "Item", fields: [{ name: "id", type: "int" }] } },
      },
    ],
    "Booking",
  );

  it("reports every issue with its path, what was expected and what was found", () => {
    const codec = avroCodec(booking);
    const issues = codec.validate({
      action: 1,
      params: { user_phone: "+972", start_time: "2025-11-18T15:00:00Z" },
      items: [{ id: 1 }, { id: 2 }, { id: "3" }],
      extra: true,
    });
    expect(issues).toEqual([
      { path: "action", expected: "string", actual: "number 1" },
      { path: "params.start_time", expected: "timestamp-millis (valid Date)", actual: 'string "2025-11-18T15:00:00Z"' },
      { path: "items[2].id", expected: "int (32-bit integer)", actual: 'string "3"' },
      { path: "extra", expected: "no such field (test.Booking has: action, params, items)", actual: "boolean true" },
    ]);
  });

  it("encode throws INVALID_PAYLOAD with the issues", () => {
    const codec = avroCodec(booking);
    let error: unknown;
    try {
      codec.encode({ action: "x", params: { user_phone: "p" }, items: [] });
    } catch (e) {
      error = e;
    }
    expect(isSkejiError(error, "INVALID_PAYLOAD")).toBe(true);
    expect((error as Error).message).toContain(
      "params.start_time: expected timestamp-millis (valid Date), got missing",
    );
    expect((error as { details: { issues: unknown[] } }).details.issues).toHaveLength(1);
  });

  const rejects: [string, AvroSchema, unknown, string][] = [
    ["unsafe long", field("long"), 2 ** 53, "long (safe integer)"],
    ["fractional long", field("long"), 1.5, "long (safe integer)"],
    ["int out of range", field("int"), 2 ** 31, "int (32-bit integer)"],
    [
      "fixed of the wrong size",
      field({ type: "fixed", name: "F", size: 2 }),
      new Uint8Array(3),
      "fixed test.F (Uint8Array of 2 bytes)",
    ],
    ["unknown enum symbol", field({ type: "enum", name: "E", symbols: ["A"] }), "B", 'one of "A"'],
    ["invalid uuid", field({ type: "string", logicalType: "uuid" }), "not-a-uuid", "uuid"],
    [
      "decimal with too many fraction digits",
      field({ type: "bytes", logicalType: "decimal", precision: 5, scale: 2 }),
      "1.234",
      "decimal(5,2)",
    ],
    [
      "decimal with too many digits",
      field({ type: "bytes", logicalType: "decimal", precision: 5, scale: 2 }),
      "1234.5",
      "decimal(5,2)",
    ],
    [
      "decimal as a number",
      field({ type: "bytes", logicalType: "decimal", precision: 5, scale: 2 }),
      1.5,
      "decimal(5,2)",
    ],
    [
      "date not at midnight",
      field({ type: "int", logicalType: "date" }),
      new Date("2025-01-01T10:00:00Z"),
      "date (Date at UTC midnight)",
    ],
    ["invalid Date", field({ type: "long", logicalType: "timestamp-millis" }), new Date(Number.NaN), "valid Date"],
    ["union with two keys", field(["string", "int"]), { string: "a", int: 1 }, "exactly one key"],
    ["unwrapped value for a wrapped union", field(["string", "int"]), "a", "exactly one key"],
    ["null for a non-nullable field", field("string"), null, "string"],
    ["a Map for a map", field({ type: "map", values: "int" }), new Map(), "map (plain object)"],
  ];
  it.each(rejects)("rejects %s", (_name, schema, v, expected) => {
    const issues = avroCodec(schema).validate({ v });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("v");
    expect(issues[0]?.expected).toContain(expected);
  });
});

describe("decoding", () => {
  const codec = avroCodec(record([{ name: "s", type: "string" }]));

  it("fails with DECODE_FAILED on truncated bytes", () => {
    const bytes = codec.encode({ s: "hello" });
    expect(() => codec.decode(bytes.subarray(0, 3))).toThrow(/truncated/);
    try {
      codec.decode(bytes.subarray(0, 3));
    } catch (e) {
      expect(isSkejiError(e, "DECODE_FAILED")).toBe(true);
    }
  });

  it("says the reason once, in the message and in the error chain that dead-letter headers and logs print", () => {
    const bytes = codec.encode({ s: "hello" });
    let error: unknown;
    try {
      codec.decode(bytes.subarray(0, 3));
    } catch (e) {
      error = e;
    }
    const said = "cannot decode test.T: s: truncated buffer: a string of 5 bytes, only 2 bytes left";
    expect((error as Error).message).toBe(said);
    for (const text of [errorMessage(error), errorText(error)]) expect(text).toBe(said);
  });

  it.each([2 ** 40, 2 ** 60])("fails with DECODE_FAILED on a long cut short (%s)", (n) => {
    const longs = avroCodec(field("long"), { long: "bigint" });
    const bytes = longs.encode({ v: BigInt(n) });
    expect(() => longs.decode(bytes.subarray(0, bytes.length - 1))).toThrow(
      /^cannot decode test.T: v: truncated buffer: a long is cut off, only \d bytes left$/,
    );
  });

  it("fails with DECODE_FAILED on trailing bytes", () => {
    const bytes = Buffer.concat([codec.encode({ s: "hello" }), Buffer.from([0])]);
    expect(() => codec.decode(bytes)).toThrow(/trailing/);
  });

  it("rejects a long outside the safe integer range, and reads it as bigint when asked", () => {
    const big = avroCodec(field("long"), { long: "bigint" });
    const bytes = big.encode({ v: 2n ** 60n });
    expect(() => avroCodec(field("long")).decode(bytes)).toThrow(/outside the safe integer range/);
    expect(big.decode(bytes)).toEqual({ v: 2n ** 60n });
  });
});

describe("defaults, JSON and resolution", () => {
  const v1 = record([
    { name: "id", type: "string" },
    { name: "n", type: "int", default: 1 },
  ]);
  const v2 = record([
    { name: "id", type: "string" },
    { name: "n", type: "long", default: 1 },
    { name: "note", type: ["null", "string"], default: null },
    { name: "tags", type: { type: "array", items: "string" }, default: ["a"] },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" }, default: 0 },
    { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 4, scale: 2 }, default: "\u0001\u0000" },
  ]);

  it("applyDefaults fills missing fields with their TypeScript values, without touching the input", () => {
    const init = { id: "x" };
    expect(avroCodec(v2).applyDefaults(init)).toEqual({
      id: "x",
      n: 1,
      note: null,
      tags: ["a"],
      at: new Date(0),
      price: "2.56",
    });
    expect(init).toEqual({ id: "x" });
  });

  it("reads v1 bytes as v2 values: added fields take their defaults, int is promoted to long", () => {
    const bytes = avroCodec(v1).encode({ id: "x", n: 7 });
    expect(resolvingCodec(v1, v2).decode(bytes)).toEqual({
      id: "x",
      n: 7,
      note: null,
      tags: ["a"],
      at: new Date(0),
      price: "2.56",
    });
  });

  it("caches resolving codecs per writer and reader schema", () => {
    expect(resolvingCodec(v1, v2)).toBe(resolvingCodec(v1, v2));
    expect(resolvingCodec(v1, v2)).not.toBe(resolvingCodec(v2, v2));
  });

  it("refuses to resolve schemas that cannot be read one as the other", () => {
    expect(() =>
      resolvingCodec(record([{ name: "id", type: "int" }]), record([{ name: "id", type: "string" }])),
    ).toThrow(/cannot be read/);
  });

  it("JSON wire format: plain JSON with RFC 3339 dates and base64 bytes; reading fills defaults", () => {
    const codec = avroCodec(
      record([
        { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
        { name: "day", type: { type: "int", logicalType: "date" } },
        { name: "raw", type: "bytes" },
        { name: "note", type: ["null", "string"], default: null },
      ]),
    );
    const text = codec.toJSON({
      at: new Date("2025-11-18T15:00:00Z"),
      day: new Date("2025-11-18"),
      raw: Buffer.from("hi"),
      note: "n",
    });
    expect(JSON.parse(text)).toEqual({ at: "2025-11-18T15:00:00.000Z", day: "2025-11-18", raw: "aGk=", note: "n" });
    expect(codec.fromJSON('{"at":"2025-11-18T15:00:00Z","day":"2025-11-18","raw":"aGk="}')).toEqual({
      at: new Date("2025-11-18T15:00:00Z"),
      day: new Date("2025-11-18"),
      raw: Buffer.from("hi"),
      note: null,
    });
    expect(() => codec.fromJSON('{"at":"yesterday","day":"2025-11-18","raw":"aGk="}')).toThrow(
      /at: expected timestamp-millis \(RFC 3339 string\)/,
    );
    expect(() => codec.fromJSON("{not json")).toThrow(/invalid JSON/);
    // Like Avro schema resolution, reading ignores fields the schema does not declare.
    expect(codec.fromJSON('{"at":"2025-11-18T15:00:00Z","day":"2025-11-18","raw":"","added_later":1}')).toEqual({
      at: new Date("2025-11-18T15:00:00Z"),
      day: new Date("2025-11-18"),
      raw: Buffer.alloc(0),
      note: null,
    });
  });
});

describe("schemas and fingerprints", () => {
  // Test vectors published with the Avro specification (share/test/data/schema-tests.txt), as unsigned hex.
  it.each([
    ['"null"', "63dd24e7cc258f8a"],
    ['"int"', "7275d51a3f395c8f"],
    ['{"type":"fixed","name":"foo","size":15}', "18602ec3ed31a504"],
    ['{"type":"record","name":"foo","fields":[{"name":"f1","type":"boolean"}]}', "6cd8eaf1c968a33b"],
    [
      '{"type":"record","name":"PigValue","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
      "e795dc6656b7e95b",
    ],
  ])("fingerprint of %s", (schema, hex) => {
    expect(avroCodec(JSON.parse(schema)).fingerprint).toBe(hex);
  });

  it("ignores docs, defaults and logical types in the fingerprint", () => {
    const a = avroCodec(record([{ name: "t", type: "long" }]));
    const b = avroCodec(
      record([{ name: "t", type: { type: "long", logicalType: "timestamp-millis" }, doc: "when", default: 0 }]),
    );
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it("caches the codec per schema object", () => {
    const schema = field("string");
    expect(avroCodec(schema)).toBe(avroCodec(schema));
  });

  it("rejects an invalid schema with INVALID_SCHEMA naming the JSON path", () => {
    expect(() => avroCodec(record([{ name: "x", type: "strng" }]))).toThrow(
      '$.fields[0].type: unknown type "strng" (did you mean "string"?)',
    );
  });
});

describe("the encoder's one-walk path (encodeWithDefaults)", () => {
  const withDefaults = record([
    { name: "id", type: "string" },
    { name: "n", type: "long", default: 1 },
    { name: "note", type: ["null", "string"], default: null },
    { name: "tags", type: { type: "array", items: "string" }, default: ["a"] },
    { name: "raw", type: "bytes", default: "\u00ff" },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" }, default: 0 },
    { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 4, scale: 2 }, default: "\u0001\u0000" },
    {
      name: "inner",
      type: { type: "record", name: "Inner", fields: [{ name: "k", type: "int", default: 7 }] },
      default: {},
    },
  ]);

  const issuesOf = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return isSkejiError(e, "INVALID_PAYLOAD") ? e.details?.issues : `other error: ${String(e)}`;
    }
    return "no error";
  };

  it.each(roundTrips)("writes the same bytes as encode(applyDefaults(v)): %s", (_name, schema, v) => {
    const codec = avroCodec(schema);
    const fields = (schema as { fields: { name: string }[] }).fields;
    const payload = fields.length === 1 && fields[0]?.name === "v" ? { v } : v;
    expect([...codec.encodeWithDefaults(payload)]).toEqual([...codec.encode(codec.applyDefaults(payload))]);
  });

  it("fills every default at any depth, and gives each message its own values", () => {
    const codec = avroCodec(withDefaults);
    const first = codec.decode(codec.encodeWithDefaults({ id: "x" }));
    expect(first).toEqual(codec.applyDefaults({ id: "x" }));
    expect(first).toMatchObject({ n: 1, note: null, tags: ["a"], at: new Date(0), price: "2.56", inner: { k: 7 } });
    (first as { tags: string[] }).tags.push("mutated");
    const second = codec.decode(codec.encodeWithDefaults({ id: "y", inner: {} }));
    expect(second).toMatchObject({ id: "y", tags: ["a"], inner: { k: 7 } });
  });

  it.each([
    ["a missing field without default", { n: 2 }],
    ["a wrong type deep inside", { id: "x", inner: { k: "seven" } }],
    ["an undeclared field", { id: "x", extra: 1 }],
    ["several issues at once", { id: 1, n: 1.5, tags: ["ok", 2], note: 3 }],
    ["not an object", "x"],
    ["a Map where a record is expected", new Map([["id", "x"]])],
  ])("reports exactly the issues of encode(applyDefaults(v)): %s", (_what, payload) => {
    const codec = avroCodec(withDefaults);
    const expected = issuesOf(() => codec.encode(codec.applyDefaults(payload)));
    expect(Array.isArray(expected)).toBe(true);
    expect(issuesOf(() => codec.encodeWithDefaults(payload))).toEqual(expected);
  });

  it.each([
    ["an undeclared key holding undefined", { id: "x", ignored: undefined }],
    [
      "a class instance (its own fields)",
      new (class {
        id = "x";
      })(),
    ],
  ])("accepts what the full path accepts: %s", (_what, payload) => {
    const codec = avroCodec(withDefaults);
    expect([...codec.encodeWithDefaults(payload)]).toEqual([...codec.encode(codec.applyDefaults(payload))]);
  });

  it("rejects a Map for a map field instead of writing it as an empty map", () => {
    const codec = avroCodec(field({ type: "map", values: "string" }));
    const issues = issuesOf(() => codec.encodeWithDefaults({ v: new Map([["a", "x"]]) }));
    expect(issues).toEqual([{ path: "v", expected: "map (plain object)", actual: "Map" }]);
  });

  const longs: (number | bigint)[] = [
    0,
    -1,
    1,
    63,
    -64,
    64,
    -65,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 52,
    -(2 ** 52),
    2 ** 52 + 1,
    -(2 ** 52) - 1,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    // Around the reader's 7-byte varint limit (numbers below, bigints from 8 bytes on).
    2 ** 48 - 1,
    -(2 ** 48),
    2 ** 48,
    -(2 ** 48) - 1,
    2 ** 41,
    -(2 ** 41) - 1,
  ];
  it.each(longs)("writes long %s as Avro's zigzag varint (read back by the decoder)", (n) => {
    const codec = avroCodec(field("long"));
    expect(codec.decode(codec.encodeWithDefaults({ v: n }))).toEqual({ v: n });
  });

  it.each([2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 2n ** 48n - 1n, -(2n ** 48n), 2n ** 48n, -1n, 0n])(
    "writes bigint long %s",
    (n) => {
      const codec = avroCodec(field("long"), { long: "bigint" });
      expect(codec.decode(codec.encodeWithDefaults({ v: n }))).toEqual({ v: n });
    },
  );

  it("writes the varint bytes of the specification", () => {
    const codec = avroCodec<number>("long");
    expect([...codec.encode(0)]).toEqual([0x00]);
    expect([...codec.encode(-1)]).toEqual([0x01]);
    expect([...codec.encode(64)]).toEqual([0x80, 0x01]);
    expect([...codec.encode(-65)]).toEqual([0x81, 0x01]);
  });
});

describe("the decoder's compiled path", () => {
  const rawOf = (schema: AvroSchema, v: unknown, opts: ValueOptions) => {
    const root = parseSchema(schema).root;
    const fields = (schema as { fields: { name: string }[] }).fields;
    const value = fields.length === 1 && fields[0]?.name === "v" ? { v } : v;
    return { root, value, raw: toRaw(root, value, undefined, [], opts) };
  };

  it.each(roundTrips)("converts a raw value exactly like the full conversion: %s", (_name, schema, v) => {
    const opts: ValueOptions = { long: "number" };
    const { root, raw } = rawOf(schema, v, opts);
    const fast = compileFastDecode(root, opts)(raw);
    expect(fast).not.toBe(FAIL);
    expect(fast).toStrictEqual(fromRaw(root, raw, opts));
  });

  it.each(roundTrips)("decodes what the full conversion of the same value gives: %s", (_name, schema, v) => {
    const opts: ValueOptions = { long: "number" };
    const { root, value, raw } = rawOf(schema, v, opts);
    const codec = avroCodec(schema);
    expect(plain(codec.decode(codec.encode(value)))).toEqual(plain(fromRaw(root, raw, opts)));
  });

  it("reads longs as bigint when asked, like the full conversion", () => {
    const opts: ValueOptions = { long: "bigint" };
    const schema = record([
      { name: "a", type: "long" },
      { name: "b", type: ["null", "long"] },
      { name: "c", type: { type: "array", items: "long" } },
    ]);
    const { root, raw } = rawOf(schema, { a: 2n ** 62n, b: -1n, c: [0n, 2n ** 53n] }, opts);
    expect(compileFastDecode(root, opts)(raw)).toStrictEqual(fromRaw(root, raw, opts));
  });

  it.each([
    ["a long beyond the safe range", field("long"), { v: 2n ** 60n }, /v: long 1152921504606846976 is outside/],
    [
      "a timestamp beyond the Date range",
      field({ type: "long", logicalType: "timestamp-millis" }),
      { v: 2n ** 60n },
      /v: timestamp .* is outside the Date range/,
    ],
    [
      "a decimal beyond its precision",
      field({ type: "bytes", logicalType: "decimal", precision: 2, scale: 0 }),
      { v: 1000n },
      /v: decimal 1000 exceeds precision 2/,
    ],
  ])("gives up on %s, and the full conversion reports it with its path", (_what, schema, written, error) => {
    const root = parseSchema(schema).root;
    // Raw values as the reader hands them over (bigint longs, decimals as bytes).
    const v = (written as { v: bigint }).v;
    const isDecimal = JSON.stringify(schema).includes("decimal");
    const raw = { v: isDecimal ? Buffer.from([0x03, 0xe8]) : v };
    expect(compileFastDecode(root, { long: "number" })(raw)).toBe(FAIL);
    expect(() => fromRaw(root, raw, { long: "number" })).toThrow(error);
    if (!isDecimal) {
      const bytes = avroCodec(field("long"), { long: "bigint" }).encode({ v } as never);
      expect(() => avroCodec(schema).decode(bytes)).toThrow(error);
    }
  });
});

describe("the decoder's compiled binary reader", () => {
  type Full<T> = { decodeRaw(bytes: Uint8Array): T };
  const full = (codec: ReturnType<typeof avroCodec>) => codec as unknown as Full<unknown>;
  const payloadOf = (schema: AvroSchema, v: unknown): unknown => {
    const fields = (schema as { fields: { name: string }[] }).fields;
    return fields.length === 1 && fields[0]?.name === "v" ? { v } : v;
  };
  /** The full path's result, or the error it throws. */
  const outcome = (f: () => unknown): { value: unknown } | { error: string } => {
    try {
      return { value: f() };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  it.each(roundTrips)("reads exactly what avsc and the conversion give: %s", (name, schema, v) => {
    const codec = avroCodec(schema);
    const bytes = codec.encode(payloadOf(schema, v));
    const read = compileFastRead(parseSchema(schema).root, { long: "number" });
    if (name.startsWith("decimal")) {
      expect(read).toBeUndefined(); // decimals are left to the full path
      return;
    }
    expect(read).toBeDefined();
    const fast = read?.(bytes);
    // Longs beyond 2^52 in magnitude are left to the full path too.
    if (name === "long at the safe limit" || name === "negative long beyond 2^52") expect(fast).toBe(FAIL);
    else expect(fast).toStrictEqual(full(codec).decodeRaw(bytes));
  });

  it.each(roundTrips)(
    "on damaged bytes gives up or agrees with the full path, never differs: %s",
    (_name, schema, v) => {
      const codec = avroCodec(schema);
      const bytes = codec.encode(payloadOf(schema, v));
      const read = compileFastRead(parseSchema(schema).root, { long: "number" });
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed;
      };
      const variants: Buffer[] = [Buffer.concat([bytes, Buffer.from([0])])];
      for (let n = 0; n < bytes.length; n++) variants.push(bytes.subarray(0, n));
      for (let i = 0; i < bytes.length; i++) {
        for (const b of [0x00, 0x01, 0x7f, 0x80, 0xff, random() % 256]) {
          const copy = Buffer.from(bytes);
          copy[i] = b;
          variants.push(copy);
        }
      }
      let agreed = 0;
      for (const damaged of variants) {
        const expected = outcome(() => full(codec).decodeRaw(damaged));
        const fast = read?.(damaged);
        if ("error" in expected) expect(fast === undefined || fast === FAIL).toBe(true);
        else if (fast !== undefined && fast !== FAIL) {
          expect(fast).toStrictEqual(expected.value);
          agreed++;
        }
        // The codec's own decode is the reader with the full path behind it: the same either way.
        expect(outcome(() => codec.decode(damaged))).toStrictEqual(expected);
      }
      // Every case with bytes to damage has readable variants (the original with a byte set to itself, at least).
      if (read !== undefined && bytes.length > 0 && !/2\^52|safe limit/.test(_name)) expect(agreed).toBeGreaterThan(0);
    },
  );

  it("gives up on longs beyond 2^52 and on map keys named __proto__, which the full path reads", () => {
    const longs = avroCodec(field("long"));
    const read = compileFastRead(parseSchema(field("long")).root, { long: "number" });
    for (const v of [2 ** 52 + 1, -(2 ** 53 - 1), Number.MAX_SAFE_INTEGER]) {
      const bytes = longs.encode({ v });
      expect(read?.(bytes)).toBe(FAIL);
      expect(longs.decode(bytes)).toEqual({ v });
    }
    const maps = avroCodec(field({ type: "map", values: "int" }));
    const bytes = Buffer.from([0x02, 0x12, ...Buffer.from("__proto__"), 0x02, 0x00]);
    expect(compileFastRead(parseSchema(field({ type: "map", values: "int" })).root, { long: "number" })?.(bytes)).toBe(
      FAIL,
    );
    expect(maps.decode(bytes)).toStrictEqual(full(maps).decodeRaw(bytes));
  });

  it("reads strings of every length around the short-ASCII limit, ASCII or not, like the full path", () => {
    const schema = field("string");
    const codec = avroCodec(schema);
    const read = compileFastRead(parseSchema(schema).root, { long: "number" });
    for (let n = 0; n <= 40; n++) {
      for (const text of [
        "x".repeat(n),
        "é".repeat(n),
        `${"a".repeat(Math.max(0, n - 1))}\u007f`,
        `${"a".repeat(n)}✓`,
      ]) {
        const bytes = codec.encode({ v: text });
        expect(read?.(bytes)).toStrictEqual({ v: text });
        expect(full(codec).decodeRaw(bytes)).toStrictEqual({ v: text });
      }
    }
    // Invalid UTF-8 is replaced the same way on both paths.
    const invalid = Buffer.from([0x06, 0x61, 0xff, 0x62]);
    expect(read?.(invalid)).toStrictEqual(full(codec).decodeRaw(invalid));
  });

  it("is not compiled for bigint longs or a record field named __proto__", () => {
    expect(compileFastRead(parseSchema(field("long")).root, { long: "bigint" })).toBeUndefined();
    const proto = record([{ name: "__proto__", type: "int" }]);
    expect(compileFastRead(parseSchema(proto).root, { long: "number" })).toBeUndefined();
  });
});
