import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // `@skeji/kafka` (the runtime/ workspace) resolves to its TypeScript sources (runtime/package.json "exports").
    conditions: ["skeji-source"],
  },
  // Tests run server-side: the same condition there, so that generated code and tests import the
  // runtime's sources, never a build in runtime/dist that may be stale.
  ssr: { resolve: { conditions: ["skeji-source"], externalConditions: ["skeji-source"] } },
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
