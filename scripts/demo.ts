/**
 * `npm run demo`: runs examples/demo.ts against the local broker, starting it first when
 * KAFKA_BROKERS does not name one, and stopping afterwards only what it started.
 */

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { down, endpoints, InfraError, running, up } from "../generator/infra/services.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

const ownBroker = process.env.KAFKA_BROKERS === undefined;
const started = ownBroker && !running("kafka");
try {
  if (ownBroker) await up(["kafka"]);
  const result = spawnSync(
    process.execPath,
    ["--conditions=skeji-source", "--import", "tsx", join(repoRoot, "examples", "demo.ts")],
    { stdio: "inherit", env: { ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? endpoints.brokers } },
  );
  process.exitCode = result.status ?? 1;
} catch (err) {
  if (!(err instanceof InfraError)) throw err;
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
} finally {
  if (started) await down(["kafka"]);
}
