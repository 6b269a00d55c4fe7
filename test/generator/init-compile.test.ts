/**
 * `skeji-gen init` then `skeji-gen` in fresh service projects, compiled with the services' own
 * tsconfig.json: the import extension and output folder init chooses must type-check (and, where
 * tsc emits, produce imports node resolves) under each common setup; where a setup cannot work,
 * init must say so, and tsc must indeed fail.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../generator/program.ts";
import { buildRuntimePackage, compile, readText, runInit, serviceSource, writeService } from "./service-project.ts";

let runtime = "";
beforeAll(() => {
  runtime = buildRuntimePackage();
}, 60_000);
afterAll(() => rmSync(runtime, { recursive: true, force: true }));

const strict = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  noPropertyAccessFromIndexSignature: true,
  skipLibCheck: true,
  types: ["node"],
};

interface Case {
  readonly name: string;
  readonly files: Record<string, unknown>;
  readonly extension: string;
  readonly out: string;
  /** Where the service's source file lives. */
  readonly main: string;
  /** What the emitted generated index must import (undefined: tsc emits nothing). */
  readonly emittedImport?: RegExp;
}

const cases: Case[] = [
  {
    name: "ESM, NodeNext, verbatimModuleSyntax, declarations",
    files: {
      "package.json": { name: "svc", type: "module" },
      "tsconfig.json": {
        compilerOptions: {
          ...strict,
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          verbatimModuleSyntax: true,
          declaration: true,
          rootDir: "src",
          outDir: "dist",
        },
      },
    },
    extension: ".js",
    out: "src/generated",
    main: "src/main.ts",
    emittedImport: /from "\.\/example\.created\.js";$/m,
  },
  {
    name: "CommonJS, module commonjs, tsconfig with comments, trailing commas and a relative extends",
    files: {
      "package.json": { name: "svc" },
      "tsconfig.base.json": `{\n  // shared settings\n  "compilerOptions": { "rootDir": "./src", "target": "ES2022", "strict": true, "esModuleInterop": true, "skipLibCheck": true, "types": ["node"], },\n}\n`,
      "tsconfig.json": `{\n  "extends": "./tsconfig.base.json",\n  /* the service */\n  "compilerOptions": { "module": "commonjs", "outDir": "dist", "noUnusedLocals": true, },\n  "include": ["src"],\n}\n`,
    },
    extension: "none",
    out: "src/generated",
    main: "src/main.ts",
    emittedImport: /require\("\.\/example\.created"\)/,
  },
  {
    name: "CommonJS, module nodenext (no package type), declarations",
    files: {
      "package.json": { name: "svc" },
      "tsconfig.json": { compilerOptions: { ...strict, module: "nodenext", declaration: true, outDir: "dist" } },
    },
    extension: ".js",
    out: "generated",
    main: "src/main.ts",
    emittedImport: /require\("\.\/example\.created\.js"\)/,
  },
  {
    name: "bundler resolution, allowImportingTsExtensions and noEmit (a Vite-style app)",
    files: {
      "package.json": { name: "svc", type: "module" },
      "tsconfig.json": {
        compilerOptions: {
          ...strict,
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "bundler",
          allowImportingTsExtensions: true,
          verbatimModuleSyntax: true,
          noEmit: true,
        },
        include: ["src"],
      },
    },
    extension: ".ts",
    out: "src/generated",
    main: "src/main.ts",
  },
  {
    name: "bundler resolution, module preserve, emitting",
    files: {
      "package.json": { name: "svc", type: "module" },
      "tsconfig.json": { compilerOptions: { ...strict, module: "preserve", outDir: "dist" } },
    },
    extension: "none",
    out: "generated",
    main: "src/main.ts",
    emittedImport: /from "\.\/example\.created";$/m,
  },
  {
    name: "ESM, NodeNext, rewriteRelativeImportExtensions",
    files: {
      "package.json": { name: "svc", type: "module" },
      "tsconfig.json": {
        compilerOptions: {
          ...strict,
          module: "nodenext",
          allowImportingTsExtensions: true,
          rewriteRelativeImportExtensions: true,
          outDir: "dist",
        },
      },
    },
    extension: ".ts",
    out: "generated",
    main: "src/main.ts",
    emittedImport: /from "\.\/example\.created\.js";$/m,
  },
];

const specifier = (from: string, out: string, ext: string) => {
  const rel = relative(join(from, ".."), join(out, "index")).split("\\").join("/");
  return `${rel.startsWith(".") ? rel : `./${rel}`}${ext === "none" ? "" : ext}`;
};

describe("skeji-gen init, then skeji-gen, compiled with the service's tsc", () => {
  it.each(cases)("$name", async (c) => {
    const root = writeService(runtime, c.files);
    const init = await runInit(root);
    expect(init.code).toBe(0);
    expect(init.err.filter((l) => !l.startsWith("warning: @skeji/"))).toEqual([]);
    expect(JSON.parse(readText(root, "skeji-gen.config.json"))).toEqual({
      schemas: "schemas",
      manifest: "schemas/manifest.json",
      out: c.out,
      importExtension: c.extension,
    });
    expect(init.out).toContain(`  created  skeji-gen.config.json`);

    // Generated from a subfolder: the config file is found upwards.
    const generated = await runCli([], join(root, "schemas"));
    expect(generated).toMatchObject({ code: 0, err: [] });

    mkdirSync(join(root, c.main, ".."), { recursive: true });
    writeFileSync(join(root, c.main), serviceSource(specifier(c.main, c.out, c.extension)));
    const compiled = compile(root);
    expect(compiled.diagnostics).toEqual([]);
    if (c.emittedImport === undefined) {
      expect(compiled.emitted.size).toBe(0);
    } else {
      const index = [...compiled.emitted].find(([p]) => p.endsWith("generated/index.js"));
      expect(index?.[1]).toMatch(c.emittedImport);
    }
  });
});

describe("skeji-gen init on settings where generated code cannot compile", () => {
  /** Generates with the project's config, compiles `src/main.ts` importing it; the codes of errors in generated files. */
  const generateAndCompile = async (root: string, specifierText: string) => {
    expect((await runCli([], root)).code).toBe(0);
    mkdirSync(join(root, "src"), { recursive: true });
    writeFileSync(join(root, "src/main.ts"), serviceSource(specifierText));
    const inGenerated = compile(root).diagnostics.filter((d) => d.startsWith("generated/"));
    return new Set(inGenerated.map((d) => /: (TS\d+):/.exec(d)?.[1]));
  };

  it("a CommonJS package with verbatimModuleSyntax: names the problem and the fix, and tsc indeed fails", async () => {
    const root = writeService(runtime, {
      "package.json": { name: "svc" },
      "tsconfig.json": { compilerOptions: { ...strict, module: "nodenext", verbatimModuleSyntax: true, noEmit: true } },
    });
    const init = await runInit(root);
    expect(init.code).toBe(1);
    expect(init.err.slice(-2)).toEqual([
      'problem: tsconfig.json sets verbatimModuleSyntax and the generated files are CommonJS (package.json has no "type": "module"): TypeScript then rejects ESM import and export syntax (TS1287, TS1295), which generated code is written in',
      '  fix: remove verbatimModuleSyntax from tsconfig.json, or make the service ESM with "type": "module" in package.json',
    ]);
    expect(init.out).toContain("Next steps, once the problems above are fixed:");
    expect(await generateAndCompile(root, "../generated/index.js")).toEqual(new Set(["TS1287", "TS1295"]));
  });

  it("an existing config with .ts imports that tsc does not allow: init says so (TS5097), and tsc agrees", async () => {
    const root = writeService(runtime, {
      "package.json": { name: "svc", type: "module", dependencies: { "@skeji/kafka": "*" } },
      "tsconfig.json": { compilerOptions: { ...strict, module: "nodenext", noEmit: true } },
      "skeji-gen.config.json": { importExtension: ".ts" },
    });
    const init = await runInit(root);
    expect(init.code).toBe(1);
    expect(init.out).toContain("  skipped  skeji-gen.config.json (exists; left as it is)");
    expect(init.out).toContain(
      "  import extension  .ts (from skeji-gen.config.json; for a new config init would choose .js: moduleResolution nodenext needs explicit extensions in ES modules; tsc resolves .js to the .ts file and node loads the compiled .js)",
    );
    expect(init.err.slice(-2)).toEqual([
      "problem: importExtension .ts, but tsconfig.json neither allows importing .ts extensions nor rewrites them: tsc fails with TS5097",
      '  fix: set "importExtension": ".js" in skeji-gen.config.json, or set "rewriteRelativeImportExtensions": true in tsconfig.json (TypeScript 5.7 or later)',
    ]);
    expect(await generateAndCompile(root, "../generated/index.ts")).toEqual(new Set(["TS5097"]));
  });

  it("an existing config without extensions in an ES module service: init says so (TS2835), and tsc agrees", async () => {
    const root = writeService(runtime, {
      "package.json": { name: "svc", type: "module" },
      "tsconfig.json": { compilerOptions: { ...strict, module: "nodenext", noEmit: true } },
      "skeji-gen.config.json": { importExtension: "none" },
    });
    const init = await runInit(root);
    expect(init.code).toBe(1);
    expect(init.err).toContain(
      "problem: importExtension none, but ES modules under moduleResolution nodenext need explicit extensions: tsc fails with TS2835",
    );
    expect(await generateAndCompile(root, "../generated/index.js")).toContain("TS2835");
  });
});
