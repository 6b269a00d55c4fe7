import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Resolve `@skeji/kafka` to the TypeScript sources (see package.json "exports").
    conditions: ["skeji-source"],
  },
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/infra/summary-reporter.ts"],
    globalSetup: ["test/infra/global-setup.ts"],
    // Tests share one broker and one registry; every test uses its own topics and subjects.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
