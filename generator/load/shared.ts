/**
 * Shared named types: the folder the manifest names in `$.types`, holding `.avsc` files of named
 * types (a record, enum or fixed, or an array of them) that event schemas refer to by full name.
 *
 * Shared types may use each other across files; they are parsed in dependency order, so a cycle
 * between files (A uses B, B uses A) and a name defined twice are problems naming both places.
 * Each shared type needs a namespace: it is inlined into schemas of any namespace and must mean
 * the same there.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { AvroSchema } from "@skeji/kafka/codegen";
import { childPath, type LogicalNode, type NamedNode, parseSchema, splitReferences } from "@skeji/kafka/codegen";
import { type Problem, parseJson } from "./problems.ts";

export interface SharedTypes {
  /** Files read, relative to the working directory, `/`-separated, sorted. */
  readonly files: readonly string[];
  /** Every shared named type (nested ones too) by full name, as the parser resolved it. */
  readonly nodes: ReadonlyMap<string, NamedNode | LogicalNode>;
  /** Each type's standalone definition, the shared types it uses written as references. */
  readonly definitions: ReadonlyMap<string, AvroSchema>;
  /** Where each type is defined. */
  readonly origins: ReadonlyMap<string, { readonly file: string; readonly path: string }>;
}

export const noSharedTypes: SharedTypes = { files: [], nodes: new Map(), definitions: new Map(), origins: new Map() };

const primitives = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const namedKinds = new Set(["record", "error", "enum", "fixed"]);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function nameIn(def: Record<string, unknown>, enclosing: string | undefined) {
  const name = typeof def.name === "string" ? def.name : "";
  if (name.includes(".")) return { full: name, namespace: name.slice(0, name.lastIndexOf(".")) };
  let ns = typeof def.namespace === "string" && def.namespace !== "" ? def.namespace : enclosing;
  if (def.namespace === "") ns = undefined;
  return { full: ns ? `${ns}.${name}` : name, namespace: ns };
}

interface Reference {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly path: string;
}

/** The names a definition defines and the type names it refers to, with their JSON paths. */
function scan(json: unknown, path: string) {
  const defines: { full: string; path: string }[] = [];
  const refs: Reference[] = [];
  const walk = (v: unknown, ns: string | undefined, p: string): void => {
    if (typeof v === "string") {
      if (!primitives.has(v)) refs.push({ name: v, namespace: ns, path: p });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((b, i) => {
        walk(b, ns, childPath(p, i));
      });
      return;
    }
    if (!isObj(v) || typeof v.type !== "string") return;
    if (v.type === "array") walk(v.items, ns, childPath(p, "items"));
    else if (v.type === "map") walk(v.values, ns, childPath(p, "values"));
    else if (namedKinds.has(v.type)) {
      const n = nameIn(v, ns);
      defines.push({ full: n.full, path: p });
      if (Array.isArray(v.fields)) {
        v.fields.forEach((f, i) => {
          if (isObj(f)) walk(f.type, n.namespace, childPath(childPath(childPath(p, "fields"), i), "type"));
        });
      }
    }
  };
  walk(json, undefined, path);
  return { defines, refs };
}

const toPosix = (p: string) => p.split(sep).join("/");

function avscFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith(".")) continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** A JSON path inside one item of a file: `$[1]` + `$.fields[0]` -> `$[1].fields[0]`. */
const within = (itemPath: string, path: string) => (path === "$" ? itemPath : `${itemPath}${path.slice(1)}`);

/** Loads the shared types under `dir`; problems are appended to `problems`. */
export function loadSharedTypes(dir: string, cwd: string, problems: Problem[]): SharedTypes {
  const rel = (p: string) => toPosix(relative(cwd, p)) || ".";
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    problems.push({ file: rel(dir), path: "$", message: "shared types folder not found (named by $.types)" });
    return noSharedTypes;
  }
  interface Item {
    readonly file: string;
    readonly path: string;
    readonly json: Record<string, unknown>;
    readonly defines: { full: string; path: string }[];
    readonly refs: Reference[];
  }
  const items: Item[] = [];
  const files: string[] = [];
  for (const full of avscFiles(dir)) {
    const file = rel(full);
    if (!full.endsWith(".avsc")) {
      problems.push({ file, path: "$", message: "unexpected file (expected .avsc files of shared named types)" });
      continue;
    }
    files.push(file);
    const parsed = parseJson(file, readFileSync(full, "utf8"));
    if ("problem" in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    const list = Array.isArray(parsed.value)
      ? parsed.value.map((v, i) => [v, `$[${i}]`] as const)
      : [[parsed.value, "$"] as const];
    for (const [json, path] of list) {
      if (!isObj(json) || typeof json.type !== "string" || !namedKinds.has(json.type)) {
        problems.push({
          file,
          path,
          message:
            "a shared type must be a named type: a record, enum or fixed (a file holds one, or an array of them)",
        });
        continue;
      }
      if (nameIn(json, undefined).namespace === undefined) {
        problems.push({
          file,
          path: childPath(path, "name"),
          message: `shared type ${JSON.stringify(json.name)} has no namespace (expected e.g. "namespace": "com.example.common", so it means the same in every event)`,
        });
        continue;
      }
      items.push({ file, path, json, ...scan(json, path) });
    }
  }

  // Names, once each.
  const owner = new Map<string, Item>();
  const origins = new Map<string, { file: string; path: string }>();
  const clashing = new Set<Item>();
  for (const item of items) {
    for (const d of item.defines) {
      const first = origins.get(d.full);
      if (first) {
        problems.push({
          file: item.file,
          path: d.path,
          message: `duplicate shared type name "${d.full}" (also defined in ${first.file} at ${first.path})`,
        });
        clashing.add(item);
        continue;
      }
      origins.set(d.full, { file: item.file, path: d.path });
      owner.set(d.full, item);
    }
  }

  // Dependency order; a cycle between items is a problem naming each step.
  const resolve = (r: Reference): string | undefined => {
    const full = r.name.includes(".") || !r.namespace ? r.name : `${r.namespace}.${r.name}`;
    return owner.has(full) ? full : owner.has(r.name) ? r.name : undefined;
  };
  const deps = (item: Item): { item: Item; ref: Reference }[] =>
    item.refs.flatMap((ref) => {
      const name = resolve(ref);
      const target = name === undefined ? undefined : owner.get(name);
      return target === undefined || target === item ? [] : [{ item: target, ref }];
    });
  const order: Item[] = [];
  const state = new Map<Item, "visiting" | "done">();
  const broken = new Set<Item>();
  const visit = (item: Item, trail: { item: Item; ref: Reference }[]): boolean => {
    const s = state.get(item);
    if (s === "done") return !broken.has(item);
    if (s === "visiting") {
      const start = trail.findIndex((t) => t.item === item);
      const cycle = trail.slice(start);
      // Each step: a type, and where it uses the next one.
      const steps = cycle.map((t) => `${t.item.file} ${t.ref.path} uses ${resolve(t.ref)}`);
      problems.push({
        file: item.file,
        path: item.path,
        message: `shared types refer to each other in a cycle: ${steps.join(" -> ")} (define one inside the other, or break the cycle)`,
      });
      for (const t of cycle) broken.add(t.item);
      return false;
    }
    state.set(item, "visiting");
    let ok = true;
    for (const d of deps(item)) {
      if (!visit(d.item, [...trail, { item, ref: d.ref }])) ok = false;
    }
    state.set(item, "done");
    if (!ok) broken.add(item);
    else order.push(item);
    return ok;
  };
  for (const item of items) if (!clashing.has(item)) visit(item, []);

  // Parse in that order, each seeing the types parsed before it.
  const nodes = new Map<string, NamedNode | LogicalNode>();
  const definitions = new Map<string, AvroSchema>();
  const names = new Set(owner.keys());
  for (const item of order) {
    const parsed = parseSchema(item.json, { external: nodes });
    for (const p of parsed.problems)
      problems.push({ file: item.file, path: within(item.path, p.path), message: p.message });
    if (parsed.problems.length > 0) continue;
    for (const [name, node] of parsed.named) nodes.set(name, node);
    for (const t of splitReferences(item.json as AvroSchema, names).types) definitions.set(t.name, t.schema);
  }
  return { files, nodes, definitions, origins };
}
