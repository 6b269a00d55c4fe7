import { defineConfig } from "vitest/config";

/**
 * The fault-injection suite (`npm run test:faults`): real faults against brokers of its own
 * (a TCP proxy that loses responses, SIGKILLed brokers and consumers, a three-broker cluster,
 * poison bytes). Scenarios run one file at a time: they kill processes and load the machine.
 */
export default defineConfig({
  resolve: {
    conditions: ["skeji-source"],
  },
  // Tests run server-side: the same condition there, so that generated code and tests import the
  // runtime's sources, never a build in runtime/dist that may be stale.
  ssr: { resolve: { conditions: ["skeji-source"], externalConditions: ["skeji-source"] } },
  test: {
    include: ["test/faults/**/*.test.ts"],
    globalSetup: ["test/infra/global-setup.ts", "test/faults/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
