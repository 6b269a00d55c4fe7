/**
 * The events `skeji-gen check` works on: per event, its topic, level and version files.
 *
 * Read from the `schemas/` layout (`schemas/<event-type>/v<N>.avsc`) and its manifest by the
 * generator's loader, so `check` and code generation agree on what the schemas are.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AvroSchema, CompatibilityLevel } from "@skeji/kafka/codegen";
import { formatProblem, loadProject as loadSchemas } from "../load/index.ts";
import { CheckError } from "./errors.ts";
import { resolveSchema, type SchemaNode } from "./schema.ts";

export interface CheckedVersion {
  readonly version: number;
  /** Path of the `.avsc` file, relative to the working directory (for reports and annotations). */
  readonly file: string;
  /** The file as written, for byte/semantic comparison and for locating lines. */
  readonly text: string;
  /** The schema with the shared types it uses expanded (what is judged, and what the runtime embeds). */
  readonly expanded: AvroSchema;
  /** Full names of the shared types it uses, dependencies first. */
  readonly sharedTypes: readonly string[];
  readonly schema: SchemaNode;
}

/** A shared named type, where it is written. */
export interface SharedTypeSource {
  readonly name: string;
  /** Its file, relative to the working directory. */
  readonly file: string;
  /** The file as written, for locating lines. */
  readonly text: string;
  /** Its definition (shared types it uses written as references), for comparison. */
  readonly definition: AvroSchema;
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
  /** Shared named types by full name (none without a `$.types` folder). */
  readonly shared?: ReadonlyMap<string, SharedTypeSource> | undefined;
}

/**
 * Loads every event under `dir` with the generator's loader (`generator/load`), and resolves each
 * version for the rules engine. `displayRoot` is what file paths in reports are relative to
 * (the working directory by default); the manifest is `<dir>/manifest.json` unless `manifestPath`
 * names another. Any problem fails the whole load, all of them listed.
 */
export function loadProject(dir: string, displayRoot = process.cwd(), manifestPath?: string): Project {
  const loaded = loadSchemas({ schemasDir: dir, cwd: displayRoot, manifestPath });
  if (loaded.problems.length > 0) {
    throw new CheckError("CHECK_INVALID_SCHEMA", loaded.problems.map(formatProblem).join("\n"));
  }
  const shared = new Map<string, SharedTypeSource>();
  for (const [name, origin] of loaded.shared.origins) {
    const definition = loaded.shared.definitions.get(name);
    if (definition === undefined) continue;
    const text = readFileSync(resolve(displayRoot, origin.file), "utf8");
    shared.set(name, { name, file: origin.file, text, definition });
  }
  return {
    shared,
    events: loaded.events.map((e) => ({
      type: e.type,
      topic: e.topic,
      compatibility: e.compatibility,
      versions: e.versions.map((v) => ({
        version: v.version,
        file: v.file,
        text: v.text,
        expanded: v.expanded,
        sharedTypes: v.sharedTypes,
        schema: resolveSchema(v.expanded, v.file),
      })),
    })),
  };
}
