/**
 * The `skeji-gen` command: generate (default) or `--check` that the output is current.
 * User errors are reported one line each, all at once, with exit code 1 and no stack trace.
 */
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Command, Option } from "commander";
import {
  CONFIG_FILE,
  CONFIG_KEYS,
  type Config,
  ConfigError,
  findConfig,
  missingSchemasMessage,
  readConfig,
  shown,
} from "./config.ts";
import { diffOutput, type GenerateOptions, generate, writeOutput } from "./generate.ts";
import { choose } from "./init/choose.ts";
import { type PackageFacts, readPackage, readTsconfig, ServiceError } from "./init/service.ts";
import { formatProblem, formatWarning } from "./load/problems.ts";

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Ends the command; must not return for real processes. Tests may record the code instead. */
  readonly exit: (code: number) => void;
  readonly cwd: string;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
  cwd: process.cwd(),
};

const IMPORT_EXTENSIONS = [".ts", ".js", "none"] as const;
type ImportExtension = (typeof IMPORT_EXTENSIONS)[number];

interface RawOptions {
  schemas: string;
  manifest?: string;
  out: string;
  config: string;
  importExtension?: ImportExtension;
  check?: boolean;
}

interface Settings {
  readonly schemasDir: string;
  readonly manifestPath: string | undefined;
  readonly outDir: string;
  readonly importExtension: ImportExtension;
  /** What header paths are relative to: the config file's folder when one is used. */
  readonly root: string | undefined;
}

class OptionError extends Error {}

const optionError = (name: string, reason: string) => new OptionError(`invalid option "${name}": ${reason}`);

/**
 * Reads the config file (if any) and merges it under the command-line options. Without `--config`,
 * the file is searched from the working directory up to the project's root; paths in it, and the
 * defaults, are relative to its folder (or to the project's root when there is no file).
 */
function resolveSettings(cmd: Command, opts: RawOptions, cwd: string): Settings {
  const explicit = (name: string) => cmd.getOptionValueSource(name) === "cli";
  const search = findConfig(cwd);
  const configPath = explicit("config") ? resolve(cwd, opts.config) : search.file;
  if (configPath !== undefined && !existsSync(configPath)) {
    throw optionError("--config", `${opts.config} does not exist`);
  }
  let config: Config = {};
  if (configPath !== undefined) {
    try {
      config = readConfig(configPath, cwd);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw optionError(e.key ?? "--config", e.message);
    }
  }
  // Defaults are relative to the config file's folder, else to the project's root: the same
  // folders wherever in the project the command runs.
  const base = configPath !== undefined ? dirname(configPath) : (search.root ?? cwd);
  const pick = (name: "schemas" | "manifest" | "out", cliValue: string | undefined): string | undefined => {
    if (cliValue !== undefined && explicit(name)) return resolve(cwd, cliValue);
    if (config[name] !== undefined) return resolve(base, config[name]);
    return cliValue === undefined ? undefined : resolve(base, cliValue);
  };
  const ext = explicit("importExtension")
    ? (opts.importExtension as ImportExtension)
    : (config.importExtension ?? projectImportExtension(search.root ?? base));
  if (!(IMPORT_EXTENSIONS as readonly unknown[]).includes(ext)) {
    throw optionError("importExtension", `expected one of ${IMPORT_EXTENSIONS.join(", ")}, got ${JSON.stringify(ext)}`);
  }
  const schemasDir = pick("schemas", opts.schemas) as string;
  if (!existsSync(schemasDir)) {
    if (explicit("schemas")) throw optionError("--schemas", `${shown(schemasDir, cwd)} does not exist`);
    const from = config.schemas !== undefined && configPath !== undefined ? { config: configPath } : "default";
    throw new OptionError(missingSchemasMessage(schemasDir, cwd, search, from));
  }
  return {
    schemasDir,
    manifestPath: pick("manifest", opts.manifest),
    outDir: pick("out", opts.out) as string,
    importExtension: ext as ImportExtension,
    root: configPath !== undefined ? base : undefined,
  };
}

/**
 * The import extension when neither the command line nor a config file gives one: what
 * `skeji-gen init` would choose from the project's package.json and tsconfig.json, so generated
 * modules import each other the way the project's own code must. `.js` when neither file can be read.
 */
/** A project without package.json: Node treats its .js files as CommonJS. */
const defaultPackageFacts: PackageFacts = {
  type: "commonjs",
  typeGiven: false,
  dependencies: new Set(),
  devDependencies: new Set(),
};

function projectImportExtension(root: string): ImportExtension {
  try {
    const pkg = existsSync(join(root, "package.json")) ? readPackage(root) : undefined;
    const tsconfig = readTsconfig(root)?.facts;
    if (pkg === undefined && tsconfig === undefined) return ".js";
    return choose(pkg ?? defaultPackageFacts, tsconfig).importExtension;
  } catch (e) {
    if (e instanceof ServiceError) return ".js";
    throw e;
  }
}

/** Generates or checks; returns the exit code. */
function run(cmd: Command, io: CliIo): number {
  const opts = cmd.opts<RawOptions>();
  let settings: Settings;
  try {
    settings = resolveSettings(cmd, opts, io.cwd);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    io.err(`skeji-gen: ${e.message}`);
    return 1;
  }
  const options: GenerateOptions = {
    schemasDir: settings.schemasDir,
    manifestPath: settings.manifestPath,
    importExtension: settings.importExtension === "none" ? "" : settings.importExtension,
    cwd: io.cwd,
    root: settings.root,
  };
  const result = generate(options);
  for (const w of result.warnings) io.err(formatWarning(w));
  if (result.problems.length > 0) {
    for (const p of result.problems) io.err(formatProblem(p));
    const n = result.problems.length;
    io.err(`skeji-gen: ${n} problem${n === 1 ? "" : "s"}; nothing was generated.`);
    return 1;
  }
  const out = relative(io.cwd, settings.outDir).split(sep).join("/") || ".";
  const show = (p: string) => `${out}/${p}`;
  if (opts.check) {
    const diff = diffOutput(result.files, settings.outDir);
    const stale = diff.changed.length + diff.added.length + diff.removed.length;
    if (stale === 0) {
      io.out(`skeji-gen: ${out}/ is up to date (${result.files.size} files).`);
      return 0;
    }
    io.err(
      `skeji-gen: ${out}/ is stale (${stale} file${stale === 1 ? "" : "s"}); run \`npx skeji-gen\` and commit the result:`,
    );
    for (const p of diff.changed) io.err(`  changed: ${show(p)}`);
    for (const p of diff.added) io.err(`  missing: ${show(p)}`);
    for (const p of diff.removed) io.err(`  no longer generated: ${show(p)}`);
    return 1;
  }
  const diff = writeOutput(result.files, settings.outDir);
  const written = diff.changed.length + diff.added.length;
  io.out(
    `skeji-gen: ${result.files.size} files in ${out}/ (${written} written, ${result.files.size - written} unchanged, ${diff.removed.length} removed).`,
  );
  return 0;
}

/** The root command; `cli.ts` adds the subcommands and parses `process.argv`. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command("skeji-gen")
    .description(
      "Generate typed TypeScript (payload types, event descriptors, publish and handler functions) from Avro event schemas.",
    )
    .addOption(new Option("--schemas <dir>", "folder of <event-type>/v<N>.avsc schemas").default("schemas"))
    .addOption(new Option("--manifest <file>", "the manifest of topics and events (default: <schemas>/manifest.json)"))
    .addOption(new Option("--out <dir>", "folder the generated modules are written to").default("generated"))
    .addOption(
      new Option(
        "--config <file>",
        `JSON file with the same options (${CONFIG_KEYS.join(", ")}); searched from the working directory up to the project's root`,
      ).default(CONFIG_FILE),
    )
    .addOption(
      new Option(
        "--import-extension <ext>",
        "extension of imports between generated modules (default: chosen from package.json and tsconfig.json, as init does)",
      ).choices(IMPORT_EXTENSIONS),
    )
    .addOption(
      new Option("--check", "generate in memory and exit 1 if the output folder differs (for CI)").default(false),
    )
    .showHelpAfterError()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) })
    .exitOverride((e) => {
      io.exit(e.exitCode);
      throw e;
    })
    .action((_opts, cmd: Command) => io.exit(run(cmd, io)));
  return program;
}

/** Runs a command built on `CliIo` in-process (tests); returns the exit code and output. */
export async function runInProcess(
  make: (io: CliIo) => Command,
  args: string[],
  cwd: string,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    exit: (c) => {
      if (code === -1) code = c;
    },
    cwd,
  };
  try {
    await make(io).parseAsync(args, { from: "user" });
  } catch (e) {
    if (code === -1) throw e;
  }
  return { code, out, err };
}

/** Runs `skeji-gen` in-process (tests); returns the exit code and output. */
export const runCli = (args: string[], cwd: string) => runInProcess(createProgram, args, cwd);
