/**
 * Parsed Avro schema JSON -> a resolved tree the rules engine walks.
 *
 * Named types are resolved (namespaces, dotted names, references by name) so that
 * a reference and its definition are the same node; recursive types become cycles.
 * Only what schema resolution needs is kept.
 */
import { CheckError } from "./errors.ts";

export type PrimitiveName = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";

export interface Decimal {
  readonly precision: number;
  readonly scale: number;
}

export interface Field {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: SchemaNode;
  readonly hasDefault: boolean;
}

export type SchemaNode =
  | { readonly kind: "primitive"; readonly type: PrimitiveName; readonly decimal: Decimal | undefined }
  | {
      readonly kind: "record";
      readonly name: string;
      readonly aliases: readonly string[];
      readonly fields: Field[];
    }
  | {
      readonly kind: "enum";
      readonly name: string;
      readonly aliases: readonly string[];
      readonly symbols: readonly string[];
      readonly default: string | undefined;
    }
  | {
      readonly kind: "fixed";
      readonly name: string;
      readonly aliases: readonly string[];
      readonly size: number;
      readonly decimal: Decimal | undefined;
    }
  | { readonly kind: "array"; readonly items: SchemaNode }
  | { readonly kind: "map"; readonly values: SchemaNode }
  | { readonly kind: "union"; readonly branches: readonly SchemaNode[] };

const primitives = new Set<string>(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);

type Json = unknown;
type Obj = { readonly [key: string]: unknown };

const isObj = (v: Json): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resolves a parsed Avro schema. Throws `CHECK_INVALID_SCHEMA` naming `source` and the JSON path. */
export function resolveSchema(json: Json, source = "schema"): SchemaNode {
  const named = new Map<string, SchemaNode>();

  const fail = (path: string, reason: string): never => {
    throw new CheckError("CHECK_INVALID_SCHEMA", `${source}: ${path || "$"}: ${reason}`);
  };

  const fullName = (name: string, namespace: string): string =>
    name.includes(".") || namespace === "" ? name : `${namespace}.${name}`;

  const namespaceOf = (full: string): string => full.slice(0, Math.max(0, full.lastIndexOf(".")));

  const stringList = (v: Json, path: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) return fail(path, "expected an array of strings");
    return v as string[];
  };

  /**
   * An invalid decimal (no precision, a scale past it) is no decimal: as the specification says,
   * and as the generator (which warns) and the runtime read it, the type is its underlying one.
   */
  const decimalOf = (o: Obj): Decimal | undefined => {
    if (o.logicalType !== "decimal") return undefined;
    const precision = o.precision;
    const scale = o.scale ?? 0;
    if (typeof precision !== "number" || !Number.isInteger(precision) || precision < 1) return undefined;
    if (typeof scale !== "number" || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
    return { precision, scale };
  };

  const define = (name: string, node: SchemaNode, path: string): void => {
    if (named.has(name)) fail(path, `type "${name}" is defined twice`);
    named.set(name, node);
  };

  const walk = (v: Json, namespace: string, path: string): SchemaNode => {
    if (typeof v === "string") {
      if (primitives.has(v)) return { kind: "primitive", type: v as PrimitiveName, decimal: undefined };
      const hit = named.get(fullName(v, namespace)) ?? named.get(v);
      return hit ?? fail(path, `unknown type "${v}"`);
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return fail(path, "a union needs at least one branch");
      return { kind: "union", branches: v.map((b, i) => walk(b, namespace, `${path}[${i}]`)) };
    }
    if (!isObj(v)) return fail(path, "expected a type name, an object or a union array");
    const type = v.type;
    if (typeof type !== "string") return walk(type, namespace, `${path}.type`);
    if (primitives.has(type)) {
      return {
        kind: "primitive",
        type: type as PrimitiveName,
        decimal: type === "bytes" ? decimalOf(v) : undefined,
      };
    }
    switch (type) {
      case "array":
        return { kind: "array", items: walk(v.items, namespace, `${path}.items`) };
      case "map":
        return { kind: "map", values: walk(v.values, namespace, `${path}.values`) };
      case "record":
      case "error":
      case "enum":
      case "fixed":
        return walkNamed(v, type, namespace, path);
      default:
        return walk(type, namespace, `${path}.type`);
    }
  };

  const walkNamed = (v: Obj, type: string, enclosing: string, path: string): SchemaNode => {
    if (typeof v.name !== "string" || v.name === "") return fail(`${path}.name`, `a ${type} needs a name`);
    const ns = typeof v.namespace === "string" ? v.namespace : enclosing;
    const name = fullName(v.name, ns);
    const own = namespaceOf(name);
    const aliases = stringList(v.aliases, `${path}.aliases`).map((a) => fullName(a, own));
    if (type === "enum") {
      const symbols = stringList(v.symbols, `${path}.symbols`);
      const dflt = v.default;
      if (dflt !== undefined && (typeof dflt !== "string" || !symbols.includes(dflt))) {
        fail(`${path}.default`, "the enum default must be one of its symbols");
      }
      const node: SchemaNode = { kind: "enum", name, aliases, symbols, default: dflt as string | undefined };
      define(name, node, path);
      return node;
    }
    if (type === "fixed") {
      if (typeof v.size !== "number" || !Number.isInteger(v.size) || v.size < 0) {
        return fail(`${path}.size`, "fixed needs a non-negative integer size");
      }
      const node: SchemaNode = { kind: "fixed", name, aliases, size: v.size, decimal: decimalOf(v) };
      define(name, node, path);
      return node;
    }
    if (!Array.isArray(v.fields)) return fail(`${path}.fields`, "a record needs a fields array");
    const fields: Field[] = [];
    const node: SchemaNode = { kind: "record", name, aliases, fields };
    define(name, node, path); // before the fields, so they may refer to the record itself
    const seen = new Set<string>();
    for (const [i, f] of (v.fields as Json[]).entries()) {
      const fpath = `${path}.fields[${i}]`;
      if (!isObj(f) || typeof f.name !== "string") return fail(fpath, "a field needs a name");
      if (seen.has(f.name)) fail(fpath, `field "${f.name}" appears twice`);
      seen.add(f.name);
      fields.push({
        name: f.name,
        aliases: stringList(f.aliases, `${fpath}.aliases`),
        type: walk(f.type, own, `${fpath}.type`),
        hasDefault: Object.hasOwn(f, "default"),
      });
    }
    return node;
  };

  return walk(json, "", "");
}

/** Parses schema text (a `.avsc` file or a registry answer) and resolves it. */
export function parseSchema(text: string, source = "schema"): SchemaNode {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CheckError("CHECK_INVALID_SCHEMA", `${source}: not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return resolveSchema(json, source);
}

/** A short human name for a type, for messages: `int`, `record dev.skeji.Booking`, `union [null, string]`. */
export function describe(node: SchemaNode): string {
  switch (node.kind) {
    case "primitive":
      return node.decimal ? `${node.type} (decimal(${node.decimal.precision},${node.decimal.scale}))` : node.type;
    case "record":
    case "enum":
    case "fixed":
      return `${node.kind} ${node.name}`;
    case "array":
      return `array<${shortName(node.items)}>`;
    case "map":
      return `map<${shortName(node.values)}>`;
    case "union":
      return `union [${node.branches.map(shortName).join(", ")}]`;
  }
}

/** Like `describe`, without the `record` / `enum` prefix, for use inside other descriptions. */
export function shortName(node: SchemaNode): string {
  if (node.kind === "record" || node.kind === "enum" || node.kind === "fixed") return node.name;
  return describe(node);
}

/** The same schema gives the same string, whatever the formatting and object key order. */
export function canonical(text: string): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(JSON.parse(text)));
}
