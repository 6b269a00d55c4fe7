/**
 * Loads a schema project: `schemas/<event-type>/v<N>.avsc` plus the manifest, validated
 * together. Returns every event with all its versions and every problem found (never
 * throws for user errors), so callers (the generator, `skeji-gen check`) report all at once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { AvroSchema, CompatibilityLevel, PartitionerName, TopicSettings, WireFormat } from "@skeji/kafka/codegen";
import {
  type AvroNode,
  expandReferences,
  nullableBranch,
  type ParsedSchema,
  parseSchema,
  splitReferences,
} from "@skeji/kafka/codegen";
import { logicalTypeFallbacks } from "./fallbacks.ts";
import { EVENT_TYPE, type Manifest, readManifest } from "./manifest.ts";
import { type Problem, parseJson, sortProblems } from "./problems.ts";
import { loadSharedTypes, noSharedTypes, type SharedTypes } from "./shared.ts";

export interface LoadedVersion {
  readonly version: number;
  /** Path of the `.avsc` file relative to the working directory, `/`-separated. */
  readonly file: string;
  /** The parsed schema JSON. */
  readonly schema: AvroSchema;
  /** The file as written. */
  readonly text: string;
  /** The resolved model (named types linked, logical types recognised; shared types are the shared nodes). */
  readonly parsed: ParsedSchema;
  /**
   * The schema with every shared type it uses defined inline, at its first use: self-contained,
   * what descriptors embed and fingerprints are computed from. `schema` itself when it uses none.
   */
  readonly expanded: AvroSchema;
  /** Full names of the shared types the schema uses (directly or through another), dependencies first. */
  readonly sharedTypes: readonly string[];
}

export interface LoadedEvent {
  /** e.g. `booking.create.requested` */
  readonly type: string;
  /** TypeScript name, e.g. `BookingCreateRequested`. */
  readonly name: string;
  readonly topic: string;
  readonly keyField: string;
  readonly format: WireFormat;
  readonly compatibility: CompatibilityLevel;
  readonly dlqTopic: string | undefined;
  /** Its topic's partitioner, if the manifest declares one. */
  readonly partitioner: PartitionerName | undefined;
  readonly doc: string | undefined;
  /** Ascending, v1 first; the last is the current version. */
  readonly versions: readonly LoadedVersion[];
}

export interface LoadedTopic {
  readonly name: string;
  readonly dlqTopic: string | undefined;
  readonly doc: string | undefined;
  /** Event types on this topic, sorted. */
  readonly events: readonly string[];
  /** How keys pick partitions, if the manifest declares it. */
  readonly partitioner: PartitionerName | undefined;
  /** How the topic is created (see manifest.ts). */
  readonly settings: TopicSettings;
  /** How its DLQ topic is created; `undefined` without a DLQ. */
  readonly dlqSettings: TopicSettings | undefined;
}

export interface LoadedProject {
  readonly schemasDir: string;
  readonly manifestPath: string;
  /** Sorted by event type. Events with problems are left out. */
  readonly events: readonly LoadedEvent[];
  /** Sorted by name. */
  readonly topics: readonly LoadedTopic[];
  /** The shared named types the manifest's `$.types` folder holds (none without it). */
  readonly shared: SharedTypes;
  /** Every problem, sorted by file; empty when the project is valid. */
  readonly problems: readonly Problem[];
  /**
   * Things that are valid but rarely intended, sorted by file: logical types that fall back to
   * their underlying type (unknown, or invalid such as a decimal whose scale exceeds its precision).
   */
  readonly warnings: readonly Problem[];
}

export interface LoadOptions {
  readonly schemasDir: string;
  /** Default: `<schemasDir>/manifest.json`. */
  readonly manifestPath?: string | undefined;
  /** What reported paths are relative to; default the working directory. */
  readonly cwd?: string | undefined;
}

const VERSION_FILE = /^v([1-9][0-9]*)\.avsc$/;

/** `booking.create.requested` -> `BookingCreateRequested`. */
export function eventTypeName(type: string): string {
  return type
    .split(/[._]/)
    .filter((s) => s !== "")
    .map((s) => s[0]?.toUpperCase() + s.slice(1))
    .join("");
}

/** The node a dotted key path leads to, or a reason it does not exist. */
export function resolveKeyPath(root: AvroNode, keyPath: string): { node: AvroNode } | { error: string } {
  let node = root;
  const parts = keyPath.split(".");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const where = i === 0 ? "the payload" : `"${parts.slice(0, i).join(".")}"`;
    if (node.kind !== "record") return { error: `${where} is not a record` };
    const field = node.fields.find((f) => f.name === part);
    if (!field) {
      return { error: `${where} has no field "${part}" (fields: ${node.fields.map((f) => f.name).join(", ")})` };
    }
    node = field.type;
  }
  return { node };
}

function keyProblem(node: AvroNode): string | undefined {
  if (node.kind === "union") {
    return nullableBranch(node)
      ? "is nullable (a key must always be present)"
      : "is a union (expected a string or number)";
  }
  if (node.kind === "enum") return undefined;
  if (node.kind === "primitive" && ["string", "int", "long"].includes(node.type)) return undefined;
  if (node.kind === "logical" && node.logicalType === "uuid") return undefined;
  return `has type ${node.kind === "primitive" ? node.type : node.kind === "logical" ? node.logicalType : node.kind} (expected string, uuid, enum, int or long)`;
}

const toPosix = (p: string) => p.split(sep).join("/");

export function loadProject(options: LoadOptions): LoadedProject {
  const cwd = options.cwd ?? process.cwd();
  const schemasDir = options.schemasDir;
  const manifestPath = options.manifestPath ?? join(schemasDir, "manifest.json");
  const rel = (p: string) => toPosix(relative(cwd, p)) || ".";
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  let shared: SharedTypes = noSharedTypes;
  const result = (events: LoadedEvent[], topics: LoadedTopic[]): LoadedProject => ({
    schemasDir,
    manifestPath,
    events,
    topics,
    shared,
    problems: sortProblems(problems),
    warnings: sortProblems(warnings),
  });

  if (!existsSync(schemasDir) || !statSync(schemasDir).isDirectory()) {
    problems.push({
      file: rel(schemasDir),
      path: "$",
      message: "schemas folder not found (expected a folder of <event-type>/v<N>.avsc)",
    });
    return result([], []);
  }

  // Manifest.
  const manifestFile = rel(manifestPath);
  let manifest: Manifest = { topics: [], events: new Map(), types: undefined };
  if (!existsSync(manifestPath)) {
    problems.push({
      file: manifestFile,
      path: "$",
      message: "manifest not found (expected a JSON file declaring topics and events)",
    });
  } else {
    const parsed = parseJson(manifestFile, readFileSync(manifestPath, "utf8"));
    if ("problem" in parsed) problems.push(parsed.problem);
    else {
      const read = readManifest(manifestFile, parsed.value);
      manifest = read.manifest;
      problems.push(...read.problems);
    }
  }

  // Shared types, first: event schemas refer to them.
  const typesDir = manifest.types === undefined ? undefined : resolve(dirname(manifestPath), manifest.types);
  if (typesDir !== undefined) {
    shared = loadSharedTypes(typesDir, cwd, problems);
    const clash = manifest.events.get(relative(schemasDir, typesDir));
    if (clash) {
      problems.push({
        file: manifestFile,
        path: clash.path,
        message: `event "${clash.type}" has the name of the shared types folder ($.types); rename one (a folder such as "_types" cannot be an event type)`,
      });
    }
  }

  // Schema folders (the shared types folder is not an event).
  const folders = readdirSync(schemasDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith(".") && resolve(schemasDir, d.name) !== typesDir)
    .map((d) => d.name)
    .sort();
  const sharedNames = new Set(shared.definitions.keys());
  const versionsByType = new Map<string, LoadedVersion[]>();
  const names = new Map<string, string>();
  for (const type of folders) {
    const dir = join(schemasDir, type);
    const dirFile = `${rel(dir)}/`;
    if (!EVENT_TYPE.test(type)) {
      problems.push({
        file: dirFile,
        path: "$",
        message: `invalid event type folder "${type}" (expected lowercase dotted words, e.g. "booking.created")`,
      });
      continue;
    }
    const name = eventTypeName(type);
    const clash = names.get(name);
    if (clash) {
      problems.push({
        file: dirFile,
        path: "$",
        message: `event "${type}" and event "${clash}" both map to the TypeScript name ${name} (rename one)`,
      });
    }
    names.set(name, type);
    if (!manifest.events.has(type)) {
      problems.push({
        file: dirFile,
        path: "$",
        message: `event "${type}" is not in the manifest (expected an entry under $.topics.<topic>.events in ${manifestFile})`,
      });
    }
    const found = new Map<number, string>();
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith(".")) continue;
      const m = VERSION_FILE.exec(entry);
      if (m) found.set(Number(m[1]), entry);
      else
        problems.push({
          file: `${dirFile}${entry}`,
          path: "$",
          message: "unexpected file (expected v<N>.avsc, N = 1, 2, ...)",
        });
    }
    if (found.size === 0) {
      problems.push({ file: dirFile, path: "$", message: "no schema versions (expected v1.avsc, then v2.avsc, ...)" });
      continue;
    }
    const numbers = [...found.keys()].sort((a, b) => a - b);
    const missing =
      numbers.length > 0
        ? Array.from({ length: numbers.at(-1) as number }, (_, i) => i + 1).filter((n) => !found.has(n))
        : [];
    if (missing.length > 0) {
      problems.push({
        file: dirFile,
        path: "$",
        message: `version gap: found ${numbers.map((n) => `v${n}`).join(", ")}, missing ${missing.map((n) => `v${n}.avsc`).join(", ")} (versions count up from v1 without gaps)`,
      });
    }
    const versions: LoadedVersion[] = [];
    for (const version of numbers) {
      const path = join(dir, found.get(version) as string);
      const file = rel(path);
      const text = readFileSync(path, "utf8");
      const json = parseJson(file, text);
      if ("problem" in json) {
        problems.push(json.problem);
        continue;
      }
      const parsed = parseSchema(json.value, { external: shared.nodes });
      for (const p of parsed.problems) problems.push({ file, path: p.path, message: p.message });
      const schema = json.value as AvroSchema;
      const withShared = shared.definitions.size === 0 ? schema : expandReferences(schema, shared.definitions);
      const sharedTypes =
        withShared === schema ? [] : splitReferences(withShared, sharedNames).types.map((t) => t.name);
      const expanded = sharedTypes.length === 0 ? schema : withShared;
      if (parsed.problems.length === 0) {
        for (const w of logicalTypeFallbacks(json.value)) warnings.push({ file, path: w.path, message: w.message });
        if (parsed.root.kind !== "record") {
          problems.push({
            file,
            path: "$",
            message: `the event payload must be a record (found ${parsed.root.kind === "primitive" ? parsed.root.type : parsed.root.kind})`,
          });
        }
      }
      versions.push({ version, file, schema: json.value as AvroSchema, text, parsed, expanded, sharedTypes });
    }
    versionsByType.set(type, versions);
  }

  // Manifest entries without schemas; key fields.
  const events: LoadedEvent[] = [];
  for (const entry of [...manifest.events.values()].sort((a, b) => (a.type < b.type ? -1 : 1))) {
    const versions = versionsByType.get(entry.type);
    if (!versions) {
      if (!folders.includes(entry.type)) {
        problems.push({
          file: manifestFile,
          path: entry.path,
          message: `event "${entry.type}" has no schemas (expected ${rel(join(schemasDir, entry.type))}/v1.avsc)`,
        });
      }
      continue;
    }
    let valid = versions.every((v) => v.parsed.problems.length === 0 && v.parsed.root.kind === "record");
    if (valid && entry.keyField) {
      for (const v of versions) {
        const found = resolveKeyPath(v.parsed.root, entry.keyField);
        const why = "error" in found ? found.error : keyProblem(found.node);
        if (why) {
          valid = false;
          const subject = "error" in found ? why : `"${entry.keyField}" ${why}`;
          problems.push({
            file: manifestFile,
            path: `${entry.path}.key`,
            message: `key field "${entry.keyField}" does not fit ${v.file}: ${subject}`,
          });
        }
      }
    }
    if (!valid || !entry.keyField) continue;
    const topic = manifest.topics.find((t) => t.name === entry.topic);
    events.push({
      type: entry.type,
      name: eventTypeName(entry.type),
      topic: entry.topic,
      keyField: entry.keyField,
      format: entry.format,
      compatibility: entry.compatibility,
      dlqTopic: topic?.dlqTopic,
      partitioner: topic?.partitioner,
      doc: entry.doc,
      versions,
    });
  }
  const topics: LoadedTopic[] = manifest.topics
    .map((t) => ({
      name: t.name,
      dlqTopic: t.dlqTopic,
      doc: t.doc,
      events: [...t.events].sort(),
      partitioner: t.partitioner,
      settings: t.settings,
      dlqSettings: t.dlqSettings,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return result(events, topics);
}
