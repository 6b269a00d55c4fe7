/**
 * `npm test`: the checks, the suite, the producer suite on the platformatic transport, the fault
 * suite, one after another, stopping at the first that fails.
 *
 * The three vitest runs share one broker and one registry: each run's global setup starts only what
 * is not running yet and stops only what it started, so starting them here first saves two starts
 * and stops (about 20 s each). What this script started it stops at the end, whatever the outcome;
 * a broker or registry that was already running, or one given by KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL, is left as it was.
 */
import { spawnSync } from "node:child_process";
import { down, running, type ServiceName, up } from "../generator/infra/services.ts";

const steps: readonly (readonly string[])[] = [
  ["npm", "run", "typecheck"],
  ["npm", "run", "lint"],
  ["npm", "run", "generate:check"],
  ["npx", "vitest", "run"],
  ["npm", "run", "test:transports"],
  ["npx", "vitest", "run", "-c", "vitest.faults.config.ts"],
  ["node", "--import", "tsx", "scripts/faults-report.ts", "--check"],
];

const wanted: ServiceName[] = [];
if (!process.env.KAFKA_BROKERS) wanted.push("kafka");
if (!process.env.SCHEMA_REGISTRY_URL) wanted.push("registry");

let started: ServiceName[] = [];
let status = 0;
try {
  for (const [command, ...args] of steps) {
    // The broker and registry are started once the static checks have passed.
    if (command === "npx" && args[0] === "vitest" && started.length === 0 && wanted.length > 0) {
      started = wanted.filter((s) => !running(s));
      await up(wanted);
    }
    const run = spawnSync(command as string, args, { stdio: "inherit" });
    status = run.status ?? 1;
    if (status !== 0) {
      console.error(`npm test: \`${[command, ...args].join(" ")}\` failed (exit ${run.status ?? run.signal})`);
      break;
    }
  }
} finally {
  if (started.length > 0) await down(started);
}
process.exit(status);
