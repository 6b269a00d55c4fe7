/** Schema folders on disk and a way to run the check commands as a user would, with their output and exit code. */

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { type CommandIo, checkCommand, registerCommand } from "../../generator/check/command.ts";

export interface EventSpec {
  readonly topic?: string;
  readonly compatibility?: string;
  /** Schemas of v1, v2, ... */
  readonly versions: readonly unknown[];
}

/** Pretty-prints an Avro schema the way people write `.avsc` files (one field per line group). */
export const avsc = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;

/** Writes `schemas/<event-type>/v<N>.avsc` files and the manifest into `root` (a new temp folder by default). */
export function writeSchemas(events: Record<string, EventSpec>, root = mkdtempSync(join(tmpdir(), "skeji-check-"))) {
  const dir = join(root, "schemas");
  mkdirSync(dir, { recursive: true });
  const topics: Record<string, { events: Record<string, { key: string; compatibility?: string }> }> = {};
  for (const [type, spec] of Object.entries(events)) {
    mkdirSync(join(dir, type), { recursive: true });
    spec.versions.forEach((s, i) => {
      writeFileSync(join(dir, type, `v${i + 1}.avsc`), avsc(s));
    });
    const topic = spec.topic ?? "booking.events";
    topics[topic] ??= { events: {} };
    topics[topic].events[type] = {
      key: "booking_id",
      ...(spec.compatibility ? { compatibility: spec.compatibility } : {}),
    };
  }
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify({ topics }, null, 2)}\n`);
  return { root, dir };
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs a `skeji-gen` subcommand built on `CommandIo` (check, register, topics) in-process from
 * `cwd`; resolves with what a terminal would show.
 */
export async function runCommand(make: (io: CommandIo) => Command, args: string[], cwd: string): Promise<CliRun> {
  let out = "";
  let err = "";
  const io: CommandIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    exit: (code) => {
      throw new Exit(code);
    },
  };
  const before = process.cwd();
  process.chdir(cwd);
  try {
    await make(io).parseAsync(args, { from: "user" });
    throw new Error("the command ended without an exit code");
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, out, err };
    throw e;
  } finally {
    process.chdir(before);
  }
}

/** Runs `skeji-gen check|register ...args` in-process from `cwd`. */
export const runCli = (command: "check" | "register", args: string[], cwd: string): Promise<CliRun> =>
  runCommand((io) => (command === "check" ? checkCommand(io) : registerCommand(io)), args, cwd);

export const record = (name: string, ...fields: unknown[]) => ({
  type: "record",
  name,
  namespace: "dev.skeji.events",
  fields,
});

/** Runs git in the repository at `root()` (read at each call) as a throwaway committer; returns its output. */
export function gitIn(root: () => string): (...args: string[]) => string {
  return (...args) =>
    execFileSync("git", args, {
      cwd: root(),
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.invalid",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.invalid",
      },
    });
}
