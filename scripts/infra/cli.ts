import { down, InfraError, type ServiceName, status, up } from "./services.ts";

const usage = `usage: scripts/kafka <up|down|status> [kafka|registry]

  up      start the local Kafka broker and schema registry (idempotent)
  down    stop them (broker data is discarded; logs are kept)
  status  show what runs where; exit 1 unless both answer

Ports: SKEJI_KAFKA_PORT (19092), SKEJI_KAFKA_CONTROLLER_PORT (19093), SKEJI_REGISTRY_PORT (18081).`;

const [cmd, ...rest] = process.argv.slice(2);
const which = rest.filter((s): s is ServiceName => s === "kafka" || s === "registry");
if (which.length !== rest.length) {
  console.error(`unknown service "${rest.find((s) => s !== "kafka" && s !== "registry")}"\n${usage}`);
  process.exit(2);
}
const services = which.length > 0 ? which : undefined;

try {
  switch (cmd) {
    case "up":
      await up(services);
      await status();
      break;
    case "down":
      await down(services);
      break;
    case "status":
      process.exitCode = (await status()) ? 0 : 1;
      break;
    default:
      console.error(usage);
      process.exitCode = 2;
  }
} catch (err) {
  if (err instanceof InfraError) {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  } else throw err;
}
