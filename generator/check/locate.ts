/**
 * Finds the line of a field in schema text, for annotations that point at the offending field.
 *
 * Follows the dotted path one field name at a time, each searched after the previous one; stops at
 * the deepest field it finds (a removed field is reported at its parent). Line 1 when none is found.
 */

import type { Finding } from "./levels.ts";
import type { CheckedVersion } from "./project.ts";
import type { PlacedFinding } from "./result.ts";

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

/** Places findings in the file of the version they are about. */
export function place(findings: readonly Finding[], version: CheckedVersion): PlacedFinding[] {
  return findings.map((f) => ({ ...f, file: version.file, line: lineOf(version.text, f.path) }));
}
