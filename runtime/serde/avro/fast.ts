/**
 * The encoder's fast path: one walk over a payload that fills defaults, validates and
 * converts to the raw values avsc writes, compiled once per schema into a tree of small
 * functions (no per-message schema interpretation, no path objects, no copy of the payload).
 *
 * It gives up (returns FAIL) at the first thing it does not accept; the caller then runs the
 * full path (`fillDefaults` + `toRaw`), which reports every issue with its path - or, should the
 * fast path have been stricter than needed, produces the raw value itself. So the fast path may
 * only ever accept what `toRaw(fillDefaults(v))` accepts, producing an equivalent raw value:
 * the same checks in the same places, mirrored from `values.ts`.
 *
 * Defaults are converted to raw values once per schema and shared between messages: a raw
 * value only goes to avsc's writer (which never mutates it) and is never handed to user code.
 */
import { defaultValue } from "./defaults.ts";
import { type AvroNode, branchName, type LogicalNode, nullableBranch, type RecordNode } from "./model.ts";
import { isDate, toRaw, type ValidationIssue, type ValueOptions } from "./values.ts";

/** Returned by a converter that does not accept its value. */
export const FAIL: unique symbol = Symbol("fail");
export type Convert = (v: unknown) => unknown;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const asBuffer = (v: Uint8Array): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const validDate = (v: unknown): v is Date => (v instanceof Date || isDate(v)) && !Number.isNaN((v as Date).getTime());
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Builds each node's converter once; a recursive record's converter refers to itself
 * through a forwarder that is in place before its fields are compiled.
 */
export function memoizeConverters(build: (node: AvroNode) => Convert): (node: AvroNode) => Convert {
  const compiled = new Map<AvroNode, Convert>();
  return (node) => {
    let c = compiled.get(node);
    if (c === undefined) {
      let inner: Convert | undefined;
      compiled.set(node, (v) => (inner as Convert)(v));
      inner = build(node);
      compiled.set(node, inner);
      c = inner;
    }
    return c;
  };
}

/**
 * Compiles the converter of `root` (cycles of recursive records are followed lazily). With
 * `withDefaults`, a missing field that has a default takes it (`toRaw(fillDefaults(v))`);
 * without, it fails like `toRaw(v)`.
 */
export function compileFastPath(root: AvroNode, opts: ValueOptions, withDefaults: boolean): Convert {
  const convert = memoizeConverters((node) => build(node));

  const build = (node: AvroNode): Convert => {
    switch (node.kind) {
      case "primitive":
        return primitive(node.type, opts);
      case "logical":
        return logical(node);
      case "enum": {
        const symbols = new Set(node.symbols);
        return (v) => (typeof v === "string" && symbols.has(v) ? v : FAIL);
      }
      case "fixed": {
        const size = node.size;
        return (v) => (isBytes(v) && v.length === size ? asBuffer(v) : FAIL);
      }
      case "array": {
        const items = convert(node.items);
        return (v) => {
          if (!Array.isArray(v)) return FAIL;
          const out = new Array<unknown>(v.length);
          for (let i = 0; i < v.length; i++) {
            const r = items(v[i]);
            if (r === FAIL) return FAIL;
            out[i] = r;
          }
          return out;
        };
      }
      case "map": {
        const values = convert(node.values);
        return (v) => {
          if (!isPlainObject(v)) return FAIL;
          const out: Record<string, unknown> = {};
          for (const key of Object.keys(v)) {
            const r = values(v[key]);
            if (r === FAIL) return FAIL;
            out[key] = r;
          }
          return out;
        };
      }
      case "record":
        return record(node);
      case "union": {
        const hasNull = node.branches.some((b) => b.kind === "primitive" && b.type === "null");
        const nullable = nullableBranch(node);
        if (nullable !== undefined) {
          const name = branchName(nullable);
          const branch = convert(nullable);
          return (v) => {
            if (v === null) return null;
            if (v === undefined) return FAIL;
            const r = branch(v);
            return r === FAIL ? FAIL : { [name]: r };
          };
        }
        const branches = new Map<string, Convert>();
        for (const b of node.branches) {
          const name = branchName(b);
          if (name !== "null") branches.set(name, convert(b));
        }
        return (v) => {
          if (v === null) return hasNull ? null : FAIL;
          if (!isPlainObject(v)) return FAIL;
          const keys = Object.keys(v);
          const key = keys.length === 1 ? (keys[0] as string) : undefined;
          const branch = key === undefined ? undefined : branches.get(key);
          if (branch === undefined || key === undefined) return FAIL;
          const r = branch(v[key]);
          return r === FAIL ? FAIL : { [key]: r };
        };
      }
    }
  };

  const record = (node: RecordNode): Convert => {
    const fields = node.fields.map((f) => ({
      name: f.name,
      convert: convert(f.type),
      // The default as a raw value, computed once (see the module comment on sharing it).
      raw: withDefaults && f.hasDefault ? rawDefault(f.type, f.default, opts) : FAIL,
    }));
    const count = fields.length;
    // Inherited properties would be read here but not by the full path (which copies own
    // properties): only plain objects, whose inherited values are functions no converter accepts.
    if (fields.some((f) => f.name === "__proto__")) return () => FAIL;
    return (v) => {
      if (!isPlainObject(v)) return FAIL; // class instances and the like: the full path
      const out: Record<string, unknown> = {};
      let present = 0;
      for (let i = 0; i < count; i++) {
        const f = fields[i] as (typeof fields)[number];
        const value = v[f.name];
        if (value === undefined) {
          if (f.raw === FAIL) return FAIL;
          out[f.name] = f.raw;
        } else {
          present++;
          const r = f.convert(value);
          if (r === FAIL) return FAIL;
          out[f.name] = r;
        }
      }
      // Undeclared fields are issues: with as many keys as declared fields present, there are none.
      let keys = 0;
      for (const _ in v) keys++;
      if (keys !== present) return FAIL; // extra keys (or undefined-valued ones): let the full path decide
      return out;
    };
  };

  return convert(root);
}

function primitive(type: string, opts: ValueOptions): Convert {
  switch (type) {
    case "null":
      return (v) => (v === null ? null : FAIL);
    case "boolean":
      return (v) => (typeof v === "boolean" ? v : FAIL);
    case "int":
      return (v) => (Number.isInteger(v) && (v as number) >= INT_MIN && (v as number) <= INT_MAX ? v : FAIL);
    case "long":
      // The encoding long type writes numbers and bigints alike: no BigInt per value.
      return opts.long === "bigint"
        ? (v) => (typeof v === "bigint" && v >= LONG_MIN && v <= LONG_MAX ? v : FAIL)
        : (v) => (Number.isSafeInteger(v) ? v : FAIL);
    case "float":
    case "double":
      return (v) => (typeof v === "number" ? v : FAIL);
    case "string":
      return (v) => (typeof v === "string" ? v : FAIL);
    case "bytes":
      return (v) => (isBytes(v) ? asBuffer(v) : FAIL);
    default:
      return () => FAIL;
  }
}

function logical(node: LogicalNode): Convert {
  switch (node.logicalType) {
    case "timestamp-millis":
      return (v) => (validDate(v) ? v.getTime() : FAIL); // within +-8.64e15: a safe integer
    case "timestamp-micros":
      return (v) => (validDate(v) ? BigInt(v.getTime()) * 1000n : FAIL);
    case "date":
      return (v) => {
        if (!validDate(v)) return FAIL;
        const days = v.getTime() / MS_PER_DAY;
        return Number.isInteger(days) ? days : FAIL;
      };
    case "time-millis":
      return (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) < MS_PER_DAY ? v : FAIL);
    case "time-micros":
      return (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) < MS_PER_DAY * 1000 ? v : FAIL);
    default: {
      // uuid and decimal: the full path's conversion (already cheap, or rare).
      return (v) => {
        const issues: ValidationIssue[] = [];
        const raw = toRaw(node, v, undefined, issues, { long: "number" });
        return issues.length > 0 ? FAIL : raw;
      };
    }
  }
}

/** A field default as a raw value; the full path computes the same from the TypeScript default. */
function rawDefault(node: AvroNode, json: unknown, opts: ValueOptions): unknown {
  const issues: ValidationIssue[] = [];
  const raw = toRaw(node, defaultValue(node, json, opts), undefined, issues, opts);
  return issues.length > 0 ? FAIL : raw; // an invalid default cannot pass schema parsing; FAIL just in case
}
