/**
 * Offline mode: every version of every event against the previous one, or against all
 * earlier ones for `_TRANSITIVE` levels, as the event's level demands.
 */
import { type Change, changeOf, checkAgainst, isTransitive } from "./levels.ts";
import { place } from "./locate.ts";
import type { CheckedEvent, CheckedVersion, Project, SharedTypeSource } from "./project.ts";
import type { CheckResult, PlacedFinding } from "./result.ts";

/** Checks `candidate` of `event` against its earlier versions; returns placed findings and the pair count. */
export function checkVersion(
  event: CheckedEvent,
  candidate: CheckedVersion,
  shared?: ReadonlyMap<string, SharedTypeSource>,
  /** What to judge it against; default its earlier versions. */
  against: readonly CheckedVersion[] = event.versions.filter((v) => v.version < candidate.version),
): { findings: PlacedFinding[]; pairs: number; change: Change | undefined } {
  const earlier = against;
  const findings = checkAgainst(event.type, event.compatibility, candidate, earlier);
  const pairs =
    event.compatibility === "NONE" || earlier.length === 0 ? 0 : isTransitive(event.compatibility) ? earlier.length : 1;
  const change =
    event.compatibility === "NONE" ? undefined : changeOf(event.type, event.compatibility, candidate, earlier);
  return { findings: place(findings, candidate, shared), pairs, change };
}

export function checkOffline(project: Project): CheckResult {
  const findings: PlacedFinding[] = [];
  const changes: Change[] = [];
  let pairs = 0;
  for (const event of project.events) {
    for (const candidate of event.versions.slice(1)) {
      const r = checkVersion(event, candidate, project.shared);
      findings.push(...r.findings);
      if (r.change !== undefined) changes.push(r.change);
      pairs += r.pairs;
    }
  }
  return { mode: "offline", events: project.events.length, pairs, findings, changes, problems: [], notes: [] };
}
