/** Where the real broker and registry of this test run are, and unique names for test resources. */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { SecuredListeners } from "../../generator/infra/services.ts";

export const brokers = (): string[] => inject("kafkaBrokers").split(",");
export const registryUrl = (): string => inject("schemaRegistryUrl");

/** The broker's SASL and TLS listeners, when the project's scripts started it (see generator/infra). */
export function securedListeners(): SecuredListeners | undefined {
  const json = inject("securedListeners");
  return json === "" ? undefined : (JSON.parse(json) as SecuredListeners);
}

/** A topic, group or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
