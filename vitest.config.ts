import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Resolve `@skeji/kafka` to the TypeScript sources (see package.json "exports").
    conditions: ["skeji-source"],
    // Vite does not resolve a package's imports of itself; generated code imports `@skeji/kafka`.
    alias: { "@skeji/kafka": fileURLToPath(new URL("./runtime/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The fault suite has a config of its own (vitest.faults.config.ts, `npm run test:faults`).
    exclude: ["test/faults/**", "**/node_modules/**"],
    reporters: ["default", "./test/infra/summary-reporter.ts"],
    globalSetup: ["test/infra/global-setup.ts"],
    // Tests share one broker and one registry; every test uses its own topics and subjects.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
