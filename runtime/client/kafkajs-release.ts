/**
 * Which kafkajs release is loaded. The SDK's own Fetch decoder (consumer/fetch-hook.ts) and Produce
 * encoder (kafkajs-produce-hook.ts) reach into kafkajs's internals, so they are only put under
 * kafkajs when it is the release they were written and tested against.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Connection from "kafkajs/src/network/connection.js";

/** The kafkajs release whose Fetch decoding and Produce encoding the SDK's reproduce (kafkajs is pinned to it). */
export const provenKafkajsVersion = "2.2.4";

let loaded: string | null | undefined;

/**
 * The version of the kafkajs whose Connection is loaded, from its package.json. kafkajs exports no
 * version, and its package.json is found from the file its Connection module was loaded from (the
 * same copy the clients use, wherever the package manager put it).
 */
export function kafkajsVersion(): string | undefined {
  loaded ??= readVersion() ?? null;
  return loaded ?? undefined;
}

/** Whether the loaded kafkajs is the release the SDK's hooks were proven on. */
export function isProvenKafkajs(): boolean {
  return kafkajsVersion() === provenKafkajsVersion;
}

function readVersion(): string | undefined {
  try {
    const cache = createRequire(join(process.cwd(), "index.js")).cache;
    for (const entry of Object.values(cache)) {
      if (entry?.exports !== Connection) continue;
      const manifest = JSON.parse(readFileSync(join(dirname(entry.filename), "..", "..", "package.json"), "utf8"));
      return manifest.name === "kafkajs" && typeof manifest.version === "string" ? manifest.version : undefined;
    }
  } catch {
    // Unreadable: not a copy we know.
  }
  return undefined;
}
