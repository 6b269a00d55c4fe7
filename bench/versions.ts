/** The versions a benchmark ran with: Node, the clients, avsc and the broker. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The installed version of `name`, from the package.json above its entry point. */
function installed(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version !== undefined) return pkg.version;
    } catch {}
    const up = dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}

/** The broker the local launcher runs (generator/infra/pom.xml), unless KAFKA_BROKER_VERSION says otherwise. */
function brokerVersion(): string {
  if (process.env.KAFKA_BROKER_VERSION) return process.env.KAFKA_BROKER_VERSION;
  try {
    const pom = readFileSync(
      join(dirname(require.resolve("@skeji/kafka-gen/package.json")), "infra", "pom.xml"),
      "utf8",
    );
    return /<kafka\.version>([^<]+)</.exec(pom)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function versions(): Record<string, string> {
  return {
    node: process.version,
    "@skeji/kafka": installed("@skeji/kafka"),
    kafkajs: installed("kafkajs"),
    "@platformatic/kafka": installed("@platformatic/kafka"),
    avsc: installed("avsc"),
    broker: `Apache Kafka ${brokerVersion()}`,
  };
}
