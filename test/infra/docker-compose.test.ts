/**
 * docker-compose.yml cannot be run here (no Docker engine), so this checks what can be checked
 * without one: the file parses, its images are the versions the launcher fetches, and its ports
 * and broker settings are the launcher's (generator/infra/services.ts), so that a service
 * configured for one works against the other.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pomProperty } from "../../generator/infra/common.ts";
import { brokerSettings, defaultPorts } from "../../generator/infra/services.ts";

type Yaml = string | Yaml[] | { [key: string]: Yaml };

/**
 * Reads the YAML subset the file keeps to: two-space indentation, `key:` opening a mapping or a
 * list, `key: "value"`, `- "value"`, whole-line comments. Anything else is an error, so the file
 * cannot drift into YAML this reader would take differently from Docker Compose.
 */
function parseYamlSubset(text: string): Yaml {
  const root: Record<string, Yaml> = {};
  // Containers by indentation; a `key:` line leaves a pending slot filled by the next line.
  const stack: { indent: number; node: Record<string, Yaml> | Yaml[] }[] = [{ indent: 0, node: root }];
  let pending: { parent: Record<string, Yaml>; key: string; indent: number } | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trimEnd();
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    const where = `docker-compose.yml line ${i + 1}`;
    if (indent % 2 !== 0) throw new Error(`${where}: indentation is not a multiple of two`);
    if (pending !== undefined) {
      if (indent <= pending.indent) throw new Error(`${where}: "${pending.key}:" has no value`);
      const node: Record<string, Yaml> | Yaml[] = body.startsWith("- ") ? [] : {};
      pending.parent[pending.key] = node;
      stack.push({ indent, node });
      pending = undefined;
    }
    while ((stack.at(-1)?.indent ?? -1) > indent) stack.pop();
    const top = stack.at(-1);
    if (top === undefined || top.indent !== indent) throw new Error(`${where}: unexpected indentation`);
    const item = /^- "([^"\\]*)"$/.exec(body);
    const pair = /^([A-Za-z0-9_.-]+):(?: "([^"\\]*)")?$/.exec(body);
    if (item !== null && Array.isArray(top.node)) top.node.push(item[1] ?? "");
    else if (pair !== null && !Array.isArray(top.node)) {
      const key = pair[1] ?? "";
      if (key in top.node) throw new Error(`${where}: "${key}" appears twice`);
      if (pair[2] !== undefined) top.node[key] = pair[2];
      else pending = { parent: top.node, key, indent };
    } else throw new Error(`${where}: not in the subset (a quoted value, a "key:" or a quoted list item): ${body}`);
  }
  if (pending !== undefined) throw new Error(`docker-compose.yml: "${pending.key}:" has no value`);
  return root;
}

const text = readFileSync(join(import.meta.dirname, "..", "..", "docker-compose.yml"), "utf8");

interface Service {
  image: string;
  ports: string[];
  environment: Record<string, string>;
}

describe("docker-compose.yml", () => {
  const compose = parseYamlSubset(text) as unknown as { services: { kafka: Service; registry: Service } };
  const { kafka, registry } = compose.services;

  it("runs the Kafka and Apicurio versions the launcher fetches", () => {
    expect(Object.keys(compose.services)).toEqual(["kafka", "registry"]);
    expect(kafka.image).toBe(`apache/kafka:${pomProperty("kafka.version")}`);
    expect(registry.image).toBe(`apicurio/apicurio-registry:${pomProperty("apicurio.version")}`);
  });

  it("listens where the launcher does, on 127.0.0.1 only", () => {
    const k = defaultPorts.kafka;
    const c = defaultPorts.controller;
    expect(kafka.ports).toEqual([`127.0.0.1:${k}:${k}`]);
    expect(kafka.environment.KAFKA_LISTENERS).toBe(`PLAINTEXT://:${k},CONTROLLER://:${c}`);
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://127.0.0.1:${k}`);
    expect(kafka.environment.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`1@localhost:${c}`);
    expect(kafka.environment.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    // Apicurio listens on 8080 in its image; the host sees the launcher's port.
    expect(registry.ports).toEqual([`127.0.0.1:${defaultPorts.registry}:8080`]);
    expect(text).toContain(`SCHEMA_REGISTRY_URL=http://127.0.0.1:${defaultPorts.registry}/apis/ccompat/v7`);
    expect(text).toContain(`KAFKA_BROKERS=127.0.0.1:${k}`);
  });

  it("sets the launcher's broker settings (topics, internal topics, group start)", () => {
    // The image's convention: KAFKA_ + the property in capitals, dots as underscores.
    const properties = Object.fromEntries(
      Object.entries(kafka.environment)
        .filter(([name]) => name.startsWith("KAFKA_"))
        .map(([name, value]) => [name.slice(6).toLowerCase().replaceAll("_", "."), value]),
    );
    for (const [name, value] of Object.entries(brokerSettings)) expect(properties[name], name).toBe(value);
    expect(kafka.environment.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("the reader refuses what it does not understand", () => {
    expect(() => parseYamlSubset("a:\n  b: unquoted\n")).toThrow(/line 2: not in the subset/);
    expect(() => parseYamlSubset('a:\n   b: "x"\n')).toThrow(/line 2: indentation/);
    expect(() => parseYamlSubset('a: "x"\na: "y"\n')).toThrow(/"a" appears twice/);
    expect(parseYamlSubset('a:\n  - "x"\n  - "y"\nb: "z"\n')).toEqual({ a: ["x", "y"], b: "z" });
  });
});
