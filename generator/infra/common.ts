/**
 * What every locally started JVM service shares: where state lives, the Java and Maven checks,
 * the Kafka jars, and the bookkeeping of a background process (pid file, log file, readiness).
 * Used by the single broker and registry (services.ts) and by the multi-node cluster (cluster.ts).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The Maven and log4j2 files sit next to the sources (generator/infra/) and are shipped as they are;
 * the compiled modules run from dist/infra/, two levels below the package's infra/ folder.
 */
const assets = existsSync(join(here, "pom.xml")) ? here : resolve(here, "..", "..", "infra");

/** The nearest folder at or above `from` that holds a package.json (the project), else `from`. */
export function projectRoot(from: string = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

/** Where brokers keep data, logs and pid files: `.local/infra` in the project, or SKEJI_INFRA_DIR. */
export const stateDir = process.env.SKEJI_INFRA_DIR ?? join(projectRoot(), ".local", "infra");
const pomFile = join(assets, "pom.xml");
/** The JVM flag that points the broker's logging at the project's log4j2 configuration. */
export const log4jFlag = `-Dlog4j2.configurationFile=${join(assets, "log4j2.xml")}`;

export class InfraError extends Error {
  override name = "InfraError";
}

export function pomProperty(name: string): string {
  const m = readFileSync(pomFile, "utf8").match(new RegExp(`<${name}>([^<]+)</${name}>`));
  if (!m?.[1]) throw new InfraError(`${pomFile} has no <${name}> property`);
  return m[1];
}

export function log(msg: string): void {
  process.stderr.write(`[infra] ${msg}\n`);
}

// ---------------------------------------------------------------------------
// Prerequisites

function javaMajor(javaBin: string): number {
  const res = spawnSync(javaBin, ["-version"], { encoding: "utf8" });
  if (res.error) throw new InfraError(`java not found (${javaBin}): install a JDK 17+ or set JAVA_HOME`);
  const m = `${res.stderr}${res.stdout}`.match(/version "(\d+)(?:\.(\d+))?/);
  if (!m?.[1]) throw new InfraError(`cannot read the Java version from \`${javaBin} -version\``);
  return m[1] === "1" ? Number(m[2]) : Number(m[1]);
}

export function java(): string {
  const home = process.env.JAVA_HOME;
  const bin = home ? join(home, "bin", "java") : "java";
  const major = javaMajor(bin);
  if (major < 17) throw new InfraError(`Java ${major} found at ${bin}; Kafka 4 and Apicurio 3.0 need Java 17 or newer`);
  return bin;
}

export function mvn(args: string[]): void {
  try {
    execFileSync("mvn", ["-B", "-q", "-f", pomFile, ...args], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === "ENOENT")
      throw new InfraError("mvn not found: install Apache Maven (it fetches the Kafka and Apicurio artifacts)");
    const detail = `${e.stdout ?? ""}${e.stderr ?? ""}`
      .split("\n")
      .filter((l) => l.includes("ERROR"))
      .slice(0, 5)
      .join("\n");
    throw new InfraError(`mvn ${args[0]} failed:\n${detail}`);
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      res(true);
    });
    sock.once("error", () => res(false));
  });
}

// ---------------------------------------------------------------------------
// Background processes

/** A background process: its name in messages, and where its pid and output go. */
export interface Service {
  readonly name: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in `svc`'s pid file, if that process is still running. */
export function readPid(svc: Service): number | undefined {
  if (!existsSync(svc.pidFile)) return undefined;
  const pid = Number(readFileSync(svc.pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

export function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

/** Polls `probe` until it answers true; fails early, with the log's tail, if the process exits. */
export async function waitFor(
  svc: Service,
  pid: number,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) {
      throw new InfraError(`${svc.name} exited during start-up. Last lines of ${svc.logFile}:\n${tail(svc.logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new InfraError(
    `${svc.name} did not answer within ${timeoutMs / 1000}s. Last lines of ${svc.logFile}:\n${tail(svc.logFile)}`,
  );
}

/**
 * Starts `cmd` in the background, in a process group of its own, output to the service's log
 * (appended when `append`, e.g. a restart that must keep the log of the run before), pid to its
 * pid file.
 */
export function launch(svc: Service, cmd: string, args: string[], cwd: string, append = false): number {
  mkdirSync(dirname(svc.logFile), { recursive: true });
  const out = openSync(svc.logFile, append ? "a" : "w");
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ["ignore", out, out] });
  if (child.pid === undefined) throw new InfraError(`could not start ${svc.name}`);
  child.unref();
  writeFileSync(svc.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(pid: number, name: string, graceMs = 20_000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      try {
        process.kill(pid, s);
      } catch {
        // already gone
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) {
    log(`${name} (pid ${pid}) did not stop in ${graceMs / 1000}s; killing it`);
    signal("SIGKILL");
    while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------
// Kafka

const kafkaLibs = () => join(stateDir, `kafka-${pomProperty("kafka.version")}-libs`);

/** The directory of the Kafka broker's jars, fetched with Maven on first use. */
export function fetchKafka(): string {
  const libs = kafkaLibs();
  if (existsSync(join(libs, ".complete"))) return libs;
  log(`fetching Kafka ${pomProperty("kafka.version")} jars with Maven (cached in ~/.m2 afterwards)`);
  rmSync(libs, { recursive: true, force: true });
  mvn(["dependency:copy-dependencies", `-DoutputDirectory=${libs}`]);
  writeFileSync(join(libs, ".complete"), "");
  return libs;
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding. */
export function clusterId(): string {
  return Buffer.from(randomUUID().replaceAll("-", ""), "hex").toString("base64url");
}

/** Formats a KRaft node's log directories (`kafka-storage format`) with `props`; `extra` adds arguments. */
export function formatStorage(javaBin: string, libs: string, props: string, id: string, extra: string[] = []): void {
  execFileSync(
    javaBin,
    // `--cluster-id=`: an id may start with "-", which would read as an option on its own.
    [log4jFlag, "-cp", `${libs}/*`, "kafka.tools.StorageTool", "format", `--cluster-id=${id}`, "-c", props, ...extra],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** What the broker at `brokers` says of its cluster, or undefined when it does not answer. */
export async function describeKafka(
  brokers: string,
): Promise<{ brokers: number[]; controller: number | null } | undefined> {
  const kafka = new Kafka({
    brokers: [brokers],
    clientId: "skeji-infra-probe",
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.fetchTopicMetadata({ topics: [] });
    return { brokers: cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b), controller: cluster.controller };
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** True when the broker at `brokers` answers metadata and names a controller. */
export async function kafkaAnswers(brokers: string): Promise<boolean> {
  const cluster = await describeKafka(brokers);
  return cluster !== undefined && cluster.brokers.length > 0 && cluster.controller !== null;
}
