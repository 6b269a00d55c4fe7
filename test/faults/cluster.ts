/**
 * Brokers of the fault suite's own: a KRaft cluster (generator/infra/cluster.ts) on free ports with
 * a proxy (proxy.ts) in front of each node's client listener. Every node advertises its proxy's
 * address, so a client that bootstraps from `brokers` keeps talking through the proxies after the
 * first metadata answer. The oracle reads through `direct` (the internal listeners), which no
 * fault touches. The shared test broker is never killed or reconfigured; these are.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { type Admin, type ITopicConfig, Kafka, logLevel } from "kafkajs";
import { KafkaCluster, reapOrphans } from "../../generator/infra/cluster.ts";
import { stateDir } from "../../generator/infra/common.ts";
import { KafkaProxy } from "./proxy.ts";

const faultsDir = join(stateDir, "faults");

/**
 * `count` distinct ports that were free a moment ago (held open together, so no two are the
 * same). They come from below Linux's ephemeral range (32768 and up), so that no outgoing
 * connection takes one as its source port while a killed node is down and its ports unbound.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const bind = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => {
        servers.push(server);
        resolve(true);
      });
    });
  try {
    const ports: number[] = [];
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > 1000) throw new Error(`no ${count} free ports between 20000 and 32000`);
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      if (!ports.includes(port) && (await bind(port))) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

export interface TopicSpec {
  readonly partitions?: number;
  /** Topic configuration, e.g. `{ "max.message.bytes": "1024" }`. */
  readonly config?: Readonly<Record<string, string>>;
}

export class FaultCluster {
  private admin: Admin | undefined;

  private constructor(
    readonly cluster: KafkaCluster,
    readonly proxies: readonly KafkaProxy[],
  ) {}

  /** Starts `nodes` KRaft nodes behind a proxy each; resolves once every node sees all of them. */
  static async start(nodes: number, name: string): Promise<FaultCluster> {
    await reapOrphans(faultsDir);
    const ports = await freePorts(nodes * 4);
    const at = (i: number) => ports[i] ?? 0;
    const specs = Array.from({ length: nodes }, (_, i) => ({
      client: at(4 * i),
      internal: at(4 * i + 1),
      controller: at(4 * i + 2),
      advertisedClient: at(4 * i + 3),
    }));
    const proxies = await Promise.all(specs.map((s) => KafkaProxy.start({ port: s.client }, s.advertisedClient)));
    try {
      const cluster = await KafkaCluster.start({
        name: `fault cluster ${name}`,
        dir: join(faultsDir, `${name}-${randomUUID().slice(0, 8)}`),
        nodes: specs,
        owner: process.pid,
      });
      return new FaultCluster(cluster, proxies);
    } catch (e) {
      await Promise.all(proxies.map((p) => p.close()));
      throw e;
    }
  }

  /** Bootstrap addresses through the proxies: what the system under test connects to. */
  get brokers(): string[] {
    return this.proxies.map((p) => p.address);
  }

  /** The nodes' internal listeners: for reading back what was written, past every fault. */
  get direct(): string[] {
    return this.cluster.internal;
  }

  /** The proxy in front of node `node` (1-based). */
  proxy(node = 1): KafkaProxy {
    const proxy = this.proxies[node - 1];
    if (proxy === undefined) throw new Error(`no node ${node}`);
    return proxy;
  }

  /** A quiet kafkajs client on the internal listeners. */
  kafka(clientId = "faults-oracle"): Kafka {
    return new Kafka({
      brokers: this.direct,
      clientId,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /** Creates a topic (through the internal listeners) with a unique name and waits for its leaders. */
  async topic(prefix: string, spec: TopicSpec = {}): Promise<string> {
    const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
    await this.createTopics([{ topic, ...spec }]);
    return topic;
  }

  async createTopics(topics: readonly ({ topic: string } & TopicSpec)[]): Promise<void> {
    const admin = await this.adminClient();
    const configs: ITopicConfig[] = topics.map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions ?? 1,
      configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
    }));
    await admin.createTopics({ topics: configs, waitForLeaders: true });
  }

  /** SIGKILLs node `node` (1-based): no shutdown, nothing flushed. */
  kill(node = 1): Promise<void> {
    return this.cluster.kill(node);
  }

  /** Restarts a killed node on its data and waits until the whole cluster sees it. */
  restart(node = 1): Promise<void> {
    return this.cluster.restart(node);
  }

  leaderOf(topic: string, partition = 0): Promise<number> {
    return this.cluster.leaderOf(topic, partition);
  }

  waitInSync(topics: readonly string[]): Promise<void> {
    return this.cluster.waitInSync(topics);
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => {});
    await Promise.all(this.proxies.map((p) => p.close()));
    await this.cluster.stop();
  }

  private async adminClient(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = this.kafka("faults-admin").admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }
}
