// Builds one workspace package into its dist/: `node scripts/build-package.mjs runtime|generator`.
// runtime: an ES module build (dist/esm) and a CommonJS build (dist/cjs) with types for each, so
// `import` and `require` both work on Node 20. generator: the skeji-gen CLI as plain JavaScript.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = process.argv[2];
if (pkg !== "runtime" && pkg !== "generator") {
  console.error("usage: node scripts/build-package.mjs runtime|generator");
  process.exit(2);
}
const dir = join(dirname(fileURLToPath(import.meta.url)), "..", pkg);
const tsc = createRequire(join(dir, "package.json")).resolve("typescript/bin/tsc");
const compile = (config) => execFileSync(process.execPath, [tsc, "-p", join(dir, config)], { stdio: "inherit" });

/**
 * tsc rewrites `./x.ts` to `./x.js` in JavaScript but keeps `.ts` in declarations; older TypeScript
 * versions and other tools reject that, so declarations get the `.js` specifiers the code has.
 */
function rewriteDeclarations(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    const fixed = text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

rmSync(join(dir, "dist"), { recursive: true, force: true });
if (pkg === "runtime") {
  compile("tsconfig.build.json");
  compile("tsconfig.cjs.json");
  // The .js and .d.ts files under dist/cjs are CommonJS; Node and TypeScript read that from here.
  mkdirSync(join(dir, "dist", "cjs"), { recursive: true });
  writeFileSync(join(dir, "dist", "cjs", "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
} else {
  compile("tsconfig.build.json");
}
rewriteDeclarations(join(dir, "dist"));

// Every entry point of the package's `exports` (".", "./codegen", "./testing", ...) must have
// been built, for `import` and for `require`: an entry added to package.json whose source the
// build does not reach would otherwise only fail in a user's project.
const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const missing = [];
for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
  if (typeof target !== "object" || target === null) continue;
  for (const condition of ["import", "require"]) {
    for (const file of Object.values(target[condition] ?? {})) {
      if (!existsSync(join(dir, file))) missing.push(`${entry} (${condition}): ${file}`);
    }
  }
}
if (missing.length > 0) {
  console.error(`the build did not produce every entry point of package.json "exports":\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
