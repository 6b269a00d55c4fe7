/**
 * The pipeline: load (files + validation) -> model -> emit -> files in memory.
 * `writeOutput` and `diffOutput` are the write and `--check` stages.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { codegenSymbols } from "@skeji/kafka/codegen";
import { emitEvent } from "./emit/event.ts";
import { HEADER_PREFIX, Printer } from "./emit/module.ts";
import { emitShared } from "./emit/shared.ts";
import { emitIndex, emitTopics } from "./emit/topics.ts";
import type { Problem } from "./load/problems.ts";
import { type LoadedProject, loadProject } from "./load/project.ts";
import { buildProjectModel, exportedNames, reservedTypeNames } from "./model/event-model.ts";

export interface GenerateOptions {
  readonly schemasDir: string;
  readonly manifestPath?: string | undefined;
  /** Extension of relative imports between generated modules: `.ts` (default), `.js` or `` (none). */
  readonly importExtension?: ".ts" | ".js" | "" | undefined;
  /** What paths in problems are relative to; default the working directory. */
  readonly cwd?: string | undefined;
  /**
   * What paths in the generated headers are relative to; default `projectRoot(schemasDir)`.
   * It never depends on the working directory, so output is byte-identical wherever it runs.
   */
  readonly root?: string | undefined;
}

/** Files that mark a project's root folder, for header paths. */
export const ROOT_MARKERS = ["skeji-gen.config.json", "package.json"] as const;

/**
 * The folder header paths are relative to when no config file names it: the nearest folder,
 * from the schema folder upwards, holding `skeji-gen.config.json` or `package.json`; if there
 * is none, the schema folder's parent.
 */
export function projectRoot(schemasDir: string): string {
  const start = resolve(schemasDir);
  for (let dir = start; ; dir = dirname(dir)) {
    if (ROOT_MARKERS.some((m) => existsSync(join(dir, m)))) return dir;
    if (dirname(dir) === dir) return dirname(start);
  }
}

const toPosix = (p: string) => p.split(sep).join("/");

export interface GenerateResult {
  readonly project: LoadedProject;
  /** Output path (relative to the output folder, `/`-separated) -> content; empty when there are problems. */
  readonly files: ReadonlyMap<string, string>;
  readonly problems: readonly Problem[];
  /** Warnings (valid but rarely intended); reported, never fatal. */
  readonly warnings: readonly Problem[];
}

export function generate(options: GenerateOptions): GenerateResult {
  const project = loadProject(options);
  const { warnings } = project;
  if (project.problems.length > 0) return { project, files: new Map(), problems: project.problems, warnings };
  const ext = options.importExtension ?? ".ts";
  const runtimeNames: string[] = Object.values(codegenSymbols).map((s) => s.name);
  const model = buildProjectModel(project, runtimeNames);
  const cwd = options.cwd ?? process.cwd();
  const root = resolve(cwd, options.root ?? projectRoot(resolve(cwd, options.schemasDir)));
  /** A path in a header: relative to the root, `/`-separated (`file` is relative to `cwd`). */
  const headerPath = (file: string) => toPosix(relative(root, resolve(cwd, file)));
  const manifestFile = toPosix(relative(cwd, resolve(cwd, project.manifestPath)));
  const manifestHeader = headerPath(project.manifestPath);
  const clashes: Problem[] = [];
  for (const [name, owners] of exportedNames(model)) {
    const reserved = reservedTypeNames.includes(name) || runtimeNames.includes(name);
    if (owners.length > 1 || reserved) {
      const why =
        owners.length > 1 ? `is generated for both ${owners.join(" and ")}` : `is reserved (a global or runtime name)`;
      clashes.push({
        file: manifestFile,
        path: "$",
        message: `the TypeScript name ${name} ${why} (rename an event type)`,
      });
    }
  }
  const sharedModule = model.shared?.module;
  for (const event of model.events) {
    if (event.module === sharedModule || event.module === "topics" || event.module === "index") {
      clashes.push({
        file: manifestFile,
        path: "$",
        message: `event "${event.type}" would be generated as ${event.module}.ts, a module skeji-gen writes itself (rename the event type)`,
      });
    }
  }
  if (clashes.length > 0) return { project, files: new Map(), problems: clashes, warnings };
  const printer = new Printer();
  const files = new Map<string, string>();
  const sharedImport = `./${sharedModule}${ext}`;
  for (const event of model.events) {
    const sources = [...event.versions.map((v) => v.file), ...event.sharedFiles].map(headerPath);
    const module = emitEvent(event, sources.join(", "), sharedImport);
    files.set(module.path, printer.print(module));
  }
  if (model.shared) {
    const module = emitShared(model.shared, model.shared.files.map(headerPath).join(", "));
    files.set(module.path, printer.print(module));
  }
  if (model.topics.length > 0) {
    const topics = emitTopics(model, manifestHeader, ext);
    files.set(topics.path, printer.print(topics));
  }
  const index = emitIndex(model, manifestHeader, ext);
  files.set(index.path, printer.print(index));
  return { project, files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))), problems: [], warnings };
}

/** Files under `outDir` that skeji-gen wrote (they start with the generated-code header). */
function generatedFilesOnDisk(outDir: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!existsSync(outDir)) return found;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) {
        const text = readFileSync(full, "utf8");
        if (text.startsWith(HEADER_PREFIX)) found.set(toPosix(relative(outDir, full)), text);
      }
    }
  };
  walk(outDir);
  return found;
}

export interface OutputDiff {
  readonly changed: readonly string[];
  readonly added: readonly string[];
  /** Generated files on disk that would no longer be generated. */
  readonly removed: readonly string[];
}

export function diffOutput(files: ReadonlyMap<string, string>, outDir: string): OutputDiff {
  const disk = generatedFilesOnDisk(outDir);
  const changed: string[] = [];
  const added: string[] = [];
  for (const [path, text] of files) {
    const current = disk.has(path)
      ? disk.get(path)
      : existsSync(join(outDir, path))
        ? readFileSync(join(outDir, path), "utf8")
        : undefined;
    if (current === undefined) added.push(path);
    else if (current !== text) changed.push(path);
  }
  const removed = [...disk.keys()].filter((p) => !files.has(p)).sort();
  return { changed, added, removed };
}

/** Writes changed files only and deletes stale generated files; returns what changed. */
export function writeOutput(files: ReadonlyMap<string, string>, outDir: string): OutputDiff {
  const diff = diffOutput(files, outDir);
  for (const path of [...diff.changed, ...diff.added]) {
    const full = join(outDir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, files.get(path) as string);
  }
  for (const path of diff.removed) rmSync(join(outDir, path));
  return diff;
}
