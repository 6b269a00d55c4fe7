/**
 * The topics a set of descriptors asks for: each topic and each DLQ topic once, with the settings it
 * is created with. Two descriptors that ask for one topic with different settings (a DLQ shared by
 * topics whose descriptors disagree, or a DLQ that is also a topic of its own) are refused before
 * anything is created: which of them to follow would be a guess.
 */
import type { TopicDescriptor, TopicSettings, TopicSettingsInit } from "../descriptor.ts";
import { topicSettings } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";

/** A topic to create that no descriptor describes (a reply topic, a test topic). */
export interface TopicSpec extends TopicSettingsInit {
  readonly topic: string;
}

/** What `ensureTopics()` and `planTopics()` take: generated topic descriptors, or plain specs. */
export type TopicSource = TopicDescriptor | TopicSpec;

/** `topic` for a topic events travel on, `dlq` for a topic only named as a dead-letter topic. */
export type TopicRole = "topic" | "dlq";

export interface WantedTopic extends TopicSettings {
  readonly topic: string;
  readonly role: TopicRole;
  /** For a DLQ: the topics that dead-letter into it, sorted. */
  readonly dlqFor: readonly string[];
}

const isDescriptor = (source: TopicSource): source is TopicDescriptor => "events" in source;

const sameSettings = (a: TopicSettings, b: TopicSettings): boolean => {
  const keys = Object.keys(a.config);
  return (
    a.partitions === b.partitions &&
    a.replicationFactor === b.replicationFactor &&
    keys.length === Object.keys(b.config).length &&
    keys.every((k) => a.config[k] === b.config[k])
  );
};

const describe = (s: TopicSettings): string =>
  JSON.stringify({
    partitions: s.partitions ?? "default",
    replicationFactor: s.replicationFactor ?? "default",
    config: s.config,
  });

/** One entry per topic name, sorted; throws INVALID_CONFIG when two sources disagree about one. */
export function wantedTopics(sources: readonly TopicSource[]): WantedTopic[] {
  const found = new Map<string, { settings: TopicSettings; role: TopicRole; dlqFor: Set<string>; from: string }>();
  const conflicts: string[] = [];
  const add = (topic: string, settings: TopicSettings, role: TopicRole, from: string, dlqOf?: string) => {
    const seen = found.get(topic);
    if (seen === undefined) {
      found.set(topic, { settings, role, dlqFor: new Set(dlqOf === undefined ? [] : [dlqOf]), from });
      return;
    }
    if (!sameSettings(seen.settings, settings)) {
      conflicts.push(`${topic}: ${seen.from} says ${describe(seen.settings)}, ${from} says ${describe(settings)}`);
    }
    if (role === "topic") seen.role = "topic";
    if (dlqOf !== undefined) seen.dlqFor.add(dlqOf);
  };
  for (const source of sources) {
    if (isDescriptor(source)) {
      add(source.topic, source.settings, "topic", `topic ${source.topic}`);
      if (source.dlqTopic !== undefined) {
        const dlq = source.dlqSettings ?? topicSettings();
        add(source.dlqTopic, dlq, "dlq", `the DLQ of ${source.topic}`, source.topic);
      }
    } else {
      add(source.topic, topicSettings(source), "topic", `the spec of ${source.topic}`);
    }
  }
  if (conflicts.length > 0) {
    throw new SkejiError(
      ErrorCode.INVALID_CONFIG,
      `topics described twice with different settings (give each one definition): ${conflicts.join("; ")}`,
      { details: { conflicts } },
    );
  }
  return [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, w]) => ({ topic, role: w.role, dlqFor: [...w.dlqFor].sort(), ...w.settings }));
}
