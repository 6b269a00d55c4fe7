/** Where the real broker and registry of this test run are, and unique names for test resources. */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";

export const brokers = (): string[] => inject("kafkaBrokers").split(",");
export const registryUrl = (): string => inject("schemaRegistryUrl");

/** A topic, group or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
