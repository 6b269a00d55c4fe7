/**
 * Runs bench:produce and bench:consume (compiled, against the built package) and, when Java and
 * Maven are there, Kafka's own perf tools; writes docs/performance.md from that run, and the run's
 * JSON to bench/results/performance.json. The only way docs/performance.md is made.
 *
 *   npm run bench:report -- [--rounds 5] [--produce-messages 20000] [--consume-messages 100000]
 *                           [--java-records 500000] [--no-java] [--out docs/performance.md]
 *
 * `--from bench/results/performance.json` writes the page again from a saved run (after editing
 * the text here) without running anything.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { BenchResult, Ratio, Spread } from "./harness.ts";
import { javaConsume, javaProduce, javaTools } from "./java.ts";
import { createTopic, deleteTopics } from "./kafka.ts";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "produce-messages": { type: "string", default: "20000" },
    "consume-messages": { type: "string", default: "100000" },
    "java-records": { type: "string", default: "500000" },
    "no-java": { type: "boolean", default: false },
    out: { type: "string", default: "docs/performance.md" },
    from: { type: "string" },
  },
  strict: true,
});

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest folder up with the workspace's package.json. */
function repositoryRoot(): string {
  let dir = here;
  while (
    !existsSync(join(dir, "package.json")) ||
    !readFileSync(join(dir, "package.json"), "utf8").includes('"workspaces"')
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no workspace root above ${here}`);
    dir = up;
  }
  return dir;
}

const root = repositoryRoot();
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Runs a compiled bench next to this file with `--json` and returns its result. */
function bench(name: "produce" | "consume", extra: readonly string[]): BenchResult {
  progress(`bench:${name} ${extra.join(" ")}`);
  const out = execFileSync(process.execPath, [join(here, `${name}.js`), "--json", ...extra], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = out.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as BenchResult;
}

interface JavaResult {
  readonly version: string;
  readonly produce?: { readonly records: number; readonly recordSize: number; readonly msgsPerSec: number };
  readonly consume?: { readonly records: number; readonly msgsPerSec: Spread; readonly runs: readonly number[] };
  readonly skipped?: string;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length % 2 === 1 ? (s[Math.floor(m)] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function runJava(produce: BenchResult, consume: BenchResult): Promise<JavaResult> {
  const version = String((produce.settings.versions as Record<string, string>).broker).replace(/^Apache Kafka /, "");
  if (args["no-java"]) return { version, skipped: "--no-java" };
  const tools = javaTools(root, version);
  if (typeof tools === "string") return { version, skipped: tools };
  const r = produce.record;
  const recordSize = r.keyBytes + r.valueBytes + r.headerBytes;
  const partitions = Number(produce.settings.partitions);
  const records = Number(args["java-records"]);
  const topic = await createTopic(`bench-java-produce-${randomUUID().slice(0, 8)}`, partitions);
  let produced: JavaResult["produce"];
  try {
    progress(`java ProducerPerformance: ${records} records of ${recordSize} B`);
    const msgsPerSec = javaProduce(tools, {
      topic,
      records,
      recordSize,
      lingerMs: Number(produce.settings.lingerMs),
      // The Node contenders send up to `batch` records per request; Java batches per partition.
      batchBytes: Math.ceil((Number(produce.settings.batch) * recordSize) / partitions),
      compression: String(produce.settings.compression),
    });
    produced = { records, recordSize, msgsPerSec };
  } finally {
    await deleteTopics([topic]);
  }
  const consumeTopic = String(consume.settings.topic);
  const consumed = Number(consume.settings.messages);
  const runs: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      progress(`java ConsumerPerformance ${i + 1}/3: ${consumed} records`);
      runs.push(javaConsume(tools, consumeTopic, consumed, `bench-java-${randomUUID().slice(0, 8)}`));
    }
  } finally {
    await deleteTopics([consumeTopic]);
  }
  return {
    version,
    produce: produced,
    consume: {
      records: consumed,
      runs,
      msgsPerSec: { median: median(runs), min: Math.min(...runs), max: Math.max(...runs) },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The document

const rate = (v: number) => Math.round(v).toLocaleString("en");
const x = (v: number) => `${v.toFixed(2)}x`;
const range = (s: Spread, f: (v: number) => string) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
const us = (v: number) => `${v.toFixed(1)} us`;

function contenderRows(result: BenchResult): string[] {
  return result.contenders.map((c) => {
    const s = result.summary[c.name];
    if (s === undefined) return "";
    return `| \`${c.name}\` | ${c.label} | ${range(s.msgsPerSec, rate)} | ${range(s.cpuMicrosPerMsg, us)} |`;
  });
}

function ratioRows(result: BenchResult): string[] {
  return Object.entries(result.ratios).map(
    ([pair, r]: [string, Ratio]) => `| ${pair} | ${range(r.throughput, x)} | ${range(r.cpu, x)} |`,
  );
}

/** The SDK's throughput over `other`'s, and its CPU per message over `other`'s, paired per round. */
function headline(result: BenchResult, other: string, sdk = "sdk"): string {
  const r = result.ratios[`${sdk}/${other}`];
  if (r === undefined) return "n/a";
  return `SDK = ${range(r.throughput, x)} of it; CPU/msg ${x(r.cpu.median)}`;
}

/** A row for the SDK on its @platformatic/kafka transport, when the run had one. */
function transportRow(result: BenchResult, path: string): string {
  const s = result.summary["sdk-platformatic"];
  if (s === undefined) return "";
  return `\n| ${path}, SDK on the @platformatic/kafka transport | ${rate(s.msgsPerSec.median)} | ${headline(result, "kafkajs", "sdk-platformatic")} | ${headline(result, "platformatic", "sdk-platformatic")} | |`;
}

/** The machine a run was taken on. */
interface Host {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
}

function host(): Host {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `Linux ${release()}`,
  };
}

/** Everything a page is written from (bench/results/performance.json). */
interface Run {
  readonly started: string;
  readonly host: Host;
  readonly produce: BenchResult;
  readonly consume: BenchResult;
  readonly java: JavaResult;
}

function document({ produce, consume, java, host, started }: Run): string {
  const v = produce.settings.versions as Record<string, string>;
  const sdkProduce = produce.summary.sdk?.msgsPerSec.median ?? Number.NaN;
  const sdkConsume = consume.summary.sdk?.msgsPerSec.median ?? Number.NaN;
  const javaProduceCell =
    java.produce === undefined
      ? "not run"
      : `SDK = ${x(sdkProduce / java.produce.msgsPerSec)} of it (${rate(java.produce.msgsPerSec)} msgs/s)`;
  const javaConsumeCell =
    java.consume === undefined
      ? "not run"
      : `SDK = ${x(sdkConsume / java.consume.msgsPerSec.median)} of it (${rate(java.consume.msgsPerSec.median)} msgs/s)`;
  const r = produce.record;
  const load = (l: readonly number[]) => l.map((n) => n.toFixed(1)).join(" / ");
  return `# Performance

<!-- Generated by \`npm run bench:report\` (bench/report.ts) from one run; edit the script, not this file. -->

How fast the SDK produces and consumes next to the clients a Node.js service could use instead,
each doing the same work, measured side by side on one broker. Run on ${started.slice(0, 10)}.

| path | this SDK (median msgs/s) | raw kafkajs, same work | @platformatic/kafka, same work | Kafka's Java client (perf tools, less work) |
|---|---|---|---|---|
| produce | ${rate(sdkProduce)} | ${headline(produce, "kafkajs")} | ${headline(produce, "platformatic")} | ${javaProduceCell} |${transportRow(produce, "produce")}
| consume | ${rate(sdkConsume)} | ${headline(consume, "kafkajs")} | ${headline(consume, "platformatic")} | ${javaConsumeCell} |${transportRow(consume, "consume")}

"SDK = 0.80x (0.70x-0.90x) of it" is the SDK's messages per second over the other contender's,
paired per round: the median (lowest-highest) of ${produce.rounds.length} produce and ${consume.rounds.length} consume rounds; above 1 the SDK is
faster. "CPU/msg 1.10x" is the SDK's CPU time per message over the other's (median of the same
rounds); below 1 the SDK spends less. The Java column is not paired: it runs after the Node
rounds, in a JVM of its own, and its CPU is not measured.

## Machine and settings

- CPU: ${host.cpu}, ${host.cores} cores visible; ${host.memoryGiB} GiB memory; ${host.os}.
- Load average (1 / 5 / 15 min) at the start and end of the produce run: ${load(produce.machine.loadStart)} -> ${load(produce.machine.loadEnd)}; consume run: ${load(consume.machine.loadStart)} -> ${load(consume.machine.loadEnd)}.
  The broker runs on the same machine and shares its cores.
- Node ${v.node}; @skeji/kafka ${v["@skeji/kafka"]} (its built \`dist/\`, not the sources); kafkajs ${v.kafkajs}; @platformatic/kafka ${v["@platformatic/kafka"]}; avsc ${v.avsc};
  broker ${v.broker} (KRaft, one node, on this machine)${java.produce === undefined ? "" : `; Java perf tools from kafka-tools ${java.version}`}.
- Record: ${r.keyBytes} B key, ${r.valueBytes} B Avro value (a booking: two strings, a timestamp, an int, a string, an enum),
  ${r.headers} headers of ${r.headerBytes} B (${r.headerNames.map((n) => `\`${n}\``).join(", ")}): the headers the SDK writes, read back from a record it wrote.
- Produce: ${produce.settings.messages} records per round, idempotent, acks=all, ${produce.settings.compression}, one request in flight,
  at most ${produce.settings.batch} records per request, the SDK's linger ${produce.settings.lingerMs} ms, ${produce.settings.partitions} partitions; one untimed warm-up round.
- Consume: ${consume.settings.messages} records per round (written by the SDK, ${consume.settings.compression}), ${consume.settings.partitions} partitions, a fresh group per run,
  fetch max wait ${consume.settings.maxWaitMs} ms, offsets committed every ${consume.settings.commitIntervalMs} ms; counted from the first record handled to the last (the group join is left out).

## What each contender does

Every contender does the same work inside the timed span.

Produce (the booking objects exist before the clock starts; each contender turns them into records and sends them):

| contender | what it does | msgs/s, median (range) | CPU per message, median (range) |
|---|---|---|---|
${contenderRows(produce).join("\n")}

Consume (each contender reads every header as text, checks the event type, reads the key as text, decodes the value into the typed object, Dates included):

| contender | what it does | msgs/s, median (range) | CPU per message, median (range) |
|---|---|---|---|
${contenderRows(consume).join("\n")}

Ratios, paired per round (throughput: a's msgs/s over b's, above 1 a is faster; CPU: a's CPU per message over b's, below 1 a spends less):

| produce | throughput | CPU per message |
|---|---|---|
${ratioRows(produce).join("\n")}

| consume | throughput | CPU per message |
|---|---|---|
${ratioRows(consume).join("\n")}

Where the contenders still differ:
- The raw kafkajs producer encodes the next batch while the previous one is on the wire, as the SDK does;
  @platformatic/kafka encodes inside \`send\`. Its idempotent producer takes sequence numbers from the
  broker's answers, so two sends to one partition must not overlap (they fail with
  \`OUT_OF_ORDER_SEQUENCE_NUMBER\`): it sends one batch at a time, as its own producer stream does.
- Snappy: kafkajs and the SDK use the \`snappy\` package (native); @platformatic/kafka its own WebAssembly
  build; the Java client snappy-java. Same format on the wire.
- Partitioning: the SDK and kafkajs use Java's murmur2; @platformatic/kafka hashes keys with murmur2
  too but maps the hash to a partition its own way, so the same keys spread differently.
- Java: ProducerPerformance sends one random payload of ${java.produce?.recordSize ?? "key + value + headers"} bytes (the key, value and
  headers above, together) with no key and no headers, reused for every record, with
  \`max.in.flight.requests.per.connection=1\`, the same linger, and \`batch.size\` set to the Node contenders' request size split over the partitions;
  ${java.produce === undefined ? "" : `${java.produce.records} records in one run. `}ConsumerPerformance reads the same topic the Node
  consumers read (the SDK's records, headers included) but decodes nothing and calls no handler; its rate is taken while fetching
  (median of three runs). Each run starts a fresh JVM, so its JIT warm-up is inside the measured span, which weighs on short runs.
  So the Java numbers show what Kafka's own client does with less work per record; they are not the same work.${java.skipped === undefined ? "" : ` Not run this time: ${java.skipped}.`}

## What stands in the way

- **The client's record codec, not the SDK's code.** Profiles of the publish path
  (\`bench/record-path.ts\`, \`node --cpu-prof\`) put most of the CPU in the client turning records into
  bytes and back; the SDK's own work (validation, Avro encoding, headers, metrics) is a small part.
  kafkajs allocates a zeroed buffer for every header it encodes and rebuilds the header object once
  per header when it decodes, so its cost follows the number of headers more than their size. So on
  both transports the runtime writes the record batches itself: one buffer per partition, sizes
  computed first, header names and repeated values converted once, ids and times written as text
  straight into the batch. On the @platformatic/kafka transport (\`KAFKA_TRANSPORT=platformatic\`,
  see docs/configuration.md) it builds the Produce requests too, and the client carries the bytes on
  its connections. On kafkajs it writes the Produce requests of kafkajs's own producer, exactly the
  bytes kafkajs's encoder would (\`KAFKA_PRODUCER_RECORD_ENCODER=kafkajs\` puts kafkajs's back), and
  kafkajs keeps its retries, sequence numbers and answers: kafkajs's encoding had been about two
  thirds of the SDK's publish CPU on that transport (some 35 µs of about 52 per message with this
  record, the garbage it made included), so the SDK now publishes on kafkajs at several times the
  rate of kafkajs encoding the same records itself. The @platformatic/kafka transport is still the
  faster of the two: kafkajs's producer adds its own work per request and per message (grouping
  messages per partition, partitioning, response handling, a copy of every request into its
  encoders). Fewer optional headers (\`KAFKA_PRODUCER_OPTIONAL_HEADERS\`) pay on both transports.
  What is left of the CPU per message is garbage collection, Avro encoding, the SDK's bookkeeping
  per publish (its promise, metrics, batching), writing the batch and snappy.
- **Towards Kafka's Java client.** Its producer encodes on the caller's thread and sends from an I/O
  thread of its own, with several requests in flight per connection, and the JIT-compiled
  encoder writes into pooled buffers; a Node.js client does all of it on one thread, and garbage
  collection takes a large share (a fifth of the SDK's publish CPU on the @platformatic/kafka
  transport in the profiles, a quarter on kafkajs when kafkajs still encoded the records). The
  perf tool also does less per record (no key, no headers, one payload reused). The record codec
  that allocates per batch rather than per header is there on both transports; closing the rest of
  the gap needs fewer
  objects per publish, and pipelined requests where the idempotent sequence rules allow them (the
  Java client keeps up to five in flight per connection with idempotence; the broker remembers the
  last five batches of each producer and partition to spot duplicates).
- **Consuming** was bounded by kafkajs's fetch decoding: a decoder object per record, 64-bit offsets
  and timestamps through BigInt wrappers, and a headers object copied once per header. The SDK's
  consumers read Fetch responses with a decoder of their own that hands kafkajs's consumer exactly
  the records kafkajs's decoder would (docs/consumer.md, "Fetch decoding";
  \`KAFKA_CONSUMER_FETCH_DECODER=kafkajs\` puts kafkajs's back), at about a sixth of its CPU per record for the decoding alone.
  What remains per record is mostly allocation that kafkajs's record shape requires (a Buffer for
  the key, the value and each header value), kafkajs's own batch filtering (a BigInt parse of every
  offset), snappy decompression, and the garbage collection all of it causes; the SDK's own work
  (routing, schema checks, typed payload, offset resolution) is a small part.

## How to read the numbers

- Messages per second move with everything else on the machine; a busy second slows every
  contender of the round it falls in. That is why the ratios are taken within each round and
  reported as a median with the lowest and highest round: compare ratios, not the absolute rates.
  A wide range means the machine was busy; rerun on a quiet one before drawing conclusions from
  a difference of a few percent.
- CPU per message is this process's CPU time (user + system, \`process.cpuUsage()\`) over the
  timed span, divided by the messages: what the client costs the service. It does not count the
  broker (which runs on the same cores here) nor, for Java, anything at all. It varies less than
  the rate on a shared machine.
- The SDK does more than the raw contenders for the same records: it validates each payload,
  applies defaults, passes each record through its (here empty) middleware chain, keeps metrics,
  and on the consumer side checks the schema headers and resolves each offset. The ratios include that.

## Regenerating this page

\`\`\`sh
export SKEJI_INFRA_DIR=...   # optional: where the local broker keeps its state (default .local/infra)
npm run kafka up             # a local broker and registry, if none is running
npm run bench:report         # builds runtime/dist and bench/, runs both benches, writes this file
\`\`\`

\`npm run bench:report -- --no-java\` leaves the Java tools out (they need Java 17 and Maven, which
fetches org.apache.kafka:kafka-tools once into .local/). The run's JSON is kept in
\`bench/results/performance.json\`. Each bench also runs alone: \`npm run bench:produce\`,
\`npm run bench:consume\` (add \`-- --json\` for JSON; \`npm run -s\` keeps npm's own lines out of it).
`;
}

/** Writes the page in the repository's Markdown format (Biome's: aligned tables), so lint passes. */
function writePage(out: string, run: Run): void {
  writeFileSync(out, document(run));
  const biome = createRequire(join(root, "package.json")).resolve("@biomejs/biome/bin/biome");
  execFileSync(process.execPath, [biome, "format", "--write", out], { stdio: ["ignore", "ignore", "inherit"] });
}

async function main(): Promise<void> {
  const out = join(root, String(args.out));
  if (args.from !== undefined) {
    const saved = JSON.parse(readFileSync(join(root, args.from), "utf8")) as Run;
    writePage(out, saved);
    progress(`wrote ${out} from ${args.from}`);
    return;
  }
  const started = new Date().toISOString();
  const rounds = ["--rounds", String(args.rounds)];
  const produce = bench("produce", [...rounds, "--messages", String(args["produce-messages"])]);
  const consume = bench("consume", [...rounds, "--messages", String(args["consume-messages"]), "--keep-topic"]);
  let java: JavaResult;
  try {
    java = await runJava(produce, consume);
  } catch (error) {
    java = { version: "", skipped: `the Java tools failed: ${(error as Error).message.split("\n")[0]}` };
  }
  if (java.skipped !== undefined) {
    progress(`java: skipped (${java.skipped})`);
    await deleteTopics([String(consume.settings.topic)]);
  }
  const run: Run = { started, host: host(), produce, consume, java };
  const results = join(root, "bench", "results");
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, "performance.json"), `${JSON.stringify({ ...run, loadEnd: loadavg() }, null, 2)}\n`);
  writePage(out, run);
  progress(`wrote ${out}`);
}

await main();
