/**
 * What `skeji-gen init` needs to know about a service: its package.json (module type, which of
 * the two packages it depends on) and the compiler options of its tsconfig.json that decide how
 * generated imports must be written. tsconfig.json is read by TypeScript's own parser, so comments,
 * trailing commas and `extends` (a relative file or a package) work as they do for `tsc`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ts } from "ts-morph";
import { parseJson } from "../load/problems.ts";

export const RUNTIME_PACKAGE = "@skeji/kafka";
export const GENERATOR_PACKAGE = "@skeji/kafka-gen";

export interface PackageFacts {
  /** `"module"` only when package.json says so; Node treats anything else as CommonJS. */
  readonly type: "module" | "commonjs";
  readonly typeGiven: boolean;
  readonly dependencies: ReadonlySet<string>;
  readonly devDependencies: ReadonlySet<string>;
}

/** The compiler options that matter here, module names lowercased as tsconfig.json spells them. */
export interface TsFacts {
  /** The tsconfig file, relative to the service's root. */
  readonly file: string;
  /** `commonjs`, `es2022`, `esnext`, `node16`, `node18`, `node20`, `nodenext`, `preserve`... or unset. */
  readonly module: string | undefined;
  /** `node10`, `node16`, `nodenext`, `bundler`, `classic`, or unset (implied by `module`). */
  readonly moduleResolution: string | undefined;
  readonly allowImportingTsExtensions: boolean;
  readonly rewriteRelativeImportExtensions: boolean;
  readonly verbatimModuleSyntax: boolean;
  readonly noEmit: boolean;
  readonly emitDeclarationOnly: boolean;
  /** `rootDir`, relative to the service's root, `/`-separated. */
  readonly rootDir: string | undefined;
  /** The folders `include` (after `extends`) compiles, relative to the service's root ("." for all of it). */
  readonly sourceDirs: readonly string[];
}

export class ServiceError extends Error {}

const names = (value: unknown): Set<string> =>
  new Set(typeof value === "object" && value !== null ? Object.keys(value) : []);

export function readPackage(root: string): PackageFacts {
  const file = join(root, "package.json");
  const parsed = parseJson("package.json", readFileSync(file, "utf8"));
  if ("problem" in parsed) throw new ServiceError(`package.json is not valid JSON: ${parsed.problem.message}`);
  const pkg = (parsed.value ?? {}) as Record<string, unknown>;
  return {
    type: pkg.type === "module" ? "module" : "commonjs",
    typeGiven: typeof pkg.type === "string",
    dependencies: names(pkg.dependencies),
    devDependencies: names(pkg.devDependencies),
  };
}

const moduleNames = new Map<ts.ModuleKind, string>([
  [ts.ModuleKind.None, "none"],
  [ts.ModuleKind.CommonJS, "commonjs"],
  [ts.ModuleKind.AMD, "amd"],
  [ts.ModuleKind.UMD, "umd"],
  [ts.ModuleKind.System, "system"],
  [ts.ModuleKind.ES2015, "es2015"],
  [ts.ModuleKind.ES2020, "es2020"],
  [ts.ModuleKind.ES2022, "es2022"],
  [ts.ModuleKind.ESNext, "esnext"],
  [ts.ModuleKind.Node16, "node16"],
  [ts.ModuleKind.Node18, "node18"],
  [ts.ModuleKind.Node20, "node20"],
  [ts.ModuleKind.NodeNext, "nodenext"],
  [ts.ModuleKind.Preserve, "preserve"],
]);

const resolutionNames = new Map<ts.ModuleResolutionKind, string>([
  [ts.ModuleResolutionKind.Classic, "classic"],
  [ts.ModuleResolutionKind.Node10, "node10"],
  [ts.ModuleResolutionKind.Node16, "node16"],
  [ts.ModuleResolutionKind.NodeNext, "nodenext"],
  [ts.ModuleResolutionKind.Bundler, "bundler"],
]);

/** Errors that say nothing about the options: this parse lists no source files on purpose. */
const IGNORED = new Set([18003 /* no inputs were found */]);

/**
 * Reads `tsconfig.json` in `root`, following `extends`; `undefined` when there is none. Problems
 * that do not stop the options from being read (an unknown option) are returned as warnings.
 */
export function readTsconfig(root: string, name = "tsconfig.json"): { facts: TsFacts; warnings: string[] } | undefined {
  const file = join(root, name);
  if (!existsSync(file)) return undefined;
  const read = ts.readConfigFile(file, ts.sys.readFile);
  const message = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
  if (read.error) throw new ServiceError(`${name}: ${message(read.error)}`);
  // Source files are not needed: a host that lists none keeps this fast in a large repository.
  const host: ts.ParseConfigHost = { ...ts.sys, readDirectory: () => [] };
  const parsed = ts.parseJsonConfigFileContent(read.config, host, root, undefined, file);
  const warnings = parsed.errors.filter((d) => !IGNORED.has(d.code)).map((d) => `${name}: ${message(d)}`);
  const o = parsed.options;
  const rel = (p: string) => relative(root, p).split(sep).join("/") || ".";
  return {
    facts: {
      file: name,
      module: o.module === undefined ? undefined : moduleNames.get(o.module),
      moduleResolution: o.moduleResolution === undefined ? undefined : resolutionNames.get(o.moduleResolution),
      allowImportingTsExtensions: o.allowImportingTsExtensions === true,
      rewriteRelativeImportExtensions: o.rewriteRelativeImportExtensions === true,
      verbatimModuleSyntax: o.verbatimModuleSyntax === true,
      noEmit: o.noEmit === true,
      emitDeclarationOnly: o.emitDeclarationOnly === true,
      rootDir: o.rootDir === undefined ? undefined : rel(o.rootDir),
      sourceDirs: Object.keys(parsed.wildcardDirectories ?? {}).map(rel),
    },
    warnings,
  };
}
