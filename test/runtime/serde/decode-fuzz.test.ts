/**
 * Differential fuzzing of the Avro decoder: valid records are damaged (truncated, bytes replaced,
 * inserted or deleted, count bombs and overlong varints spliced in, or replaced by garbage), and
 * every decoding path must agree with a reference decoder written here from the specification and
 * the documented bounds (runtime/serde/avro/bounds.ts): the same value when the reference reads
 * one, a DECODE_FAILED SkejiError when it does not - never another error, never a hang or a crash.
 * The reference is deliberately plain: BigInt varints, one function per construct, no compilation.
 */
import { describe, expect, it } from "vitest";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { compileScan, MAX_EMPTY_ITEMS, minEncodedSize } from "../../../runtime/serde/avro/bounds.ts";
import { FAIL } from "../../../runtime/serde/avro/fast.ts";
import { compileFastRead } from "../../../runtime/serde/avro/fast-read.ts";
import { type AvroNode, branchName, nullableBranch, parseSchema } from "../../../runtime/serde/avro/model.ts";
import { type AvroSchema, avroCodec, resolvingCodec } from "../../../runtime/serde/avro.ts";
import { varint } from "./avro-bytes.ts";

const fuzz = {
  type: "record",
  name: "Fuzz",
  namespace: "test.fuzz",
  fields: [
    { name: "id", type: "string" },
    { name: "n", type: "int" },
    { name: "big", type: "long" },
    { name: "ok", type: "boolean" },
    { name: "ratio", type: "float" },
    { name: "score", type: "double" },
    { name: "blob", type: "bytes" },
    { name: "hash", type: { type: "fixed", name: "Hash", size: 3 } },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["A", "B", "C"] } },
    { name: "maybe", type: ["null", "string"] },
    {
      name: "choice",
      type: ["null", "int", "string", { type: "record", name: "Sub", fields: [{ name: "x", type: "int" }] }],
    },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "attrs", type: { type: "map", values: "int" } },
    { name: "markers", type: { type: "array", items: { type: "record", name: "Empty", fields: [] } } },
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
            { name: "opt", type: ["null", "long"] },
          ],
        },
      },
    },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "day", type: { type: "int", logicalType: "date" } },
    { name: "ref", type: { type: "string", logicalType: "uuid" } },
    { name: "tod", type: { type: "int", logicalType: "time-millis" } },
    {
      name: "tree",
      type: [
        "null",
        {
          type: "record",
          name: "Tree",
          fields: [
            { name: "label", type: "string" },
            { name: "kids", type: { type: "array", items: "Tree" } },
          ],
        },
      ],
    },
  ],
} as const;
const fuzzNext = { ...fuzz, fields: [...fuzz.fields, { name: "added", type: "int", default: 7 }] } as const;

// --- the reference decoder -------------------------------------------------------------------------

/** Bytes the reference rejects: `bytes` breaks an encoding rule, `value` is well-formed but not a value of the type. */
class Invalid extends Error {
  constructor(
    readonly kind: "bytes" | "value",
    why: string,
  ) {
    super(why);
  }
}
/** A map key `__proto__`: the codec drops it (an object's prototype key); the reference does not guess. */
class Unsure extends Error {}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DAY_MS = 86_400_000;

function reference(root: AvroNode, bytes: Buffer): unknown {
  let pos = 0;
  let empty = 0;
  /** The first value the type cannot hold: noted, and the bytes read on, to tell the two kinds apart. */
  let badValue: string | undefined;
  const bad = (why: string): null => {
    badValue ??= why;
    return null;
  };
  const left = () => bytes.length - pos;
  const byte = (): number => {
    if (pos >= bytes.length) throw new Invalid("bytes", "truncated");
    return bytes[pos++] as number;
  };
  const take = (n: bigint | number): Buffer => {
    if (BigInt(n) < 0n || BigInt(n) > BigInt(left())) throw new Invalid("bytes", "length");
    pos += Number(n);
    return bytes.subarray(pos - Number(n), pos);
  };
  /** At most 10 bytes, below 2^64. */
  const long = (): bigint => {
    let z = 0n;
    for (let i = 0; ; i++) {
      if (i === 10) throw new Invalid("bytes", "over 10 bytes");
      const b = byte();
      z |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) break;
    }
    if (z >= 1n << 64n) throw new Invalid("bytes", "over 64 bits");
    return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
  };
  const int = (): number => {
    const v = long();
    if (v < -(2n ** 31n) || v >= 2n ** 31n) throw new Invalid("bytes", "int");
    return Number(v);
  };
  const safe = (v: bigint): number => (v > MAX_SAFE || v < -MAX_SAFE ? (bad("unsafe long") ?? 0) : Number(v));
  const date = (ms: number): Date | null => (Math.abs(ms) > 8.64e15 ? bad("date") : new Date(ms));
  /** Reads the blocks of an array or map, calling `item` per item. */
  const blocks = (min: number, item: () => void): void => {
    for (;;) {
      let n = long();
      if (n === 0n) return;
      let end = -1;
      if (n < 0n) {
        n = -n;
        const size = long();
        if (size < 0n || size > BigInt(left())) throw new Invalid("bytes", "block size");
        end = pos + Number(size);
      }
      if (min > 0) {
        if (n * BigInt(min) > BigInt(left())) throw new Invalid("bytes", "count");
      } else {
        empty += Number(n);
        if (empty > MAX_EMPTY_ITEMS) throw new Invalid("bytes", "empty items");
      }
      for (let i = 0n; i < n; i++) item();
      if (end >= 0 && pos !== end) throw new Invalid("bytes", "block size");
    }
  };
  const value = (node: AvroNode): unknown => {
    switch (node.kind) {
      case "primitive":
        switch (node.type) {
          case "null":
            return null;
          case "boolean": {
            const b = byte();
            if (b > 1) throw new Invalid("bytes", "boolean");
            return b === 1;
          }
          case "int":
            return int();
          case "long":
            return safe(long());
          case "float":
            return take(4).readFloatLE(0);
          case "double":
            return take(8).readDoubleLE(0);
          case "string":
            return take(long()).toString("utf8");
          case "bytes":
            return Buffer.from(take(long()));
        }
        throw new Error("unreachable");
      case "fixed":
        return Buffer.from(take(node.size));
      case "enum": {
        const s = node.symbols[Number(long())];
        if (s === undefined) throw new Invalid("bytes", "enum");
        return s;
      }
      case "union": {
        const i = long();
        const branch = i >= 0n && i < BigInt(node.branches.length) ? node.branches[Number(i)] : undefined;
        if (branch === undefined) throw new Invalid("bytes", "union");
        if (branch.kind === "primitive" && branch.type === "null") return null;
        const v = value(branch);
        return nullableBranch(node) !== undefined ? v : { [branchName(branch)]: v };
      }
      case "array": {
        const out: unknown[] = [];
        blocks(minEncodedSize(node.items), () => out.push(value(node.items)));
        return out;
      }
      case "map": {
        const out: Record<string, unknown> = {};
        blocks(1 + minEncodedSize(node.values), () => {
          const key = take(long()).toString("utf8");
          if (key === "__proto__") throw new Unsure();
          out[key] = value(node.values);
        });
        return out;
      }
      case "record": {
        const out: Record<string, unknown> = {};
        for (const f of node.fields) out[f.name] = value(f.type);
        return out;
      }
      case "logical":
        switch (node.logicalType) {
          case "timestamp-millis":
            return date(safe(long()));
          case "date":
            return date(int() * DAY_MS);
          case "time-millis": {
            const v = int();
            return v < 0 || v >= DAY_MS ? bad("time of day") : v;
          }
          case "uuid": {
            const s = take(long()).toString("utf8");
            return UUID.test(s) ? s : bad("uuid");
          }
          default:
            throw new Error(`the reference does not read ${node.logicalType}`);
        }
    }
  };
  const out = value(root);
  if (pos !== bytes.length) throw new Invalid("bytes", "trailing");
  if (badValue !== undefined) throw new Invalid("value", badValue);
  return out;
}

// --- inputs ----------------------------------------------------------------------------------------

/** A small deterministic PRNG (tests must not depend on luck). */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  };
}

function validPayload(r: ReturnType<typeof prng>, depth = 0): Record<string, unknown> {
  const text = () => r.pick(["", "a", "héllo", "x".repeat(30), "✓✓"]);
  const tree = (d: number): unknown =>
    d > 2 || r.next() < 0.4
      ? null
      : { label: text(), kids: Array.from({ length: r.int(3) }, () => tree(d + 1) ?? { label: "leaf", kids: [] }) };
  return {
    id: text(),
    n: r.pick([0, -1, 2 ** 31 - 1, -(2 ** 31), 300]),
    big: r.pick([0, 1, -(2 ** 52), 2 ** 53 - 1, 123456789]),
    ok: r.next() < 0.5,
    ratio: r.pick([0, 1.5, -2.25]),
    score: r.pick([0, Math.PI, -1e300]),
    blob: Buffer.from(Array.from({ length: r.int(5) }, () => r.int(256))),
    hash: Buffer.from([r.int(256), r.int(256), r.int(256)]),
    status: r.pick(["A", "B", "C"]),
    maybe: r.pick([null, "m"]),
    choice: r.pick([null, { int: 5 }, { string: "s" }, { "test.fuzz.Sub": { x: -3 } }]),
    tags: Array.from({ length: r.int(4) }, text),
    attrs: Object.fromEntries(Array.from({ length: r.int(3) }, (_, i) => [`k${i}`, r.int(1000) - 500])),
    markers: Array.from({ length: r.int(4) }, () => ({})),
    lines: Array.from({ length: r.int(3) }, () => ({ sku: text(), qty: r.int(100), opt: r.pick([null, 2 ** 40]) })),
    at: new Date(r.pick([0, 1_763_478_000_123, -86_400_000])),
    day: new Date(r.pick([0, 20_000]) * DAY_MS),
    ref: "123e4567-e89b-12d3-a456-426614174000",
    tod: r.pick([0, 86_399_999, 54_000_000]),
    tree: depth === 0 ? tree(0) : null,
  };
}

const spliced: readonly number[][] = [
  [...Array(9).fill(0xff), 0x01], // the largest 64-bit varint
  [...Array(10).fill(0x80), 0x00], // 11 bytes
  [...Array(9).fill(0xff), 0x7f], // beyond 64 bits
  varint(30_000_000),
  varint(60_000_000),
  varint(-3),
  varint(2 ** 40),
  varint(-(2 ** 31) - 1),
];

/** Damaged variants of `bytes`. */
function damaged(bytes: Buffer, r: ReturnType<typeof prng>): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n < bytes.length; n++) out.push(bytes.subarray(0, n));
  for (let k = 0; k < 150; k++) {
    const at = r.int(bytes.length + 1);
    const copy = [...bytes];
    switch (r.int(4)) {
      case 0:
        copy[Math.min(at, copy.length - 1)] = r.pick([0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, r.int(256)]);
        break;
      case 1:
        copy.splice(at, 0, ...r.pick(spliced));
        break;
      case 2:
        copy.splice(at, 1 + r.int(3));
        break;
      default:
        copy.splice(at, r.int(4), ...Array.from({ length: 1 + r.int(6) }, () => r.int(256)));
    }
    out.push(Buffer.from(copy));
  }
  for (let k = 0; k < 30; k++) out.push(Buffer.from(Array.from({ length: r.int(80) }, () => r.int(256))));
  return out;
}

// --- the test --------------------------------------------------------------------------------------

type Outcome = { value: unknown } | { error: unknown };
const outcome = (f: () => unknown): Outcome => {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
};

describe("differential fuzzing of the Avro decoder", () => {
  const schema = fuzz as AvroSchema;
  const root = parseSchema(schema).root;
  const codec = avroCodec(schema);
  const full = codec as unknown as { decodeRaw(bytes: Buffer): unknown };
  const resolving = resolvingCodec(schema, fuzzNext as AvroSchema);
  const compiled = compileFastRead(root, { long: "number" });
  const scan = compileScan(root);

  it.each([1, 2, 3, 4, 5, 6])("seed %i: every path agrees with the reference, or fails with DECODE_FAILED", (seed) => {
    const r = prng(seed);
    const payload = validPayload(r);
    const bytes = codec.encode(payload);
    expect(reference(root, bytes)).toStrictEqual(codec.decode(bytes));
    let valid = 0;
    let invalid = 0;
    for (const input of [bytes, ...damaged(bytes, r)]) {
      let expected: Outcome;
      try {
        expected = { value: reference(root, input) };
      } catch (e) {
        if (e instanceof Unsure) continue;
        if (!(e instanceof Invalid)) throw e;
        expected = { error: e };
      }
      const paths: [string, Outcome, unknown][] = [
        ["decode", outcome(() => codec.decode(input)), "value" in expected ? expected.value : undefined],
        ["full path", outcome(() => full.decodeRaw(input)), "value" in expected ? expected.value : undefined],
        [
          "resolving",
          outcome(() => resolving.decode(input)),
          "value" in expected ? { ...(expected.value as object), added: 7 } : undefined,
        ],
      ];
      const hex = input.toString("hex");
      for (const [path, got, want] of paths) {
        if ("value" in expected) {
          expect("value" in got ? got.value : got.error, `${path} on ${hex}`).toStrictEqual(want);
        } else {
          const error = "error" in got ? got.error : got.value;
          expect(isSkejiError(error, "DECODE_FAILED"), `${path} on ${hex}: ${String(error)}`).toBe(true);
          // The generated check and the explaining scan never disagree (that would give no reason).
          expect((error as Error).message, `${path} on ${hex}`).not.toContain("not a valid encoding");
        }
      }
      // The bounds check rejects exactly the bytes that break an encoding rule.
      const scanned = outcome(() => scan(input));
      const malformed = "error" in expected && (expected.error as Invalid).kind === "bytes";
      expect("error" in scanned, `bounds check on ${hex}`).toBe(malformed);
      // The compiled reader on its own: the value, or it gives up; never a different value.
      const fast = compiled?.(input);
      if (fast !== FAIL && fast !== undefined) {
        expect(fast, `compiled reader on ${hex}`).toStrictEqual("value" in expected ? expected.value : "an error");
      }
      if ("value" in expected) valid++;
      else invalid++;
    }
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(100);
  });
});
