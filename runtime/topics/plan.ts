/**
 * The difference between the topics descriptors ask for and the topics a cluster has: what to
 * create, what is in sync, and what differs (drift). Pure: the cluster is read elsewhere.
 *
 * Existing topics are never changed. Adding partitions moves keys to other partitions (one key's
 * events would stop being in order across the change), partitions cannot be removed, replicas are
 * moved by a reassignment, and a config someone changed on the cluster may have been changed on
 * purpose: each is reported for a person to decide.
 */
import type { TopicSettings } from "../descriptor.ts";
import type { TopicRole, WantedTopic } from "./wanted.ts";

/** A topic as the cluster has it. */
export interface ObservedTopic {
  readonly topic: string;
  readonly partitions: number;
  /** Replicas of the partition with the most (they are all the same unless someone reassigned). */
  readonly replicationFactor: number;
  /** Every topic config the broker reports, defaults included. */
  readonly config: Readonly<Record<string, string>>;
}

/**
 * - `create`: missing; `ensureTopics()` creates it (`created` once it has).
 * - `in-sync`: exists with every setting the descriptors name.
 * - `drift`: exists, but some setting differs; left as it is.
 * - `cannot-create`: missing, and cannot be created on this cluster as described (see `notes`).
 */
export type TopicStatus = "create" | "created" | "in-sync" | "drift" | "cannot-create";

/** One setting that differs: `partitions`, `replicationFactor`, or a config name such as `retention.ms`. */
export interface TopicDrift {
  readonly setting: string;
  readonly wanted: string;
  /** What the cluster has; `(not set)` when the broker does not report the config. */
  readonly actual: string;
  /** Why it is left as it is. */
  readonly why: string;
}

export interface TopicState {
  readonly topic: string;
  readonly role: TopicRole;
  /** For a DLQ: the topics that dead-letter into it. */
  readonly dlqFor: readonly string[];
  readonly status: TopicStatus;
  /** The settings it is (or would be) created with, after any cap to the cluster's size. */
  readonly wanted: TopicSettings;
  readonly actual: ObservedTopic | undefined;
  readonly drift: readonly TopicDrift[];
  /** Adjustments made (a capped replication factor) and why a topic cannot be created. */
  readonly notes: readonly string[];
}

export interface TopicPlan {
  /** Brokers in the cluster. */
  readonly brokers: number;
  /** Sorted by topic name. */
  readonly topics: readonly TopicState[];
}

export interface PlanOptions {
  /**
   * Lower a replication factor larger than the cluster (and a `min.insync.replicas` above it) to
   * the cluster's size, with a note, instead of refusing to create the topic. For one-broker local
   * and test clusters whose manifest is written for production. Default false.
   */
  readonly capReplicationFactor?: boolean | undefined;
}

/** Configs whose value is a comma-separated set, compared without regard to order. */
const listConfigs: ReadonlySet<string> = new Set(["cleanup.policy"]);

const normalize = (name: string, value: string): string => {
  const v = value.trim();
  if (!listConfigs.has(name)) return v;
  return v
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .sort()
    .join(",");
};

const brokersText = (n: number) => `${n} ${n === 1 ? "broker" : "brokers"}`;

/** The settings after the cap (when asked for), with a note for every change. */
function fitToCluster(
  wanted: TopicSettings,
  brokers: number,
  options: PlanOptions,
): { settings: TopicSettings; notes: string[]; impossible: string | undefined } {
  const rf = wanted.replicationFactor;
  if (rf === undefined || rf <= brokers || brokers === 0) return { settings: wanted, notes: [], impossible: undefined };
  if (options.capReplicationFactor !== true) {
    return {
      settings: wanted,
      notes: [],
      impossible:
        `replication factor ${rf} is more than the cluster's ${brokersText(brokers)}: add brokers, lower ` +
        "replicationFactor in the manifest, or cap it for a local cluster (skeji-gen topics apply " +
        "--cap-replication-factor, ensureTopics(..., { capReplicationFactor: true }))",
    };
  }
  const notes = [`replication factor capped from ${rf} to ${brokers} (the cluster has ${brokersText(brokers)})`];
  const config = { ...wanted.config };
  const minIsr = Number(config["min.insync.replicas"]);
  if (Number.isInteger(minIsr) && minIsr > brokers) {
    // Left above the replica count, every acks=all write to the topic would fail.
    config["min.insync.replicas"] = String(brokers);
    notes.push(`min.insync.replicas lowered from ${minIsr} to ${brokers} to match`);
  }
  return { settings: { ...wanted, replicationFactor: brokers, config }, notes, impossible: undefined };
}

function driftOf(wanted: TopicSettings, actual: ObservedTopic): TopicDrift[] {
  const drift: TopicDrift[] = [];
  if (wanted.partitions !== undefined && wanted.partitions !== actual.partitions) {
    drift.push({
      setting: "partitions",
      wanted: String(wanted.partitions),
      actual: String(actual.partitions),
      why:
        actual.partitions > wanted.partitions
          ? "partitions cannot be removed from a topic"
          : "adding partitions sends keys to other partitions, so one key's events lose their order across the change; add them by hand if that is acceptable",
    });
  }
  if (wanted.replicationFactor !== undefined && wanted.replicationFactor !== actual.replicationFactor) {
    drift.push({
      setting: "replicationFactor",
      wanted: String(wanted.replicationFactor),
      actual: String(actual.replicationFactor),
      why: "replicas change only by a partition reassignment, with kafka-reassign-partitions",
    });
  }
  for (const [name, value] of Object.entries(wanted.config).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const have = actual.config[name];
    if (have !== undefined && normalize(name, have) === normalize(name, value)) continue;
    drift.push({
      setting: name,
      wanted: value,
      actual: have ?? "(not set)",
      why: "configs of existing topics are left as they are; change them with kafka-configs --alter",
    });
  }
  return drift;
}

/** Compares each wanted topic with the cluster's. */
export function compareTopics(
  wanted: readonly WantedTopic[],
  observed: ReadonlyMap<string, ObservedTopic>,
  brokers: number,
  options: PlanOptions = {},
): TopicPlan {
  const topics = wanted.map((w): TopicState => {
    const { topic, role, dlqFor } = w;
    const fit = fitToCluster(w, brokers, options);
    const actual = observed.get(topic);
    const base = { topic, role, dlqFor, wanted: fit.settings, actual, notes: fit.notes };
    if (actual === undefined) {
      return fit.impossible === undefined
        ? { ...base, status: "create", drift: [] }
        : { ...base, status: "cannot-create", drift: [], notes: [...fit.notes, fit.impossible] };
    }
    const drift = driftOf(fit.settings, actual);
    return { ...base, status: drift.length === 0 ? "in-sync" : "drift", drift };
  });
  return { brokers, topics };
}
