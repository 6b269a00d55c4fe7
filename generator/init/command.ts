/**
 * `skeji-gen init`: makes a service ready to generate. Run in the service's root, it writes a
 * sample event and manifest under schemas/ and a skeji-gen.config.json whose import extension and
 * output folder fit the service's package.json and tsconfig.json, so the first `npx skeji-gen`
 * compiles with the service's `tsc`. It never overwrites a file; run again, it re-checks an
 * existing config against the service's settings.
 *
 * Exit codes: 0 ready, 1 a setting keeps generated code from compiling (printed with its fix).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Command } from "commander";
import { CONFIG_FILE, type Config, ConfigError, findConfig, readConfig } from "../config.ts";
import type { CliIo } from "../program.ts";
import { type Blocker, choose, extensionBlockers, type ImportExtension } from "./choose.ts";
import { configFile, SAMPLE_EVENT, sampleFiles } from "./sample.ts";
import {
  GENERATOR_PACKAGE,
  type PackageFacts,
  RUNTIME_PACKAGE,
  readPackage,
  readTsconfig,
  ServiceError,
} from "./service.ts";

/** The generator's own defaults, for a config file that leaves a key out. */
const DEFAULTS = { schemas: "schemas", out: "generated", importExtension: ".ts" } as const;

/** Names of the generated functions for the sample event, as the generator derives them. */
const SAMPLE_NAME = "ExampleCreated";

function dependencyWarnings(pkg: PackageFacts): string[] {
  const warnings: string[] = [];
  if (pkg.devDependencies.has(RUNTIME_PACKAGE) && !pkg.dependencies.has(RUNTIME_PACKAGE)) {
    warnings.push(
      `${RUNTIME_PACKAGE} is a devDependency, but generated code imports it at run time and production installs leave devDependencies out: npm install ${RUNTIME_PACKAGE}`,
    );
  } else if (!pkg.dependencies.has(RUNTIME_PACKAGE)) {
    warnings.push(
      `${RUNTIME_PACKAGE} is not in package.json, and generated code imports it: npm install ${RUNTIME_PACKAGE}`,
    );
  }
  if (pkg.dependencies.has(GENERATOR_PACKAGE)) {
    warnings.push(
      `${GENERATOR_PACKAGE} is a dependency; it is needed only to generate and check, so as a devDependency it stays out of production installs: npm install -D ${GENERATOR_PACKAGE}`,
    );
  } else if (!pkg.devDependencies.has(GENERATOR_PACKAGE)) {
    warnings.push(
      `${GENERATOR_PACKAGE} is not in package.json, so npx fetches whatever version is newest: npm install -D ${GENERATOR_PACKAGE}`,
    );
  }
  return warnings;
}

const isEmptyDir = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

function run(io: CliIo): number {
  const root = io.cwd;
  if (!existsSync(join(root, "package.json"))) {
    const project = findConfig(dirname(root)).root;
    const hint = project !== undefined && existsSync(join(project, "package.json")) ? ` (${project} has one)` : "";
    io.err(
      `skeji-gen init: no package.json in ${root}${hint}; run init in the service's root folder, or \`npm init\` first`,
    );
    return 1;
  }
  let pkg: PackageFacts;
  let tsconfig: ReturnType<typeof readTsconfig>;
  try {
    pkg = readPackage(root);
    tsconfig = readTsconfig(root);
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    io.err(`skeji-gen init: ${e.message}`);
    return 1;
  }
  const t = tsconfig?.facts;
  const choice = choose(pkg, t);

  // An existing config file is kept as it is, and checked like a fresh choice.
  const configPath = join(root, CONFIG_FILE);
  let existing: Config | undefined;
  if (existsSync(configPath)) {
    try {
      existing = readConfig(configPath, root);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      io.err(`skeji-gen init: ${e.message}`);
      return 1;
    }
  }
  const config: Config = existing ?? {
    schemas: DEFAULTS.schemas,
    manifest: `${DEFAULTS.schemas}/manifest.json`,
    out: choice.out,
    importExtension: choice.importExtension,
  };
  const ext = (config.importExtension ?? DEFAULTS.importExtension) as ImportExtension;
  const out = config.out ?? DEFAULTS.out;
  const schemas = config.schemas ?? DEFAULTS.schemas;

  io.out(`skeji-gen init: ${root}`);
  io.out(`  module format     ${choice.format ?? "not fixed"} (${choice.formatWhy})`);
  if (existing === undefined) {
    io.out(`  import extension  ${ext} (${choice.extensionWhy})`);
    io.out(`  output folder     ${out}/ (${choice.outWhy})`);
  } else {
    const differs = existing.importExtension !== choice.importExtension;
    io.out(
      `  import extension  ${ext} (from ${CONFIG_FILE}${differs ? `; for a new config init would choose ${choice.importExtension}: ${choice.extensionWhy}` : ""})`,
    );
    io.out(`  output folder     ${out}/ (from ${CONFIG_FILE})`);
  }

  // Files: written only where nothing is.
  const files: [string, string][] = [];
  const schemasDir = join(root, schemas);
  if (isEmptyDir(schemasDir)) {
    files.push(...sampleFiles(schemas, config.manifest));
  } else {
    io.out(`  skipped  ${schemas}/ (has files already; no sample event added)`);
  }
  if (existing === undefined) files.push([CONFIG_FILE, configFile(config)]);
  else io.out(`  skipped  ${CONFIG_FILE} (exists; left as it is)`);
  for (const [path, text] of files) {
    const full = join(root, path);
    if (existsSync(full)) {
      io.out(`  skipped  ${path} (exists; left as it is)`);
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    io.out(`  created  ${path}`);
  }

  for (const w of tsconfig?.warnings ?? []) io.err(`warning: ${w}`);
  for (const w of dependencyWarnings(pkg)) io.err(`warning: ${w}`);
  const blockers: Blocker[] = [...choice.blockers, ...extensionBlockers(ext, pkg, t)];
  for (const b of blockers) {
    io.err(`problem: ${b.problem}`);
    io.err(`  fix: ${b.fix}`);
  }

  const specifier = `./${basename(out)}/index${ext === "none" ? "" : ext}`;
  const from = dirname(out) === "." ? "the service's root" : `${dirname(out)}/`;
  io.out("");
  io.out(blockers.length > 0 ? "Next steps, once the problems above are fixed:" : "Next steps:");
  io.out(`  1. npx skeji-gen                  writes ${out}/ from ${schemas}/ (commit both)`);
  io.out(`     then, in a file in ${from}: import { publish${SAMPLE_NAME}, on${SAMPLE_NAME} } from "${specifier}";`);
  io.out("  2. npx skeji-gen kafka up         starts a local Kafka broker and schema registry");
  io.out("  3. npx skeji-gen topics apply     creates the manifest's topics (dead-letter topics included)");
  io.out("  4. in CI, after actions/checkout with fetch-depth: 0:");
  io.out("       npx skeji-gen --check                                      the generated code is current");
  io.out("       npx skeji-gen check --against origin/main --format github  no schema change breaks a reader");
  if (files.some(([p]) => p.includes(SAMPLE_EVENT))) {
    io.out(`  Rename or replace the sample event ${SAMPLE_EVENT} before publishing anything real.`);
  }
  return blockers.length > 0 ? 1 : 0;
}

export function initCommand(io: CliIo): Command {
  return new Command("init")
    .description(
      "set up a service: a sample event and manifest in schemas/, and skeji-gen.config.json with the import extension and output folder its package.json and tsconfig.json need (never overwrites a file)",
    )
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) })
    .exitOverride((e) => {
      io.exit(e.exitCode);
      throw e;
    })
    .action(() => io.exit(run(io)));
}
