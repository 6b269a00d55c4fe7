/**
 * The decoder's fast path: converts the raw value avsc read into the TypeScript value of the
 * type mapping in one walk compiled once per schema into a tree of small functions (no
 * per-message schema interpretation, no path objects, no branch lookups by search).
 *
 * It gives up (returns FAIL) at the first thing it does not handle the way `fromRaw` would;
 * the caller then runs `fromRaw` on the whole value, which produces the value itself or throws
 * with the path of the problem. So the fast path may only ever return what `fromRaw` returns
 * for the same raw value: the same conversions, mirrored from `values.ts`.
 */
import { FAIL, memoizeConverters } from "./fast.ts";
import { type AvroNode, branchName, type LogicalNode, nullableBranch } from "./model.ts";
import { bytesToBigint, formatDecimal, isUuid, parseDecimal, type ValueOptions } from "./values.ts";

type Convert = (raw: unknown) => unknown;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
const MS_PER_DAY = 86_400_000;
const MAX_DATE_MS = 8.64e15;

const identity: Convert = (raw) => raw;

/** A safe integer from a raw long (bigint from the reader, or a number), or FAIL. */
const safeNumber = (raw: unknown): number | typeof FAIL => {
  if (typeof raw === "bigint") return raw <= MAX_SAFE_BIG && raw >= -MAX_SAFE_BIG ? Number(raw) : FAIL;
  return Number.isSafeInteger(raw) ? (raw as number) : FAIL;
};

/** Compiles the converter of `root` (cycles of recursive records are followed lazily). */
export function compileFastDecode(root: AvroNode, opts: ValueOptions): Convert {
  const convert = memoizeConverters((node) => build(node));

  const build = (node: AvroNode): Convert => {
    switch (node.kind) {
      case "primitive":
        if (node.type === "long") {
          return opts.long === "bigint"
            ? (raw) => (typeof raw === "bigint" ? raw : Number.isInteger(raw) ? BigInt(raw as number) : FAIL)
            : safeNumber;
        }
        if (node.type === "float" || node.type === "double") {
          return (raw) => (typeof raw === "bigint" ? Number(raw) : raw);
        }
        return identity;
      case "logical":
        return logical(node);
      case "enum":
      case "fixed":
        return identity;
      case "array": {
        const items = convert(node.items);
        return (raw) => {
          if (!Array.isArray(raw)) return FAIL;
          const out = new Array<unknown>(raw.length);
          for (let i = 0; i < raw.length; i++) {
            const r = items(raw[i]);
            if (r === FAIL) return FAIL;
            out[i] = r;
          }
          return out;
        };
      }
      case "map": {
        const values = convert(node.values);
        return (raw) => {
          if (typeof raw !== "object" || raw === null) return FAIL;
          const obj = raw as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const key of Object.keys(obj)) {
            const r = values(obj[key]);
            if (r === FAIL) return FAIL;
            out[key] = r;
          }
          return out;
        };
      }
      case "record":
        return record(
          node.fields.map((f) => f.name),
          node.fields.map((f) => convert(f.type)),
        );
      case "union": {
        const nullable = nullableBranch(node);
        if (nullable !== undefined) {
          // avsc wraps the value in an object whose one own key is the branch name.
          const name = branchName(nullable);
          const branch = convert(nullable);
          return (raw) => {
            if (raw === null) return null;
            if (typeof raw !== "object" || !Object.hasOwn(raw, name)) return FAIL;
            return branch((raw as Record<string, unknown>)[name]);
          };
        }
        const branches = new Map<string, Convert>();
        for (const b of node.branches) {
          const name = branchName(b);
          if (!branches.has(name)) branches.set(name, convert(b)); // the first, like fromRaw's find
        }
        return (raw) => {
          if (raw === null) return null;
          if (typeof raw !== "object") return FAIL;
          const keys = Object.keys(raw);
          const key = keys[0];
          const branch = key === undefined ? undefined : branches.get(key);
          if (branch === undefined || key === undefined) return FAIL;
          const value = branch((raw as Record<string, unknown>)[key]);
          return value === FAIL ? FAIL : { [key]: value };
        };
      }
    }
  };

  return convert(root);
}

/**
 * A record's converter as generated code: one object literal of the declared fields, so every
 * value gets the same shape and each field read is a monomorphic property load. Fields whose
 * raw value is the TypeScript value (strings, ints, enums...) are copied without a call.
 */
function record(names: readonly string[], converters: readonly Convert[]): Convert {
  // `__proto__` in an object literal sets the prototype: the full path (which assigns) decides.
  if (names.includes("__proto__")) return () => FAIL;
  const lines = names.map((name, i) => {
    const key = JSON.stringify(name);
    return converters[i] === identity
      ? `const v${i} = raw[${key}];`
      : `const v${i} = c[${i}](raw[${key}]); if (v${i} === FAIL) return FAIL;`;
  });
  const literal = names.map((name, i) => `${JSON.stringify(name)}: v${i}`).join(", ");
  const body = `return function (raw) {
  if (typeof raw !== "object" || raw === null) return FAIL;
  ${lines.join("\n  ")}
  return { ${literal} };
};`;
  return new Function("c", "FAIL", body)(converters, FAIL) as Convert;
}

const dateOrFail = (ms: number): Date | typeof FAIL => (Math.abs(ms) <= MAX_DATE_MS ? new Date(ms) : FAIL);

function logical(node: LogicalNode): Convert {
  switch (node.logicalType) {
    case "timestamp-millis":
      return (raw) => {
        const ms = safeNumber(raw);
        return ms === FAIL ? FAIL : dateOrFail(ms);
      };
    case "timestamp-micros":
      return (raw) => {
        if (typeof raw !== "bigint") return FAIL;
        let ms = raw / 1000n;
        if (raw % 1000n < 0n) ms -= 1n;
        return dateOrFail(Number(ms));
      };
    case "date":
      return (raw) => (typeof raw === "number" ? dateOrFail(raw * MS_PER_DAY) : FAIL);
    // Times of day and uuids: what the encoder would accept, else the full conversion says why not.
    case "time-millis":
      return (raw) => (Number.isInteger(raw) && (raw as number) >= 0 && (raw as number) < MS_PER_DAY ? raw : FAIL);
    case "time-micros":
      return (raw) => {
        const n = safeNumber(raw);
        return n !== FAIL && n >= 0 && n < MS_PER_DAY * 1000 ? n : FAIL;
      };
    case "uuid":
      return (raw) => (isUuid(raw) ? raw : FAIL);
    case "decimal": {
      const { precision, scale } = node;
      return (raw) => {
        if (!(raw instanceof Uint8Array)) return FAIL;
        const text = formatDecimal(bytesToBigint(raw), scale);
        return parseDecimal(text, precision, scale) === undefined ? FAIL : text;
      };
    }
  }
}
