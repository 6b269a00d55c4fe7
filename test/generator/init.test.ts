/** `skeji-gen init` as a user sees it: what it writes, what it never touches, what it reports. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeProject } from "./helpers.ts";
import { runInit } from "./service-project.ts";

const both = { dependencies: { "@skeji/kafka": "^0.1.0" }, devDependencies: { "@skeji/kafka-gen": "^0.1.0" } };
const nodenext = { compilerOptions: { module: "nodenext", outDir: "dist" } };

describe("skeji-gen init", () => {
  it("writes the sample event, manifest and config, then never overwrites them", async () => {
    const root = writeProject({ "package.json": { name: "svc", type: "module", ...both }, "tsconfig.json": nodenext });
    const first = await runInit(root);
    expect(first).toMatchObject({ code: 0, err: [] });
    expect(first.out.slice(0, 7)).toEqual([
      `skeji-gen init: ${root}`,
      '  module format     ES modules (tsconfig.json has module nodenext, so the package\'s type decides: package.json has "type": "module")',
      "  import extension  .js (moduleResolution nodenext needs explicit extensions in ES modules; tsc resolves .js to the .ts file and node loads the compiled .js)",
      "  output folder     generated/ (next to schemas/; the generated code is imported from there)",
      "  created  schemas/example.created/v1.avsc",
      "  created  schemas/manifest.json",
      "  created  skeji-gen.config.json",
    ]);
    expect(first.out).toContain("  1. npx skeji-gen                  writes generated/ from schemas/ (commit both)");
    expect(first.out).toContain(
      '     then, in a file in the service\'s root: import { publishExampleCreated, onExampleCreated } from "./generated/index.js";',
    );
    for (const step of ["npx skeji-gen kafka up", "npx skeji-gen topics apply", "npx skeji-gen --check"]) {
      expect(first.out.some((l) => l.includes(step))).toBe(true);
    }

    writeFileSync(join(root, "skeji-gen.config.json"), '{ "out": "src/events", "importExtension": ".js" }\n');
    const second = await runInit(root);
    expect(second).toMatchObject({ code: 0, err: [] });
    expect(second.out).toContain("  skipped  schemas/ (has files already; no sample event added)");
    expect(second.out).toContain("  skipped  skeji-gen.config.json (exists; left as it is)");
    expect(second.out).toContain("  output folder     src/events/ (from skeji-gen.config.json)");
    expect(second.out.filter((l) => l.includes("created"))).toEqual([]);
    expect(readFileSync(join(root, "skeji-gen.config.json"), "utf8")).toBe(
      '{ "out": "src/events", "importExtension": ".js" }\n',
    );
  });

  it("adds no sample event to a schemas folder that has files", async () => {
    const root = writeProject({
      "package.json": { name: "svc", ...both },
      "tsconfig.json": nodenext,
      "schemas/": "",
      "skeji-gen.config.json": { schemas: "schemas" },
    });
    writeFileSync(join(root, "schemas", "notes.txt"), "");
    const run = await runInit(root);
    expect(run.out).toContain("  skipped  schemas/ (has files already; no sample event added)");
    expect(existsSync(join(root, "schemas/manifest.json"))).toBe(false);
  });

  it("without a tsconfig.json, chooses .js, the extension every resolution mode accepts", async () => {
    const root = writeProject({ "package.json": { name: "svc", ...both } });
    const run = await runInit(root);
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      "  import extension  .js (no tsconfig.json: .js is the extension every moduleResolution accepts)",
    );
    expect(JSON.parse(readFileSync(join(root, "skeji-gen.config.json"), "utf8")).importExtension).toBe(".js");
  });

  it("follows extends into a package, as tsc does", async () => {
    const root = writeProject({
      "package.json": { name: "svc", ...both },
      "node_modules/@acme/tsconfig/package.json": { name: "@acme/tsconfig", version: "1.0.0" },
      // tsc's own placeholder for the folder of the tsconfig.json that extends this one.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: written as tsconfig.json spells it
      "node_modules/@acme/tsconfig/node.json": { compilerOptions: { module: "node16", rootDir: "${configDir}/lib" } },
      "tsconfig.json": { extends: "@acme/tsconfig/node.json" },
    });
    const run = await runInit(root);
    expect(run.out.slice(1, 4)).toEqual([
      '  module format     CommonJS (tsconfig.json has module node16, so the package\'s type decides: package.json has no "type")',
      '  import extension  .js (moduleResolution node16: .js resolves in CommonJS files too, and keeps working if the package becomes "type": "module")',
      "  output folder     lib/generated/ (tsconfig.json has rootDir lib, and tsc compiles only files under it)",
    ]);
  });

  it("warns when the packages are missing or in the wrong dependency list", async () => {
    const root = writeProject({
      "package.json": {
        name: "svc",
        dependencies: { "@skeji/kafka-gen": "^0.1.0" },
        devDependencies: { "@skeji/kafka": "^0.1.0" },
      },
      "tsconfig.json": nodenext,
    });
    expect((await runInit(root)).err).toEqual([
      "warning: @skeji/kafka is a devDependency, but generated code imports it at run time and production installs leave devDependencies out: npm install @skeji/kafka",
      "warning: @skeji/kafka-gen is a dependency; it is needed only to generate and check, so as a devDependency it stays out of production installs: npm install -D @skeji/kafka-gen",
    ]);
    const bare = writeProject({ "package.json": { name: "svc" }, "tsconfig.json": nodenext });
    expect((await runInit(bare)).err).toEqual([
      "warning: @skeji/kafka is not in package.json, and generated code imports it: npm install @skeji/kafka",
      "warning: @skeji/kafka-gen is not in package.json, so npx fetches whatever version is newest: npm install -D @skeji/kafka-gen",
    ]);
  });

  it('refuses settings that cannot run: "type": "module" with CommonJS output', async () => {
    const root = writeProject({
      "package.json": { name: "svc", type: "module", ...both },
      "tsconfig.json": { compilerOptions: { module: "commonjs", outDir: "dist" } },
    });
    const run = await runInit(root);
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      'problem: package.json has "type": "module" but tsconfig.json emits CommonJS (module commonjs): node loads the compiled .js files as ES modules and fails ("require is not defined")',
      '  fix: set "module": "nodenext" in tsconfig.json',
    ]);
  });

  it("needs a package.json, and names the folder that has one", async () => {
    const root = writeProject({ "package.json": { name: "svc" }, "src/": "" });
    const run = await runInit(join(root, "src"));
    expect(run).toMatchObject({
      code: 1,
      err: [
        `skeji-gen init: no package.json in ${join(root, "src")} (${root} has one); run init in the service's root folder, or \`npm init\` first`,
      ],
    });
    expect(existsSync(join(root, "src", "schemas"))).toBe(false);
  });

  it("reports a tsconfig.json it cannot parse", async () => {
    const root = writeProject({ "package.json": { name: "svc", ...both }, "tsconfig.json": '{ "compilerOptions": ' });
    const run = await runInit(root);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/^skeji-gen init: tsconfig\.json: /);
  });
});
