/** The event of the poison scenario, shared by the test and the consumer process it starts. */
import { defineEvent } from "@skeji/kafka";

export const poisonSchema = {
  type: "record",
  name: "Poison",
  namespace: "test.faults",
  fields: [
    { name: "id", type: "string" },
    { name: "ref", type: { type: "string", logicalType: "uuid" } },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "attrs", type: { type: "map", values: "long" } },
    { name: "blob", type: "bytes" },
    { name: "markers", type: { type: "array", items: { type: "record", name: "Marker", fields: [] } } },
    {
      // Recursive, one byte per level: room for a record nested deeper than any stack.
      name: "chain",
      type: ["null", { type: "record", name: "Link", fields: [{ name: "next", type: ["null", "Link"] }] }],
      default: null,
    },
  ],
} as const;

export interface Link {
  readonly next: Link | null;
}

export interface PoisonPayload {
  readonly id: string;
  readonly ref: string;
  readonly tags: readonly string[];
  readonly attrs: Readonly<Record<string, number>>;
  readonly blob: Uint8Array;
  readonly markers: readonly Record<string, never>[];
  readonly chain: Link | null;
}

export function poisonEvent(topic: string) {
  return defineEvent<PoisonPayload, PoisonPayload, "test.faults.poison">({
    type: "test.faults.poison",
    name: "Poison",
    topic,
    keyField: "id",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema: poisonSchema }],
  });
}
