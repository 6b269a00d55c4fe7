/**
 * The JSON wire format: the plain JSON a JSON-only service writes (docs/type-mapping.md).
 * Dates are RFC 3339 strings, `date` is `YYYY-MM-DD`, bytes and fixed are base64,
 * decimals are strings, nullable unions are the value or null, other unions are
 * `{ "<branch>": value }`. Reading fills fields that have defaults and drops undeclared fields.
 *
 * Reading is lenient where Go's encoding/json is, writing is canonical: Go marshals a nil slice
 * or map as `null`, so `null` for an array or map (that is not a nullable union) reads as empty,
 * at any depth. Writing never produces that `null`. Any other `null` where the schema allows
 * none (a string, a record) stays an error naming the field.
 */

import { notRfc3339Form, parseRfc3339 } from "../../message/rfc3339.ts";
import { defaultValue } from "./defaults.ts";
import { type AvroNode, branchName, nullableBranch } from "./model.ts";
import {
  describe,
  fieldPath,
  formatDecimal,
  indexPath,
  parseDecimal,
  type ValidationIssue,
  type ValueOptions,
} from "./values.ts";

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** TypeScript value (already validated) -> JSON-compatible value. */
export function toJsonValue(node: AvroNode, v: unknown): unknown {
  switch (node.kind) {
    case "primitive":
      if (node.type === "bytes") return Buffer.from(v as Uint8Array).toString("base64");
      if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      return v;
    case "fixed":
      return Buffer.from(v as Uint8Array).toString("base64");
    case "enum":
      return v;
    case "logical":
      if (node.logicalType === "timestamp-millis" || node.logicalType === "timestamp-micros") {
        return (v as Date).toISOString();
      }
      if (node.logicalType === "date") return (v as Date).toISOString().slice(0, 10);
      if (node.logicalType === "decimal") {
        return formatDecimal(parseDecimal(v as string, node.precision, node.scale) ?? 0n, node.scale);
      }
      return v;
    case "array":
      return (v as unknown[]).map((item) => toJsonValue(node.items, item));
    case "map":
    case "record": {
      const out: Record<string, unknown> = {};
      const obj = v as Record<string, unknown>;
      if (node.kind === "map") for (const k of Object.keys(obj)) out[k] = toJsonValue(node.values, obj[k]);
      else for (const f of node.fields) out[f.name] = toJsonValue(f.type, obj[f.name]);
      return out;
    }
    case "union": {
      if (v === null) return null;
      const inner = nullableBranch(node);
      if (inner) return toJsonValue(inner, v);
      const key = Object.keys(v as object)[0] as string;
      const branch = node.branches.find((b) => branchName(b) === key) as AvroNode;
      return { [key]: toJsonValue(branch, (v as Record<string, unknown>)[key]) };
    }
  }
}

/**
 * JSON value -> TypeScript value. Converts strings to dates and bytes, fills defaults,
 * and reports what cannot be converted; everything else is left for the codec's validation.
 */
export function fromJsonValue(
  node: AvroNode,
  j: unknown,
  path: string,
  issues: ValidationIssue[],
  opts: ValueOptions,
): unknown {
  const fail = (expected: string): unknown => {
    issues.push({ path, expected, actual: describe(j) });
    return j;
  };
  switch (node.kind) {
    case "primitive":
      if (node.type === "bytes") {
        return typeof j === "string" && BASE64.test(j) ? Buffer.from(j, "base64") : fail("bytes (base64 string)");
      }
      if (node.type === "long" && opts.long === "bigint") {
        if (Number.isSafeInteger(j)) return BigInt(j as number);
        return typeof j === "string" && /^-?\d+$/.test(j) ? BigInt(j) : fail("long (integer or digit string)");
      }
      return j;
    case "fixed":
      return typeof j === "string" && BASE64.test(j)
        ? Buffer.from(j, "base64")
        : fail(`fixed ${node.name} (base64 string)`);
    case "enum":
      return j;
    case "logical":
      switch (node.logicalType) {
        case "timestamp-millis":
        case "timestamp-micros": {
          const read = typeof j === "string" ? parseRfc3339(j) : undefined;
          if (read !== undefined && "date" in read) return read.date;
          const why = read === undefined || read.problem === notRfc3339Form ? "" : `; ${read.problem}`;
          return fail(`${node.logicalType} (RFC 3339 string${why})`);
        }
        case "date": {
          const m = typeof j === "string" ? DAY.exec(j) : null;
          const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
          return date && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === j
            ? date
            : fail("date (YYYY-MM-DD string)");
        }
        default:
          return j;
      }
    case "array":
      if (j === null) return []; // a Go nil slice
      return Array.isArray(j)
        ? j.map((item, i) => fromJsonValue(node.items, item, indexPath(path, i), issues, opts))
        : j;
    case "map": {
      if (j === null) return {}; // a Go nil map
      if (!isObject(j)) return j;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(j)) out[k] = fromJsonValue(node.values, v, fieldPath(path, k), issues, opts);
      return out;
    }
    case "record": {
      if (!isObject(j)) return j;
      // Fields the schema does not declare are dropped, as Avro schema resolution drops a
      // writer's extra fields: a JSON producer that is a version ahead does not break readers.
      const out: Record<string, unknown> = {};
      for (const f of node.fields) {
        const v = j[f.name];
        if (v === undefined) {
          if (f.hasDefault) out[f.name] = defaultValue(f.type, f.default, opts);
        } else out[f.name] = fromJsonValue(f.type, v, fieldPath(path, f.name), issues, opts);
      }
      return out;
    }
    case "union": {
      if (j === null) return null;
      const inner = nullableBranch(node);
      if (inner) return fromJsonValue(inner, j, path, issues, opts);
      if (!isObject(j)) return j;
      const keys = Object.keys(j);
      const branch = keys.length === 1 ? node.branches.find((b) => branchName(b) === keys[0]) : undefined;
      if (!branch) return j;
      const key = keys[0] as string;
      return { [key]: fromJsonValue(branch, j[key], fieldPath(path, key), issues, opts) };
    }
  }
}
