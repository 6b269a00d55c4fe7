/**
 * The `skeji-gen check` and `skeji-gen register` subcommands.
 *
 * Exit codes: 0 compatible (or registered), 1 incompatible (or refused), 2 usage or input error.
 */
import { resolve } from "node:path";
import { Command, Option } from "commander";
import { isCheckError, optionError } from "./errors.ts";
import { checkAgainstRef, loadProjectAtRef } from "./git.ts";
import { checkOffline } from "./offline.ts";
import { loadProject, type Project } from "./project.ts";
import { checkRegistry, registerAll } from "./registry.ts";
import { RegistryClient } from "./registry-client.ts";
import { type Format, format, formats } from "./report.ts";
import { type CheckResult, failed } from "./result.ts";

/** Where output goes and how the process ends; tests pass their own. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Ends the command with this exit code. Must not return normally for parse errors (throw or exit). */
  readonly exit: (code: number) => never;
  /** Loads the events under a schemas folder; defaults to the `schemas/` layout loader. */
  readonly load?: (dir: string) => Project;
}

const processIo: CommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

interface CommonOptions {
  readonly schemas: string;
  readonly format: Format;
}

const formatOption = () =>
  new Option("--format <format>", "how to report: text, json or github (workflow annotations)")
    .choices(formats)
    .default("text");
const schemasOption = () => new Option("--schemas <dir>", "the schemas folder").default("schemas");

/** Parse errors exit with 2, help and version with 0. */
function withUsageExit(cmd: Command, io: CommandIo): Command {
  return cmd
    .exitOverride((e) => io.exit(e.exitCode === 0 ? 0 : 2))
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
    });
}

async function run(io: CommandIo, opts: CommonOptions, work: () => Promise<CheckResult>): Promise<void> {
  let result: CheckResult;
  try {
    result = await work();
  } catch (e) {
    io.err(`skeji-gen: ${isCheckError(e) ? e.message : String((e as Error)?.stack ?? e)}\n`);
    return io.exit(2);
  }
  io.out(format(result, opts.format));
  return io.exit(failed(result) ? 1 : 0);
}

const validUrl = (name: string, value: string): string => {
  try {
    const u = new URL(value);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw optionError(name, `expected an http(s) URL, got "${value}"`);
  }
  return value;
};

export function checkCommand(io: CommandIo = processIo): Command {
  const cmd = new Command("check")
    .description(
      "check that schema versions are compatible: offline over schemas/, against a git ref, or against a schema registry",
    )
    .addOption(schemasOption())
    .option("--against <ref>", "git ref that holds the published schemas, e.g. origin/main")
    .option("--registry <url>", "schema registry (Confluent API) to check the latest versions against")
    .addOption(formatOption())
    .action((opts: CommonOptions & { against?: string; registry?: string }) =>
      run(io, opts, async () => {
        if (opts.against !== undefined && opts.registry !== undefined) {
          throw optionError("--registry", "cannot be combined with --against; run the check twice");
        }
        const load = io.load ?? ((dir: string) => loadProject(dir));
        if (opts.registry !== undefined) {
          const client = new RegistryClient(validUrl("--registry", opts.registry));
          return checkRegistry(load(opts.schemas), client);
        }
        if (opts.against !== undefined) {
          const published = loadProjectAtRef(resolve(opts.schemas), opts.against);
          return checkAgainstRef(load(opts.schemas), published);
        }
        return checkOffline(load(opts.schemas));
      }),
    );
  return withUsageExit(cmd, io);
}

export function registerCommand(io: CommandIo = processIo): Command {
  const cmd = new Command("register")
    .description("register every schema version with the schema registry, under <topic>-<event-type> subjects")
    .addOption(schemasOption())
    .addOption(
      new Option("--registry <url>", "schema registry (Confluent API)")
        .env("SCHEMA_REGISTRY_URL")
        .makeOptionMandatory(),
    )
    .addOption(formatOption())
    .action((opts: CommonOptions & { registry: string }) =>
      run(io, opts, async () => {
        const load = io.load ?? ((dir: string) => loadProject(dir));
        const client = new RegistryClient(validUrl("--registry", opts.registry));
        return registerAll(load(opts.schemas), client);
      }),
    );
  return withUsageExit(cmd, io);
}
