/**
 * Compatibility levels (as Confluent Schema Registry names them) over an event's versions.
 *
 * BACKWARD: the new version reads data written with the old one (upgrade consumers first).
 * FORWARD: the old version reads data written with the new one (upgrade producers first).
 * FULL: both. `_TRANSITIVE`: against every earlier version, not only the previous one.
 */
import type { CompatibilityLevel } from "@skeji/kafka/codegen";
import { compatibilityLevels } from "../load/manifest.ts";
import { hintFor } from "./hints.ts";
import { checkCompatibility, type Incompatibility } from "./rules.ts";
import type { SchemaNode } from "./schema.ts";

export type { CompatibilityLevel };

/** The levels, in Confluent's order; the manifest's loader owns the list. */
export const levels: readonly CompatibilityLevel[] = compatibilityLevels;

/** The level Confluent Schema Registry applies when none is configured. */
export const defaultLevel: CompatibilityLevel = "BACKWARD";

export function isLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === "string" && (levels as readonly string[]).includes(value);
}

/**
 * Who cannot read what:
 * - `new-readers`: consumers on the new version cannot read data the old version wrote (BACKWARD broken);
 * - `old-readers`: consumers still on the old version cannot read data the new version writes (FORWARD broken).
 */
export type Direction = "new-readers" | "old-readers";

/** One incompatibility between two versions of one event. */
export interface Finding extends Incompatibility {
  readonly event: string;
  /** The version under check (the newer one). */
  readonly version: number;
  /** The earlier version it was checked against. */
  readonly against: number;
  readonly direction: Direction;
  readonly level: CompatibilityLevel;
  readonly hint: string;
}

/**
 * Which side of a change may be deployed first, from what the versions can actually read (not
 * what the level demands):
 * - `producers-first`: consumers on the earlier versions read the new version's data (FORWARD holds);
 * - `consumers-first`: consumers on the new version read the earlier versions' data (BACKWARD holds);
 * - `either`: both hold;
 * - `together`: neither holds: producers and consumers must switch at once (or the topic be drained).
 * With the registry or the schema topic carrying writer schemas (the runtime's default), every
 * format reads as this says.
 */
export type DeploymentOrder = "producers-first" | "consumers-first" | "either" | "together";

/** The deployment order one new version allows against the earlier versions it was checked against. */
export interface Change {
  readonly event: string;
  readonly version: number;
  /** The earlier versions it was judged against (the previous one; all earlier ones at transitive levels). */
  readonly against: readonly number[];
  readonly level: CompatibilityLevel;
  readonly order: DeploymentOrder;
}

/**
 * The order `candidate` allows against `earlier` (at least one version): producers first when every
 * earlier version reads the candidate's data, consumers first when the candidate reads all of theirs.
 */
export function deploymentOrder(candidate: SchemaNode, earlier: readonly SchemaNode[]): DeploymentOrder {
  const oldRead = earlier.every((old) => checkCompatibility(old, candidate).length === 0);
  const newReads = earlier.every((old) => checkCompatibility(candidate, old).length === 0);
  return oldRead && newReads ? "either" : oldRead ? "producers-first" : newReads ? "consumers-first" : "together";
}

/** The change `candidate` makes against the versions its level compares it with; undefined for a first version. */
export function changeOf(
  event: string,
  level: CompatibilityLevel,
  candidate: VersionedSchema,
  earlier: readonly VersionedSchema[],
): Change | undefined {
  const sorted = [...earlier].sort((a, b) => a.version - b.version);
  const last = sorted.at(-1);
  if (last === undefined) return undefined;
  const targets = isTransitive(level) ? sorted : [last];
  return {
    event,
    version: candidate.version,
    against: targets.map((t) => t.version),
    level,
    order: deploymentOrder(
      candidate.schema,
      targets.map((t) => t.schema),
    ),
  };
}

export interface VersionedSchema {
  readonly version: number;
  readonly schema: SchemaNode;
}

const directionsOf = (level: CompatibilityLevel): Direction[] => {
  if (level === "NONE") return [];
  if (level.startsWith("BACKWARD")) return ["new-readers"];
  if (level.startsWith("FORWARD")) return ["old-readers"];
  return ["new-readers", "old-readers"];
};

export const isTransitive = (level: CompatibilityLevel): boolean => level.endsWith("_TRANSITIVE");

/**
 * Checks `candidate` against the earlier versions the level names: all of `earlier` for
 * transitive levels, else the highest-numbered one. `earlier` holds only versions before `candidate`.
 */
export function checkAgainst(
  event: string,
  level: CompatibilityLevel,
  candidate: VersionedSchema,
  earlier: readonly VersionedSchema[],
): Finding[] {
  const sorted = [...earlier].sort((a, b) => a.version - b.version);
  const last = sorted.at(-1);
  const targets = isTransitive(level) ? sorted : last ? [last] : [];
  const findings: Finding[] = [];
  for (const old of targets.reverse()) {
    for (const direction of directionsOf(level)) {
      const [reader, writer] =
        direction === "new-readers" ? [candidate.schema, old.schema] : [old.schema, candidate.schema];
      for (const inc of checkCompatibility(reader, writer)) {
        const base = { ...inc, event, version: candidate.version, against: old.version, direction, level };
        findings.push({ ...base, hint: hintFor(base) });
      }
    }
  }
  return findings;
}

/** Checks every version of an event after the first, as the level demands. */
export function checkChain(event: string, level: CompatibilityLevel, versions: readonly VersionedSchema[]): Finding[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  return sorted.flatMap((v, i) => (i === 0 ? [] : checkAgainst(event, level, v, sorted.slice(0, i))));
}
