/**
 * Reporters: `text` for terminals, `json` for tools, `github` for workflow annotations
 * (`::error file=...,line=...::`) that GitHub shows on the pull request's diff.
 */
import type { Change, Direction } from "./levels.ts";
import { type CheckResult, failed, type PlacedFinding } from "./result.ts";

export type Format = "text" | "json" | "github";
export const formats: readonly Format[] = ["text", "json", "github"];

const who = (f: PlacedFinding): string => whoBreaks(f.direction, f.version, f.against);

export function whoBreaks(direction: Direction, version: number, against: number): string {
  if (version === against) {
    // A published version changed in place (through a shared type).
    return direction === "new-readers"
      ? `breaks new readers: consumers built with the change cannot read v${version} data written before it`
      : `breaks old readers: consumers built before the change cannot read v${version} data written after it`;
  }
  return direction === "new-readers"
    ? `breaks new readers: consumers on v${version} cannot read data written with v${against}`
    : `breaks old readers: consumers on v${against} cannot read data written with v${version}`;
}

const versions = (against: readonly number[]): string => against.map((v) => `v${v}`).join(", ");

/** What a change's deployment order means, in words: `deploy producers first (...)`. */
export function orderText(c: Change): string {
  const older = versions(c.against);
  const v = `v${c.version}`;
  switch (c.order) {
    case "either":
      return `deploy either side first (consumers on ${older} read ${v} data, and ${v} consumers read ${older} data)`;
    case "producers-first":
      return `deploy producers first (consumers on ${older} read ${v} data; ${v} consumers cannot read ${older} data)`;
    case "consumers-first":
      return `deploy consumers first (${v} consumers read ${older} data; consumers on ${older} cannot read ${v} data)`;
    case "together":
      return `deploy producers and consumers together, or drain the topic first (neither reads the other's data)`;
  }
}

const changeLine = (c: Change): string =>
  `${c.event} v${c.version} against ${versions(c.against)} (${c.level}): ${orderText(c)}`;

const where = (path: string): string => (path === "" ? "(whole schema)" : path);
const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

function summary(r: CheckResult): string {
  if (r.mode === "register") {
    return failed(r)
      ? `register failed: ${plural(r.problems.length, "version")} refused; ${plural(r.pairs, "version")} registered`
      : `registered ${plural(r.pairs, "new version")} of ${plural(r.events, "event")}`;
  }
  const scope = `${plural(r.events, "event")}, ${plural(r.pairs, "version pair")} checked`;
  if (!failed(r)) return `compatible: ${scope}`;
  const events = new Set([...r.findings, ...r.problems].map((x) => x.event)).size;
  const parts = [
    r.findings.length > 0 ? plural(r.findings.length, "incompatibility", "incompatibilities") : "",
    r.problems.length > 0 ? plural(r.problems.length, "problem") : "",
  ].filter((p) => p !== "");
  return `incompatible: ${parts.join(" and ")} in ${plural(events, "event")} (${scope})`;
}

export function formatText(r: CheckResult): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`${f.event} v${f.version} against v${f.against} (${f.level}): ${who(f)}`);
    lines.push(
      `  at   ${where(f.path)}  (${f.through === undefined ? "" : `in shared type ${f.through}, `}${f.file}:${f.line})`,
    );
    lines.push(`  rule ${f.type}: ${f.message}`);
    lines.push(`  fix  ${f.hint}`);
    lines.push("");
  }
  for (const p of r.problems) {
    lines.push(`${p.event} v${p.version}: ${p.message}`);
    lines.push(`  at   ${p.file}:${p.line}`);
    lines.push(`  rule ${p.rule}`);
    lines.push(`  fix  ${p.hint}`);
    lines.push("");
  }
  for (const c of r.changes) lines.push(`order: ${changeLine(c)}`);
  if (r.changes.length > 0) lines.push("");
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.notes.length > 0) lines.push("");
  lines.push(summary(r));
  return `${lines.join("\n")}\n`;
}

export function formatJson(r: CheckResult): string {
  return `${JSON.stringify(
    {
      ok: !failed(r),
      mode: r.mode,
      events: r.events,
      pairs: r.pairs,
      findings: r.findings.map((f) => ({
        event: f.event,
        version: f.version,
        against: f.against,
        level: f.level,
        direction: f.direction,
        path: f.path,
        rule: f.type,
        message: f.message,
        reader: f.reader,
        writer: f.writer,
        hint: f.hint,
        file: f.file,
        line: f.line,
        ...(f.through === undefined ? {} : { through: f.through }),
      })),
      changes: r.changes.map((c) => ({
        event: c.event,
        version: c.version,
        against: c.against,
        level: c.level,
        order: c.order,
      })),
      problems: r.problems,
      notes: r.notes,
    },
    null,
    2,
  )}\n`;
}

/** Workflow command escaping: data escapes %, CR, LF; properties also `:` and `,`. */
export const data = (s: string): string => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
export const prop = (s: string): string => data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/**
 * `path` turns a reported file (relative to the working directory) into the path GitHub places the
 * annotation by (relative to the repository's root; see `annotationPaths`).
 */
export function formatGithub(r: CheckResult, path: (file: string) => string = (file) => file): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    const inShared = f.through === undefined ? "" : ` (shared type ${f.through})`;
    const title = `${f.event} v${f.version}: ${f.type} at ${where(f.path)}${inShared}`;
    const body = `${f.message} (against v${f.against}, ${f.level}; ${who(f)}).\nFix: ${f.hint}`;
    lines.push(`::error file=${prop(path(f.file))},line=${f.line},title=${prop(title)}::${data(body)}`);
  }
  for (const p of r.problems) {
    const title = `${p.event} v${p.version}: ${p.rule}`;
    lines.push(
      `::error file=${prop(path(p.file))},line=${p.line},title=${prop(title)}::${data(`${p.message}.\nFix: ${p.hint}`)}`,
    );
  }
  for (const c of r.changes) {
    lines.push(`::notice title=${prop(`${c.event} v${c.version}: ${c.order}`)}::${data(changeLine(c))}`);
  }
  for (const n of r.notes) lines.push(`::notice::${data(n)}`);
  lines.push(summary(r));
  return `${lines.join("\n")}\n`;
}

/**
 * An error that ended the run before there was a result (a bad ref, a broken schema, an option), as
 * GitHub shows it: an `::error` annotation on the workflow run, in the run's summary.
 */
export function formatGithubError(message: string): string {
  return `::error title=${prop("skeji-gen check")}::${data(message)}\n`;
}

export function format(r: CheckResult, as: Format, path?: (file: string) => string): string {
  return as === "json" ? formatJson(r) : as === "github" ? formatGithub(r, path) : formatText(r);
}
