/**
 * Git mode (`--against <ref>`): the schemas at a git ref are what is published.
 *
 * A published version file that was edited (its schema changed, not only its formatting)
 * or deleted is an error. Versions the ref does not hold are new, and are checked against
 * the earlier versions as the event's level demands.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { CheckError } from "./errors.ts";
import type { Change } from "./levels.ts";
import { lineOf } from "./locate.ts";
import { checkVersion } from "./offline.ts";
import type { SharedTypeSource } from "./project.ts";
import { loadProject, type Project } from "./project.ts";
import type { CheckResult, PlacedFinding, Problem } from "./result.ts";
import { canonical } from "./schema.ts";

/** A schema's JSON without docs, keys sorted: equal when only docs or formatting differ. */
function meaning(schema: unknown): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== "object" || v === null) return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== "doc")
        .map(([k, x]) => [k, strip(x)]),
    );
  };
  return canonical(JSON.stringify(strip(schema)));
}

/** The shared types `names` that differ (beyond docs) between two projects, with where they are now. */
function changedShared(
  names: readonly string[],
  now: ReadonlyMap<string, SharedTypeSource> | undefined,
  before: ReadonlyMap<string, SharedTypeSource> | undefined,
): SharedTypeSource[] {
  return names.flatMap((name) => {
    const a = before?.get(name);
    const b = now?.get(name);
    if (b === undefined) return [];
    return a === undefined || meaning(a.definition) !== meaning(b.definition) ? [b] : [];
  });
}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: "pipe" });
  } catch (cause) {
    const stderr = String((cause as { stderr?: unknown }).stderr ?? "").trim();
    throw new CheckError("CHECK_INPUT", `git ${args.join(" ")}: ${stderr || (cause as Error).message}`, { cause });
  }
}

/** Path of `file` (which need not exist) relative to the top of its git work tree. */
function repoPath(file: string): string {
  const dir = dirname(resolve(file));
  return `${git(dir, ["rev-parse", "--show-prefix"]).trim()}${basename(file)}`;
}

/**
 * Why a ref may be missing, when git can tell: a shallow clone (what CI checkouts make by default)
 * holds neither the base branch nor the history, and a remote branch is only known once fetched.
 */
function missingRefHint(dir: string, ref: string): string {
  let shallow = false;
  try {
    shallow = git(dir, ["rev-parse", "--is-shallow-repository"]).trim() === "true";
  } catch {
    return `; ${dir} is not in a git repository, and --against reads the published schemas from git`;
  }
  if (shallow) {
    return (
      `; this is a shallow clone, which holds only the latest commits: fetch the full history ` +
      "(with actions/checkout, set `fetch-depth: 0`; elsewhere run `git fetch --unshallow`)"
    );
  }
  const remote = /^(?:refs\/remotes\/)?([^/]+)\/(.+)$/.exec(ref);
  if (
    remote &&
    git(dir, ["remote"])
      .split("\n")
      .includes(remote[1] as string)
  ) {
    return `; fetch it first: \`git fetch ${remote[1]} ${remote[2]}\``;
  }
  return "";
}

/**
 * Reads the schemas folder (and the manifest, when `manifestPath` puts it elsewhere) as they are
 * at `ref` into a temporary folder and loads them there. File paths in the result are shown as
 * they are in the working tree.
 */
export function loadProjectAtRef(
  schemasDir: string,
  ref: string,
  options: { readonly manifestPath?: string | undefined; readonly displayRoot?: string } = {},
): Project {
  const displayRoot = options.displayRoot ?? process.cwd();
  const dir = resolve(schemasDir);
  try {
    git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch (cause) {
    throw new CheckError(
      "CHECK_INPUT",
      `--against: unknown git ref "${ref}" (expected a branch, tag or commit)${missingRefHint(dir, ref)}`,
      { cause },
    );
  }
  const prefix = git(dir, ["rev-parse", "--show-prefix"]).trim();
  const files = git(dir, ["ls-tree", "-r", "-z", "--name-only", "--full-name", ref, "--", "."])
    .split("\0")
    .filter((f) => f !== "");
  // No schemas at the ref (the pull request that adds them): nothing is published yet.
  if (files.length === 0) return { events: [], shared: new Map() };
  const tmp = mkdtempSync(join(tmpdir(), "skeji-check-"));
  try {
    for (const full of files) {
      const rel = full.slice(prefix.length);
      const target = join(tmp, rel);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, git(dir, ["show", `${ref}:${full}`]));
    }
    let manifest: string | undefined;
    const inside = options.manifestPath === undefined ? undefined : relative(dir, resolve(options.manifestPath));
    if (inside !== undefined && !inside.startsWith("..") && !isAbsolute(inside)) {
      // The manifest is one of the schema files copied above: read that copy, so that paths in it
      // (the shared types folder) resolve as they do in the working tree.
      manifest = join(tmp, inside);
    } else if (options.manifestPath !== undefined) {
      manifest = `${tmp}.manifest.json`;
      writeFileSync(manifest, git(dir, ["show", `${ref}:${repoPath(options.manifestPath)}`]));
    }
    let atRef: Project;
    try {
      atRef = loadProject(tmp, tmp, manifest);
    } catch (e) {
      throw new CheckError("CHECK_INPUT", `the schemas at ${ref} do not load:\n${(e as Error).message}`, { cause: e });
    }
    // Report paths as the working tree names them.
    const shown = (file: string): string => join(dir, file).replace(`${resolve(displayRoot)}/`, "");
    return {
      events: atRef.events.map((e) => ({ ...e, versions: e.versions.map((v) => ({ ...v, file: shown(v.file) })) })),
      shared: new Map([...(atRef.shared ?? new Map()).values()].map((t) => [t.name, { ...t, file: shown(t.file) }])),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(`${tmp}.manifest.json`, { force: true });
  }
}

/** 1-based line of the first line that differs between two texts (where an edit starts). */
function firstDifference(before: string, after: string): number {
  const a = before.split("\n");
  const b = after.split("\n");
  const i = b.findIndex((line, n) => line !== a[n]);
  return i < 0 ? 1 : i + 1;
}

export function checkAgainstRef(current: Project, published: Project): CheckResult {
  const findings: PlacedFinding[] = [];
  const changes: Change[] = [];
  const problems: Problem[] = [];
  const notes: string[] = [];
  let pairs = 0;
  const byType = new Map(current.events.map((e) => [e.type, e]));

  for (const old of published.events) {
    const now = byType.get(old.type);
    for (const v of old.versions) {
      const still = now?.versions.find((n) => n.version === v.version);
      if (!still) {
        problems.push({
          rule: "published-version-deleted",
          event: old.type,
          version: v.version,
          file: v.file,
          line: 1,
          message: `${old.type} v${v.version} is published (${v.file} exists at the base ref) but was deleted`,
          hint: `restore ${v.file}; published versions stay, even when no producer writes them any more`,
        });
      } else if (canonical(still.text) === canonical(v.text) && meaning(still.expanded) !== meaning(v.expanded)) {
        // The file is as published, but a shared type it uses changed: records already written
        // carry the old schema's fingerprint, and readers judge them by the new one.
        const through = changedShared(still.sharedTypes, current.shared, published.shared);
        const first = through[0];
        const r = checkVersion(now as NonNullable<typeof now>, still, current.shared, [v]);
        findings.push(...r.findings);
        pairs += r.pairs;
        problems.push({
          rule: "published-version-edited",
          event: old.type,
          version: v.version,
          file: first?.file ?? still.file,
          line: first === undefined ? 1 : lineOf(first.text, ""),
          message: `${old.type} v${v.version} is published but its schema changed through the shared type${through.length === 1 ? "" : "s"} ${through.map((t) => `${t.name} (${t.file})`).join(", ") || "it uses"}`,
          hint: `keep the published shape of ${through.map((t) => t.name).join(", ") || "the shared types"} (records already written carry the old schema's fingerprint); put the change in a new shared type used by a new version v${(now?.versions.at(-1)?.version ?? v.version) + 1}`,
        });
      } else if (canonical(still.text) !== canonical(v.text)) {
        problems.push({
          rule: "published-version-edited",
          event: old.type,
          version: v.version,
          file: still.file,
          line: firstDifference(v.text, still.text),
          message: `${old.type} v${v.version} is published but its schema was changed`,
          hint: `restore ${still.file} and put the change in a new version v${(now?.versions.at(-1)?.version ?? v.version) + 1}`,
        });
      }
    }
  }

  for (const event of current.events) {
    const base = published.events.find((e) => e.type === event.type);
    const known = new Set(base?.versions.map((v) => v.version) ?? []);
    const added = event.versions.filter((v) => !known.has(v.version));
    if (!base) notes.push(`${event.type} is a new event (${added.length} version${added.length === 1 ? "" : "s"})`);
    else if (base.compatibility !== event.compatibility) {
      notes.push(`${event.type}: compatibility changed from ${base.compatibility} to ${event.compatibility}`);
    }
    for (const candidate of added) {
      const r = checkVersion(event, candidate, current.shared);
      findings.push(...r.findings);
      if (r.change !== undefined) changes.push(r.change);
      pairs += r.pairs;
    }
  }
  return { mode: "git", events: current.events.length, pairs, findings, changes, problems, notes };
}
