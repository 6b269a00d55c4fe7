/**
 * How generated code must be written for a given service: the extension of its relative imports,
 * the folder it goes to, and the settings under which it cannot compile at all.
 *
 * The rule: write imports the way the service's own code must already write them.
 * - tsc rewrites `.ts` imports (rewriteRelativeImportExtensions), or the service runs its `.ts`
 *   sources (allowImportingTsExtensions with noEmit): `.ts`.
 * - Node's resolution (module/moduleResolution node16, node18, node20, nodenext): ES modules need
 *   an extension, and `.js` is the one tsc resolves to the `.ts` file and Node loads after tsc.
 *   CommonJS files accept it as well.
 * - Node10 or bundler resolution (module commonjs, esnext, preserve): no extension, the convention
 *   of CommonJS and bundled code; `require("./x")` and every bundler resolve it.
 * - No tsconfig.json: `.js`, which every resolution mode accepts.
 */
import type { PackageFacts, TsFacts } from "./service.ts";

export type ImportExtension = ".ts" | ".js" | "none";

/** A setting under which the generated code cannot compile or run, and how to change it. */
export interface Blocker {
  readonly problem: string;
  readonly fix: string;
}

export interface Choice {
  readonly importExtension: ImportExtension;
  readonly extensionWhy: string;
  /** The module format tsc gives the generated files, or `undefined` when it depends on the TypeScript version. */
  readonly format: "ES modules" | "CommonJS" | undefined;
  readonly formatWhy: string;
  readonly out: string;
  readonly outWhy: string;
  readonly blockers: readonly Blocker[];
}

type Family = "node" | "loose" | "classic";

const NODE_MODULES = ["node16", "node18", "node20", "nodenext"];

/** How relative imports resolve: Node's rules, the lenient node10/bundler rules, or classic. */
function family(t: TsFacts): Family {
  const r = t.moduleResolution;
  if (r === "node16" || r === "nodenext") return "node";
  if (r === "classic") return "classic";
  if (r !== undefined) return "loose";
  // Implied by `module`: classic for the old module systems, bundler (TypeScript 6) or node10/classic
  // (TypeScript 5) for the rest; the generated imports are the same for those.
  if (t.module !== undefined && NODE_MODULES.includes(t.module)) return "node";
  if (t.module === "amd" || t.module === "umd" || t.module === "system" || t.module === "none") return "classic";
  return "loose";
}

const where = (t: TsFacts) => t.file;

function format(pkg: PackageFacts, t: TsFacts | undefined): Pick<Choice, "format" | "formatWhy"> {
  const typeSays = pkg.typeGiven ? `package.json has "type": "${pkg.type}"` : 'package.json has no "type"';
  if (t === undefined) return { format: undefined, formatWhy: `no tsconfig.json; ${typeSays}` };
  if (t.module !== undefined && NODE_MODULES.includes(t.module)) {
    return {
      format: pkg.type === "module" ? "ES modules" : "CommonJS",
      formatWhy: `${where(t)} has module ${t.module}, so the package's type decides: ${typeSays}`,
    };
  }
  if (t.module === "commonjs") return { format: "CommonJS", formatWhy: `${where(t)} has module commonjs` };
  if (t.module !== undefined && (t.module.startsWith("es") || t.module === "preserve")) {
    return { format: "ES modules", formatWhy: `${where(t)} has module ${t.module}` };
  }
  return { format: undefined, formatWhy: `${where(t)} sets no module (its default depends on the TypeScript version)` };
}

/** The import extension this service needs, and why. */
function extension(t: TsFacts | undefined, fmt: Choice["format"]): Pick<Choice, "importExtension" | "extensionWhy"> {
  if (t === undefined) {
    return {
      importExtension: ".js",
      extensionWhy: "no tsconfig.json: .js is the extension every moduleResolution accepts",
    };
  }
  if (t.rewriteRelativeImportExtensions) {
    return {
      importExtension: ".ts",
      extensionWhy: `${where(t)} sets rewriteRelativeImportExtensions: tsc rewrites .ts imports to .js in its output`,
    };
  }
  if (t.allowImportingTsExtensions && (t.noEmit || t.emitDeclarationOnly)) {
    return {
      importExtension: ".ts",
      extensionWhy: `${where(t)} allows importing .ts extensions and tsc emits no JavaScript: the service runs its .ts sources (tsx, node's type stripping, a bundler)`,
    };
  }
  const f = family(t);
  if (f === "node") {
    const resolution = t.moduleResolution ?? t.module;
    return {
      importExtension: ".js",
      extensionWhy:
        fmt === "ES modules"
          ? `moduleResolution ${resolution} needs explicit extensions in ES modules; tsc resolves .js to the .ts file and node loads the compiled .js`
          : `moduleResolution ${resolution}: .js resolves in CommonJS files too, and keeps working if the package becomes "type": "module"`,
    };
  }
  const resolution = t.moduleResolution ?? `implied by module ${t.module ?? "(default)"}`;
  return {
    importExtension: "none",
    extensionWhy: `moduleResolution ${resolution} resolves imports without an extension, as CommonJS and bundled code write them`,
  };
}

/** Where generated code goes: inside the folder tsc compiles when tsconfig.json limits it to one. */
function outDir(t: TsFacts | undefined): Pick<Choice, "out" | "outWhy"> {
  if (t?.rootDir !== undefined && t.rootDir !== "." && !t.rootDir.startsWith("..")) {
    return {
      out: `${t.rootDir}/generated`,
      outWhy: `${where(t)} has rootDir ${t.rootDir}, and tsc compiles only files under it`,
    };
  }
  const dirs = t?.sourceDirs ?? [];
  const [only] = dirs;
  if (t !== undefined && dirs.length === 1 && only !== undefined && only !== "." && !only.startsWith("..")) {
    return { out: `${only}/generated`, outWhy: `${where(t)} includes only ${only}/` };
  }
  return { out: "generated", outWhy: "next to schemas/; the generated code is imported from there" };
}

/** Settings under which generated code (any generated code) cannot compile or run. */
function blockers(pkg: PackageFacts, t: TsFacts | undefined, fmt: Choice["format"]): Blocker[] {
  if (t === undefined) return [];
  const found: Blocker[] = [];
  if (fmt === "CommonJS" && t.verbatimModuleSyntax) {
    const why = t.module === "commonjs" ? `${where(t)} has module commonjs` : `package.json has no "type": "module"`;
    found.push({
      problem: `${where(t)} sets verbatimModuleSyntax and the generated files are CommonJS (${why}): TypeScript then rejects ESM import and export syntax (TS1287, TS1295), which generated code is written in`,
      fix:
        t.module === "commonjs"
          ? `remove verbatimModuleSyntax from ${where(t)}, or make the service ESM: "module": "nodenext" in ${where(t)} and "type": "module" in package.json`
          : `remove verbatimModuleSyntax from ${where(t)}, or make the service ESM with "type": "module" in package.json`,
    });
  }
  if (family(t) === "classic") {
    found.push({
      problem: `${where(t)} resolves modules the classic way (moduleResolution ${t.moduleResolution ?? `implied by module ${t.module}`}), which never looks in node_modules, so @skeji/kafka is not found`,
      fix: `set "module": "nodenext" (or "moduleResolution": "bundler" with a bundler) in ${where(t)}`,
    });
  }
  if (pkg.type === "module" && t.module === "commonjs" && !t.noEmit) {
    found.push({
      problem: `package.json has "type": "module" but ${where(t)} emits CommonJS (module commonjs): node loads the compiled .js files as ES modules and fails ("require is not defined")`,
      fix: `set "module": "nodenext" in ${where(t)}`,
    });
  }
  return found;
}

/** Problems of an import extension already configured, judged against the service's settings. */
export function extensionBlockers(ext: ImportExtension, pkg: PackageFacts, t: TsFacts | undefined): Blocker[] {
  if (t === undefined) return [];
  const fmt = format(pkg, t).format;
  const better = extension(t, fmt).importExtension;
  const set = `set "importExtension": "${better}" in skeji-gen.config.json`;
  if (ext === ".ts" && !t.allowImportingTsExtensions && !t.rewriteRelativeImportExtensions) {
    return [
      {
        problem: `importExtension .ts, but ${where(t)} neither allows importing .ts extensions nor rewrites them: tsc fails with TS5097`,
        fix: `${set}, or set "rewriteRelativeImportExtensions": true in ${where(t)} (TypeScript 5.7 or later)`,
      },
    ];
  }
  if (ext === ".ts" && !t.rewriteRelativeImportExtensions && !t.noEmit && !t.emitDeclarationOnly) {
    return [
      {
        problem: `importExtension .ts, but ${where(t)} emits JavaScript without rewriting imports: the compiled files import .ts files that node cannot load`,
        fix: `${set}, or set "rewriteRelativeImportExtensions": true in ${where(t)}`,
      },
    ];
  }
  if (ext === "none" && family(t) === "node" && fmt === "ES modules") {
    return [
      {
        problem: `importExtension none, but ES modules under moduleResolution ${t.moduleResolution ?? t.module} need explicit extensions: tsc fails with TS2835`,
        fix: set,
      },
    ];
  }
  return [];
}

export function choose(pkg: PackageFacts, t: TsFacts | undefined): Choice {
  const fmt = format(pkg, t);
  return { ...fmt, ...extension(t, fmt.format), ...outDir(t), blockers: blockers(pkg, t, fmt.format) };
}
