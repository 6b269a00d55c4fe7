import { KafkaCluster, localClusterSpec } from "./cluster.ts";
import { stateDir } from "./common.ts";
import { down, InfraError, type ServiceName, status, up } from "./services.ts";

const usage = `usage: skeji-gen kafka <up|down|status> [kafka|registry]
       skeji-gen kafka cluster <up|down|status>

  up      start the local Kafka broker and schema registry (idempotent)
  down    stop them (broker data is discarded; logs are kept)
          state and logs live in .local/infra of the project (SKEJI_INFRA_DIR to move them)
  status  show what runs where; exit 1 unless both answer

  cluster up      start a three-broker Kafka cluster (KRaft, replication factor 3,
                  min.insync.replicas 2) next to the single broker
  cluster down    stop it (its data is discarded)
  cluster status  show each node; exit 1 unless every node sees all three

Ports: SKEJI_KAFKA_PORT (19092), SKEJI_KAFKA_CONTROLLER_PORT (19093), SKEJI_REGISTRY_PORT (18081),
SKEJI_CLUSTER_PORT (19192: the cluster's brokers on 19192-19194).
Needs Java 17+ and Maven (they fetch Kafka and Apicurio Registry from Maven Central once).`;

async function clusterStatus(cluster: KafkaCluster | undefined): Promise<boolean> {
  if (cluster === undefined) {
    console.log("cluster   down");
    return false;
  }
  const nodes = await cluster.status();
  const all = cluster.ids();
  for (const n of nodes) {
    const whole = n.answers && all.every((id) => n.brokers.includes(id));
    const state = whole ? "up  " : n.pid === undefined ? "down" : "sick";
    const where = cluster.brokers[n.id - 1];
    console.log(
      `node ${n.id}    ${state} ${n.pid === undefined ? "" : `pid ${n.pid} `}${where}  sees brokers [${n.brokers.join(",")}]`,
    );
  }
  console.log(`KAFKA_BROKERS=${cluster.brokers.join(",")}   state and logs: ${cluster.spec.dir}`);
  return nodes.every((n) => n.answers && all.every((id) => n.brokers.includes(id)));
}

async function clusterCommand(sub: string | undefined): Promise<void> {
  const spec = localClusterSpec(stateDir);
  const existing = KafkaCluster.at(spec.dir);
  switch (sub) {
    case "up": {
      if (existing !== undefined && (await clusterStatus(existing))) return;
      await existing?.stop();
      process.stderr.write(`[infra] starting a ${spec.nodes.length}-node cluster; logs in ${spec.dir}\n`);
      await clusterStatus(await KafkaCluster.start(spec));
      return;
    }
    case "down":
      if (existing === undefined) console.log("cluster was not running");
      else {
        await existing.stop();
        console.log("cluster stopped");
      }
      return;
    case "status":
      process.exitCode = (await clusterStatus(existing)) ? 0 : 1;
      return;
    default:
      console.error(usage);
      process.exitCode = 2;
  }
}

async function serviceCommand(cmd: string | undefined, rest: string[]): Promise<void> {
  const which = rest.filter((s): s is ServiceName => s === "kafka" || s === "registry");
  if (which.length !== rest.length) {
    console.error(`unknown service "${rest.find((s) => s !== "kafka" && s !== "registry")}"\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const services = which.length > 0 ? which : undefined;
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
}

/**
 * `skeji-gen kafka <args>` (and the repository's scripts/kafka): runs one infra command and
 * returns the process exit code. Infra errors (no Java, no Maven, a port taken...) are one line.
 */
export async function runInfra(args: readonly string[]): Promise<number> {
  const [cmd, ...rest] = args;
  process.exitCode = 0;
  try {
    if (cmd === "cluster") await clusterCommand(rest[0]);
    else await serviceCommand(cmd, rest);
  } catch (err) {
    if (!(err instanceof InfraError)) throw err;
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  }
  return Number(process.exitCode ?? 0);
}
