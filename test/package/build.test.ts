/**
 * What a user installs: the compiled entry point. It must build, load in plain Node (no
 * TypeScript loader) and export exactly what the source entry point exports.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as source from "../../runtime/index.ts";

// Inside the repository (git-ignored) so the build resolves the installed dependencies.
mkdirSync(".local", { recursive: true });
const outDir = mkdtempSync(join(".local", "build-test-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("the published entry point", () => {
  it("compiles with declarations and loads in plain Node with the same exports as the sources", async () => {
    execFileSync(
      process.execPath,
      ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--outDir", outDir],
      {
        stdio: "pipe",
      },
    );
    const entry = resolve(outDir, "runtime", "index.js");
    const script = `import(${JSON.stringify(pathToFileURL(entry).href)}).then((m) => console.log(JSON.stringify(Object.keys(m).sort())))`;
    const keys = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" })) as string[];
    expect(keys).toEqual(Object.keys(source).sort());
    expect(keys).toContain("createProducer");
    expect(keys).toContain("createConsumer");
    const dts = readFileSync(join(outDir, "runtime", "index.d.ts"), "utf8");
    expect(dts).toMatch(/EventDescriptor/);
    // Relative imports are rewritten to .js so Node can resolve them.
    expect(readFileSync(entry, "utf8")).not.toMatch(/from "\.\/[^"]+\.ts"/);
  });
});
