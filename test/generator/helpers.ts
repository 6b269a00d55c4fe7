/** Temporary schema projects for generator tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "record",
  name,
  fields,
  ...extra,
});

/** A minimal valid manifest for one event on one topic. */
export const manifestFor = (events: Record<string, string>, topic = "things") => ({
  topics: {
    [topic]: {
      dlq: `dlq-${topic}`,
      events: Object.fromEntries(Object.entries(events).map(([type, key]) => [type, { key }])),
    },
  },
});

/**
 * Writes `files` (path -> JSON value or raw text) under a fresh temporary folder and returns it.
 * Paths are relative to the folder, e.g. `schemas/thing.created/v1.avsc`.
 */
export function writeProject(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "skeji-gen-"));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(path.endsWith("/") ? full : dirname(full), { recursive: true });
    if (path.endsWith("/")) continue;
    writeFileSync(full, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return root;
}

/** A valid one-event project; override or add files to break it. */
export function validProject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "schemas/manifest.json": manifestFor({ "thing.created": "id" }),
    "schemas/thing.created/v1.avsc": record("ThingCreated", [{ name: "id", type: "string" }], { namespace: "test" }),
    ...overrides,
  };
}
