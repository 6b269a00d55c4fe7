/**
 * `skeji-gen.config.json`: where it is and what it says.
 *
 * Run from anywhere inside a project, the commands find the project's config file the way npm
 * finds package.json: from the working directory upwards. The search stops at the project's root
 * (the first folder holding package.json or .git), so a config file of an enclosing project is
 * never picked up. Paths in the file are relative to its folder.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { formatProblem, parseJson } from "./load/problems.ts";

export const CONFIG_FILE = "skeji-gen.config.json";
export const CONFIG_KEYS = ["schemas", "manifest", "out", "importExtension"] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type Config = Partial<Record<ConfigKey, string>>;

/** Files that make a folder a project's root: the upward search ends there. */
const ROOT_FILES = ["package.json", ".git"];

export interface ConfigSearch {
  /** Absolute path of the config file found, if any. */
  readonly file: string | undefined;
  /**
   * The project's root: the first folder (from the start upwards) holding package.json or .git,
   * or holding the config file; `undefined` when there is none up to the file system's root.
   */
  readonly root: string | undefined;
  /** The folders searched, nearest first (for error messages). */
  readonly searched: readonly string[];
}

/** Looks for `name` in `start` and its parents, up to and including the project's root. */
export function findConfig(start: string, name = CONFIG_FILE): ConfigSearch {
  const searched: string[] = [];
  for (let dir = start; ; dir = dirname(dir)) {
    searched.push(dir);
    if (existsSync(join(dir, name))) return { file: join(dir, name), root: dir, searched };
    if (ROOT_FILES.some((f) => existsSync(join(dir, f)))) return { file: undefined, root: dir, searched };
    if (dirname(dir) === dir) return { file: undefined, root: undefined, searched };
  }
}

/** A config file that cannot be used; the message names the file and what is wrong. */
export class ConfigError extends Error {
  constructor(
    /** The config key at fault, or `undefined` when the file as a whole is. */
    readonly key: ConfigKey | string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A path for messages: relative to `cwd` when below it, `/`-separated. */
export function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return (rel === "" ? "." : rel).split(sep).join("/");
}

/** Reads and validates a config file: a JSON object whose keys are known and whose values are strings. */
export function readConfig(file: string, cwd: string): Config {
  const name = shown(file, cwd);
  const parsed = parseJson(name, readFileSync(file, "utf8"));
  if ("problem" in parsed) throw new ConfigError(undefined, formatProblem(parsed.problem));
  const config = parsed.value;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(undefined, `${name} must hold a JSON object`);
  }
  for (const [key, value] of Object.entries(config)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(key, `unknown option in ${name} (expected one of ${CONFIG_KEYS.join(", ")})`);
    }
    if (typeof value !== "string")
      throw new ConfigError(key, `expected a string in ${name}, got ${JSON.stringify(value)}`);
  }
  return config as Config;
}

/**
 * The message for a schemas folder that is not there: what was looked for and where, and how to
 * make one. `from` says where the path came from (a config file, or the default).
 */
export function missingSchemasMessage(
  schemasDir: string,
  cwd: string,
  search: ConfigSearch,
  from: { readonly config: string } | "default",
): string {
  const where = shown(schemasDir, cwd);
  if (from !== "default") {
    return `no schemas: ${shown(from.config, cwd)} names "schemas" ${where}/, which does not exist (paths in the config file are relative to its folder)`;
  }
  const first = search.searched[0] ?? cwd;
  const last = search.searched.at(-1) ?? cwd;
  const parents =
    first === last
      ? `in ${first}`
      : `in ${first} or its parents up to ${last}${search.root === undefined ? "" : " (the project's root)"}`;
  return (
    `no schemas: found no ${CONFIG_FILE} (looked ${parents}), and the default schemas folder ${schemasDir} does not exist. ` +
    "Run `npx skeji-gen init` in the project's root to create schemas/ and a config file, or pass --schemas <dir>"
  );
}
