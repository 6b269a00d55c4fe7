/**
 * Conversion between the TypeScript values of the type mapping (docs/type-mapping.md)
 * and the raw values avsc encodes: unions wrapped (`{ "string": "x" }`), longs as bigint,
 * bytes as Buffer, logical types as their underlying values.
 *
 * `toRaw` validates while it converts and reports every issue with a path such as
 * `params.start_time` or `items[2].id`; `fromRaw` converts decoded values back.
 */
import {
  type AvroNode,
  branchName,
  type LogicalNode,
  nullableBranch,
  type PrimitiveNode,
  type RecordNode,
  type UnionNode,
} from "./model.ts";

export interface ValidationIssue {
  /** Where in the payload, e.g. `params.start_time` or `items[2].id`; empty for the payload itself. */
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

/**
 * Issues of a payload read from the outside, bounded: a hostile record can carry one issue per
 * item (a megabyte of JSON, half a million of them), and keeping them all would exhaust the heap.
 * The first `max` are kept; the rest are only counted in `omitted`.
 */
export class BoundedIssues extends Array<ValidationIssue> {
  omitted = 0;
  max = 100;

  override push(...items: ValidationIssue[]): number {
    for (const item of items) {
      if (this.length < this.max) super.push(item);
      else this.omitted++;
    }
    return this.length;
  }
}

/** How `long` (without a logical type) is represented: `number` (safe integers only, the default) or `bigint`. */
export type LongRepresentation = "number" | "bigint";

export interface ValueOptions {
  readonly long: LongRepresentation;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
export const fieldPath = (path: string, key: string): string =>
  IDENT.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
export const indexPath = (path: string, i: number): string => `${path}[${i}]`;

/** A path built while walking a value; turned into text only when an issue is reported. */
export type Path = { readonly parent: Path; readonly key: string | number } | undefined;
const at = (parent: Path, key: string | number): Path => ({ parent, key });
export function pathText(path: Path): string {
  if (path === undefined) return "";
  const parent = pathText(path.parent);
  return typeof path.key === "number" ? indexPath(parent, path.key) : fieldPath(parent, path.key);
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MS_PER_DAY = 86_400_000;
const MAX_DATE_MS = 8.64e15;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** A uuid as the `uuid` logical type allows it (8-4-4-4-12 hex digits, either case). */
export const isUuid = (v: unknown): v is string => typeof v === "string" && UUID_RE.test(v);
export const isDate = (v: unknown): v is Date => Object.prototype.toString.call(v) === "[object Date]";
const isValidDate = (v: unknown): v is Date => isDate(v) && !Number.isNaN(v.getTime());
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const isRecordLike = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isDate(v) && !isBytes(v) && !(v instanceof Map);

/** A short description of a value, for issue messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${String(v)}`;
  if (typeof v === "bigint") return `bigint ${v}n`;
  if (Array.isArray(v)) return `array of ${v.length}`;
  if (isDate(v)) return Number.isNaN(v.getTime()) ? "invalid Date" : `Date ${v.toISOString()}`;
  if (isBytes(v)) return `Uint8Array of ${v.length} bytes`;
  if (v instanceof Map) return "Map";
  if (typeof v === "object") return "object";
  return typeof v;
}

/** What a node expects, for issue messages. */
export function label(node: AvroNode, opts?: ValueOptions): string {
  switch (node.kind) {
    case "primitive":
      switch (node.type) {
        case "int":
          return "int (32-bit integer)";
        case "long":
          return opts?.long === "bigint" ? "long (bigint)" : "long (safe integer)";
        case "float":
        case "double":
          return `${node.type} (number)`;
        case "bytes":
          return "bytes (Uint8Array)";
        default:
          return node.type;
      }
    case "record":
      return `record ${node.name}`;
    case "enum":
      return `one of ${node.symbols.map((s) => JSON.stringify(s)).join(" | ")}`;
    case "fixed":
      return `fixed ${node.name} (Uint8Array of ${node.size} bytes)`;
    case "array":
      return "array";
    case "map":
      return "map (plain object)";
    case "union": {
      const inner = nullableBranch(node);
      if (inner) return `${label(inner, opts)} or null`;
      const keys = node.branches.filter((b) => branchName(b) !== "null").map((b) => JSON.stringify(branchName(b)));
      const orNull = keys.length < node.branches.length ? " (or null)" : "";
      return `union: an object with exactly one key of ${keys.join(", ")}${orNull}`;
    }
    case "logical":
      switch (node.logicalType) {
        case "timestamp-millis":
        case "timestamp-micros":
          return `${node.logicalType} (valid Date)`;
        case "date":
          return "date (Date at UTC midnight)";
        case "time-millis":
          return "time-millis (integer 0..86399999)";
        case "time-micros":
          return "time-micros (integer 0..86399999999)";
        case "uuid":
          return "uuid (string like 123e4567-e89b-12d3-a456-426614174000)";
        case "decimal":
          return `decimal(${node.precision},${node.scale}) (string like "${decimalExample(node)}")`;
      }
  }
}

function decimalExample(node: LogicalNode): string {
  const intDigits = Math.max(1, Math.min(3, node.precision - node.scale));
  return node.scale > 0
    ? `${"123".slice(0, intDigits)}.${"45678901234567890".slice(0, node.scale)}`
    : "123".slice(0, intDigits);
}

// --- decimals ---------------------------------------------------------------------------------------

/** The unscaled integer of a decimal string, or undefined if it does not fit precision/scale. */
export function parseDecimal(text: string, precision: number, scale: number): bigint | undefined {
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const sign = m[1] === "-" ? "-" : "";
  const intPart = (m[2] as string).replace(/^0+(?=\d)/, "");
  const frac = m[3] ?? "";
  if (frac.length > scale) return undefined;
  const digits = `${intPart}${frac.padEnd(scale, "0")}`.replace(/^0+(?=\d)/, "");
  if (digits.length > precision && digits !== "0") return undefined;
  return BigInt(`${sign}${digits}`);
}

/** The canonical string of an unscaled decimal: exactly `scale` fraction digits. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const abs = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const text = scale > 0 ? `${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}` : abs;
  return negative ? `-${text}` : text;
}

/** Big-endian two's complement, minimal length (or exactly `size` bytes). Undefined if it does not fit. */
export function bigintToBytes(n: bigint, size?: number): Buffer | undefined {
  let len = 1;
  while (n < -(1n << BigInt(8 * len - 1)) || n >= 1n << BigInt(8 * len - 1)) len++;
  if (size !== undefined) {
    if (len > size) return undefined;
    len = size;
  }
  let v = n < 0n ? (1n << BigInt(8 * len)) + n : n;
  const buf = Buffer.alloc(len);
  for (let i = len - 1; i >= 0; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return buf;
}

export function bytesToBigint(buf: Uint8Array): bigint {
  let v = 0n;
  for (const b of buf) v = (v << 8n) | BigInt(b);
  if (buf.length > 0 && ((buf[0] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * buf.length);
  return v;
}

const toBuffer = (v: Uint8Array): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const toBig = (raw: unknown): bigint => (typeof raw === "bigint" ? raw : BigInt(raw as number));

// --- TS value -> raw ------------------------------------------------------------------------------

/** Converts and validates; returns the raw value (meaningless when issues were added). */
export function toRaw(node: AvroNode, v: unknown, path: Path, issues: ValidationIssue[], opts: ValueOptions): unknown {
  switch (node.kind) {
    case "primitive": {
      const raw = primitiveToRaw(node, v, opts);
      if (raw !== undefined || (node.type === "null" && v === null)) return raw ?? null;
      return fail(node, v, path, issues, opts);
    }
    case "logical":
      return logicalToRaw(node, v) ?? fail(node, v, path, issues, opts);
    case "enum":
      return typeof v === "string" && node.symbols.includes(v) ? v : fail(node, v, path, issues, opts);
    case "fixed":
      return isBytes(v) && v.length === node.size ? toBuffer(v) : fail(node, v, path, issues, opts);
    case "array": {
      if (!Array.isArray(v)) return fail(node, v, path, issues, opts);
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = toRaw(node.items, v[i], at(path, i), issues, opts);
      return out;
    }
    case "map": {
      if (!isPlainObject(v)) return fail(node, v, path, issues, opts);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) out[key] = toRaw(node.values, v[key], at(path, key), issues, opts);
      return out;
    }
    case "record":
      return isRecordLike(v) ? recordToRaw(node, v, path, issues, opts) : fail(node, v, path, issues, opts);
    case "union":
      return unionToRaw(node, v, path, issues, opts);
  }
}

/** Records an issue for `v` at `path`; returns undefined (the raw value of an invalid value). */
function fail(node: AvroNode, v: unknown, path: Path, issues: ValidationIssue[], opts: ValueOptions): undefined {
  issues.push({ path: pathText(path), expected: label(node, opts), actual: describe(v) });
  return undefined;
}

function primitiveToRaw(node: PrimitiveNode, v: unknown, opts: ValueOptions): unknown {
  switch (node.type) {
    case "null":
      return undefined; // handled by the caller (null is a valid raw value)
    case "boolean":
      return typeof v === "boolean" ? v : undefined;
    case "int":
      return Number.isInteger(v) && (v as number) >= INT_MIN && (v as number) <= INT_MAX ? v : undefined;
    case "long":
      if (opts.long === "bigint") return typeof v === "bigint" && v >= LONG_MIN && v <= LONG_MAX ? v : undefined;
      return Number.isSafeInteger(v) ? BigInt(v as number) : undefined;
    case "float":
    case "double":
      return typeof v === "number" ? v : undefined;
    case "string":
      return typeof v === "string" ? v : undefined;
    case "bytes":
      return isBytes(v) ? toBuffer(v) : undefined;
  }
}

function logicalToRaw(node: LogicalNode, v: unknown): unknown {
  switch (node.logicalType) {
    case "timestamp-millis":
      return isValidDate(v) ? BigInt(v.getTime()) : undefined;
    case "timestamp-micros":
      return isValidDate(v) ? BigInt(v.getTime()) * 1000n : undefined;
    case "date": {
      if (!isValidDate(v)) return undefined;
      const days = v.getTime() / MS_PER_DAY;
      return Number.isInteger(days) ? days : undefined;
    }
    case "time-millis":
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) < MS_PER_DAY ? v : undefined;
    case "time-micros":
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) < MS_PER_DAY * 1000
        ? BigInt(v as number)
        : undefined;
    case "uuid":
      return isUuid(v) ? v : undefined;
    case "decimal": {
      if (typeof v !== "string") return undefined;
      const unscaled = parseDecimal(v, node.precision, node.scale);
      if (unscaled === undefined) return undefined;
      return bigintToBytes(unscaled, node.underlying.kind === "fixed" ? node.underlying.size : undefined);
    }
  }
}

const fieldNameCache = new WeakMap<RecordNode, Set<string>>();
function fieldNames(node: RecordNode): Set<string> {
  let names = fieldNameCache.get(node);
  if (!names) {
    names = new Set(node.fields.map((f) => f.name));
    fieldNameCache.set(node, names);
  }
  return names;
}

function recordToRaw(
  node: RecordNode,
  v: Record<string, unknown>,
  path: Path,
  issues: ValidationIssue[],
  opts: ValueOptions,
): unknown {
  const out: Record<string, unknown> = {};
  for (const f of node.fields) {
    const value = v[f.name];
    if (value === undefined)
      issues.push({ path: pathText(at(path, f.name)), expected: label(f.type, opts), actual: "missing" });
    else out[f.name] = toRaw(f.type, value, at(path, f.name), issues, opts);
  }
  const declared = fieldNames(node);
  for (const key of Object.keys(v)) {
    if (v[key] !== undefined && !declared.has(key)) {
      const known = node.fields.map((f) => f.name).join(", ");
      issues.push({
        path: pathText(at(path, key)),
        expected: `no such field (${node.name} has: ${known})`,
        actual: describe(v[key]),
      });
    }
  }
  return out;
}

function unionToRaw(node: UnionNode, v: unknown, path: Path, issues: ValidationIssue[], opts: ValueOptions): unknown {
  if (v === null) return unionHasNull(node) ? null : fail(node, v, path, issues, opts);
  const inner = nullableBranch(node);
  if (inner) {
    if (v === undefined) return fail(node, v, path, issues, opts);
    return { [branchName(inner)]: toRaw(inner, v, path, issues, opts) };
  }
  if (!isPlainObject(v)) return fail(node, v, path, issues, opts);
  const keys = Object.keys(v);
  const key = keys.length === 1 ? (keys[0] as string) : undefined;
  const branch = key === undefined || key === "null" ? undefined : node.branches.find((b) => branchName(b) === key);
  if (!branch || key === undefined) return fail(node, v, path, issues, opts);
  return { [key]: toRaw(branch, v[key], at(path, key), issues, opts) };
}

const unionHasNull = (node: UnionNode): boolean =>
  node.branches.some((b) => b.kind === "primitive" && b.type === "null");

// --- raw -> TS value ------------------------------------------------------------------------------

/** Converts a decoded raw value; throws (with a path) when it cannot be represented. */
export function fromRaw(node: AvroNode, raw: unknown, opts: ValueOptions, path: Path = undefined): unknown {
  switch (node.kind) {
    case "primitive":
      if (node.type === "long") {
        const n = toBig(raw);
        if (opts.long === "bigint") return n;
        if (n > MAX_SAFE || n < -MAX_SAFE) {
          throw new Error(
            `${pathText(path) || "value"}: long ${n} is outside the safe integer range (read it with the codec option long: "bigint")`,
          );
        }
        return Number(n);
      }
      if (node.type === "float" || node.type === "double") return typeof raw === "bigint" ? Number(raw) : raw;
      return raw;
    case "logical":
      return logicalFromRaw(node, raw, path);
    case "enum":
    case "fixed":
      return raw;
    case "array":
      return (raw as unknown[]).map((item, i) => fromRaw(node.items, item, opts, at(path, i)));
    case "map": {
      const out: Record<string, unknown> = {};
      const obj = raw as Record<string, unknown>;
      for (const key of Object.keys(obj)) out[key] = fromRaw(node.values, obj[key], opts, at(path, key));
      return out;
    }
    case "record": {
      const out: Record<string, unknown> = {};
      const obj = raw as Record<string, unknown>;
      for (const f of node.fields) out[f.name] = fromRaw(f.type, obj[f.name], opts, at(path, f.name));
      return out;
    }
    case "union": {
      if (raw === null) return null;
      const obj = raw as Record<string, unknown>;
      const key = Object.keys(obj)[0] as string;
      const branch = node.branches.find((b) => branchName(b) === key);
      if (!branch) throw new Error(`${pathText(path) || "value"}: unknown union branch ${key}`);
      const value = fromRaw(branch, obj[key], opts, path);
      return nullableBranch(node) ? value : { [key]: value };
    }
  }
}

function dateFromMs(ms: number, path: Path): Date {
  if (!(Math.abs(ms) <= MAX_DATE_MS))
    throw new Error(`${pathText(path) || "value"}: timestamp ${ms} is outside the Date range`);
  return new Date(ms);
}

function logicalFromRaw(node: LogicalNode, raw: unknown, path: Path): unknown {
  switch (node.logicalType) {
    case "timestamp-millis":
      return dateFromMs(Number(toBig(raw)), path);
    case "timestamp-micros": {
      const micros = toBig(raw);
      let ms = micros / 1000n;
      if (micros % 1000n < 0n) ms -= 1n;
      return dateFromMs(Number(ms), path);
    }
    case "date":
      return dateFromMs((raw as number) * MS_PER_DAY, path);
    // Decoding accepts what encoding accepts: a value the type cannot hold is the record's error.
    case "time-millis":
      if (!(Number.isInteger(raw) && (raw as number) >= 0 && (raw as number) < MS_PER_DAY)) {
        throw new Error(`${pathText(path) || "value"}: time-millis ${String(raw)} is not a time of day (0..86399999)`);
      }
      return raw;
    case "time-micros": {
      const n = toBig(raw);
      if (n < 0n || n >= BigInt(MS_PER_DAY) * 1000n) {
        throw new Error(`${pathText(path) || "value"}: time-micros ${n} is not a time of day (0..86399999999)`);
      }
      return Number(n);
    }
    case "uuid":
      if (!isUuid(raw)) throw new Error(`${pathText(path) || "value"}: ${describe(raw)} is not a uuid`);
      return raw;
    case "decimal": {
      const unscaled = bytesToBigint(raw as Uint8Array);
      const text = formatDecimal(unscaled, node.scale);
      if (parseDecimal(text, node.precision, node.scale) === undefined) {
        throw new Error(`${pathText(path) || "value"}: decimal ${text} exceeds precision ${node.precision}`);
      }
      return text;
    }
  }
}
