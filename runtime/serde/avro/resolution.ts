/**
 * What a resolving reader is built from, so that it reads exactly what Avro's schema resolution
 * (as Apache Avro Java applies it, and `skeji-gen check` judges it) allows.
 *
 * avsc matches a named writer type by full name against the reader's name and aliases, and
 * qualifies a relative alias with the namespace attribute in scope rather than the namespace of
 * the type's own full name. Java matches by unqualified name (a type may move to another
 * namespace) or by an alias equal to the writer's full name, relative aliases taking the namespace
 * of the type that declares them. `readerForResolution` rewrites the reader's aliases as absolute
 * full names, and adds the writer's full name as an alias of a reader type with the same
 * unqualified name, so avsc's strict comparison gives Java's answer.
 *
 * Decimals: avsc without logical types reads a decimal as its bytes, whatever the scales; a reader
 * of another scale would then read every value wrong. `ResolvingDecimal` refuses a writer decimal
 * of another scale when the resolver is built (the precision may differ: a value that does not fit
 * the reader's precision fails when it is read).
 */
import avro from "avsc";
import type { AvroSchema } from "../../descriptor.ts";
import { definedName } from "./references.ts";

const namedKinds = new Set(["record", "error", "enum", "fixed"]);
type Obj = { readonly [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const unqualified = (name: string): string => name.slice(name.lastIndexOf(".") + 1);
const namespaceOf = (full: string): string | undefined => {
  const dot = full.lastIndexOf(".");
  return dot < 0 ? undefined : full.slice(0, dot);
};

/** Calls `visit` on every named type definition of `schema` with its full name; returns the (possibly rewritten) schema. */
function mapNamed(schema: unknown, visit: (def: Obj, full: string) => Obj): unknown {
  const walk = (v: unknown, ns: string | undefined): unknown => {
    if (Array.isArray(v)) return v.map((b) => walk(b, ns));
    if (!isObj(v)) return v;
    const type = v.type;
    if (typeof type !== "string") return "type" in v ? { ...v, type: walk(type, ns) } : v;
    if (type === "array" && "items" in v) return { ...v, items: walk(v.items, ns) };
    if (type === "map" && "values" in v) return { ...v, values: walk(v.values, ns) };
    if (!namedKinds.has(type) || typeof v.name !== "string") return v;
    const name = definedName(v, ns);
    const def = visit(v, name.full);
    if (!Array.isArray(def.fields)) return def;
    return {
      ...def,
      fields: def.fields.map((f) => (isObj(f) && "type" in f ? { ...f, type: walk(f.type, name.namespace) } : f)),
    };
  };
  return walk(schema, undefined);
}

/** Full names of the named types `schema` defines. */
function definedNames(schema: unknown): Set<string> {
  const names = new Set<string>();
  mapNamed(schema, (def, full) => {
    names.add(full);
    return def;
  });
  return names;
}

/**
 * `reader` with every named type's aliases written as absolute full names (`.a.Point`, which avsc
 * takes as is), plus the full name of each writer type of the same unqualified name that the reader
 * does not define itself.
 */
export function readerForResolution(reader: AvroSchema, writer: AvroSchema): AvroSchema {
  if (typeof reader === "string") return reader;
  const writerNames = [...definedNames(writer)];
  const readerNames = definedNames(reader);
  return mapNamed(reader, (def, full) => {
    const own = namespaceOf(full);
    const declared = Array.isArray(def.aliases) ? def.aliases.filter((a): a is string => typeof a === "string") : [];
    const aliases = new Set(declared.map((a) => (a.includes(".") || own === undefined ? a : `${own}.${a}`)));
    for (const w of writerNames) {
      if (w !== full && !readerNames.has(w) && unqualified(w) === unqualified(full)) aliases.add(w);
    }
    if (aliases.size === 0) return def;
    return { ...def, aliases: [...aliases].map((a) => (a.startsWith(".") ? a : `.${a}`)) };
  }) as AvroSchema;
}

/** avsc's view of a type, for what this module needs of it. */
interface TypeLike {
  readonly underlyingType?: TypeLike;
  createResolver(writer: TypeLike, opts?: unknown): { _read(tap: unknown): unknown };
}
interface ResolverLike {
  _read?: (tap: unknown) => unknown;
}

/**
 * A decimal (bytes or fixed) whose values stay the raw bytes (the value mapping converts them), and
 * whose resolution refuses a writer decimal of another scale.
 */
export class ResolvingDecimal extends avro.types.LogicalType {
  readonly scale: number;

  constructor(schema: Obj, opts?: avro.ForSchemaOptions) {
    const precision = schema.precision;
    const scale = schema.scale ?? 0;
    // Invalid parameters: thrown before anything is built, so avsc falls back to the underlying type
    // (as the model does).
    if (typeof precision !== "number" || !Number.isInteger(precision) || precision < 1) {
      throw new Error("invalid decimal precision");
    }
    if (typeof scale !== "number" || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error("invalid decimal scale");
    }
    super(schema as avro.Schema, opts);
    this.scale = scale;
  }

  override _fromValue(value: unknown): unknown {
    return value;
  }

  override _toValue(value: unknown): unknown {
    return value;
  }

  _update(resolver: ResolverLike, writer: TypeLike, opts: unknown): void {
    if (writer instanceof ResolvingDecimal && writer.scale !== this.scale) {
      throw new Error(`a decimal of scale ${writer.scale} cannot be read as one of scale ${this.scale}`);
    }
    const self = this as unknown as TypeLike;
    const inner = (self.underlyingType as TypeLike).createResolver(writer.underlyingType ?? writer, opts);
    resolver._read = (tap) => inner._read(tap);
  }
}

/** The logical types resolving readers and their writers are built with. */
export const resolutionLogicalTypes = { decimal: ResolvingDecimal } as unknown as Record<
  string,
  new (
    schema: avro.Schema,
    opts?: avro.ForSchemaOptions,
  ) => avro.types.LogicalType
>;
