/**
 * `skeji-gen check` against the runtime: every writer/reader pair that check approves is encoded by
 * the runtime with the writer schema and decoded with the reader schema by the runtime's own
 * resolver (the one consumers use), and the value read is a valid value of the reader schema that
 * keeps every field both schemas declare alike. Every pair check rejects is refused by the runtime,
 * except where the runtime is documented as more lenient (docs/compatibility.md): a narrower decimal
 * precision is read, and only a value that does not fit it fails.
 *
 * Pairs: the rules table, the versions of every event under test/fixtures (each ordered pair), and
 * generated pairs (generated-pairs.ts).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import avro from "avsc";
import { describe, expect, it } from "vitest";
import { loadProject } from "../../generator/check/project.ts";
import { checkCompatibility, type Incompatibility } from "../../generator/check/rules.ts";
import { resolveSchema } from "../../generator/check/schema.ts";
import { type AvroNode, parseSchema } from "../../runtime/serde/avro/model.ts";
import { type AvroSchema, avroCodec, resolvingCodec } from "../../runtime/serde/avro.ts";
import { generatedPairs, type Pair } from "./generated-pairs.ts";
import { rows } from "./rule-rows.ts";

function fixturePairs(): Pair[] {
  const root = join(import.meta.dirname, "../fixtures");
  const pairs: Pair[] = [];
  for (const dir of readdirSync(root)) {
    const project = loadProject(join(root, dir, "schemas"), join(root, dir));
    for (const event of project.events) {
      for (const w of event.versions) {
        for (const r of event.versions) {
          pairs.push({
            name: `${dir}/${event.type} v${w.version} -> v${r.version}`,
            writer: w.expanded,
            reader: r.expanded,
          });
        }
      }
    }
  }
  return pairs;
}

const tablePairs = (): Pair[] =>
  rows.flatMap((r) => [
    { name: `table: ${r.name}`, writer: r.writer, reader: r.reader },
    { name: `table: ${r.name} (reversed)`, writer: r.reader, reader: r.writer },
  ]);

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Big-endian two's complement of `n` in `size` bytes (the smallest that holds it when size is undefined). */
function twosComplement(n: bigint, size?: number): Buffer {
  let len = size ?? 1;
  while (size === undefined && (n >= 1n << BigInt(8 * len - 1) || n < -(1n << BigInt(8 * len - 1)))) len++;
  const out = Buffer.alloc(len);
  let v = BigInt.asUintN(8 * len, n);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * A raw avsc value (wrapped unions, Buffers, numbers) of a schema, as avsc writes it, valid for the
 * runtime's logical types: decimals within their precision, uuids that are uuids.
 */
function sample(node: AvroNode, next: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const deep = depth > 4;
  switch (node.kind) {
    case "primitive":
      switch (node.type) {
        case "null":
          return null;
        case "boolean":
          return next() < 0.5;
        case "int":
          return Math.floor(next() * 2000) - 1000;
        case "long":
          return Math.floor(next() * 2 ** 40) - 2 ** 39;
        case "float":
          return pick([0, 1.5, -2.25, 1024.5]);
        case "double":
          return pick([0, 0.1, -3.75, 1e300]);
        case "bytes":
          return Buffer.from([1, 2, Math.floor(next() * 256)]);
        case "string":
          return pick(["", "a", "héllo", "12.50"]);
      }
      break;
    case "logical": {
      switch (node.logicalType) {
        case "decimal": {
          // At most `precision` digits, and (fixed) what the size holds.
          const size = node.underlying.kind === "fixed" ? node.underlying.size : undefined;
          const maxDigits = Math.min(node.precision, 15, size === undefined ? 15 : Math.floor((8 * size - 1) * 0.301));
          const digits = 1 + Math.floor(next() * maxDigits);
          const unscaled = BigInt(Math.floor(next() * 10 ** digits)) * (next() < 0.5 ? -1n : 1n);
          return twosComplement(unscaled, size);
        }
        case "uuid":
          return "5b2c7e4e-3f1a-4c1e-9a3b-2d4e5f607182";
        case "date":
          return 19_000 + Math.floor(next() * 1000);
        case "time-millis":
          return Math.floor(next() * 86_400_000);
        case "time-micros":
          return Math.floor(next() * 86_400_000) * 1000;
        case "timestamp-millis":
          return 1_700_000_000_000 + Math.floor(next() * 1e9);
        case "timestamp-micros":
          return 1_700_000_000_000_000 + Math.floor(next() * 1e9);
      }
      return sample(node.underlying, next, depth);
    }
    case "record":
      return Object.fromEntries(node.fields.map((f) => [f.name, sample(f.type, next, depth + 1)]));
    case "enum":
      return pick(node.symbols);
    case "fixed":
      return Buffer.alloc(node.size, Math.floor(next() * 256));
    case "array":
      return Array.from({ length: deep ? 0 : Math.floor(next() * 3) }, () => sample(node.items, next, depth + 1));
    case "map":
      return Object.fromEntries(
        Array.from({ length: deep ? 0 : Math.floor(next() * 3) }, (_, i) => [
          `k${i}`,
          sample(node.values, next, depth + 1),
        ]),
      );
    case "union": {
      const nullable = node.branches.find((b) => b.kind === "primitive" && b.type === "null");
      const branch = deep && nullable ? nullable : pick(node.branches);
      if (branch.kind === "primitive" && branch.type === "null") return null;
      return { [branchName(branch)]: sample(branch, next, depth + 1) };
    }
  }
  throw new Error("no sample for this type");
}

const branchName = (n: AvroNode): string =>
  n.kind === "primitive" ? n.type : n.kind === "logical" ? branchName(n.underlying) : "name" in n ? n.name : n.kind;

/** The runtime is more lenient than check here, by design and documented: see the file comment. */
function documentedLenient(findings: readonly Incompatibility[]): boolean {
  const narrowed = (i: Incompatibility): boolean =>
    i.detail.rule === "decimal"
      ? /^decimal\((\d+),(\d+)\)$/.exec(i.detail.reader)?.[2] === /^decimal\((\d+),(\d+)\)$/.exec(i.detail.writer)?.[2]
      : i.detail.rule === "union-branch" && i.detail.cause !== undefined && narrowed(i.detail.cause);
  return findings.length > 0 && findings.every(narrowed);
}

const SAMPLES = 4;

interface Outcome {
  readonly approved: boolean;
  readonly refused: boolean;
  readonly lenient: boolean;
}

/** Runs one pair; throws (with the pair's name) where check and the runtime disagree. */
function runPair(pair: Pair, seed: number): Outcome {
  const writer = pair.writer as AvroSchema;
  const reader = pair.reader as AvroSchema;
  const findings = checkCompatibility(resolveSchema(reader, "reader"), resolveSchema(writer, "writer"));
  const approved = findings.length === 0;
  let resolving: ReturnType<typeof resolvingCodec>;
  try {
    resolving = resolvingCodec(writer, reader);
  } catch (e) {
    if (approved) throw new Error(`${pair.name}: check approves, the runtime refuses: ${(e as Error).message}`);
    return { approved, refused: true, lenient: false };
  }
  const lenient = !approved && documentedLenient(findings);
  if (!approved && !lenient) {
    throw new Error(
      `${pair.name}: check rejects (${findings.map((f) => `${f.type} at ${f.path || "$"}`).join(", ")}), the runtime reads it`,
    );
  }
  const writerCodec = avroCodec(writer);
  const readerCodec = avroCodec(reader);
  const avscWriter = avro.Type.forSchema(writer as avro.Schema, { wrapUnions: true });
  const root = parseSchema(writer).root;
  const next = random(seed);
  for (let i = 0; i < SAMPLES; i++) {
    const value = writerCodec.decode(avscWriter.toBuffer(sample(root, next)));
    const bytes = writerCodec.encode(value); // the runtime's encoding, as a producer writes it
    let read: unknown;
    try {
      read = resolving.decode(bytes);
    } catch (e) {
      // Lenient pairs read what fits; a value past the reader's precision is refused as it is read.
      if (lenient && /exceeds precision/.test((e as Error).message)) continue;
      throw new Error(`${pair.name}: check approves, the runtime fails to decode: ${(e as Error).message}`);
    }
    const issues = readerCodec.validate(read);
    if (issues.length > 0) throw new Error(`${pair.name}: decoded value is invalid: ${JSON.stringify(issues)}`);
    // Fields both top-level records declare alike (the same JSON, naming no type defined elsewhere) keep their value.
    if (typeof writer === "object" && typeof reader === "object" && value !== null && typeof value === "object") {
      const wf = (writer as { fields?: { name: string; type: unknown }[] }).fields ?? [];
      const rf = (reader as { fields?: { name: string; type: unknown }[] }).fields ?? [];
      const names = [...parseSchema(writer).named.keys()].map((n) => n.slice(n.lastIndexOf(".") + 1));
      const alike = (a: unknown, b: unknown): boolean => {
        const json = JSON.stringify(a);
        return (
          json === JSON.stringify(b) && !names.some((n) => json.includes(`"${n}"`) && !json.includes(`"name":"${n}"`))
        );
      };
      for (const f of rf) {
        const same = wf.find((w) => w.name === f.name && alike(w.type, f.type));
        if (same)
          expect((read as Record<string, unknown>)[f.name], `${pair.name}: field ${f.name}`).toEqual(
            (value as Record<string, unknown>)[f.name],
          );
      }
    }
  }
  return { approved, refused: false, lenient };
}

describe("check agrees with the runtime's resolver", () => {
  const count = (pairs: readonly Pair[]) => {
    const outcomes = pairs.map((p, i) => runPair(p, i + 1));
    return {
      pairs: pairs.length,
      approved: outcomes.filter((o) => o.approved).length,
      refused: outcomes.filter((o) => o.refused).length,
      lenient: outcomes.filter((o) => o.lenient).length,
    };
  };

  it("on the rules table, both ways", () => {
    const c = count(tablePairs());
    expect(c.approved).toBeGreaterThanOrEqual(70);
    expect(c.refused).toBeGreaterThanOrEqual(60);
  });

  it("on every ordered pair of versions of the test fixtures' events", () => {
    const c = count(fixturePairs());
    expect(c.approved).toBeGreaterThanOrEqual(20);
  });

  it("on hundreds of generated pairs", () => {
    const c = count(generatedPairs());
    expect(c.pairs).toBeGreaterThanOrEqual(500);
    expect(c.approved).toBeGreaterThanOrEqual(200);
    expect(c.refused).toBeGreaterThanOrEqual(200);
    // The documented leniency (narrower decimal precision) and nothing else.
    expect(c.lenient).toBeGreaterThan(0);
    expect(c.lenient).toBeLessThan(30);
  });
});

describe("the issue's pairs, decoded", () => {
  const point = (name: string, extra: Record<string, unknown> = {}) => ({
    type: "record",
    name,
    fields: [{ name: "x", type: "int" }],
    ...extra,
  });

  it("reads a record whose namespace moved (a.Point as b.Point)", () => {
    const bytes = avroCodec(point("a.Point")).encode({ x: 7 });
    expect(resolvingCodec(point("a.Point"), point("b.Point")).decode(bytes)).toEqual({ x: 7 });
  });

  it.each([
    ["an alias in another namespace", point("b.Position", { aliases: ["c.Point"] })],
    ["a relative alias, which names b.Point", point("b.Position", { aliases: ["Point"] })],
  ])("refuses %s", (_name, reader) => {
    expect(() => resolvingCodec(point("a.Point"), reader)).toThrow(/no alias found for a\.Point/);
  });

  it("reads a decimal(10,2) as decimal(12,2) with the same value, and refuses another scale", () => {
    const money = (precision: number, scale: number) => ({
      type: "record",
      name: "Price",
      fields: [{ name: "total", type: { type: "bytes", logicalType: "decimal", precision, scale } }],
    });
    const bytes = avroCodec(money(10, 2)).encode({ total: "-12345678.90" });
    expect(resolvingCodec(money(10, 2), money(12, 2)).decode(bytes)).toEqual({ total: "-12345678.90" });
    expect(() => resolvingCodec(money(10, 2), money(12, 3))).toThrow(/scale 2 cannot be read as one of scale 3/);
  });
});
