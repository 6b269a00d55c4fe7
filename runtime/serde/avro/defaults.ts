/**
 * Field defaults: converting a schema default (Avro JSON encoding) into the
 * TypeScript value of the type mapping, and filling missing fields of a payload.
 */
import { type AvroNode, branchName, nullableBranch } from "./model.ts";
import { bytesToBigint, formatDecimal, isDate, type ValueOptions } from "./values.ts";

const MS_PER_DAY = 86_400_000;

/** The TypeScript value of a default written in Avro's JSON encoding (assumed valid: the parser checked it). */
export function defaultValue(node: AvroNode, json: unknown, opts: ValueOptions): unknown {
  switch (node.kind) {
    case "primitive":
      if (node.type === "long") return opts.long === "bigint" ? BigInt(json as number) : json;
      if (node.type === "bytes") return Buffer.from(json as string, "latin1");
      return json;
    case "fixed":
      return Buffer.from(json as string, "latin1");
    case "enum":
      return json;
    case "array":
      return (json as unknown[]).map((item) => defaultValue(node.items, item, opts));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(json as Record<string, unknown>)) out[k] = defaultValue(node.values, v, opts);
      return out;
    }
    case "record": {
      const obj = json as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of node.fields) {
        out[f.name] = defaultValue(f.type, f.name in obj ? obj[f.name] : f.default, opts);
      }
      return out;
    }
    case "union": {
      const first = node.branches[0] as AvroNode;
      if (first.kind === "primitive" && first.type === "null") return null;
      const value = defaultValue(first, json, opts);
      return nullableBranch(node) ? value : { [branchName(first)]: value };
    }
    case "logical":
      switch (node.logicalType) {
        case "timestamp-millis":
          return new Date(json as number);
        case "timestamp-micros":
          return new Date(Math.floor((json as number) / 1000));
        case "date":
          return new Date((json as number) * MS_PER_DAY);
        case "decimal":
          return formatDecimal(bytesToBigint(Buffer.from(json as string, "latin1")), node.scale);
        default:
          return json;
      }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  !isDate(v) &&
  !(v instanceof Uint8Array) &&
  !(v instanceof Map); // left as it is, for validation to reject (a copy would be an empty object)

/**
 * Returns a copy of `value` in which every missing record field that has a default
 * holds that default, at any depth. Values that do not fit the schema are left as they
 * are, for validation to report.
 */
export function fillDefaults(node: AvroNode, value: unknown, opts: ValueOptions): unknown {
  switch (node.kind) {
    case "record": {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = { ...value };
      for (const f of node.fields) {
        const v = value[f.name];
        if (v === undefined) {
          if (f.hasDefault) out[f.name] = defaultValue(f.type, f.default, opts);
          else delete out[f.name];
        } else out[f.name] = fillDefaults(f.type, v, opts);
      }
      return out;
    }
    case "array":
      return Array.isArray(value) ? value.map((item) => fillDefaults(node.items, item, opts)) : value;
    case "map": {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = fillDefaults(node.values, v, opts);
      return out;
    }
    case "union": {
      if (value === null || value === undefined) return value;
      const inner = nullableBranch(node);
      if (inner) return fillDefaults(inner, value, opts);
      if (!isObject(value)) return value;
      const keys = Object.keys(value);
      const branch = keys.length === 1 ? node.branches.find((b) => branchName(b) === keys[0]) : undefined;
      return branch ? { [keys[0] as string]: fillDefaults(branch, value[keys[0] as string], opts) } : value;
    }
    default:
      return value;
  }
}
