/**
 * Consumer processes for the fault scenarios (`consumer-child.ts`): start one, read what it did,
 * kill it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brokers } from "../infra/env.ts";
import type { ChildOptions } from "./consumer-child.ts";

/** One line of a child's log (see consumer-child.ts). */
export type ChildEvent =
  | { readonly ev: "join"; readonly member: string; readonly assignment: Record<string, number[]> }
  | { readonly ev: "handle" | "done"; readonly p: number; readonly o: string; readonly v: string }
  | { readonly ev: "blocked"; readonly p: number; readonly o: string }
  | { readonly ev: "unblocked"; readonly p: number; readonly o: string }
  | { readonly ev: "commit"; readonly offsets: { readonly p: number; readonly o: string }[] };

export interface ConsumerProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with how and what it wrote to stderr. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Throws (with the child's stderr) when the process has already exited. */
  readonly alive: () => void;
}

const running = new Set<ChildProcess>();

/** Starts a consumer process; see `ChildOptions`. */
export function startConsumerProcess(options: ChildOptions): ConsumerProcess {
  const child = spawn(
    process.execPath,
    [
      "--conditions=skeji-source",
      "--import",
      "tsx",
      join(import.meta.dirname, "consumer-child.ts"),
      JSON.stringify(options),
    ],
    {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...process.env, KAFKA_BROKERS: brokers().join(",") },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stderr });
    });
  });
  const alive = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`consumer process exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
  };
  return { child, exited, alive };
}

/** SIGKILLs every consumer process still running (for afterAll). */
export function killAllConsumerProcesses(): void {
  for (const c of running) c.kill("SIGKILL");
}

/** What a child has logged so far, in its order. */
export function readChildLog(file: string): ChildEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as ChildEvent);
}

type Call = Extract<ChildEvent, { ev: "handle" | "done" }>;

/** The handler calls in a child's log (as they started). */
export const handled = (events: readonly ChildEvent[]): Call[] => events.filter((e): e is Call => e.ev === "handle");

/** The handler calls in a child's log that returned. */
export const completed = (events: readonly ChildEvent[]): Call[] => events.filter((e): e is Call => e.ev === "done");
