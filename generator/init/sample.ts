/**
 * The files `skeji-gen init` writes: one sample event, the manifest naming its topic, and the
 * config file. The sample shows the common shapes (a key field, a logical type, an optional field
 * with a default) and is meant to be renamed or replaced.
 */
import type { Config } from "../config.ts";

export const SAMPLE_EVENT = "example.created";

const sampleSchema = {
  type: "record",
  name: "ExampleCreated",
  namespace: "com.example.events",
  doc: "A sample event written by `skeji-gen init`: rename the folder (the event type), the record and its fields.",
  fields: [
    { name: "id", type: { type: "string", logicalType: "uuid" }, doc: "The partition key (see manifest.json)." },
    { name: "created_at", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "note", type: ["null", "string"], default: null, doc: "Optional: publishers may leave it out." },
  ],
};

const sampleManifest = {
  // Skeji's Go services partition with kafka-go's Hash balancer (FNV-1a): the same key lands on
  // the same partition whichever language writes it.
  defaults: { partitioner: "fnv1a" },
  topics: {
    "example-events": {
      doc: "A sample topic written by `skeji-gen init`.",
      dlq: "example-events-dlq",
      events: { [SAMPLE_EVENT]: { key: "id" } },
    },
  },
};

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Path (relative to the service's root) -> content, in the order they are reported. */
export function sampleFiles(schemas: string, manifestPath: string | undefined): [string, string][] {
  const manifest = manifestPath ?? `${schemas}/manifest.json`;
  return [
    [`${schemas}/${SAMPLE_EVENT}/v1.avsc`, json(sampleSchema)],
    [manifest, json(sampleManifest)],
  ];
}

export function configFile(config: Config): string {
  return json(config);
}
