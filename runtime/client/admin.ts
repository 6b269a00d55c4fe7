/**
 * The admin side of the client adapter: what topics the cluster has, creating one, and waiting
 * until a new one can be used. Only `ensureTopics()` / `planTopics()` use it; kafkajs's admin client
 * stays behind this narrow interface like its producer and consumer do.
 */
// The default import: Node's ESM loader cannot see ConfigResourceTypes among kafkajs's named exports.
import kafkajs, { type Admin, Kafka } from "kafkajs";
import type { ClientConfig } from "../config/types.ts";
import type { TopicSettings } from "../descriptor.ts";
import type { Logger } from "../observability/logger.ts";
import type { ObservedTopic } from "../topics/plan.ts";
import { connectionFailed } from "./connection.ts";
import { kafkajsConfig } from "./kafkajs.ts";

export interface TopicAdmin {
  brokerCount(): Promise<number>;
  /** The topics of `names` the cluster has, with partitions, replicas and configs. */
  describeTopics(names: readonly string[]): Promise<Map<string, ObservedTopic>>;
  /** Whether the cluster has `topic` now. */
  exists(topic: string): Promise<boolean>;
  /** Creates a topic; `false` when it already existed (created meanwhile by someone else). */
  createTopic(topic: string, settings: TopicSettings, timeoutMs: number): Promise<boolean>;
  /**
   * Resolves once `topic` has its partitions, each with a leader in the metadata the cluster serves
   * and every leader answering for them (a broker that died a moment ago is still named leader
   * until the cluster notices); rejects after `timeoutMs` saying which partitions are not served.
   */
  waitUntilUsable(topic: string, partitions: number | undefined, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const pollMs = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Connects an admin client with the runtime's usual client configuration (TLS, SASL, timeouts). */
export async function connectTopicAdmin(config: ClientConfig, logger: Logger, maxAttempts = 3): Promise<TopicAdmin> {
  const kafka = new Kafka({
    ...kafkajsConfig(config, logger.child({ component: "kafkajs" })),
    retry: { retries: Math.max(0, maxAttempts - 1), initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (cause) {
    await admin.disconnect().catch(() => {});
    throw connectionFailed(config.brokers, cause);
  }
  return new KafkajsTopicAdmin(admin);
}

class KafkajsTopicAdmin implements TopicAdmin {
  constructor(private readonly admin: Admin) {}

  async brokerCount(): Promise<number> {
    return (await this.admin.describeCluster()).brokers.length;
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, ObservedTopic>> {
    // Listing first: asking metadata for a missing topic could make a broker with
    // auto.create.topics.enable create it with its defaults.
    const all = new Set(await this.admin.listTopics());
    const existing = names.filter((n) => all.has(n));
    const out = new Map<string, ObservedTopic>();
    if (existing.length === 0) return out;
    const [metadata, configs] = await Promise.all([
      this.admin.fetchTopicMetadata({ topics: existing }),
      this.admin.describeConfigs({
        resources: existing.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })),
        includeSynonyms: false,
      }),
    ]);
    const configOf = new Map(
      configs.resources.map((r) => [
        r.resourceName,
        Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue ?? ""])),
      ]),
    );
    for (const t of metadata.topics) {
      out.set(t.name, {
        topic: t.name,
        partitions: t.partitions.length,
        replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicas.length)),
        config: configOf.get(t.name) ?? {},
      });
    }
    return out;
  }

  async exists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  async createTopic(topic: string, settings: TopicSettings, timeoutMs: number): Promise<boolean> {
    return this.admin.createTopics({
      topics: [
        {
          topic,
          // -1: the broker's num.partitions / default.replication.factor.
          numPartitions: settings.partitions ?? -1,
          replicationFactor: settings.replicationFactor ?? -1,
          configEntries: Object.entries(settings.config).map(([name, value]) => ({ name, value })),
        },
      ],
      // Leaders are awaited by waitUntilUsable, which also asks them: kafkajs only reads metadata,
      // and from the one broker it sent the creation to.
      waitForLeaders: false,
      timeout: timeoutMs,
    });
  }

  async waitUntilUsable(topic: string, partitions: number | undefined, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no metadata yet";
    for (;;) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
        const parts = topics.find((t) => t.name === topic)?.partitions ?? [];
        const leaderless = parts.filter((p) => p.leader < 0).map((p) => p.partitionId);
        if (parts.length === 0 || (partitions !== undefined && parts.length < partitions)) {
          last = `${parts.length} of ${partitions ?? "its"} partitions visible`;
        } else if (leaderless.length > 0) {
          last = `partition ${leaderless.sort((a, b) => a - b).join(", ")} without a leader`;
        } else {
          // Every leader answers for its partitions (ListOffsets): only a live leader does.
          await this.admin.fetchTopicOffsets(topic);
          return;
        }
      } catch (e) {
        last = `its leaders do not answer: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (Date.now() >= deadline) {
        throw new Error(`not usable within ${timeoutMs} ms: ${last}`);
      }
      await sleep(pollMs);
    }
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => {});
  }
}
