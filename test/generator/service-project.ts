/**
 * Temporary service projects for `skeji-gen init`: a package.json, a tsconfig.json, a source file
 * that uses the generated code, and `node_modules/@skeji/kafka` holding this repository's runtime
 * declarations (an ESM and a CommonJS copy behind `import` / `require` conditions, as a published
 * dual package has them). `compile` runs this repository's TypeScript on the project with the
 * project's own tsconfig.json, as `tsc -p .` in the service would.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { initCommand } from "../../generator/init/command.ts";
import { runInProcess } from "../../generator/program.ts";

const repo = resolve(import.meta.dirname, "..", "..");

/** Relative specifiers in declarations end in `.ts` in the sources; a published package has `.js`. */
const toJs = (text: string) => text.replace(/(["'])(\.{1,2}\/[^"']+)\.ts\1/g, "$1$2.js$1");

/**
 * Writes the runtime's declarations as a package under the repository's git-ignored `.local/`
 * (so their own imports, kafkajs and the rest, resolve from the repository's node_modules).
 */
export function buildRuntimePackage(): string {
  mkdirSync(join(repo, ".local"), { recursive: true });
  const pkg = mkdtempSync(join(repo, ".local", "runtime-types-"));
  const program = ts.createProgram([join(repo, "runtime", "index.ts")], {
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: join(repo, "runtime"),
    outDir: join(pkg, "esm"),
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [join(repo, "node_modules", "@types")],
  });
  const result = program.emit(undefined, (file, text) => {
    for (const flavour of ["esm", "cjs"]) {
      const target = join(pkg, flavour, file.slice(join(pkg, "esm").length));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, toJs(text));
    }
  });
  if (result.emitSkipped) throw new Error("the runtime's declarations were not emitted");
  writeFileSync(join(pkg, "cjs", "package.json"), '{ "type": "commonjs" }\n');
  writeFileSync(
    join(pkg, "package.json"),
    `${JSON.stringify(
      {
        name: "@skeji/kafka",
        version: "0.0.0",
        type: "module",
        main: "./cjs/index.js",
        types: "./cjs/index.d.ts",
        exports: {
          ".": {
            import: { types: "./esm/index.d.ts", default: "./esm/index.js" },
            require: { types: "./cjs/index.d.ts", default: "./cjs/index.js" },
          },
        },
      },
      null,
      2,
    )}\n`,
  );
  return pkg;
}

/** Writes `files` (path -> JSON value or raw text) into a new service folder linked to the runtime package. */
export function writeService(runtimePackage: string, files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "skeji-service-"));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  mkdirSync(join(root, "node_modules", "@skeji"), { recursive: true });
  mkdirSync(join(root, "node_modules", "@types"), { recursive: true });
  symlinkSync(runtimePackage, join(root, "node_modules", "@skeji", "kafka"), "dir");
  symlinkSync(join(repo, "node_modules", "@types", "node"), join(root, "node_modules", "@types", "node"), "dir");
  return root;
}

/** Lib files parse the same for every project; parsing them once keeps the compile tests fast. */
const libCache = new Map<string, ts.SourceFile>();
const libDir = dirname(ts.getDefaultLibFilePath({}));

export interface Compiled {
  /** Every diagnostic, one line each: `src/main.ts(3,1): TS2345: ...`. */
  readonly diagnostics: string[];
  /** Emitted JavaScript, path relative to the project -> text (nothing under noEmit). */
  readonly emitted: ReadonlyMap<string, string>;
}

/** `tsc -p <root>`: the project's tsconfig.json as written; emits in memory. */
export function compile(root: string): Compiled {
  const diagnostics: ts.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        diagnostics.push(d);
      },
    },
  );
  if (parsed === undefined) return { diagnostics: diagnostics.map(show(root)), emitted: new Map() };
  diagnostics.push(...parsed.errors);
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    if (!file.startsWith(libDir)) return getSourceFile(file, languageVersion, onError, shouldCreate);
    let cached = libCache.get(file);
    if (cached === undefined) {
      cached = getSourceFile(file, languageVersion, onError, shouldCreate) as ts.SourceFile;
      libCache.set(file, cached);
    }
    return cached;
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  diagnostics.push(...ts.getPreEmitDiagnostics(program));
  const emitted = new Map<string, string>();
  const result = program.emit(undefined, (file, text) => {
    if (file.endsWith(".js")) emitted.set(file.slice(root.length + 1), text);
  });
  diagnostics.push(...result.diagnostics);
  return { diagnostics: [...new Set(diagnostics.map(show(root)))], emitted };
}

const show =
  (root: string) =>
  (d: ts.Diagnostic): string => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const file = d.file.fileName.startsWith(root) ? d.file.fileName.slice(root.length + 1) : d.file.fileName;
    return `${file}(${line + 1},${character + 1}): TS${d.code}: ${text}`;
  };

/**
 * A source file of the service that uses the sample event's generated code, including a call that
 * must not compile (so a generated API typed as `any` fails the test instead of passing it).
 */
export function serviceSource(specifier: string): string {
  return `import type { Consumer, Producer } from "@skeji/kafka";
import { type ExampleCreated, onExampleCreated, publishExampleCreated } from "${specifier}";

export async function publish(producer: Producer): Promise<void> {
  await publishExampleCreated(producer, { id: "7d3c1c52-8d2b-4a37-9e53-0b7f3b5e0a11", created_at: new Date() });
  // @ts-expect-error created_at is required
  await publishExampleCreated(producer, { id: "7d3c1c52-8d2b-4a37-9e53-0b7f3b5e0a11" });
}

export function consume(consumer: Consumer, seen: ExampleCreated[]): void {
  onExampleCreated(consumer, (event) => {
    const note: string | null = event.payload.note;
    if (note !== null) seen.push(event.payload);
  });
}
`;
}

export const readText = (root: string, path: string) => readFileSync(join(root, path), "utf8");

/** Runs `skeji-gen init` in-process in `cwd`. */
export const runInit = (cwd: string) => runInProcess(initCommand, [], cwd);
