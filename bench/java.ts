/**
 * Kafka's own Java client as a reference: the perf tools that ship with Kafka
 * (org.apache.kafka.tools.ProducerPerformance and ConsumerPerformance), run on the jars of the
 * local broker plus the kafka-tools jar, which Maven fetches once into .local/.
 *
 * They do less per record than the Node contenders (no Avro, no headers, one payload reused for
 * every record, nothing handed to a handler), so their rate is a ceiling to name, not a peer.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface JavaTools {
  readonly classpath: string;
  readonly version: string;
}

/**
 * The classpath of the perf tools for broker version `version`, or why there is none. The
 * broker's jars come from the launcher's state folder (SKEJI_INFRA_DIR or .local/infra).
 */
export function javaTools(root: string, version: string): JavaTools | string {
  const infra = process.env.SKEJI_INFRA_DIR ?? join(root, ".local", "infra");
  const libs = join(infra, `kafka-${version}-libs`);
  if (!existsSync(libs)) return `no broker jars in ${libs} (start the local broker once: npm run kafka up)`;
  const tools = join(root, ".local", `kafka-tools-${version}`);
  const jar = join(tools, `kafka-tools-${version}.jar`);
  if (!existsSync(jar)) {
    try {
      execFileSync(
        "mvn",
        [
          "-q",
          "-B",
          "dependency:copy",
          `-Dartifact=org.apache.kafka:kafka-tools:${version}`,
          `-DoutputDirectory=${tools}`,
        ],
        { stdio: ["ignore", "ignore", "inherit"] },
      );
    } catch (error) {
      return `cannot fetch org.apache.kafka:kafka-tools:${version} with Maven: ${(error as Error).message}`;
    }
  }
  if (!readdirSync(tools).includes(`kafka-tools-${version}.jar`)) return `Maven did not write ${jar}`;
  return { classpath: `${libs}/*:${jar}`, version };
}

function java(tools: JavaTools, main: string, args: readonly string[]): string {
  return execFileSync("java", ["-Xmx1g", "-cp", tools.classpath, main, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 16 * 1024 * 1024,
  });
}

export interface JavaProduceSettings {
  readonly topic: string;
  readonly records: number;
  readonly recordSize: number;
  readonly lingerMs: number;
  readonly batchBytes: number;
  readonly compression: string;
}

/** ProducerPerformance's records per second over the whole run. */
export function javaProduce(tools: JavaTools, s: JavaProduceSettings): number {
  const out = java(tools, "org.apache.kafka.tools.ProducerPerformance", [
    "--topic",
    s.topic,
    "--num-records",
    String(s.records),
    "--record-size",
    String(s.recordSize),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${process.env.KAFKA_BROKERS ?? "127.0.0.1:19092"}`,
    "acks=all",
    "enable.idempotence=true",
    "max.in.flight.requests.per.connection=1",
    `compression.type=${s.compression}`,
    `linger.ms=${s.lingerMs}`,
    `batch.size=${s.batchBytes}`,
  ]);
  // The summary line: "N records sent, R records/sec (...)".
  const last = out.trim().split("\n").pop() ?? "";
  const rate = /records sent, ([\d.]+) records\/sec/.exec(last)?.[1];
  if (rate === undefined) throw new Error(`ProducerPerformance printed no summary: ${last}`);
  return Number(rate);
}

/** ConsumerPerformance's records per second while fetching (the group join left out, as in bench:consume). */
export function javaConsume(tools: JavaTools, topic: string, records: number, group: string): number {
  const out = java(tools, "org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server",
    process.env.KAFKA_BROKERS ?? "127.0.0.1:19092",
    "--topic",
    topic,
    "--messages",
    String(records),
    "--group",
    group,
    "--timeout",
    "120000",
  ]);
  // Header, then one CSV line: ..., rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = out.trim().split("\n");
  const header = (lines.find((l) => l.includes("fetch.nMsg.sec")) ?? "").split(",").map((c) => c.trim());
  const values = (lines[lines.length - 1] ?? "").split(",").map((c) => c.trim());
  const rate = Number(values[header.indexOf("fetch.nMsg.sec")]);
  if (!Number.isFinite(rate)) throw new Error(`ConsumerPerformance printed no rate: ${out}`);
  return rate;
}
