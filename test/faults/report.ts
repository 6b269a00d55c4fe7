/**
 * The fault suite's results: every scenario records one row (what callers were told against what
 * the topic, the DLQ and the handlers saw), appended as a JSON line to `.local/faults/results.jsonl`.
 * `scripts/faults-report.ts` turns the latest run into the table in `docs/reliability.md`.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const resultsFile = process.env.SKEJI_FAULTS_RESULTS ?? join(root, ".local", "faults", "results.jsonl");

export interface ScenarioRow {
  /** Short, stable name, e.g. `producer: lost produce response, retries exhausted`. */
  readonly scenario: string;
  /** Publishes attempted (unique ids). */
  readonly published: number;
  /** Publishes whose caller was told "written" (an offset). */
  readonly acknowledged: number;
  /** Acknowledged (or committed as handled / dead-lettered) but found nowhere. Must be 0. */
  readonly lost: number;
  /** Extra copies found (in the topic, the DLQ or handler calls), beyond the first. */
  readonly duplicated: number;
  /** Records that ended in a dead-letter topic. */
  readonly deadLettered: number;
  /** Publishes reported to their caller as PUBLISH_AMBIGUOUS (may or may not be written). */
  readonly ambiguous: number;
  /** What the numbers mean here: why duplicates are expected, what was injected. */
  readonly notes: string;
}

/** Appends one scenario's row to the results of this run. */
export function recordScenario(row: ScenarioRow): void {
  mkdirSync(dirname(resultsFile), { recursive: true });
  appendFileSync(resultsFile, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`);
}
