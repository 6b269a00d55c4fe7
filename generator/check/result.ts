/**
 * What a check run found, independent of how it is printed.
 */
import type { Change, Finding } from "./levels.ts";

/** An incompatibility, placed in the file of the version under check. */
export interface PlacedFinding extends Finding {
  readonly file: string;
  /** 1-based line of the offending field in `file` (of its closest enclosing field when it is gone). */
  readonly line: number;
  /**
   * The shared type the path runs into last, when the offending field is inside one: `file` and
   * `line` then point into the shared type's file, and `path` is still the path from the event's root.
   */
  readonly through?: string | undefined;
}

/** A failure that is not a schema incompatibility: an edited or deleted published version, a registry refusal. */
export interface Problem {
  readonly rule:
    | "published-version-edited"
    | "published-version-deleted"
    | "registry-incompatible"
    | "registry-rejected";
  readonly event: string;
  readonly version: number;
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly hint: string;
}

export interface CheckResult {
  readonly mode: "offline" | "git" | "registry" | "git+registry" | "register";
  /** Number of events looked at. */
  readonly events: number;
  /** Number of (version, earlier version) pairs compared. */
  readonly pairs: number;
  readonly findings: readonly PlacedFinding[];
  /** Each version checked, with the deployment order it allows (compatible or not). */
  readonly changes: readonly Change[];
  readonly problems: readonly Problem[];
  /** Things worth knowing that do not fail the check (e.g. an unregistered subject). */
  readonly notes: readonly string[];
}

export const failed = (r: CheckResult): boolean => r.findings.length > 0 || r.problems.length > 0;

const findingKey = (f: PlacedFinding): string =>
  [f.event, f.version, f.against, f.direction, f.path, f.type].join("\0");

const changeKey = (c: Change): string => [c.event, c.version, c.against.join(","), c.order].join("\0");

/**
 * `--against` with `--registry`: the git check and the registry check of the same schemas as one
 * result. An incompatibility both report (the same pair, path, rule and direction) is listed once;
 * `pairs` counts the comparisons of both.
 */
export function combine(git: CheckResult, registry: CheckResult): CheckResult {
  const seen = new Set(git.findings.map(findingKey));
  const seenChanges = new Set(git.changes.map(changeKey));
  return {
    mode: "git+registry",
    events: git.events,
    pairs: git.pairs + registry.pairs,
    findings: [...git.findings, ...registry.findings.filter((f) => !seen.has(findingKey(f)))],
    changes: [...git.changes, ...registry.changes.filter((c) => !seenChanges.has(changeKey(c)))],
    problems: [...git.problems, ...registry.problems],
    notes: [...git.notes, ...registry.notes],
  };
}
