/**
 * Generated code in a service that compiles with `isolatedDeclarations` (declarations emitted file
 * by file, by tools that do not type-check): every export must carry its type in its own text.
 * The bundled schemas and every golden fixture (shared types, multi-event topics, unions, enums,
 * logical types, ...) are generated into one ES module and one CommonJS service and compiled as
 * `tsc --noEmit --isolatedDeclarations --declaration` would.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../generator/generate.ts";
import { buildRuntimePackage, compile, writeService } from "./service-project.ts";

const repo = resolve(import.meta.dirname, "..", "..");
const fixtures = join(repo, "test", "fixtures");

/** Schema projects to generate: the bundled schemas and every golden fixture. */
const projects = [
  { name: "bundled", schemasDir: join(repo, "schemas"), root: repo },
  ...readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ name: d.name, schemasDir: join(fixtures, d.name, "schemas"), root: join(fixtures, d.name) })),
];

const compilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
  types: ["node"],
  isolatedDeclarations: true,
  declaration: true,
  noEmit: true,
};

const setups = [
  {
    name: "ES module service (NodeNext, verbatimModuleSyntax)",
    packageJson: { name: "svc", type: "module" },
    compilerOptions: { ...compilerOptions, module: "NodeNext", verbatimModuleSyntax: true },
    importExtension: ".js",
  },
  {
    name: "CommonJS service (module commonjs)",
    packageJson: { name: "svc" },
    compilerOptions: { ...compilerOptions, module: "commonjs", esModuleInterop: true },
    importExtension: "",
  },
] as const;

/**
 * A file of the service's own that breaks the rule: its error proves the check is on, so a setup
 * that stopped reporting isolatedDeclarations errors fails this test instead of passing it.
 */
const canary = "export const canary = [1, 2].map((n) => n * 2);\n";

let runtime = "";
beforeAll(() => {
  runtime = buildRuntimePackage();
}, 60_000);
afterAll(() => rmSync(runtime, { recursive: true, force: true }));

describe("generated code under isolatedDeclarations", () => {
  it.each(setups)(
    "$name: every generated export carries its type",
    (setup) => {
      const root = writeService(runtime, {
        "package.json": setup.packageJson,
        "tsconfig.json": { compilerOptions: setup.compilerOptions, include: ["src"] },
        "src/canary.ts": canary,
      });
      for (const p of projects) {
        const result = generate({
          schemasDir: p.schemasDir,
          cwd: p.root,
          root: p.root,
          importExtension: setup.importExtension,
        });
        expect(result.problems, p.name).toEqual([]);
        for (const [path, text] of result.files) {
          const file = join(root, "src", p.name, path);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, text);
        }
      }
      const { diagnostics } = compile(root);
      expect(diagnostics).toEqual([
        "src/canary.ts(1,14): TS9010: Variable must have an explicit type annotation with --isolatedDeclarations.",
      ]);
      rmSync(root, { recursive: true, force: true });
    },
    120_000,
  );
});
