/**
 * `ensureTopics()` and `planTopics()`: the topics (and DLQ topics) of a set of descriptors, created
 * when missing and compared when present. `skeji-gen topics plan|apply` run the same code.
 *
 * Nothing is ever deleted, shrunk or reconfigured: a topic that exists is only compared, and what
 * differs is reported as drift (see plan.ts for why each kind is left alone).
 */
import { connectTopicAdmin, type TopicAdmin } from "../client/admin.ts";
import type { ClientConfig } from "../config/types.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { createUsable, existingUsable, notUsable } from "./create.ts";
import { compareTopics, type PlanOptions, type TopicPlan, type TopicState } from "./plan.ts";
import { type TopicSource, type WantedTopic, wantedTopics } from "./wanted.ts";

export interface TopicsOptions extends PlanOptions {
  readonly logger?: Logger | undefined;
  /** How long creating a topic, and then waiting for every partition to have a leader, may take. Default 30 s. */
  readonly timeoutMs?: number | undefined;
}

export interface EnsureTopicsResult extends TopicPlan {
  /** Topics this call created, sorted. */
  readonly created: readonly string[];
  /** Topics that exist with settings other than the descriptors' (left as they are), sorted. */
  readonly drifted: readonly string[];
}

const defaultTimeoutMs = 30_000;

async function withAdmin<T>(config: ClientConfig, logger: Logger, work: (admin: TopicAdmin) => Promise<T>) {
  const admin = await connectTopicAdmin(config, logger);
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

async function readPlan(admin: TopicAdmin, wanted: readonly WantedTopic[], options: TopicsOptions) {
  const [brokers, observed] = await Promise.all([
    admin.brokerCount(),
    admin.describeTopics(wanted.map((w) => w.topic)),
  ]);
  return compareTopics(wanted, observed, brokers, options);
}

/**
 * What `ensureTopics()` would do, without doing it: every topic with its status (`create`,
 * `in-sync`, `drift`, `cannot-create`). Connects with the client configuration (brokers, TLS, SASL).
 */
export async function planTopics(
  config: ClientConfig,
  topics: readonly TopicSource[],
  options: TopicsOptions = {},
): Promise<TopicPlan> {
  const wanted = wantedTopics(topics); // a conflict fails before any connection
  const logger = options.logger ?? defaultLogger();
  return withAdmin(config, logger, (admin) => readPlan(admin, wanted, options));
}

/**
 * Creates the missing topics of `topics` - generated topic descriptors (their DLQ topics included)
 * or plain `{ topic, partitions?, replicationFactor?, config? }` specs - and waits until every
 * topic, new or not, has a leader that answers for each partition, so a producer or consumer can
 * use it at once. A creation whose answer was lost is looked for, and tried again only when the
 * topic is missing (see create.ts). Existing topics are compared, never changed; differences come
 * back as `drift` (and are logged as warnings).
 *
 * Fails with INVALID_CONFIG when two descriptors give one topic different settings, with
 * TOPIC_CREATE_FAILED (nothing created) when a topic cannot be created on this cluster as described
 * (a replication factor above the broker count, unless `capReplicationFactor`), and with
 * TOPIC_CREATE_FAILED when the broker refuses a topic or it is not usable in time: the message
 * says of each such topic whether it exists and why; `details.created` lists the topics this call
 * created and made usable, `details.notCreated`, `details.unusable` (exists, not usable) and
 * `details.unknown` (could not be asked) the others.
 */
export async function ensureTopics(
  config: ClientConfig,
  topics: readonly TopicSource[],
  options: TopicsOptions = {},
): Promise<EnsureTopicsResult> {
  const logger = (options.logger ?? defaultLogger()).child({ component: "topics" });
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const wanted = wantedTopics(topics); // a conflict fails before any connection
  return withAdmin(config, logger, async (admin) => {
    const plan = await readPlan(admin, wanted, options);
    const impossible = plan.topics.filter((t) => t.status === "cannot-create");
    if (impossible.length > 0) {
      const reasons = impossible.map((t) => `${t.topic}: ${t.notes.at(-1) ?? "cannot be created"}`);
      throw new SkejiError(
        ErrorCode.TOPIC_CREATE_FAILED,
        `cannot create ${impossible.length === 1 ? "topic" : "topics"} (nothing was created): ${reasons.join("; ")}`,
        {
          details: {
            topics: impossible.map((t) => t.topic),
            created: [],
            notCreated: plan.topics
              .filter((t) => t.status === "create" || t.status === "cannot-create")
              .map((t) => t.topic),
            unusable: [],
            unknown: [],
          },
        },
      );
    }
    const missing = plan.topics.filter((t) => t.status === "create");
    const existing = plan.topics.filter((t) => t.status !== "create");
    // Created topics, and those there before, must be usable: a topic whose partitions no live
    // broker leads is not reported as ready.
    const [made, there] = await Promise.all([
      Promise.all(missing.map((t) => createUsable(admin, t, timeoutMs, logger))),
      Promise.all(existing.map((t) => existingUsable(admin, t, timeoutMs))),
    ]);
    const created = made.filter((m) => m.byThisCall && m.outcome === "usable").map((m) => m.topic);
    for (const t of missing) {
      if (!created.includes(t.topic)) continue;
      logger.info(
        {
          topic: t.topic,
          partitions: t.wanted.partitions ?? "broker default",
          replicationFactor: t.wanted.replicationFactor ?? "broker default",
          config: t.wanted.config,
        },
        `created topic ${t.topic}`,
      );
    }
    const failed = [...made, ...there].filter((m) => m.outcome !== "usable");
    if (failed.length > 0) throw notUsable(failed, created);
    for (const t of plan.topics.filter((x) => x.status === "drift")) {
      logger.warn(
        { topic: t.topic, drift: t.drift },
        `topic ${t.topic} differs from its description (left as it is): ${t.drift.map((d) => `${d.setting} ${d.actual}, described ${d.wanted}`).join("; ")}`,
      );
    }
    const states = plan.topics.map((t): TopicState => {
      if (t.status !== "create") return t;
      if (created.includes(t.topic)) return { ...t, status: "created" };
      return { ...t, status: "in-sync", notes: [...t.notes, "created meanwhile by another client (not compared)"] };
    });
    return {
      brokers: plan.brokers,
      topics: states,
      created: created.sort(),
      drifted: states.filter((t) => t.status === "drift").map((t) => t.topic),
    };
  });
}
