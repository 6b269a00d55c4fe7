/**
 * Fix hints: what the author of the new version can change to make it compatible.
 * Earlier versions are published and cannot change, so every hint is about the new one.
 */
import type { Direction } from "./levels.ts";
import type { Incompatibility } from "./rules.ts";

interface HintInput extends Incompatibility {
  readonly version: number;
  readonly against: number;
  readonly direction: Direction;
}

const promotionsText = "int -> long -> float -> double, string <-> bytes";

export function hintFor(f: HintInput): string {
  const newer = `v${f.version}`;
  const older = `v${f.against}`;
  const byNew = f.direction === "new-readers";
  const d = f.detail;
  switch (d.rule) {
    case "field-without-default":
      if (d.renamedFrom !== undefined) {
        // Removed one field, added one of a type it could read: a rename, which aliases express.
        return byNew
          ? `if "${d.field}" is "${d.renamedFrom}" renamed, add "aliases": ["${d.renamedFrom}"] to field "${d.field}" in ${newer}; if it is a new field, give it a default`
          : `${older} readers still look for "${d.field}" and do not know it under another name: keep field "${d.field}" in ${newer} (aliases only help readers of ${newer})`;
      }
      return byNew
        ? `give the new field "${d.field}" a default in ${newer} (data written with ${older} does not have it)`
        : `keep field "${d.field}" in ${newer}: ${older} readers require it because it has no default there`;
    case "enum-symbols":
      return byNew
        ? `keep the symbols ${d.symbols.join(", ")} in ${newer}, or give the enum a "default" symbol`
        : `${older} readers do not know ${d.symbols.join(", ")}; add symbols only to enums that declare a "default" symbol in every earlier version`;
    case "union-branch":
      // The branch meant for the value fails for a nested reason: that is what to fix.
      if (d.cause !== undefined) return `in the union's ${d.branch} branch: ${hintFor({ ...f, ...d.cause })}`;
      return byNew
        ? `keep the branch ${d.branch} in the union in ${newer} (${older} wrote it)`
        : `${older} readers cannot read ${d.branch}; do not add union branches that ${older} cannot read, or make the field a new one with a default`;
    case "name":
      return byNew
        ? `keep the name ${d.writerName}, or list it in the "aliases" of the type in ${newer}`
        : `keep the name ${d.readerName} in ${newer} (${older} readers match types by name)`;
    case "fixed-size":
      return `keep the fixed size ${byNew ? d.writerSize : d.readerSize} in ${newer}; add a new field for the new size`;
    case "decimal":
      return `keep ${byNew ? d.writer : d.reader} in ${newer}; a decimal's scale cannot change, and its precision may only grow in the reading direction (add a new field for another scale)`;
    case "type":
      return `keep the type ${byNew ? f.writer : f.reader} in ${newer} (only promotions ${promotionsText} are allowed, and only in the reading direction); add a new field with a default instead`;
  }
}
