/**
 * Golden fixtures: `test/fixtures/<case>/` holds `schemas/` (with the manifest), an optional
 * `options.json`, and `expected/` (the exact output). Set UPDATE_GOLDEN=1 to rewrite `expected/`
 * after an intended change, then review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { type GenerateOptions, generate } from "../../generator/generate.ts";

const fixtures = join(import.meta.dirname, "..", "fixtures");
const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function generateCase(name: string) {
  const dir = join(fixtures, name);
  const optionsFile = join(dir, "options.json");
  const options = existsSync(optionsFile)
    ? (JSON.parse(readFileSync(optionsFile, "utf8")) as Partial<GenerateOptions>)
    : {};
  return generate({ ...options, schemasDir: join(dir, "schemas"), cwd: dir, root: dir });
}

describe("golden fixtures", () => {
  it("covers every construct", () => {
    expect(cases).toEqual(
      expect.arrayContaining([
        "primitives",
        "named-types",
        "collections",
        "unions",
        "logical-types",
        "defaults",
        "recursive",
        "docs",
        "topics-versions",
        "topic-settings",
        "import-extension-js",
      ]),
    );
  });

  it.each(cases)("%s matches expected/", (name) => {
    const result = generateCase(name);
    expect(result.problems).toEqual([]);
    const expectedDir = join(fixtures, name, "expected");
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(expectedDir, { recursive: true, force: true });
      mkdirSync(expectedDir, { recursive: true });
      for (const [path, text] of result.files) writeFileSync(join(expectedDir, path), text);
    }
    const expected = new Map(readdirSync(expectedDir).map((f) => [f, readFileSync(join(expectedDir, f), "utf8")]));
    expect([...result.files.keys()]).toEqual([...expected.keys()].sort());
    for (const [path, text] of result.files) expect(text, path).toBe(expected.get(path));
  });

  it("is deterministic: a second run is byte-identical", () => {
    for (const name of cases) {
      expect([...generateCase(name).files]).toEqual([...generateCase(name).files]);
    }
  });

  it("every expected output compiles under the project's strict tsconfig", () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(import.meta.dirname, "..", "..", "tsconfig.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
      },
    );
    if (!config) throw new Error("tsconfig.json not found");
    const roots = cases.flatMap((name) => {
      const dir = join(fixtures, name, "expected");
      return readdirSync(dir).map((f) => join(dir, f));
    });
    const program = ts.createProgram(roots, { ...config.options, noEmit: true });
    // Only the generated files are under test here; the runtime is type-checked by `npm run typecheck`.
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName.startsWith(fixtures))
      .map((d) => {
        const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "";
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(diagnostics).toEqual([]);
    expect(
      config.options.strict && config.options.exactOptionalPropertyTypes && config.options.noUncheckedIndexedAccess,
    ).toBe(true);
  }, 120_000);
});
