/**
 * Topic creation settings in the manifest: `partitions`, `replicationFactor` and `config` (Kafka
 * topic configs) on a topic, in `defaults`, on a DLQ topic (`dlqTopics`) and in `defaults.dlqTopics`.
 * Each reader validates one object and reports problems with the JSON path; resolution (nearest
 * setting wins, configs merged key by key) happens in manifest.ts.
 */
import type { TopicSettings } from "@skeji/kafka/codegen";
import { childPath, suggest } from "@skeji/kafka/codegen";

/** The topic-level configs of Kafka 4 (what a broker's DescribeConfigs lists for a topic). */
export const topicConfigNames: readonly string[] = [
  "cleanup.policy",
  "compression.gzip.level",
  "compression.lz4.level",
  "compression.type",
  "compression.zstd.level",
  "delete.retention.ms",
  "file.delete.delay.ms",
  "flush.messages",
  "flush.ms",
  "follower.replication.throttled.replicas",
  "index.interval.bytes",
  "leader.replication.throttled.replicas",
  "local.retention.bytes",
  "local.retention.ms",
  "max.compaction.lag.ms",
  "max.message.bytes",
  "message.timestamp.after.max.ms",
  "message.timestamp.before.max.ms",
  "message.timestamp.type",
  "min.cleanable.dirty.ratio",
  "min.compaction.lag.ms",
  "min.insync.replicas",
  "preallocate",
  "remote.log.copy.disable",
  "remote.log.delete.on.disable",
  "remote.storage.enable",
  "retention.bytes",
  "retention.ms",
  "segment.bytes",
  "segment.index.bytes",
  "segment.jitter.ms",
  "segment.ms",
  "unclean.leader.election.enable",
];

export const SETTING_KEYS = ["partitions", "replicationFactor", "config"];

/** Settings as written in one place of the manifest; absent members inherit. */
export interface PartialSettings {
  readonly partitions?: number | undefined;
  readonly replicationFactor?: number | undefined;
  readonly config: Readonly<Record<string, string>>;
}

type Report = (path: string, message: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const cleanupPolicies = ["compact", "delete"];

function count(obj: Record<string, unknown>, key: string, path: string, max: number, report: Report) {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= max) return v;
  report(childPath(path, key), `invalid ${key} ${JSON.stringify(v)} (expected a whole number from 1 to ${max})`);
  return undefined;
}

function configValue(name: string, v: unknown, path: string, report: Report): string | undefined {
  if (typeof v === "number") {
    if (Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v))) return String(v);
    report(path, `config value ${v} is too large to be exact as a JSON number (write it as a string)`);
    return undefined;
  }
  if (typeof v === "boolean") return String(v);
  if (typeof v !== "string" || v.trim() === "") {
    report(path, `invalid config value ${JSON.stringify(v)} (expected a string or a number)`);
    return undefined;
  }
  if (name === "cleanup.policy") {
    const parts = v.split(",").map((p) => p.trim());
    const bad = parts.find((p) => !cleanupPolicies.includes(p));
    if (bad !== undefined) {
      report(path, `invalid cleanup.policy "${v}" (expected "delete", "compact" or "compact,delete")`);
      return undefined;
    }
  }
  return v.trim();
}

/** Reads `partitions`, `replicationFactor` and `config` of `obj` (other keys are the caller's). */
export function readSettings(obj: Record<string, unknown>, path: string, report: Report): PartialSettings {
  const partitions = count(obj, "partitions", path, 2 ** 31 - 1, report);
  const replicationFactor = count(obj, "replicationFactor", path, 32767, report);
  const config: Record<string, string> = {};
  if (obj.config !== undefined) {
    const cp = childPath(path, "config");
    if (!isObject(obj.config)) {
      report(cp, 'invalid config (expected an object of Kafka topic configs, e.g. { "retention.ms": 604800000 })');
    } else {
      for (const [name, v] of Object.entries(obj.config)) {
        const vp = childPath(cp, name);
        if (!topicConfigNames.includes(name)) {
          // Broker-wide defaults are spelt `log.<topic config>` (log.retention.ms): name the topic's own.
          const unprefixed = name.startsWith("log.") ? name.slice(4) : undefined;
          const hint =
            unprefixed !== undefined && topicConfigNames.includes(unprefixed)
              ? unprefixed
              : suggest(name, topicConfigNames);
          report(
            vp,
            `unknown topic config "${name}" (${hint ? `did you mean "${hint}"?` : "expected a Kafka topic config such as retention.ms, cleanup.policy or min.insync.replicas"})`,
          );
          continue;
        }
        const value = configValue(name, v, vp, report);
        if (value !== undefined) config[name] = value;
      }
    }
  }
  return { partitions, replicationFactor, config };
}

/** Layers settings, the last given winning; configs merge name by name. */
export function resolveSettings(...layers: readonly PartialSettings[]): TopicSettings {
  let partitions: number | undefined;
  let replicationFactor: number | undefined;
  const config: Record<string, string> = {};
  for (const layer of layers) {
    partitions = layer.partitions ?? partitions;
    replicationFactor = layer.replicationFactor ?? replicationFactor;
    Object.assign(config, layer.config);
  }
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { partitions, replicationFactor, config: sorted };
}

/** A resolved setting that cannot work, or undefined. */
export function settingsProblem(settings: TopicSettings): string | undefined {
  const minIsr = Number(settings.config["min.insync.replicas"]);
  const rf = settings.replicationFactor;
  if (rf !== undefined && Number.isInteger(minIsr) && minIsr > rf) {
    return `min.insync.replicas ${minIsr} is more than replicationFactor ${rf} (every acks=all write would fail)`;
  }
  return undefined;
}

export const noSettings: PartialSettings = { config: {} };
