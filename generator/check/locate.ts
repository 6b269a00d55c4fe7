/**
 * Finds the line of a field in schema text, for annotations that point at the offending field.
 *
 * Follows the dotted path one field name at a time, each searched after the previous one; stops at
 * the deepest field it finds (a removed field is reported at its parent). Line 1 when none is found.
 */

import type { Finding } from "./levels.ts";
import type { CheckedVersion, SharedTypeSource } from "./project.ts";
import type { PlacedFinding } from "./result.ts";
import type { SchemaNode } from "./schema.ts";

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function lineOf(text: string, path: string): number {
  let at = 0;
  let found = -1;
  for (const raw of path.split(".")) {
    const name = raw.replace(/(\[\]|\{\})+$/, "");
    if (name === "") continue;
    const re = new RegExp(`"name"\\s*:\\s*"${escapeRegExp(name)}"`, "g");
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) break;
    found = m.index;
    at = m.index + m[0].length;
  }
  if (found < 0) return 1;
  let line = 1;
  for (let i = 0; i < found; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
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
