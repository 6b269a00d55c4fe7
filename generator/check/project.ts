/**
 * The events `skeji-gen check` works on: per event, its topic, level and version files.
 *
 * Read from the `schemas/` layout (`schemas/<event-type>/v<N>.avsc`) and its manifest.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { CompatibilityLevel } from "@skeji/kafka";
import { CheckError } from "./errors.ts";
import { defaultLevel, isLevel } from "./levels.ts";
import { parseSchema, type SchemaNode } from "./schema.ts";

export interface CheckedVersion {
  readonly version: number;
  /** Path of the `.avsc` file, relative to the working directory (for reports and annotations). */
  readonly file: string;
  /** The file as written, for byte/semantic comparison and for locating lines. */
  readonly text: string;
  readonly schema: SchemaNode;
}

export interface CheckedEvent {
  readonly type: string;
  readonly topic: string;
  readonly compatibility: CompatibilityLevel;
  /** Ascending by version. */
  readonly versions: readonly CheckedVersion[];
}

export interface Project {
  readonly events: readonly CheckedEvent[];
}

const versionFile = /^v([1-9][0-9]*)\.avsc$/;

interface ManifestEntry {
  readonly topic: string;
  readonly compatibility: string;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Reads topic and level per event from `<dir>/manifest.json`:
 * `{ defaults?: { compatibility }, topics: { <topic>: { compatibility?, events: { <type>: { compatibility? } } } } }`.
 * The level is the event's, else the topic's, else the defaults', else BACKWARD.
 */
function readManifest(dir: string): Map<string, ManifestEntry> {
  const file = join(dir, "manifest.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return new Map();
  }
  let json: Record<string, unknown>;
  try {
    json = obj(JSON.parse(text));
  } catch (cause) {
    throw new CheckError("CHECK_INPUT", `${file}: not valid JSON`, { cause });
  }
  const out = new Map<string, ManifestEntry>();
  const fallback = obj(json.defaults).compatibility ?? defaultLevel;
  for (const [topic, spec] of Object.entries(obj(json.topics))) {
    const topicLevel = obj(spec).compatibility ?? fallback;
    for (const [type, entry] of Object.entries(obj(obj(spec).events))) {
      out.set(type, { topic, compatibility: String(obj(entry).compatibility ?? topicLevel) });
    }
  }
  return out;
}

/**
 * Loads every event under `dir`. `displayRoot` is what file paths in reports are relative to
 * (the working directory by default). All problems are collected and thrown together.
 */
export function loadProject(dir: string, displayRoot = process.cwd()): Project {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (cause) {
    throw new CheckError("CHECK_INPUT", `cannot read the schemas folder ${dir}`, { cause });
  }
  const manifest = readManifest(dir);
  const problems: string[] = [];
  const events: CheckedEvent[] = [];
  for (const type of entries) {
    const eventDir = join(dir, type);
    if (!statSync(eventDir).isDirectory()) continue;
    const versions: CheckedVersion[] = [];
    for (const name of readdirSync(eventDir)) {
      const m = versionFile.exec(name);
      if (!m) continue;
      const file = relative(displayRoot, join(eventDir, name)) || name;
      const text = readFileSync(join(eventDir, name), "utf8");
      try {
        versions.push({ version: Number(m[1]), file, text, schema: parseSchema(text, file) });
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    if (versions.length === 0) continue;
    versions.sort((a, b) => a.version - b.version);
    versions.forEach((v, i) => {
      if (v.version !== i + 1) problems.push(`${v.file}: versions of ${type} must count up from v1 without gaps`);
    });
    const entry = manifest.get(type);
    const level = entry?.compatibility ?? defaultLevel;
    if (!isLevel(level)) {
      problems.push(`manifest: ${type}: unknown compatibility level "${level}"`);
      continue;
    }
    events.push({ type, topic: entry?.topic ?? type, compatibility: level, versions });
  }
  if (problems.length > 0) throw new CheckError("CHECK_INVALID_SCHEMA", problems.join("\n"));
  return { events };
}
