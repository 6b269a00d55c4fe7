/**
 * The Go side of the interoperability tests: test/interop/go/, a program on segmentio/kafka-go that
 * writes and reads records as Skeji's Go services do (see its main.go for the commands).
 *
 * It is built once per test process into .local/interop-go/ (go's build cache makes every build
 * after the first a matter of linking). Go must be installed: without it the suite fails, saying
 * so, unless SKEJI_SKIP_GO_INTEROP=1 is set, which skips it (for machines without Go; CI has Go,
 * and .ci/run fails early without it).
 */
import { spawn } from "node:child_process";
import { mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const moduleDir = join(import.meta.dirname, "go");
const outDir = join(root, ".local", "interop-go");

/** True when SKEJI_SKIP_GO_INTEROP=1: the Go interoperability tests are skipped. */
export const skipGo = process.env.SKEJI_SKIP_GO_INTEROP === "1";

let built: Promise<string> | undefined;

/** The built program's path; builds it on first use. */
export function goProgram(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, "interop");
  // Built under a name of its own and renamed into place: test files in other processes build at
  // the same time, and none may run a half-written binary.
  const partial = `${binary}.${process.pid}`;
  const { code, stderr } = await run("go", ["build", "-o", partial, "."], "", moduleDir).catch((error: unknown) => {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? "the Go interoperability tests need Go (the `go` command) on PATH; install Go, or set SKEJI_SKIP_GO_INTEROP=1 to skip them"
        : `cannot run go build: ${String(error)}`,
    );
  });
  if (code !== 0) throw new Error(`go build of test/interop/go failed (exit ${code}):\n${stderr}`);
  renameSync(partial, binary);
  return binary;
}

/** Runs one command of the program with `request` as JSON on stdin; resolves with its JSON answer. */
export async function goRun<T>(command: "partitions" | "produce" | "consume", request: unknown): Promise<T> {
  const binary = await goProgram();
  const { code, stdout, stderr } = await run(binary, [command], JSON.stringify(request), root);
  if (code !== 0) throw new Error(`interop ${command} failed (exit ${code}): ${stderr.trim()}`);
  return JSON.parse(stdout) as T;
}

function run(
  file: string,
  args: string[],
  input: string,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

// ---- the program's requests and answers (see main.go) -----------------------------------------

/** A record as a Go service builds it (kafka.NewMessage().With...().Build()). */
export interface GoRecord {
  readonly key?: string | null;
  readonly eventType?: string;
  readonly eventId?: string;
  readonly correlationId?: string;
  readonly conversationId?: string;
  readonly schemaVersion?: string;
  readonly source?: string;
  /** The `timestamp` header's instant (RFC 3339); now when absent. */
  readonly time?: string;
  /** The zone the `timestamp` header is written in: `Z` (default) or `+hh:mm` / `-hh:mm`. */
  readonly timeOffset?: string;
  /** A JSON value, marshalled by encoding/json. */
  readonly value?: unknown;
  /** Bytes written as they are (base64), e.g. an Avro body. */
  readonly valueBytes?: string;
  /** Empty arrays and objects of `value` marshalled as Go's nil slices and maps are: `null`. */
  readonly nilEmpty?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GoConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  /** base64 */
  readonly valueBytes: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly headerNames: readonly string[];
  /** The `timestamp` header as time.Parse(time.RFC3339) reads it, ms since the epoch; null when it does not parse. */
  readonly timestampMs: number | null;
}

/** Writes records to `topic` as the Go services do (Hash balancer, acks=all, snappy). */
export async function goProduce(brokers: readonly string[], topic: string, records: readonly GoRecord[]) {
  return goRun<{ written: number }>("produce", { brokers, topic, records });
}

/** Reads `count` records of `topic` from its first offsets, every partition, as kafka-go's Reader returns them. */
export async function goConsume(brokers: readonly string[], topic: string, count: number, timeoutMs = 20_000) {
  return (await goRun<{ records: GoConsumedRecord[] }>("consume", { brokers, topic, count, timeoutMs })).records;
}

/** The partition kafka-go's balancer picks for each key, for each partition count. */
export async function goPartitions(
  balancer: "hash" | "murmur2",
  keys: readonly Uint8Array[],
  counts: readonly number[],
): Promise<Map<number, number[]>> {
  const answer = await goRun<{ partitions: Record<string, number[]> }>("partitions", {
    balancer,
    keys: keys.map((k) => Buffer.from(k).toString("base64")),
    counts,
  });
  return new Map(Object.entries(answer.partitions).map(([n, p]) => [Number(n), p]));
}
