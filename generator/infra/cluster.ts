/**
 * A Kafka cluster of N KRaft nodes on 127.0.0.1, each a combined broker and controller with a
 * vote in the quorum, from the same jars as the single local broker. With three nodes it is a
 * production-shaped cluster in miniature: replication factor 3, `min.insync.replicas` 2, no
 * unclean leader election, internal topics replicated like user topics.
 *
 * Each node has three listeners: CLIENT for applications (its advertised port may differ from
 * the port it binds, so that a proxy can sit in front of it), INTERNAL for replication (and
 * for tools that must reach the node directly), CONTROLLER for the quorum.
 *
 * Used by `scripts/kafka cluster up|down|status` and by the fault-injection suite, which kills
 * nodes with SIGKILL and restarts them on the same data.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import {
  alive,
  clusterId,
  describeKafka,
  fetchKafka,
  formatStorage,
  InfraError,
  java,
  launch,
  log4jFlag,
  portOpen,
  readPid,
  type Service,
  tail,
  terminate,
} from "./common.ts";

/** The ports of one node. `advertisedClient` is what clients are told to connect to (default: `client`). */
export interface NodePorts {
  readonly client: number;
  readonly internal: number;
  readonly controller: number;
  readonly advertisedClient?: number | undefined;
}

export interface ClusterSpec {
  /** Named in messages. */
  readonly name: string;
  /** Where the nodes' data, logs and pid files live; emptied at start. */
  readonly dir: string;
  /** One entry per node; node ids are 1, 2, 3, ... in this order. */
  readonly nodes: readonly NodePorts[];
  /** Maximum heap of each node's JVM. Default 256 MB. */
  readonly heapMb?: number | undefined;
  /** Broker properties over the defaults below. */
  readonly properties?: Readonly<Record<string, string>> | undefined;
  /** The process that owns the cluster; a cluster whose owner is gone may be reaped (see `reapOrphans`). */
  readonly owner?: number | undefined;
}

/** A node as the cluster sees it. */
export interface NodeStatus {
  readonly id: number;
  readonly pid: number | undefined;
  /** The node answers metadata on its internal listener. */
  readonly answers: boolean;
  /** The broker ids that node reports as registered and alive. */
  readonly brokers: readonly number[];
}

const specFile = (dir: string) => join(dir, "cluster.json");

export class KafkaCluster {
  private constructor(readonly spec: ClusterSpec) {}

  /** Formats fresh storage for every node, starts them all, and waits until the cluster is whole. */
  static async start(spec: ClusterSpec, timeoutMs = 180_000): Promise<KafkaCluster> {
    if (spec.nodes.length === 0) throw new InfraError(`${spec.name}: a cluster needs at least one node`);
    const javaBin = java();
    const libs = fetchKafka();
    for (const [i, n] of spec.nodes.entries()) {
      for (const port of [n.client, n.internal, n.controller]) {
        if (await portOpen(port)) {
          throw new InfraError(`${spec.name}: port ${port} (node ${i + 1}) on 127.0.0.1 is in use by another process`);
        }
      }
    }
    rmSync(spec.dir, { recursive: true, force: true });
    mkdirSync(spec.dir, { recursive: true });
    writeFileSync(specFile(spec.dir), JSON.stringify(spec, null, 2));
    const cluster = new KafkaCluster(spec);
    const id = clusterId();
    for (const node of cluster.ids()) {
      mkdirSync(cluster.dataDir(node), { recursive: true });
      writeFileSync(cluster.propsFile(node), cluster.properties(node));
      formatStorage(javaBin, libs, cluster.propsFile(node), id);
    }
    try {
      for (const node of cluster.ids()) cluster.launch(javaBin, libs, node, false);
      await cluster.waitWhole(timeoutMs);
    } catch (e) {
      await cluster.stop({ keepLogs: true });
      throw e;
    }
    return cluster;
  }

  /** The cluster whose state is in `dir`, if one was started there. */
  static at(dir: string): KafkaCluster | undefined {
    if (!existsSync(specFile(dir))) return undefined;
    return new KafkaCluster(JSON.parse(readFileSync(specFile(dir), "utf8")) as ClusterSpec);
  }

  ids(): number[] {
    return this.spec.nodes.map((_, i) => i + 1);
  }

  /** `host:port` of every node's CLIENT listener as advertised: what applications bootstrap from. */
  get brokers(): string[] {
    return this.spec.nodes.map((n) => `127.0.0.1:${n.advertisedClient ?? n.client}`);
  }

  /** `host:port` of every node's INTERNAL listener: reaches the nodes directly, whatever stands in front of CLIENT. */
  get internal(): string[] {
    return this.spec.nodes.map((n) => `127.0.0.1:${n.internal}`);
  }

  /** The node's process id while it runs. */
  pid(node: number): number | undefined {
    const pid = readPid(this.service(node));
    if (pid === undefined) return undefined;
    // A pid file outlives its process; make sure the pid is still this node's JVM, not a reuse.
    const cmdline = `/proc/${pid}/cmdline`;
    if (existsSync("/proc") && !(existsSync(cmdline) && readFileSync(cmdline, "utf8").includes(this.propsFile(node)))) {
      return undefined;
    }
    return pid;
  }

  /** A kafkajs client on the INTERNAL listeners (quiet, a few quick retries). */
  client(clientId = "skeji-cluster"): Kafka {
    return new Kafka({
      brokers: this.internal,
      clientId,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /** Kills the node with SIGKILL (no shutdown, no flush) and waits until its process is gone. */
  async kill(node: number): Promise<void> {
    const pid = this.pid(node);
    if (pid === undefined) throw new InfraError(`${this.spec.name}: node ${node} is not running`);
    process.kill(pid, "SIGKILL");
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  }

  /** Starts a stopped node again on its data, and waits until every node sees the whole cluster. */
  async restart(node: number, timeoutMs = 120_000): Promise<void> {
    if (this.pid(node) !== undefined) throw new InfraError(`${this.spec.name}: node ${node} is still running`);
    this.launch(java(), fetchKafka(), node, true);
    await this.waitWhole(timeoutMs);
  }

  /** Each running node's view of the cluster. */
  async status(): Promise<NodeStatus[]> {
    return Promise.all(
      this.ids().map(async (id) => {
        const pid = this.pid(id);
        const seen = pid === undefined ? undefined : await describeKafka(this.internal[id - 1] ?? "");
        return { id, pid, answers: seen !== undefined && seen.controller !== null, brokers: seen?.brokers ?? [] };
      }),
    );
  }

  /**
   * Waits until every node runs, answers metadata on its internal listener and reports every
   * node as a registered broker (a restarted node has rejoined and been unfenced).
   */
  async waitWhole(timeoutMs = 120_000): Promise<void> {
    const all = this.ids();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dead = all.find((id) => this.pid(id) === undefined);
      if (dead !== undefined) {
        const logFile = this.service(dead).logFile;
        throw new InfraError(`${this.spec.name}: node ${dead} exited. Last lines of ${logFile}:\n${tail(logFile)}`);
      }
      const nodes = await this.status();
      if (nodes.every((n) => n.answers && all.every((id) => n.brokers.includes(id)))) return;
      if (Date.now() > deadline) {
        const seen = nodes.map((n) => `node ${n.id} sees [${n.brokers.join(",")}]`).join("; ");
        throw new InfraError(
          `${this.spec.name}: not whole within ${timeoutMs / 1000}s (${seen}); logs in ${this.spec.dir}`,
        );
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** The node id leading `partition` of `topic`, as the cluster's metadata says now. */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    const admin = this.client("skeji-cluster-leader").admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
      if (leader === undefined || leader < 0) throw new InfraError(`${topic}-${partition} has no leader`);
      return leader;
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until every partition of `topics` has its full replica set in sync again. */
  async waitInSync(topics: readonly string[], timeoutMs = 60_000): Promise<void> {
    const admin = this.client("skeji-cluster-isr").admin();
    await admin.connect();
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
        const lagging = meta.flatMap((t) =>
          t.partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => `${t.name}-${p.partitionId}`),
        );
        if (lagging.length === 0) return;
        if (Date.now() > deadline) {
          throw new InfraError(
            `${this.spec.name}: replicas of ${lagging.join(", ")} not in sync within ${timeoutMs / 1000}s`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops every node (SIGTERM, then SIGKILL) and deletes the cluster's state, or only its data with `keepLogs`. */
  async stop(options: { keepLogs?: boolean } = {}): Promise<void> {
    await Promise.all(
      this.ids().map(async (id) => {
        const pid = this.pid(id);
        if (pid !== undefined) await terminate(pid, `${this.spec.name} node ${id}`, 10_000);
      }),
    );
    if (options.keepLogs === true) {
      for (const id of this.ids()) rmSync(this.dataDir(id), { recursive: true, force: true });
    } else {
      rmSync(this.spec.dir, { recursive: true, force: true });
    }
  }

  private nodeDir(node: number): string {
    return join(this.spec.dir, `node-${node}`);
  }

  private dataDir(node: number): string {
    return join(this.nodeDir(node), "data");
  }

  private propsFile(node: number): string {
    return join(this.nodeDir(node), "server.properties");
  }

  private service(node: number): Service {
    return {
      name: `${this.spec.name} node ${node}`,
      pidFile: join(this.nodeDir(node), "kafka.pid"),
      logFile: join(this.nodeDir(node), "kafka.log"),
    };
  }

  private launch(javaBin: string, libs: string, node: number, append: boolean): void {
    const heap = this.spec.heapMb ?? 256;
    launch(
      this.service(node),
      javaBin,
      [
        // Small and quick to start: several of these share a small machine with other JVMs.
        `-Xms${Math.min(64, heap)}m`,
        `-Xmx${heap}m`,
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData",
        "-Djava.awt.headless=true",
        log4jFlag,
        "-cp",
        `${libs}/*`,
        "kafka.Kafka",
        this.propsFile(node),
      ],
      this.nodeDir(node),
      append,
    );
  }

  private properties(node: number): string {
    const n = this.spec.nodes.length;
    const ports = this.spec.nodes[node - 1];
    if (ports === undefined) throw new InfraError(`${this.spec.name}: no node ${node}`);
    const replicas = String(Math.min(3, n));
    const minIsr = String(Math.min(2, n));
    const voters = this.spec.nodes.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(",");
    const props: Record<string, string> = {
      "process.roles": "broker,controller",
      "node.id": String(node),
      "controller.quorum.voters": voters,
      listeners: `CLIENT://127.0.0.1:${ports.client},INTERNAL://127.0.0.1:${ports.internal},CONTROLLER://127.0.0.1:${ports.controller}`,
      "advertised.listeners": `CLIENT://127.0.0.1:${ports.advertisedClient ?? ports.client},INTERNAL://127.0.0.1:${ports.internal}`,
      "listener.security.protocol.map": "CLIENT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "controller.listener.names": "CONTROLLER",
      "inter.broker.listener.name": "INTERNAL",
      "log.dirs": this.dataDir(node),
      "num.partitions": "1",
      "auto.create.topics.enable": "true",
      // Durability as a production cluster has it: every write on 3 replicas (acks=all waits for
      // 2 in sync), a replica that was not in sync never becomes leader, and the group offsets
      // and transaction state replicated like any topic.
      "default.replication.factor": replicas,
      "min.insync.replicas": minIsr,
      "unclean.leader.election.enable": "false",
      "offsets.topic.replication.factor": replicas,
      "offsets.topic.num.partitions": "4",
      "transaction.state.log.replication.factor": replicas,
      "transaction.state.log.min.isr": minIsr,
      "share.coordinator.state.topic.replication.factor": replicas,
      "share.coordinator.state.topic.min.isr": minIsr,
      "group.initial.rebalance.delay.ms": "0",
      // A dead node is fenced (and its partitions get new leaders) after 2 s instead of 9 s; a restarted
      // node waits that long for its old registration to lapse.
      "broker.heartbeat.interval.ms": "500",
      "broker.session.timeout.ms": "2000",
      // Few threads and a small cleaner buffer: a node of a test cluster, not of a data centre.
      "num.network.threads": "2",
      "num.io.threads": "2",
      "background.threads": "2",
      "num.replica.fetchers": "1",
      "log.cleaner.threads": "1",
      "log.cleaner.dedupe.buffer.size": String(8 * 1024 * 1024),
      ...this.spec.properties,
    };
    return `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`;
  }
}

/**
 * Stops and deletes the clusters under `parent` whose owner process has exited (a test run that
 * was killed before it could clean up). A cluster without an owner is left alone.
 */
export async function reapOrphans(parent: string): Promise<void> {
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    const cluster = KafkaCluster.at(join(parent, entry));
    const owner = cluster?.spec.owner;
    if (cluster === undefined || owner === undefined || alive(owner)) continue;
    await cluster.stop();
  }
}

/**
 * The three-node cluster of `scripts/kafka cluster up`: CLIENT listeners on SKEJI_CLUSTER_PORT
 * (19192) and the next two ports, controllers 10 above, internal listeners 20 above.
 */
export function localClusterSpec(stateDir: string): ClusterSpec {
  const raw = process.env.SKEJI_CLUSTER_PORT;
  const base = raw === undefined || raw === "" ? 19192 : Number(raw);
  if (!Number.isInteger(base) || base < 1 || base + 22 > 65535) {
    throw new InfraError(`SKEJI_CLUSTER_PORT must be a TCP port (1-65513), got "${raw}"`);
  }
  return {
    name: "cluster",
    dir: join(stateDir, "cluster"),
    nodes: [0, 1, 2].map((i) => ({ client: base + i, controller: base + 10 + i, internal: base + 20 + i })),
  };
}
