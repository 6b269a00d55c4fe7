/**
 * Named types defined outside a schema: expanding references to them into one self-contained
 * schema, and splitting a self-contained schema back into a root and one schema per named type.
 *
 * Both walk the schema JSON with Avro's naming rules (a name without a dot is qualified by the
 * enclosing namespace; the first occurrence of a named type defines it, later ones refer to it by
 * name). The generator expands event schemas that use shared types (so descriptors embed schemas a
 * reader decodes without any other file, and fingerprints are those of the expanded schema); the
 * Confluent wire format splits them again to register each named type under its own subject, as
 * schema references, and expands what the registry returns.
 */
import type { AvroSchema } from "../../descriptor.ts";

const primitives = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const namedKinds = new Set(["record", "error", "enum", "fixed"]);

type Obj = { readonly [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The full name and namespace a named type's definition declares inside `enclosing`. */
export function definedName(def: Obj, enclosing: string | undefined): { full: string; namespace: string | undefined } {
  const name = typeof def.name === "string" ? def.name : "";
  if (name.includes(".")) return { full: name, namespace: name.slice(0, name.lastIndexOf(".")) };
  let ns = typeof def.namespace === "string" && def.namespace !== "" ? def.namespace : enclosing;
  if (def.namespace === "") ns = undefined;
  return { full: ns ? `${ns}.${name}` : name, namespace: ns };
}

/** The full name a type name written inside `namespace` refers to, among `known` names. */
function resolveName(name: string, namespace: string | undefined, known: (n: string) => boolean): string | undefined {
  const full = name.includes(".") || !namespace ? name : `${namespace}.${name}`;
  if (known(full)) return full;
  return known(name) ? name : undefined;
}

/** A named type's definition written to mean the same in any enclosing namespace. */
function standalone(def: Obj, full: string): Obj {
  if (typeof def.name === "string" && def.name.includes(".")) return def;
  const dot = full.lastIndexOf(".");
  const namespace = dot < 0 ? "" : full.slice(0, dot);
  return def.namespace === namespace ? def : { ...def, namespace };
}

/**
 * `schema` with each reference to a type in `types` (full name -> its definition) replaced, at its
 * first occurrence, by the definition; definitions are expanded too (a shared type may use
 * another). References to types the schema defines itself are left alone. Never throws: what it
 * does not understand it copies as written (the schema parser reports it).
 */
export function expandReferences(schema: AvroSchema, types: ReadonlyMap<string, AvroSchema>): AvroSchema {
  const defined = new Set<string>();
  const known = (n: string) => defined.has(n) || types.has(n);
  const walk = (v: unknown, ns: string | undefined): unknown => {
    if (typeof v === "string") {
      if (primitives.has(v)) return v;
      const full = resolveName(v, ns, known);
      if (full === undefined || defined.has(full)) return v;
      const def = types.get(full);
      if (!isObj(def)) return v;
      return walk(standalone(def, full), ns);
    }
    if (Array.isArray(v)) return v.map((b) => walk(b, ns));
    if (!isObj(v)) return v;
    const type = v.type;
    if (typeof type !== "string") return v;
    if (type === "array" && "items" in v) return { ...v, items: walk(v.items, ns) };
    if (type === "map" && "values" in v) return { ...v, values: walk(v.values, ns) };
    if (!namedKinds.has(type)) return v;
    const name = definedName(v, ns);
    defined.add(name.full);
    if (!Array.isArray(v.fields)) return v;
    return {
      ...v,
      fields: v.fields.map((f) => (isObj(f) && "type" in f ? { ...f, type: walk(f.type, name.namespace) } : f)),
    };
  };
  return walk(schema, undefined) as AvroSchema;
}

/** A named type split out of a schema: its own schema and the named types it refers to. */
export interface SplitType {
  readonly name: string;
  /** The definition, standalone (its namespace explicit), with the split-out types it uses as references. */
  readonly schema: AvroSchema;
  /** Full names of the split-out types it refers to, in order of first use. */
  readonly references: readonly string[];
}

export interface SplitSchema {
  /** The schema with every split-out definition replaced by the type's full name. */
  readonly schema: AvroSchema;
  /** Full names of the split-out types the root refers to, in order of first use. */
  readonly references: readonly string[];
  /** Every split-out type, dependencies before the types that use them. */
  readonly types: readonly SplitType[];
}

/**
 * The inverse of `expandReferences`: each definition of a type named in `names` is taken out of
 * `schema` (and out of the other taken-out definitions) and replaced by its full name.
 */
export function splitReferences(schema: AvroSchema, names: ReadonlySet<string>): SplitSchema {
  const defined = new Set<string>();
  const types: SplitType[] = [];
  const known = (n: string) => defined.has(n);
  const walk = (v: unknown, ns: string | undefined, refs: string[]): unknown => {
    const use = (full: string) => {
      if (!refs.includes(full)) refs.push(full);
    };
    if (typeof v === "string") {
      if (primitives.has(v)) return v;
      const full = resolveName(v, ns, known);
      if (full !== undefined && names.has(full)) {
        use(full);
        return full;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((b) => walk(b, ns, refs));
    if (!isObj(v)) return v;
    const type = v.type;
    if (typeof type !== "string") return v;
    if (type === "array" && "items" in v) return { ...v, items: walk(v.items, ns, refs) };
    if (type === "map" && "values" in v) return { ...v, values: walk(v.values, ns, refs) };
    if (!namedKinds.has(type)) return v;
    const name = definedName(v, ns);
    defined.add(name.full);
    const split = names.has(name.full);
    const ownRefs = split ? [] : refs;
    const body = Array.isArray(v.fields)
      ? {
          ...v,
          fields: v.fields.map((f) =>
            isObj(f) && "type" in f ? { ...f, type: walk(f.type, name.namespace, ownRefs) } : f,
          ),
        }
      : v;
    if (!split) return body;
    types.push({ name: name.full, schema: standalone(body, name.full) as AvroSchema, references: ownRefs });
    use(name.full);
    return name.full;
  };
  const refs: string[] = [];
  const root = walk(schema, undefined, refs) as AvroSchema;
  return { schema: root, references: refs, types };
}
