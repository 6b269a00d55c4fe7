/**
 * How `skeji-gen topics plan|apply` report: `text` for terminals, `json` for tools, `github` for
 * workflow annotations on the manifest's lines (drift as warnings, what cannot be created as errors).
 */
import type { TopicDrift, TopicPlan, TopicSettings, TopicState } from "@skeji/kafka";
import { data, type Format, prop } from "../check/report.ts";
import { lineOfTopic, type ManifestTopics } from "./manifest.ts";

export type TopicsMode = "plan" | "apply";

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

export const settingsText = (s: TopicSettings): string => {
  const config = Object.entries(s.config).map(([k, v]) => `${k}=${v}`);
  return [
    `partitions ${s.partitions ?? "(broker default)"}`,
    `replication factor ${s.replicationFactor ?? "(broker default)"}`,
    ...(config.length > 0 ? [config.join(" ")] : []),
  ].join(", ");
};

const driftText = (d: TopicDrift): string =>
  `${d.setting}: ${d.actual} on the cluster, ${d.wanted} in the manifest (not changed: ${d.why})`;

const label = (t: TopicState): string => (t.role === "dlq" ? `${t.topic} (DLQ of ${t.dlqFor.join(", ")})` : t.topic);

const marks: Record<TopicState["status"], string> = {
  create: "+ create       ",
  created: "+ created      ",
  "in-sync": "= in sync      ",
  drift: "~ drift        ",
  "cannot-create": "! cannot create",
};

/** Whether the cluster matches the manifest (nothing to create, no drift, nothing impossible). */
export const inSync = (plan: TopicPlan): boolean =>
  plan.topics.every((t) => t.status === "in-sync" || t.status === "created");

function summary(plan: TopicPlan, mode: TopicsMode): string {
  const count = (status: TopicState["status"]) => plan.topics.filter((t) => t.status === status).length;
  const parts = [
    mode === "plan" ? `${count("create")} to create` : `${count("created")} created`,
    `${count("in-sync")} in sync`,
    `${count("drift")} drifted (left as they are)`,
  ];
  if (count("cannot-create") > 0) parts.push(`${count("cannot-create")} cannot be created`);
  return `topics ${mode}: ${plural(plan.topics.length, "topic")} on ${plural(plan.brokers, "broker")}: ${parts.join(", ")}`;
}

export function formatText(plan: TopicPlan, mode: TopicsMode): string {
  const lines: string[] = [];
  for (const t of plan.topics) {
    const detail = t.status === "create" || t.status === "created" ? `  ${settingsText(t.wanted)}` : "";
    lines.push(`${marks[t.status]} ${label(t)}${detail}`);
    for (const d of t.drift) {
      lines.push(`    ${driftText(d)}`);
    }
    for (const n of t.notes) lines.push(`    note: ${n}`);
  }
  lines.push(summary(plan, mode));
  return `${lines.join("\n")}\n`;
}

export function formatJson(plan: TopicPlan, mode: TopicsMode): string {
  return `${JSON.stringify({ ok: inSync(plan), mode, brokers: plan.brokers, topics: plan.topics }, null, 2)}\n`;
}

/** `path` turns the manifest's path as reported into the one GitHub places annotations by (see `annotationPaths`). */
export function formatGithub(
  plan: TopicPlan,
  mode: TopicsMode,
  manifest: ManifestTopics,
  path: (file: string) => string = (file) => file,
): string {
  const lines: string[] = [];
  const file = path(manifest.file);
  const at = (t: TopicState) => `file=${prop(file)},line=${lineOfTopic(manifest.text, t.topic)}`;
  for (const t of plan.topics) {
    if (t.status === "drift") {
      const body = t.drift.map(driftText);
      lines.push(`::warning ${at(t)},title=${prop(`topic ${t.topic} drifted`)}::${data(body.join("\n"))}`);
    } else if (t.status === "cannot-create") {
      lines.push(`::error ${at(t)},title=${prop(`topic ${t.topic} cannot be created`)}::${data(t.notes.join("\n"))}`);
    } else if (t.status === "create" || t.status === "created") {
      const verb = t.status === "create" ? "to create" : "created";
      lines.push(`::notice ${at(t)},title=${prop(`topic ${t.topic} ${verb}`)}::${data(settingsText(t.wanted))}`);
    }
  }
  lines.push(summary(plan, mode));
  return `${lines.join("\n")}\n`;
}

export function format(
  plan: TopicPlan,
  mode: TopicsMode,
  as: Format,
  manifest: ManifestTopics,
  path?: (file: string) => string,
): string {
  return as === "json"
    ? formatJson(plan, mode)
    : as === "github"
      ? formatGithub(plan, mode, manifest, path)
      : formatText(plan, mode);
}
