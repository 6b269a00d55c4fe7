/**
 * The topics of the manifest as the runtime's topic sources: one descriptor per topic with its
 * settings and its DLQ's. Only the manifest is read (schemas play no part in creating topics), and
 * a manifest with problems stops the command before the cluster is asked anything.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { TopicSettings } from "@skeji/kafka";
import { CheckError } from "../check/errors.ts";
import { readManifest } from "../load/manifest.ts";
import { formatProblem, parseJson } from "../load/problems.ts";

export interface ManifestTopics {
  /** The manifest's path as reported (relative to the working directory, `/`-separated). */
  readonly file: string;
  readonly text: string;
  readonly topics: readonly {
    readonly topic: string;
    readonly dlqTopic: string | undefined;
    readonly settings: TopicSettings;
    readonly dlqSettings: TopicSettings | undefined;
  }[];
}

export function readManifestTopics(schemasDir: string, manifestPath: string | undefined): ManifestTopics {
  const path = manifestPath ?? join(schemasDir, "manifest.json");
  const file = relative(process.cwd(), path).split(sep).join("/") || path;
  if (!existsSync(path)) {
    throw new CheckError("CHECK_INPUT", `${file}: manifest not found (give --schemas or --manifest)`);
  }
  const text = readFileSync(path, "utf8");
  const parsed = parseJson(file, text);
  if ("problem" in parsed) throw new CheckError("CHECK_INPUT", formatProblem(parsed.problem));
  const { manifest, problems } = readManifest(file, parsed.value);
  if (problems.length > 0) {
    throw new CheckError("CHECK_INPUT", `the manifest has problems:\n${problems.map(formatProblem).join("\n")}`);
  }
  return {
    file,
    text,
    topics: manifest.topics.map((t) => ({
      topic: t.name,
      dlqTopic: t.dlqTopic,
      settings: t.settings,
      dlqSettings: t.dlqSettings,
    })),
  };
}

/** The line of a topic's entry in the manifest (its key, else its first mention, else 1), for annotations. */
export function lineOfTopic(text: string, topic: string): number {
  const quoted = JSON.stringify(topic);
  const escaped = quoted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const key = new RegExp(`${escaped}\\s*:`).exec(text);
  const at = key?.index ?? text.indexOf(quoted);
  if (at < 0) return 1;
  return text.slice(0, at).split("\n").length;
}
