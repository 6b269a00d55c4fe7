/**
 * A resolved model of an Avro schema: named references are linked (recursive
 * types become cycles), namespaces are applied, and logical types are recognised
 * or, when unknown or invalid, dropped in favour of the underlying type (as the
 * Avro specification requires).
 *
 * The codec and the generator share this model, so the TypeScript types the
 * generator emits and the values the codec accepts come from one reading of the schema.
 * Problems are collected with a JSON path (`$.fields[2].type`) instead of thrown one by one.
 */

export type PrimitiveName = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";
export const primitiveNames: readonly PrimitiveName[] = [
  "null",
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "bytes",
  "string",
];

export type LogicalName =
  | "timestamp-millis"
  | "timestamp-micros"
  | "date"
  | "time-millis"
  | "time-micros"
  | "uuid"
  | "decimal";

export interface PrimitiveNode {
  readonly kind: "primitive";
  readonly type: PrimitiveName;
}
export interface RecordField {
  readonly name: string;
  readonly type: AvroNode;
  readonly doc: string | undefined;
  readonly hasDefault: boolean;
  /** The default in Avro's JSON encoding (unions: the first branch, unwrapped). */
  readonly default: unknown;
}
export interface RecordNode {
  readonly kind: "record";
  /** Fully qualified name. */
  readonly name: string;
  readonly simpleName: string;
  readonly namespace: string | undefined;
  readonly doc: string | undefined;
  readonly fields: RecordField[];
}
export interface EnumNode {
  readonly kind: "enum";
  readonly name: string;
  readonly simpleName: string;
  readonly namespace: string | undefined;
  readonly doc: string | undefined;
  readonly symbols: readonly string[];
}
export interface FixedNode {
  readonly kind: "fixed";
  readonly name: string;
  readonly simpleName: string;
  readonly namespace: string | undefined;
  readonly doc: string | undefined;
  readonly size: number;
}
export interface ArrayNode {
  readonly kind: "array";
  readonly items: AvroNode;
}
export interface MapNode {
  readonly kind: "map";
  readonly values: AvroNode;
}
export interface UnionNode {
  readonly kind: "union";
  readonly branches: readonly AvroNode[];
}
export interface LogicalNode {
  readonly kind: "logical";
  readonly logicalType: LogicalName;
  /** A primitive or fixed node. */
  readonly underlying: PrimitiveNode | FixedNode;
  /** decimal only */
  readonly precision: number;
  /** decimal only */
  readonly scale: number;
}
export type NamedNode = RecordNode | EnumNode | FixedNode;
export type AvroNode =
  | PrimitiveNode
  | RecordNode
  | EnumNode
  | FixedNode
  | ArrayNode
  | MapNode
  | UnionNode
  | LogicalNode;

export interface SchemaProblem {
  /** JSON path inside the schema document, e.g. `$.fields[2].type`. */
  readonly path: string;
  readonly message: string;
}

export interface ParsedSchema {
  readonly root: AvroNode;
  /** Every named type, by fully qualified name, in definition order (a fixed with a logical type maps to it). */
  readonly named: ReadonlyMap<string, NamedNode | LogicalNode>;
  readonly problems: readonly SchemaProblem[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RECORD_KEYS = new Set(["type", "name", "namespace", "doc", "aliases", "fields"]);
const FIELD_KEYS = new Set(["name", "type", "doc", "default", "order", "aliases"]);
const primitiveSet = new Set<string>(primitiveNames);
const complexTypes = ["record", "error", "enum", "fixed", "array", "map"];

const primitiveCache = new Map<PrimitiveName, PrimitiveNode>(
  primitiveNames.map((type) => [type, Object.freeze({ kind: "primitive", type })]),
);
export const primitive = (type: PrimitiveName): PrimitiveNode => primitiveCache.get(type) as PrimitiveNode;

/** `$.fields[2].type` style path segments. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return NAME_RE.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(tmp + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Largest decimal precision a fixed of `size` bytes can hold. */
export function maxDecimalPrecision(size: number): number {
  return Math.floor(Math.log10(2 ** (8 * size - 1) - 1));
}

class Parser {
  readonly named = new Map<string, NamedNode | LogicalNode>();
  readonly problems: SchemaProblem[] = [];

  /** Named types defined outside the schema (shared types), which it may refer to by name. */
  constructor(readonly external: ReadonlyMap<string, NamedNode | LogicalNode> = new Map()) {}

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  qualify(name: string, namespace: string | undefined): string {
    if (primitiveSet.has(name) || name.includes(".") || !namespace) return name;
    return `${namespace}.${name}`;
  }

  parse(schema: unknown, path: string, namespace: string | undefined): AvroNode {
    if (typeof schema === "string") return this.reference(schema, path, namespace);
    if (Array.isArray(schema)) return this.union(schema, path, namespace);
    if (typeof schema !== "object" || schema === null) {
      this.problem(
        path,
        `invalid type ${JSON.stringify(schema)} (expected a type name, a type object or a union array)`,
      );
      return primitive("null");
    }
    const obj = schema as Record<string, unknown>;
    const type = obj.type;
    if (typeof type !== "string") {
      if (type === undefined)
        this.problem(path, `missing "type" (expected one of ${complexTypes.join(", ")} or a primitive)`);
      else this.problem(childPath(path, "type"), `invalid type ${JSON.stringify(type)} (expected a type name string)`);
      return primitive("null");
    }
    switch (type) {
      case "record":
      case "error":
        return this.record(obj, path, namespace);
      case "enum":
        return this.enum(obj, path, namespace);
      case "fixed":
        return this.logical(obj, this.fixed(obj, path, namespace), path);
      case "array":
        if (!("items" in obj)) this.problem(path, `array without "items"`);
        return { kind: "array", items: this.parse(obj.items, childPath(path, "items"), namespace) };
      case "map":
        if (!("values" in obj)) this.problem(path, `map without "values"`);
        return { kind: "map", values: this.parse(obj.values, childPath(path, "values"), namespace) };
      default:
        if (primitiveSet.has(type)) return this.logical(obj, primitive(type as PrimitiveName), path);
        this.unknownType(type, childPath(path, "type"), namespace, true);
        return primitive("null");
    }
  }

  unknownType(name: string, path: string, namespace: string | undefined, inTypeKey: boolean): void {
    const candidates = [
      ...primitiveNames,
      ...(inTypeKey ? complexTypes : []),
      ...this.named.keys(),
      ...this.external.keys(),
    ];
    const hint = suggest(name, candidates) ?? suggest(this.qualify(name, namespace), candidates);
    const expected = "a primitive type, a complex type or a named type defined earlier";
    this.problem(path, `unknown type "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; expected ${expected}`);
  }

  reference(name: string, path: string, namespace: string | undefined): AvroNode {
    if (primitiveSet.has(name)) return primitive(name as PrimitiveName);
    const full = this.qualify(name, namespace);
    const found = this.named.get(full) ?? this.external.get(full) ?? this.named.get(name) ?? this.external.get(name);
    if (found) return found;
    this.unknownType(name, path, namespace, false);
    return primitive("null");
  }

  union(schema: unknown[], path: string, namespace: string | undefined): AvroNode {
    const branches: AvroNode[] = [];
    const seen = new Set<string>();
    schema.forEach((branch, i) => {
      const p = childPath(path, i);
      const node = this.parse(branch, p, namespace);
      if (node.kind === "union") this.problem(p, "a union may not directly contain another union");
      const key = branchName(node);
      if (seen.has(key)) this.problem(p, `duplicate union branch "${key}"`);
      seen.add(key);
      branches.push(node);
    });
    if (branches.length === 0) this.problem(path, "empty union (expected at least one branch)");
    return { kind: "union", branches };
  }

  nameOf(obj: Record<string, unknown>, path: string, namespace: string | undefined) {
    const name = obj.name;
    if (typeof name !== "string" || name === "") {
      this.problem(childPath(path, "name"), `missing or invalid name (expected a non-empty string)`);
      return { full: "", simple: "", namespace };
    }
    let ns = typeof obj.namespace === "string" && obj.namespace !== "" ? obj.namespace : namespace;
    if (obj.namespace === "") ns = undefined;
    let simple = name;
    if (name.includes(".")) {
      ns = name.slice(0, name.lastIndexOf("."));
      simple = name.slice(name.lastIndexOf(".") + 1);
    }
    const parts = [...(ns ? ns.split(".") : []), simple];
    if (!parts.every((p) => NAME_RE.test(p))) {
      this.problem(
        childPath(path, "name"),
        `invalid name "${name}" (expected letters, digits and _, not starting with a digit)`,
      );
    }
    if (primitiveSet.has(simple) && !ns) this.problem(childPath(path, "name"), `"${name}" redefines a primitive type`);
    const full = ns ? `${ns}.${simple}` : simple;
    if (this.named.has(full)) this.problem(childPath(path, "name"), `duplicate type name "${full}"`);
    else if (this.external.has(full)) {
      this.problem(
        childPath(path, "name"),
        `duplicate type name "${full}" (a shared type has this name: refer to it by name instead of defining it)`,
      );
    }
    return { full, simple, namespace: ns };
  }

  docOf(obj: Record<string, unknown>): string | undefined {
    return typeof obj.doc === "string" ? obj.doc : undefined;
  }

  record(obj: Record<string, unknown>, path: string, namespace: string | undefined): RecordNode {
    const n = this.nameOf(obj, path, namespace);
    const node: RecordNode = {
      kind: "record",
      name: n.full,
      simpleName: n.simple,
      namespace: n.namespace,
      doc: this.docOf(obj),
      fields: [],
    };
    if (n.full) this.named.set(n.full, node);
    for (const key of Object.keys(obj)) {
      if (!RECORD_KEYS.has(key) && !key.includes(":") && key !== "logicalType") {
        const hint = suggest(key, RECORD_KEYS);
        if (hint) this.problem(childPath(path, key), `unknown attribute "${key}" (did you mean "${hint}"?)`);
      }
    }
    const fields = obj.fields;
    if (!Array.isArray(fields)) {
      this.problem(childPath(path, "fields"), `missing or invalid "fields" (expected an array of fields)`);
      return node;
    }
    const names = new Set<string>();
    fields.forEach((f, i) => {
      const fp = childPath(childPath(path, "fields"), i);
      if (typeof f !== "object" || f === null || Array.isArray(f)) {
        this.problem(fp, "invalid field (expected an object with name and type)");
        return;
      }
      const field = f as Record<string, unknown>;
      const fname = field.name;
      if (typeof fname !== "string" || !NAME_RE.test(fname)) {
        this.problem(
          childPath(fp, "name"),
          `invalid field name ${JSON.stringify(fname)} (expected letters, digits and _)`,
        );
        return;
      }
      if (names.has(fname)) this.problem(childPath(fp, "name"), `duplicate field name "${fname}"`);
      names.add(fname);
      for (const key of Object.keys(field)) {
        if (!FIELD_KEYS.has(key) && !key.includes(":") && key !== "logicalType") {
          const hint = suggest(key, FIELD_KEYS);
          if (hint) this.problem(childPath(fp, key), `unknown attribute "${key}" (did you mean "${hint}"?)`);
        }
      }
      if (field.order !== undefined && !["ascending", "descending", "ignore"].includes(field.order as string)) {
        this.problem(
          childPath(fp, "order"),
          `invalid order ${JSON.stringify(field.order)} (expected ascending, descending or ignore)`,
        );
      }
      if (!("type" in field)) {
        this.problem(fp, `field "${fname}" has no "type"`);
        return;
      }
      const type = this.parse(field.type, childPath(fp, "type"), n.namespace);
      const hasDefault = "default" in field;
      if (hasDefault) {
        const why = checkDefault(type, field.default);
        if (why) this.problem(childPath(fp, "default"), `invalid default for field "${fname}": ${why}`);
      }
      node.fields.push({ name: fname, type, doc: this.docOf(field), hasDefault, default: field.default });
    });
    return node;
  }

  enum(obj: Record<string, unknown>, path: string, namespace: string | undefined): EnumNode {
    const n = this.nameOf(obj, path, namespace);
    const symbols: string[] = [];
    if (!Array.isArray(obj.symbols)) {
      this.problem(childPath(path, "symbols"), `missing or invalid "symbols" (expected an array of names)`);
    } else {
      obj.symbols.forEach((s, i) => {
        if (typeof s !== "string" || !NAME_RE.test(s)) {
          this.problem(childPath(childPath(path, "symbols"), i), `invalid enum symbol ${JSON.stringify(s)}`);
        } else if (symbols.includes(s)) {
          this.problem(childPath(childPath(path, "symbols"), i), `duplicate enum symbol "${s}"`);
        } else symbols.push(s);
      });
    }
    if (obj.default !== undefined && !symbols.includes(obj.default as string)) {
      this.problem(childPath(path, "default"), `enum default ${JSON.stringify(obj.default)} is not one of the symbols`);
    }
    const node: EnumNode = {
      kind: "enum",
      name: n.full,
      simpleName: n.simple,
      namespace: n.namespace,
      doc: this.docOf(obj),
      symbols,
    };
    if (n.full) this.named.set(n.full, node);
    return node;
  }

  fixed(obj: Record<string, unknown>, path: string, namespace: string | undefined): FixedNode {
    const n = this.nameOf(obj, path, namespace);
    const size = obj.size;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
      this.problem(childPath(path, "size"), `missing or invalid "size" (expected a non-negative integer)`);
    }
    const node: FixedNode = {
      kind: "fixed",
      name: n.full,
      simpleName: n.simple,
      namespace: n.namespace,
      doc: this.docOf(obj),
      size: typeof size === "number" ? size : 0,
    };
    if (n.full) this.named.set(n.full, node);
    return node;
  }

  /** Wraps `base` in a logical type when the schema names a known, valid one; otherwise returns `base`. */
  logical(obj: Record<string, unknown>, base: PrimitiveNode | FixedNode, _path: string): AvroNode {
    const lt = obj.logicalType;
    const under = base.kind === "fixed" ? "fixed" : base.type;
    const make = (logicalType: LogicalName, precision = 0, scale = 0): LogicalNode => {
      const node: LogicalNode = { kind: "logical", logicalType, underlying: base, precision, scale };
      // A reference to a named fixed carrying a logical type refers to the logical type.
      if (base.kind === "fixed" && base.name) this.named.set(base.name, node);
      return node;
    };
    switch (lt) {
      case "timestamp-millis":
      case "timestamp-micros":
      case "time-micros":
        return under === "long" ? make(lt) : base;
      case "date":
      case "time-millis":
        return under === "int" ? make(lt) : base;
      case "uuid":
        return under === "string" ? make(lt) : base;
      case "decimal": {
        if (under !== "bytes" && under !== "fixed") return base;
        const precision = obj.precision;
        const scale = obj.scale ?? 0;
        if (typeof precision !== "number" || !Number.isInteger(precision) || precision < 1) return base;
        if (typeof scale !== "number" || !Number.isInteger(scale) || scale < 0 || scale > precision) return base;
        if (base.kind === "fixed" && precision > maxDecimalPrecision(base.size)) return base;
        return make("decimal", precision, scale);
      }
      default:
        return base;
    }
  }
}

/** The name of a union branch, as Avro (and avsc's wrapped unions) spell it. */
export function branchName(node: AvroNode): string {
  switch (node.kind) {
    case "primitive":
      return node.type;
    case "logical":
      return branchName(node.underlying);
    case "array":
    case "map":
    case "union":
      return node.kind;
    default:
      return node.name;
  }
}

/** Null-or-X unions (either order) are represented unwrapped, as `X | null`. */
export function nullableBranch(node: UnionNode): AvroNode | undefined {
  if (node.branches.length !== 2) return undefined;
  const [a, b] = node.branches as [AvroNode, AvroNode];
  if (a.kind === "primitive" && a.type === "null" && !(b.kind === "primitive" && b.type === "null")) return b;
  if (b.kind === "primitive" && b.type === "null" && !(a.kind === "primitive" && a.type === "null")) return a;
  return undefined;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Why `value` (Avro JSON encoding) is not a valid default for `node`; undefined when it is. */
export function checkDefault(node: AvroNode, value: unknown, seen = new Set<AvroNode>()): string | undefined {
  const describe = () => JSON.stringify(value);
  switch (node.kind) {
    case "primitive":
      switch (node.type) {
        case "null":
          return value === null ? undefined : `${describe()} is not null`;
        case "boolean":
          return typeof value === "boolean" ? undefined : `${describe()} is not a boolean`;
        case "int":
          return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX
            ? undefined
            : `${describe()} is not an int`;
        case "long":
          return Number.isSafeInteger(value) ? undefined : `${describe()} is not a long (safe integer)`;
        case "float":
        case "double":
          return typeof value === "number" ? undefined : `${describe()} is not a number`;
        case "bytes":
        case "string":
          return typeof value === "string" ? undefined : `${describe()} is not a string`;
      }
      return undefined;
    case "logical":
      return checkDefault(node.underlying, value, seen);
    case "fixed":
      return typeof value === "string" && value.length === node.size
        ? undefined
        : `${describe()} is not a string of ${node.size} characters`;
    case "enum":
      return typeof value === "string" && node.symbols.includes(value)
        ? undefined
        : `${describe()} is not a symbol of ${node.name}`;
    case "array":
      if (!Array.isArray(value)) return `${describe()} is not an array`;
      for (const item of value) {
        const why = checkDefault(node.items, item, seen);
        if (why) return why;
      }
      return undefined;
    case "map":
      if (typeof value !== "object" || value === null || Array.isArray(value)) return `${describe()} is not an object`;
      for (const item of Object.values(value)) {
        const why = checkDefault(node.values, item, seen);
        if (why) return why;
      }
      return undefined;
    case "union": {
      const first = node.branches[0];
      if (!first) return "the union has no branches";
      const why = checkDefault(first, value, seen);
      return why ? `${why} (a union's default must match its first branch, ${branchName(first)})` : undefined;
    }
    case "record": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return `${describe()} is not an object`;
      const obj = value as Record<string, unknown>;
      for (const f of node.fields) {
        if (f.name in obj) {
          const why = checkDefault(f.type, obj[f.name], seen);
          if (why) return `${f.name}: ${why}`;
        } else if (!f.hasDefault) return `missing field "${f.name}"`;
      }
      return undefined;
    }
  }
}

export interface ParseOptions {
  /**
   * Named types defined elsewhere (by full name) that the schema may refer to by name: they
   * resolve to these very nodes, and are not part of the result's `named`.
   */
  readonly external?: ReadonlyMap<string, NamedNode | LogicalNode> | undefined;
}

/** Parses an Avro schema (already JSON-parsed) into the resolved model. Never throws. */
export function parseSchema(schema: unknown, options: ParseOptions = {}): ParsedSchema {
  const parser = new Parser(options.external);
  const root = parser.parse(schema, "$", undefined);
  return { root, named: parser.named, problems: parser.problems };
}

// Shared named types: expanding references into a self-contained schema and splitting it again.
export { expandReferences, type SplitSchema, type SplitType, splitReferences } from "./references.ts";
