/**
 * Bounded decoding: every kind of hostile bytes - count bombs, length bombs, overlong varints,
 * values the type cannot hold, nesting deeper than the stack - is a DECODE_FAILED that says what
 * is wrong and where, on every decoding path: the compiled reader, the full path (avsc), schema
 * resolution from an older writer, embedded Avro through `decodeRecord`, and the Confluent format
 * with the writer schema from the real registry. JSON: nesting, size and one issue per item.
 */
import { describe, expect, it } from "vitest";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { classifyError } from "../../../runtime/errors/classify.ts";
import { MAX_EMPTY_ITEMS } from "../../../runtime/serde/avro/bounds.ts";
import { type AvroSchema, avroCodec, resolvingCodec } from "../../../runtime/serde/avro.ts";
import { createRegistryClient } from "../../../runtime/serde/registry.ts";
import { decodeRecord } from "../../../runtime/serde/serde.ts";
import { registryUrl, uniqueName } from "../../infra/env.ts";
import { str, varint } from "./avro-bytes.ts";

const v1 = {
  type: "record",
  name: "Poison",
  namespace: "test.bounds",
  fields: [
    { name: "id", type: "string" },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "attrs", type: { type: "map", values: "long" } },
    { name: "blob", type: "bytes" },
    { name: "count", type: "long" },
    { name: "seats", type: "int" },
    { name: "ok", type: "boolean" },
    { name: "markers", type: { type: "array", items: { type: "record", name: "Marker", fields: [] } } },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["OPEN", "CLOSED"] } },
    { name: "choice", type: ["null", "string", "long"] },
    { name: "ref", type: { type: "string", logicalType: "uuid" } },
    { name: "at", type: { type: "int", logicalType: "time-millis" } },
    { name: "hash", type: { type: "fixed", name: "Hash", size: 4 } },
    {
      name: "lines",
      type: {
        type: "array",
        items: {
          type: "record",
          name: "Line",
          fields: [
            { name: "sku", type: "string" },
            { name: "qty", type: "int" },
          ],
        },
      },
    },
  ],
} as const;
const v2 = { ...v1, fields: [...v1.fields, { name: "note", type: "string", default: "" }] } as const;
type Field = (typeof v1.fields)[number]["name"];

const UUID = "123e4567-e89b-12d3-a456-426614174000";
/** The bytes of each field of a valid record. */
const validFields: Record<Field, number[]> = {
  id: str("e-1"),
  tags: [...varint(1), ...str("a"), 0],
  attrs: [0],
  blob: [0],
  count: varint(5),
  seats: varint(2),
  ok: [1],
  markers: [0],
  status: varint(1),
  choice: [0],
  ref: str(UUID),
  at: varint(1000),
  hash: [1, 2, 3, 4],
  lines: [...varint(1), ...str("sku-1"), ...varint(3), 0],
};
const validValue = {
  id: "e-1",
  tags: ["a"],
  attrs: {},
  blob: Buffer.alloc(0),
  count: 5,
  seats: 2,
  ok: true,
  markers: [],
  status: "CLOSED",
  choice: null,
  ref: UUID,
  at: 1000,
  hash: Buffer.from([1, 2, 3, 4]),
  lines: [{ sku: "sku-1", qty: 3 }],
};

/** A record of `v1` with some fields' bytes replaced. */
const recordWith = (fields: Partial<Record<Field, number[]>>, tail: number[] = []): Buffer =>
  Buffer.from([...v1.fields.flatMap((f) => fields[f.name] ?? validFields[f.name]), ...tail]);

/** A record cut inside `field`, `keep` bytes into it. */
function cutInside(field: Field, keep: number): Buffer {
  const i = v1.fields.findIndex((f) => f.name === field);
  const before = v1.fields.slice(0, i).flatMap((f) => validFields[f.name]);
  return Buffer.from([...before, ...validFields[field].slice(0, keep)]);
}

/** `{n}`: any number. */
const bombs: [what: string, bytes: Buffer, reason: string][] = [
  [
    "an array claiming 30 million items",
    recordWith({ tags: [...varint(30_000_000), ...str("x"), 0] }),
    `tags: an array block claims 30000000 items, but only {n} byte{s} left (each item takes at least 1 byte)`,
  ],
  [
    "an array claiming 60 million items",
    recordWith({ tags: [...varint(60_000_000), ...str("x"), 0] }),
    `tags: an array block claims 60000000 items, but only {n} byte{s} left (each item takes at least 1 byte)`,
  ],
  [
    "an array of records claiming 2^62 items",
    recordWith({ lines: [...varint(2n ** 62n), 0] }),
    `lines: an array block claims {n} items, but only {n} byte{s} left (each item takes at least 2 bytes)`,
  ],
  [
    "a map claiming 30 million entries",
    recordWith({ attrs: [...varint(30_000_000), ...str("k"), ...varint(1), 0] }),
    `attrs: a map block claims 30000000 items, but only {n} byte{s} left (each item takes at least 2 bytes)`,
  ],
  [
    "a negative block count with a byte size past the end",
    recordWith({ tags: [...varint(-3), ...varint(1_000_000), ...str("x"), 0] }),
    `tags: an array block states a size of 1000000 bytes, but only {n} byte{s} left`,
  ],
  [
    "a negative block count whose byte size is not what its items take",
    recordWith({ tags: [...varint(-1), ...varint(5), ...str("a"), 0] }),
    "tags: an array block states a size of 5 bytes, but its items take 2",
  ],
  [
    "array items that take no bytes, claimed by the billion",
    recordWith({ markers: [...varint(1_000_000_000), 0] }),
    `markers: an array block claims 1000000000 items that take no bytes, 1000000000 in the record, more than the ${MAX_EMPTY_ITEMS} allowed`,
  ],
  [
    "array items that take no bytes, a few thousand per block over many blocks",
    recordWith({ markers: [...Array.from({ length: 20 }, () => varint(6000)).flat(), 0] }),
    `markers: an array block claims 6000 items that take no bytes, 102000 in the record, more than the ${MAX_EMPTY_ITEMS} allowed`,
  ],
  [
    "a string claiming 2^40 bytes",
    recordWith({ id: varint(2 ** 40) }),
    `id: truncated buffer: a string of 1099511627776 bytes, only {n} bytes left`,
  ],
  [
    "bytes claiming 100 MB",
    recordWith({ blob: varint(100_000_000) }),
    `blob: truncated buffer: a bytes value of 100000000 bytes, only {n} bytes left`,
  ],
  ["a string of negative length", recordWith({ id: varint(-5) }), "id: a string of negative length -5"],
  [
    "a string length bomb inside an array item",
    recordWith({ lines: [...varint(1), ...varint(1_000_000_000)] }),
    `lines[0].sku: truncated buffer: a string of 1000000000 bytes, only {n} bytes left`,
  ],
  [
    "a map key claiming a gigabyte",
    recordWith({ attrs: [...varint(1), ...varint(1_000_000_000)] }),
    `attrs: truncated buffer: a map key of 1000000000 bytes, only {n} bytes left`,
  ],
  [
    "a long of 11 bytes (zeros padded)",
    recordWith({ count: [...Array(10).fill(0x80), 0x00] }),
    "count: a long is a varint longer than 10 bytes",
  ],
  [
    "a long beyond 64 bits",
    recordWith({ count: [...Array(9).fill(0xff), 0x02] }),
    "count: a long is a varint beyond 64 bits",
  ],
  [
    "an int beyond 32 bits",
    recordWith({ seats: varint(2 ** 31) }),
    "seats: int 2147483648 is outside the 32-bit range",
  ],
  ["a boolean byte of 2", recordWith({ ok: [2] }), "ok: a boolean byte is 2 (expected 0 or 1)"],
  [
    "an enum index past the symbols",
    recordWith({ status: varint(7) }),
    "status: enum index 7 is not a symbol of test.bounds.Status (2 symbols)",
  ],
  [
    "a union index past the branches",
    recordWith({ choice: varint(5) }),
    "choice: union branch index 5 does not exist (the union has 3 branches)",
  ],
  [
    "a record cut short",
    cutInside("hash", 2),
    "hash: truncated buffer: a fixed test.bounds.Hash needs 4 bytes, only 2 bytes left",
  ],
  ["trailing bytes", recordWith({}, [0, 0]), "trailing data: 2 bytes after the record"],
  ["a uuid that is not one", recordWith({ ref: str("not-a-uuid") }), 'ref: string "not-a-uuid" is not a uuid'],
  [
    "a time-millis before midnight",
    recordWith({ at: varint(-1) }),
    "at: time-millis -1 is not a time of day (0..86399999)",
  ],
];

/** The exact message, any number where the reason says `{n}`. */
const messageOf = (name: string, reason: string, prefix = "cannot decode"): RegExp =>
  new RegExp(
    `^${`${prefix} ${name}: ${reason}`
      .replace(/[.*+?^$()[\]\\|]/g, "\\$&")
      .replace(/\{n\}/g, "\\d+")
      .replace(/\{s\}/g, "(?: is|s are)")}$`,
  );

/** The error `decode` throws (failing the test when it returns), checked to be a DECODE_FAILED. */
async function decodeError(decode: () => unknown): Promise<Error> {
  let error: unknown;
  try {
    await decode();
  } catch (e) {
    error = e;
  }
  expect(isSkejiError(error, "DECODE_FAILED"), `expected DECODE_FAILED, got ${String(error)}`).toBe(true);
  expect(classifyError(error)).toBe("permanent");
  return error as Error;
}

const eventOf = (format: "avro" | "confluent", versions: readonly AvroSchema[]) =>
  defineEvent({
    type: "test.bounds.poison",
    name: "Poison",
    topic: "bounds",
    keyField: "id",
    format,
    compatibility: "BACKWARD",
    versions: versions.map((schema, i) => ({ version: i + 1, schema })),
  });
const embeddedHeaders = {
  "event-type": "test.bounds.poison",
  "schema-version": "v1",
  "schema-fingerprint": avroCodec(v1).fingerprint,
  "content-type": "application/avro",
};

describe("bounded decoding of hostile bytes", () => {
  it("reads the valid record the bombs are made from, on every path", async () => {
    const bytes = recordWith({});
    expect(avroCodec(v1).decode(bytes)).toStrictEqual(validValue);
    expect(resolvingCodec(v1, v2).decode(bytes)).toStrictEqual({ ...validValue, note: "" });
    const decoded = await decodeRecord({ headers: embeddedHeaders, value: bytes }, [eventOf("avro", [v1, v2])]);
    expect(decoded.payload).toStrictEqual({ ...validValue, note: "" });
  });

  const paths: [path: string, decode: (bytes: Buffer) => unknown][] = [
    ["the compiled reader", (bytes) => avroCodec(v1).decode(bytes)],
    ["the full path", (bytes) => (avroCodec(v1) as unknown as { decodeRaw(b: Buffer): unknown }).decodeRaw(bytes)],
    ["resolving from an older version", (bytes) => resolvingCodec(v1, v2).decode(bytes)],
    [
      "an embedded Avro record of the latest version",
      (bytes) => decodeRecord({ headers: embeddedHeaders, value: bytes }, [eventOf("avro", [v1])]),
    ],
    [
      "an embedded Avro record of an older version",
      (bytes) => decodeRecord({ headers: embeddedHeaders, value: bytes }, [eventOf("avro", [v1, v2])]),
    ],
  ];
  describe.each(paths)("through %s", (_path, decode) => {
    it.each(bombs)("%s", async (_what, bytes, reason) => {
      const error = await decodeError(() => decode(bytes));
      expect(error.message).toMatch(messageOf("test.bounds.Poison", reason));
    });
  });

  describe("in the Confluent format, the writer schema from the real registry", () => {
    const registry = createRegistryClient({ url: registryUrl() });
    const schemaId = registry.register(uniqueName("bounds-value"), v1);
    it.each(bombs)("%s", async (_what, bytes, reason) => {
      const framed = Buffer.alloc(5 + bytes.length);
      framed.writeUInt32BE(await schemaId, 1);
      bytes.copy(framed, 5);
      const error = await decodeError(() =>
        decodeRecord({ headers: {}, value: framed }, [eventOf("confluent", [v1, v2])], { registry }),
      );
      expect(error.message).toMatch(messageOf("test.bounds.Poison", reason));
    });
  });

  it("names the field path of a bomb inside nested values, and keeps the message short however deep", async () => {
    const node = {
      type: "record",
      name: "Node",
      namespace: "test.bounds",
      fields: [
        { name: "label", type: "string" },
        { name: "next", type: ["null", "Node"] },
      ],
    } as const;
    const nested = (depth: number, last: number[]) =>
      Buffer.from([...Array.from({ length: depth }, () => [...str("n"), 2]).flat(), ...last]);
    const shallow = await decodeError(() => avroCodec(node).decode(nested(3, varint(2 ** 40))));
    expect(shallow.message).toMatch(
      /^cannot decode test\.bounds\.Node: next\.next\.next\.label: truncated buffer: a string of 1099511627776 bytes, only 0 bytes left$/,
    );
    const deep = await decodeError(() => avroCodec(node).decode(nested(2000, varint(2 ** 40))));
    expect(deep.message.length).toBeLessThan(400);
    expect(deep.message).toMatch(/^cannot decode test\.bounds\.Node: next\.next\..*\.\.\..*\.next\.label: truncated/);
  });

  it("a record nested deeper than the stack allows is a DECODE_FAILED on every path, not a RangeError", async () => {
    const list = (extra: object[] = []) => ({
      type: "record",
      name: "Link",
      namespace: "test.bounds",
      fields: [{ name: "next", type: ["null", "Link"] }, ...extra],
    });
    const bytes = Buffer.from([...Array(200_000).fill(2), 0]); // 200 000 links, one byte each
    const reason = "the record is nested deeper than the decoder's stack allows";
    const older = list();
    const newer = list([{ name: "n", type: "int", default: 0 }]);
    for (const decode of [() => avroCodec(older).decode(bytes), () => resolvingCodec(older, newer).decode(bytes)]) {
      expect((await decodeError(decode)).message).toBe(`cannot decode test.bounds.Link: ${reason}`);
    }
    const json = `${'{"next":'.repeat(200_000)}null${"}".repeat(200_000)}`;
    expect((await decodeError(() => avroCodec(older).fromJSON(json))).message).toBe(
      `cannot decode test.bounds.Link: ${reason}`,
    );
  });
});

describe("bounded decoding of hostile JSON", () => {
  const json = (value: Record<string, unknown>) => JSON.stringify({ ...jsonValid, ...value });
  const jsonValid = {
    ...validValue,
    blob: "",
    hash: Buffer.from([1, 2, 3, 4]).toString("base64"),
  };
  const decodeJson = (text: string) =>
    decodeRecord({ headers: { ...embeddedHeaders, "content-type": "application/json" }, value: Buffer.from(text) }, [
      eventOf("avro", [v1, v2]),
    ]);

  it("reads the valid record, and a string as long as the message allows", async () => {
    expect((await decodeJson(json({}))).payload).toStrictEqual({ ...validValue, note: "" });
    const long = "x".repeat(900_000);
    expect(((await decodeJson(json({ id: long }))).payload as { id: string }).id).toBe(long);
  });

  it.each([
    [
      "an array nested 500 000 deep where a string belongs",
      json({ id: "deep" }).replace('"deep"', `${"[".repeat(500_000)}${"]".repeat(500_000)}`),
      "id: expected string, got array of 1",
    ],
    [
      "an issue in every one of 300 000 items (only the first ones are kept)",
      json({ tags: Array(300_000).fill(1) }),
      "tags[0]: expected string, got number 1; tags[1]: expected string, got number 1; tags[2]: expected string, got number 1; and 299997 more",
    ],
    [
      "a uuid that is not one",
      json({ ref: "not-a-uuid" }),
      'ref: expected uuid (string like 123e4567-e89b-12d3-a456-426614174000), got string "not-a-uuid"',
    ],
    [
      "a time-millis before midnight",
      json({ at: -1 }),
      "at: expected time-millis (integer 0..86399999), got number -1",
    ],
  ])("%s", async (_what, text, reason) => {
    const error = await decodeError(() => decodeJson(text));
    expect(error.message).toMatch(messageOf("test.bounds.Poison", reason, "JSON does not match"));
  });
});
