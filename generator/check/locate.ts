/**
 * Finds the line of a field in schema text, for annotations that point at the offending field.
 *
 * Follows the dotted path through the schema's JSON as Avro reads it: a segment is a field of the
 * record in scope (through unions and references to types defined earlier in the file), `[]` and
 * `{}` step into array items and map values. It stops at the deepest field it reaches (a removed
 * field is reported at its parent); the line of the schema's start when it reaches none.
 */

import { lineAt, type Positioned, parsePositioned } from "./json-positions.ts";
import type { Finding } from "./levels.ts";
import type { CheckedVersion, SharedTypeSource } from "./project.ts";
import type { PlacedFinding } from "./result.ts";
import type { SchemaNode } from "./schema.ts";

type Obj = Extract<Positioned, { kind: "object" }>;
const namedKinds = new Set(["record", "error", "enum", "fixed"]);
const str = (o: Obj, key: string): string | undefined => {
  const v = o.entries.get(key);
  return v?.kind === "string" ? v.value : undefined;
};

/** The full name a definition declares inside `enclosing`, and the namespace its fields see. */
function declared(def: Obj, enclosing: string): { full: string; ns: string } {
  const name = str(def, "name") ?? "";
  const ns = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : (str(def, "namespace") ?? enclosing);
  const full = name.includes(".") || ns === "" ? name : `${ns}.${name}`;
  return { full, ns: full.includes(".") ? full.slice(0, full.lastIndexOf(".")) : "" };
}

interface Scoped {
  readonly node: Positioned;
  readonly ns: string;
}

/** Every named type the document defines, by full name. */
function definitions(doc: Positioned): Map<string, Scoped> {
  const defs = new Map<string, Scoped>();
  const walk = (v: Positioned | undefined, ns: string): void => {
    if (v === undefined) return;
    if (v.kind === "array") for (const b of v.items) walk(b, ns);
    if (v.kind !== "object") return;
    const type = v.entries.get("type");
    if (type?.kind !== "string") walk(type, ns);
    else if (type.value === "array") walk(v.entries.get("items"), ns);
    else if (type.value === "map") walk(v.entries.get("values"), ns);
    if (type?.kind !== "string" || !namedKinds.has(type.value)) return;
    const d = declared(v, ns);
    if (!defs.has(d.full)) defs.set(d.full, { node: v, ns: d.ns });
    const fields = v.entries.get("fields");
    if (fields?.kind === "array") {
      for (const f of fields.items) if (f.kind === "object") walk(f.entries.get("type"), d.ns);
    }
  };
  walk(doc, "");
  return defs;
}

/** The concrete types a type position may hold: union branches, references resolved, wrappers opened. */
function concrete(v: Scoped, defs: ReadonlyMap<string, Scoped>, depth = 0): Scoped[] {
  const { node, ns } = v;
  if (depth > 8) return [];
  if (node.kind === "array") return node.items.flatMap((b) => concrete({ node: b, ns }, defs, depth + 1));
  if (node.kind === "string") {
    const def =
      defs.get(node.value.includes(".") || ns === "" ? node.value : `${ns}.${node.value}`) ?? defs.get(node.value);
    return def === undefined ? [] : [def];
  }
  if (node.kind !== "object") return [];
  const type = node.entries.get("type");
  if (type === undefined) return [];
  if (type.kind !== "string") return concrete({ node: type, ns }, defs, depth + 1);
  if (namedKinds.has(type.value)) return [{ node, ns: declared(node, ns).ns }];
  if (type.value === "array" || type.value === "map") return [v];
  return concrete({ node: type, ns }, defs, depth + 1); // `{"type": "Money"}`: a reference
}

const kindOf = (v: Scoped): string | undefined => (v.node.kind === "object" ? str(v.node, "type") : undefined);

export function lineOf(text: string, path: string): number {
  const doc = parsePositioned(text);
  if (doc === undefined) return 1;
  const defs = definitions(doc);
  let found = doc.at;
  let scope: Scoped[] = [{ node: doc, ns: "" }];
  for (const segment of path === "" ? [] : path.split(".")) {
    const name = segment.replace(/(\[\]|\{\})+$/, "");
    if (name !== "") {
      let field: Obj | undefined;
      let ns = "";
      for (const t of scope.flatMap((s) => concrete(s, defs))) {
        const fields = t.node.kind === "object" ? t.node.entries.get("fields") : undefined;
        if (fields?.kind !== "array") continue;
        field = fields.items.find((f): f is Obj => f.kind === "object" && str(f, "name") === name);
        if (field !== undefined) {
          ns = t.ns;
          break;
        }
      }
      const type = field?.entries.get("type");
      if (field === undefined || type === undefined) break;
      found = field.entries.get("name")?.at ?? field.at;
      scope = [{ node: type, ns }];
    }
    for (const step of segment.slice(name.length).match(/\[\]|\{\}/g) ?? []) {
      const [kind, key] = step === "[]" ? ["array", "items"] : ["map", "values"];
      scope = scope
        .flatMap((s) => concrete(s, defs))
        .filter((t) => kindOf(t) === kind)
        .flatMap((t) => {
          const inner = (t.node as Obj).entries.get(key as string);
          return inner === undefined ? [] : [{ node: inner, ns: t.ns }];
        });
    }
  }
  return lineAt(text, found);
}

/**
 * The last shared type a dotted path (`total.amount_minor`, `lines[].price`) runs into, and the rest
 * of the path inside it; undefined when the path stays in the event's own types.
 */
export function sharedOnPath(
  root: SchemaNode,
  path: string,
  shared: ReadonlyMap<string, unknown>,
): { type: string; rest: string } | undefined {
  const unwrap = (n: SchemaNode, field: string): SchemaNode =>
    n.kind === "union"
      ? (n.branches.find((b) => b.kind === "record" && b.fields.some((f) => f.name === field)) ?? n)
      : n;
  const segments = path === "" ? [] : path.split(".");
  let node: SchemaNode | undefined = root;
  let found: { type: string; rest: string } | undefined;
  for (let i = 0; i < segments.length && node !== undefined; i++) {
    const segment = segments[i] as string;
    const name = segment.replace(/(\[\]|\{\})+$/, "");
    node = unwrap(node, name);
    if (node.kind !== "record") break;
    if (shared.has(node.name)) found = { type: node.name, rest: segments.slice(i).join(".") };
    let next: SchemaNode | undefined = node.fields.find((f) => f.name === name)?.type;
    for (const step of segment.slice(name.length).match(/\[\]|\{\}/g) ?? []) {
      if (next?.kind === "union") next = next.branches.find((b) => b.kind === (step === "[]" ? "array" : "map"));
      next = next?.kind === "array" ? next.items : next?.kind === "map" ? next.values : undefined;
    }
    node = next;
  }
  return found;
}

/**
 * Places findings in the file of the version they are about, or, when the offending field is inside
 * a shared type, in that type's file (the change to fix is there).
 */
export function place(
  findings: readonly Finding[],
  version: CheckedVersion,
  shared: ReadonlyMap<string, SharedTypeSource> = new Map(),
): PlacedFinding[] {
  return findings.map((f) => {
    const through = shared.size === 0 ? undefined : sharedOnPath(version.schema, f.path, shared);
    const source = through === undefined ? undefined : shared.get(through.type);
    if (through === undefined || source === undefined) {
      return { ...f, file: version.file, line: lineOf(version.text, f.path) };
    }
    return { ...f, file: source.file, line: lineOf(source.text, through.rest), through: through.type };
  });
}
