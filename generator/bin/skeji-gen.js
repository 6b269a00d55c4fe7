#!/usr/bin/env node
// The skeji-gen command: runs the compiled CLI (dist/cli.js, built by `npm run build` or on pack).
import("../dist/cli.js").catch((err) => {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli.js")) {
    process.stderr.write("skeji-gen: the CLI is not built; run `npm run build` in this repository first\n");
    process.exit(1);
  }
  throw err;
});
