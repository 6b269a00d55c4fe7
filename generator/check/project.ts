/**
 * The events `skeji-gen check` works on: per event, its topic, level and version files.
 *
 * Read from the `schemas/` layout (`schemas/<event-type>/v<N>.avsc`) and its manifest by the
 * generator's loader, so `check` and code generation agree on what the schemas are.
 */
import type { CompatibilityLevel } from "@skeji/kafka/codegen";
import { formatProblem, loadProject as loadSchemas } from "../load/index.ts";
import { CheckError } from "./errors.ts";
import { resolveSchema, type SchemaNode } from "./schema.ts";

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
  return {
    events: loaded.events.map((e) => ({
      type: e.type,
      topic: e.topic,
      compatibility: e.compatibility,
      versions: e.versions.map((v) => ({
        version: v.version,
        file: v.file,
        text: v.text,
        schema: resolveSchema(v.schema, v.file),
      })),
    })),
  };
}
