/**
 * The `skeji-gen check` and `skeji-gen register` subcommands.
 *
 * Exit codes: 0 compatible (or registered), 1 incompatible (or refused), 2 usage or input error.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command, Option } from "commander";
import { type Config, ConfigError, findConfig, missingSchemasMessage, readConfig } from "../config.ts";
import { CheckError, isCheckError, optionError } from "./errors.ts";
import { checkAgainstRef, loadProjectAtRef } from "./git.ts";
import { checkOffline } from "./offline.ts";
import { loadProject } from "./project.ts";
import { checkRegistry, registerAll } from "./registry.ts";
import { registryAccess, UrlVariable, UsernameVariable } from "./registry-auth.ts";
import { RegistryClient } from "./registry-client.ts";
import { type Format, format, formatGithubError, formats } from "./report.ts";
import { annotationPaths } from "./repository-root.ts";
import { type CheckResult, combine, failed } from "./result.ts";

/** Where output goes and how the process ends; tests pass their own. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Ends the command with this exit code. Must not return normally for parse errors (throw or exit). */
  readonly exit: (code: number) => never;
}

const processIo: CommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

export interface CommonOptions {
  readonly schemas: string;
  readonly manifest?: string;
  readonly format: Format;
}

const formatOption = () =>
  new Option("--format <format>", "how to report: text, json or github (workflow annotations)")
    .choices(formats)
    .default("text");
const schemasOption = () => new Option("--schemas <dir>", "the schemas folder").default("schemas");
const manifestOption = () =>
  new Option("--manifest <file>", "the manifest of topics and events (default: <schemas>/manifest.json)");

/**
 * Where the schemas and the manifest are: the options when given (relative to the working
 * directory), else `schemas` / `manifest` from `skeji-gen.config.json` (searched from the working
 * directory up to the project's root; relative to its folder), else the defaults relative to the
 * project's root, as the generator reads them.
 */
export function locate(cmd: Command, opts: CommonOptions): { schemasDir: string; manifestPath: string | undefined } {
  const cwd = process.cwd();
  const search = findConfig(cwd);
  let config: Config = {};
  if (search.file !== undefined) {
    try {
      config = readConfig(search.file, cwd);
    } catch (e) {
      if (e instanceof ConfigError) throw new CheckError("CHECK_INPUT", e.message, { cause: e });
      throw e;
    }
  }
  const base = search.file !== undefined ? dirname(search.file) : (search.root ?? cwd);
  const given = (name: string) => cmd.getOptionValueSource(name) === "cli";
  const schemasDir = given("schemas") ? resolve(opts.schemas) : resolve(base, config.schemas ?? opts.schemas);
  if (!given("schemas") && !existsSync(schemasDir)) {
    const from = config.schemas !== undefined && search.file !== undefined ? { config: search.file } : "default";
    throw new CheckError("CHECK_INPUT", missingSchemasMessage(schemasDir, cwd, search, from));
  }
  const manifest =
    opts.manifest !== undefined
      ? resolve(opts.manifest)
      : config.manifest !== undefined
        ? resolve(base, config.manifest)
        : undefined;
  return { schemasDir, manifestPath: manifest };
}

/**
 * Parse errors exit with 2, help and version with 0. A usage error after `--format github` is
 * reported as an annotation, like every other error in that format.
 */
export function withUsageExit(cmd: Command, io: CommandIo): Command {
  return cmd
    .exitOverride((e) => io.exit(e.exitCode === 0 ? 0 : 2))
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (text, write) =>
        cmd.getOptionValue("format") === "github" && cmd.getOptionValueSource("format") === "cli"
          ? io.out(formatGithubError(text.replace(/^error: /, "").trim()))
          : write(text),
    });
}

async function run(io: CommandIo, opts: CommonOptions, work: () => Promise<CheckResult>): Promise<void> {
  let result: CheckResult;
  try {
    result = await work();
  } catch (e) {
    if (opts.format === "github") {
      // In a workflow, an error must be an annotation too, or the run fails with no visible reason.
      io.out(formatGithubError(isCheckError(e) ? e.message : String((e as Error)?.message ?? e)));
      if (!isCheckError(e)) io.err(`${String((e as Error)?.stack ?? e)}\n`);
    } else {
      io.err(`skeji-gen: ${isCheckError(e) ? e.message : String((e as Error)?.stack ?? e)}\n`);
    }
    return io.exit(2);
  }
  io.out(format(result, opts.format, annotationPaths(process.cwd())));
  return io.exit(failed(result) ? 1 : 0);
}

interface RegistryOptions {
  readonly registryUsername?: string;
}

const usernameOption = () =>
  new Option("--registry-username <name>", "registry user for basic auth (the password: SCHEMA_REGISTRY_PASSWORD)").env(
    UsernameVariable,
  );

/** The registry client for a URL option, with basic auth from the options and the environment. */
function registryClient(url: string, opts: RegistryOptions): RegistryClient {
  const access = registryAccess("--registry", url, process.env, opts.registryUsername);
  return new RegistryClient(access.url, access.auth);
}

/** `--registry` given without a value means `SCHEMA_REGISTRY_URL`. */
function registryUrl(value: string | true): string {
  if (value !== true) return value;
  const fromEnv = process.env[UrlVariable]?.trim();
  if (fromEnv === undefined || fromEnv === "") {
    throw optionError("--registry", `no URL given and ${UrlVariable} is not set`);
  }
  return fromEnv;
}

export function checkCommand(io: CommandIo = processIo): Command {
  const cmd = new Command("check")
    .description(
      "check that schema versions are compatible: offline over schemas/, against a git ref, or against a schema registry",
    )
    .addOption(schemasOption())
    .addOption(manifestOption())
    .option("--against <ref>", "git ref that holds the published schemas, e.g. origin/main")
    .option(
      "--registry [url]",
      "schema registry (Confluent API) to check the latest versions against; without a URL, SCHEMA_REGISTRY_URL",
    )
    .addOption(usernameOption())
    .addOption(formatOption())
    .action((opts: CommonOptions & RegistryOptions & { against?: string; registry?: string | true }, self: Command) =>
      run(io, opts, async () => {
        const client = opts.registry === undefined ? undefined : registryClient(registryUrl(opts.registry), opts);
        const { schemasDir, manifestPath } = locate(self, opts);
        const project = loadProject(schemasDir, process.cwd(), manifestPath);
        // Git first: it needs no network, and a bad ref ends the run before the registry is asked.
        const git =
          opts.against === undefined
            ? undefined
            : checkAgainstRef(project, loadProjectAtRef(schemasDir, opts.against, { manifestPath }));
        if (client === undefined) return git ?? checkOffline(project);
        const registry = await checkRegistry(project, client);
        return git === undefined ? registry : combine(git, registry);
      }),
    );
  return withUsageExit(cmd, io);
}

export function registerCommand(io: CommandIo = processIo): Command {
  const cmd = new Command("register")
    .description("register every schema version with the schema registry, under <topic>-<event-type> subjects")
    .addOption(schemasOption())
    .addOption(manifestOption())
    .addOption(
      new Option("--registry <url>", "schema registry (Confluent API)")
        .env("SCHEMA_REGISTRY_URL")
        .makeOptionMandatory(),
    )
    .addOption(usernameOption())
    .addOption(formatOption())
    .action((opts: CommonOptions & RegistryOptions & { registry: string }, self: Command) =>
      run(io, opts, async () => {
        const { schemasDir, manifestPath } = locate(self, opts);
        const client = registryClient(opts.registry, opts);
        return registerAll(loadProject(schemasDir, process.cwd(), manifestPath), client);
      }),
    );
  return withUsageExit(cmd, io);
}
