/**
 * The manifest (`schemas/manifest.json`): which topics exist, which event types travel
 * on each, each event's partition-key field, wire format and compatibility level, each
 * topic's dead-letter topic, how keys pick partitions on it (the partitioner every producer of
 * the topic must share), and how topics and DLQ topics are created (partitions, replication
 * factor, configs). See docs/generator.md for the format.
 */
import type { CompatibilityLevel, PartitionerName, TopicSettings, WireFormat } from "@skeji/kafka/codegen";
import { childPath, partitionerNames, suggest } from "@skeji/kafka/codegen";
import type { Problem } from "./problems.ts";
import {
  noSettings,
  type PartialSettings,
  readSettings,
  resolveSettings,
  SETTING_KEYS,
  settingsProblem,
} from "./topic-settings.ts";

export const compatibilityLevels: readonly CompatibilityLevel[] = [
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
];
export const wireFormats: readonly WireFormat[] = ["avro", "confluent", "json"];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";
export const DEFAULT_FORMAT: WireFormat = "avro";

export interface ManifestEvent {
  readonly type: string;
  readonly topic: string;
  readonly keyField: string;
  readonly format: WireFormat;
  readonly compatibility: CompatibilityLevel;
  readonly doc: string | undefined;
  /** JSON path of this entry in the manifest, for problems. */
  readonly path: string;
}

export interface ManifestTopic {
  readonly name: string;
  readonly dlqTopic: string | undefined;
  readonly doc: string | undefined;
  /** Event types, in manifest order. */
  readonly events: readonly string[];
  /** The topic's `partitioner` over the one in `defaults`; `undefined` when neither says. */
  readonly partitioner: PartitionerName | undefined;
  readonly path: string;
  /** How the topic is created: its own settings over `defaults`. */
  readonly settings: TopicSettings;
  /**
   * How its DLQ topic is created: the DLQ's `dlqTopics` entry over `defaults.dlqTopics` over
   * `defaults` (or the DLQ's own topic entry when it is also a topic). One definition per DLQ name,
   * so topics sharing a DLQ agree. `undefined` without a DLQ.
   */
  readonly dlqSettings: TopicSettings | undefined;
}

export interface Manifest {
  readonly topics: readonly ManifestTopic[];
  readonly events: ReadonlyMap<string, ManifestEvent>;
  /** The folder of shared named types (`$.types`), relative to the manifest's folder, as written. */
  readonly types: string | undefined;
}

const TOP_KEYS = ["$schema", "defaults", "types", "topics", "dlqTopics"];
const DEFAULT_KEYS = ["format", "compatibility", "partitioner", ...SETTING_KEYS, "dlqTopics"];
const TOPIC_KEYS = ["dlq", "format", "compatibility", "partitioner", "events", "doc", ...SETTING_KEYS];
const DLQ_KEYS = [...SETTING_KEYS, "doc"];
const EVENT_KEYS = ["key", "format", "compatibility", "doc"];
/** Kafka's legal topic names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** Event types: lowercase dotted words, e.g. `booking.create.requested`. */
export const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const KEY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates the parsed manifest JSON; never throws. */
export function readManifest(file: string, json: unknown): { manifest: Manifest; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => problems.push({ file, path, message });
  const topics: ManifestTopic[] = [];
  const events = new Map<string, ManifestEvent>();
  let types: string | undefined;
  const empty = () => ({ manifest: { topics, events, types }, problems });

  const checkKeys = (obj: Record<string, unknown>, allowed: string[], path: string, what: string) => {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const hint = suggest(key, allowed);
      const expected = hint ? `did you mean "${hint}"?` : `expected one of ${allowed.map((k) => `"${k}"`).join(", ")}`;
      problem(childPath(path, key), `unknown ${what} attribute "${key}" (${expected})`);
    }
  };
  const level = (obj: Record<string, unknown>, path: string, fallback: CompatibilityLevel): CompatibilityLevel => {
    const v = obj.compatibility;
    if (v === undefined) return fallback;
    if (typeof v === "string" && (compatibilityLevels as readonly string[]).includes(v)) return v as CompatibilityLevel;
    const hint = typeof v === "string" ? suggest(v.toUpperCase(), compatibilityLevels) : undefined;
    problem(
      childPath(path, "compatibility"),
      `invalid compatibility ${JSON.stringify(v)} (${hint ? `did you mean "${hint}"? ` : ""}expected one of ${compatibilityLevels.join(", ")})`,
    );
    return fallback;
  };
  const format = (obj: Record<string, unknown>, path: string, fallback: WireFormat): WireFormat => {
    const v = obj.format;
    if (v === undefined) return fallback;
    if (typeof v === "string" && (wireFormats as readonly string[]).includes(v)) return v as WireFormat;
    problem(
      childPath(path, "format"),
      `invalid format ${JSON.stringify(v)} (expected one of ${wireFormats.join(", ")})`,
    );
    return fallback;
  };
  const partitioner = (
    obj: Record<string, unknown>,
    path: string,
    fallback: PartitionerName | undefined,
  ): PartitionerName | undefined => {
    const v = obj.partitioner;
    if (v === undefined) return fallback;
    if (typeof v === "string" && (partitionerNames as readonly string[]).includes(v)) return v as PartitionerName;
    const hint = typeof v === "string" ? suggest(v.toLowerCase(), partitionerNames) : undefined;
    problem(
      childPath(path, "partitioner"),
      `invalid partitioner ${JSON.stringify(v)} (${hint ? `did you mean "${hint}"? ` : ""}expected "murmur2" (Java client, kafkajs) or "fnv1a" (kafka-go's Hash balancer))`,
    );
    return fallback;
  };
  const doc = (obj: Record<string, unknown>, path: string): string | undefined => {
    if (obj.doc === undefined) return undefined;
    if (typeof obj.doc === "string") return obj.doc;
    problem(childPath(path, "doc"), "invalid doc (expected a string)");
    return undefined;
  };

  if (!isObject(json)) {
    problem("$", 'the manifest must be a JSON object with a "topics" object');
    return empty();
  }
  checkKeys(json, TOP_KEYS, "$", "manifest");
  if (json.types !== undefined) {
    if (typeof json.types === "string" && json.types.trim() !== "") types = json.types;
    else
      problem(
        "$.types",
        `invalid types ${JSON.stringify(json.types)} (expected the folder of shared .avsc types, relative to the manifest, e.g. "_types")`,
      );
  }
  let defaultLevel = DEFAULT_COMPATIBILITY;
  let defaultFormat = DEFAULT_FORMAT;
  let defaultPartitioner: PartitionerName | undefined;
  let defaultSettings = noSettings;
  let dlqDefaultSettings = noSettings;
  if (json.defaults !== undefined) {
    if (!isObject(json.defaults)) problem("$.defaults", "invalid defaults (expected an object)");
    else {
      checkKeys(json.defaults, DEFAULT_KEYS, "$.defaults", "defaults");
      defaultLevel = level(json.defaults, "$.defaults", DEFAULT_COMPATIBILITY);
      defaultFormat = format(json.defaults, "$.defaults", DEFAULT_FORMAT);
      defaultPartitioner = partitioner(json.defaults, "$.defaults", undefined);
      defaultSettings = readSettings(json.defaults, "$.defaults", problem);
      const dp = "$.defaults.dlqTopics";
      if (json.defaults.dlqTopics !== undefined) {
        if (!isObject(json.defaults.dlqTopics)) {
          problem(dp, "invalid dlqTopics defaults (expected an object with partitions, replicationFactor, config)");
        } else {
          checkKeys(json.defaults.dlqTopics, SETTING_KEYS, dp, "DLQ defaults");
          dlqDefaultSettings = readSettings(json.defaults.dlqTopics, dp, problem);
        }
      }
    }
  }
  if (!isObject(json.topics)) {
    problem("$.topics", 'missing or invalid "topics" (expected an object of topic name -> { dlq?, events })');
    return empty();
  }
  const partials = new Map<string, PartialSettings>();
  for (const [topic, spec] of Object.entries(json.topics)) {
    const tp = childPath("$.topics", topic);
    if (!TOPIC_NAME.test(topic))
      problem(tp, `invalid topic name "${topic}" (expected letters, digits, ".", "_" or "-")`);
    if (!isObject(spec)) {
      problem(tp, 'invalid topic (expected an object with "events" and an optional "dlq")');
      continue;
    }
    checkKeys(spec, TOPIC_KEYS, tp, "topic");
    let dlqTopic: string | undefined;
    if (spec.dlq !== undefined) {
      if (typeof spec.dlq === "string" && TOPIC_NAME.test(spec.dlq) && spec.dlq !== topic) dlqTopic = spec.dlq;
      else problem(childPath(tp, "dlq"), `invalid dlq ${JSON.stringify(spec.dlq)} (expected another topic's name)`);
    }
    partials.set(topic, readSettings(spec, tp, problem));
    const topicLevel = level(spec, tp, defaultLevel);
    const topicFormat = format(spec, tp, defaultFormat);
    const topicEvents: string[] = [];
    if (!isObject(spec.events) || Object.keys(spec.events).length === 0) {
      problem(childPath(tp, "events"), 'missing or empty "events" (expected an object of event type -> { key })');
    } else {
      for (const [type, entry] of Object.entries(spec.events)) {
        const ep = childPath(childPath(tp, "events"), type);
        if (!EVENT_TYPE.test(type)) {
          problem(ep, `invalid event type "${type}" (expected lowercase dotted words, e.g. "booking.created")`);
        }
        if (!isObject(entry)) {
          problem(ep, 'invalid event entry (expected an object with "key")');
          continue;
        }
        checkKeys(entry, EVENT_KEYS, ep, "event");
        const previous = events.get(type);
        if (previous) {
          problem(
            ep,
            `event "${type}" is already declared on topic "${previous.topic}" (an event travels on one topic)`,
          );
          continue;
        }
        if (typeof entry.key !== "string" || !KEY_PATH.test(entry.key)) {
          problem(
            childPath(ep, "key"),
            `missing or invalid key ${JSON.stringify(entry.key)} (expected a field path such as "booking_id" or "params.user_phone")`,
          );
        }
        topicEvents.push(type);
        events.set(type, {
          type,
          topic,
          keyField: typeof entry.key === "string" ? entry.key : "",
          format: format(entry, ep, topicFormat),
          compatibility: level(entry, ep, topicLevel),
          doc: doc(entry, ep),
          path: ep,
        });
      }
    }
    topics.push({
      name: topic,
      dlqTopic,
      doc: doc(spec, tp),
      events: topicEvents,
      partitioner: partitioner(spec, tp, defaultPartitioner),
      path: tp,
      settings: resolveSettings(noSettings),
      dlqSettings: undefined,
    });
  }
  const dlqEntries = readDlqTopics(json.dlqTopics, topics, problem);
  const settingsOf = (name: string) => resolveSettings(defaultSettings, partials.get(name) ?? noSettings);
  const resolved = topics.map((t): ManifestTopic => {
    const settings = settingsOf(t.name);
    const why = settingsProblem(settings);
    if (why) problem(t.path, why);
    if (t.dlqTopic === undefined) return { ...t, settings };
    const dlqSettings = partials.has(t.dlqTopic)
      ? settingsOf(t.dlqTopic)
      : resolveSettings(defaultSettings, dlqDefaultSettings, dlqEntries.get(t.dlqTopic)?.settings ?? noSettings);
    return { ...t, settings, dlqSettings };
  });
  // A DLQ's settings problem once, where its settings are written.
  const reported = new Set<string>();
  for (const t of resolved) {
    if (t.dlqTopic === undefined || t.dlqSettings === undefined || partials.has(t.dlqTopic)) continue;
    if (reported.has(t.dlqTopic)) continue;
    reported.add(t.dlqTopic);
    const why = settingsProblem(t.dlqSettings);
    if (why) problem(dlqEntries.get(t.dlqTopic)?.path ?? "$.defaults.dlqTopics", `DLQ topic "${t.dlqTopic}": ${why}`);
  }
  return { manifest: { topics: resolved, events, types }, problems };
}

/**
 * `dlqTopics`: settings per DLQ topic, keyed by the name the topics' `dlq` use. An entry no topic
 * names is most likely a typo of one, and a topic declared under `topics` takes its settings from
 * there: both are problems.
 */
function readDlqTopics(
  json: unknown,
  topics: readonly ManifestTopic[],
  problem: (path: string, message: string) => void,
): Map<string, { settings: PartialSettings; path: string }> {
  const out = new Map<string, { settings: PartialSettings; path: string }>();
  if (json === undefined) return out;
  if (!isObject(json)) {
    problem(
      "$.dlqTopics",
      "invalid dlqTopics (expected an object of DLQ topic name -> { partitions?, replicationFactor?, config? })",
    );
    return out;
  }
  const named = [...new Set(topics.flatMap((t) => (t.dlqTopic === undefined ? [] : [t.dlqTopic])))];
  const declared = new Set(topics.map((t) => t.name));
  for (const [name, entry] of Object.entries(json)) {
    const path = childPath("$.dlqTopics", name);
    if (declared.has(name)) {
      problem(path, `"${name}" is declared under topics; its settings are given there`);
      continue;
    }
    if (!named.includes(name)) {
      const hint = suggest(name, named);
      const expected =
        named.length === 0 ? "no topic names a dlq" : `expected one of ${named.map((n) => `"${n}"`).join(", ")}`;
      problem(path, `no topic has "${name}" as its dlq (${hint ? `did you mean "${hint}"?` : expected})`);
      continue;
    }
    if (!isObject(entry)) {
      problem(path, "invalid DLQ topic (expected an object with partitions, replicationFactor, config)");
      continue;
    }
    for (const key of Object.keys(entry)) {
      if (DLQ_KEYS.includes(key)) continue;
      const hint = suggest(key, DLQ_KEYS);
      const expected = hint ? `did you mean "${hint}"?` : `expected one of ${DLQ_KEYS.map((k) => `"${k}"`).join(", ")}`;
      problem(childPath(path, key), `unknown DLQ topic attribute "${key}" (${expected})`);
    }
    if (entry.doc !== undefined && typeof entry.doc !== "string")
      problem(childPath(path, "doc"), "invalid doc (expected a string)");
    out.set(name, { settings: readSettings(entry, path, problem), path });
  }
  return out;
}
