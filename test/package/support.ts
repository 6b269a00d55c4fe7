/**
 * The packages as a registry would serve them (`npm pack` of each workspace, which builds it), and
 * temporary projects that install them with npm, outside this repository.
 */
import { type ExecFileSyncOptions, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "..", "..");

/** The environment of a child npm/node: no npm_* variables of the `npm test` that runs us. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: "1", ...extra };
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never throws on a non-zero exit (the caller asserts the code). */
export function run(cmd: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Result {
  const options: ExecFileSyncOptions = { cwd, env: cleanEnv(env), encoding: "utf8", stdio: "pipe", timeout: 240_000 };
  try {
    const stdout = execFileSync(cmd, args, options) as unknown as string;
    return { code: 0, stdout, stderr: "" };
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string; message: string };
    return { code: err.status ?? -1, stdout: err.stdout ?? "", stderr: `${err.stderr ?? ""}${err.message}` };
  }
}

/** Like `run`, but a non-zero exit fails with the command's output. */
export function must(cmd: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): string {
  const r = run(cmd, args, cwd, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export interface Packs {
  readonly dir: string;
  readonly runtime: string;
  readonly generator: string;
}

/** `npm pack` of both workspaces into a temporary folder (each pack runs its build). */
export function packWorkspaces(): Packs {
  const dir = mkdtempSync(join(tmpdir(), "skeji-packs-"));
  must("npm", ["pack", "--workspaces", "--pack-destination", dir, "--silent"], repo);
  const files = readdirSync(dir);
  const find = (prefix: RegExp) => {
    const f = files.find((n) => prefix.test(n));
    if (f === undefined) throw new Error(`npm pack wrote ${files.join(", ")}; expected ${prefix}`);
    return join(dir, f);
  };
  return { dir, runtime: find(/^skeji-kafka-\d/), generator: find(/^skeji-kafka-gen-\d/) };
}

/** A fresh project folder outside the repository, with these files (objects are written as JSON). */
export function project(name: string, files: Record<string, string | object>): string {
  const dir = mkdtempSync(join(tmpdir(), `skeji-${name}-`));
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(resolve(file, ".."), { recursive: true });
    writeFileSync(file, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return dir;
}

/** `npm install` from the packs (and the registry or npm's cache for their dependencies). */
export function npmInstall(dir: string, args: readonly string[]): void {
  must("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...args], dir);
}

/** Bytes under a folder, following no links. */
export function folderSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderSize(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Every package name installed under node_modules (scoped ones as `@scope/name`), nested included. */
export function installedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  const walk = (modules: string) => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) {
        for (const sub of readdirSync(join(modules, entry))) {
          names.add(`${entry}/${sub}`);
          walk(join(modules, entry, sub, "node_modules"));
        }
      } else {
        names.add(entry);
        walk(join(modules, entry, "node_modules"));
      }
    }
  };
  walk(join(dir, "node_modules"));
  return names;
}

export const remove = (dir: string) => rmSync(dir, { recursive: true, force: true });
