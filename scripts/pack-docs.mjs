// Before `npm pack`/`npm publish` of a workspace package: copies the repository's docs/ (and the
// docker-compose.yml they describe) into the package, so the links in its README and between the
// docs work in node_modules too.
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = process.argv[2];
if (pkg !== "runtime" && pkg !== "generator") {
  console.error("usage: node scripts/pack-docs.mjs runtime|generator");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, pkg, "docs");
rmSync(target, { recursive: true, force: true });
cpSync(join(root, "docs"), target, { recursive: true });
cpSync(join(root, "docker-compose.yml"), join(root, pkg, "docker-compose.yml"));
