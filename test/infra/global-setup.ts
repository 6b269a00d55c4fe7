/**
 * Starts the real Kafka broker and schema registry for the test run, unless
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL already point at running ones, and stops
 * only what it started.
 */
import type { TestProject } from "vitest/node";
import { down, endpoints, running, type ServiceName, securedListeners, up } from "../../generator/infra/services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    schemaRegistryUrl: string;
    /** The broker's SASL and TLS listeners as JSON (generator/infra), "" when this checkout did not start it. */
    securedListeners: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wanted: ServiceName[] = [];
  if (!process.env.KAFKA_BROKERS) wanted.push("kafka");
  if (!process.env.SCHEMA_REGISTRY_URL) wanted.push("registry");
  const started = wanted.filter((s) => !running(s));
  await up(wanted);
  const brokers = process.env.KAFKA_BROKERS ?? endpoints.brokers;
  const registry = process.env.SCHEMA_REGISTRY_URL ?? endpoints.registry;
  process.env.KAFKA_BROKERS = brokers;
  process.env.SCHEMA_REGISTRY_URL = registry;
  project.provide("kafkaBrokers", brokers);
  project.provide("schemaRegistryUrl", registry);
  const secured = securedListeners();
  project.provide("securedListeners", secured === undefined ? "" : JSON.stringify(secured));
  return async () => {
    if (started.length > 0) await down(started);
  };
}
