/**
 * What the Kafka benchmarks share: contenders run in interleaved rounds, a sample per round and
 * contender (messages per second, CPU per message), ratios paired per round, and one JSON shape.
 *
 * Pairing matters on a shared machine: a busy second slows every contender of the round it falls
 * in, so the ratio of two contenders within a round moves far less than either rate does.
 */
import { cpus, loadavg } from "node:os";

/** One contender's run: `count` messages over `seconds` of wall time. */
export interface Sample {
  readonly msgsPerSec: number;
  /** Process CPU time (user + system) per message over the same span, in microseconds. */
  readonly cpuMicrosPerMsg: number;
}

/** A contender, ready to run one timed round after another (its setup happens before the first). */
export interface Contender {
  /** Short name used in JSON and ratios, e.g. `sdk`, `kafkajs`, `platformatic`. */
  readonly name: string;
  /** What it does, for the table. */
  readonly label: string;
  run(): Promise<Sample>;
  close(): Promise<void>;
}

/** Measures a span of work on `count` messages: call the returned function at its end. */
export function stopwatch(count: number): () => Sample {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const seconds = (performance.now() - wall) / 1000;
    const used = process.cpuUsage(cpu);
    return { msgsPerSec: count / seconds, cpuMicrosPerMsg: (used.user + used.system) / count };
  };
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Samples of one round, by contender name. */
export type Round = Record<string, Sample>;

/**
 * Runs `warmup` untimed rounds, then `rounds` timed ones. Within a round every contender runs once,
 * one after the other; the order rotates every round, so none always runs first or always right
 * after the same other one (heap growth, JIT state and broker caches left behind).
 */
export async function runRounds(
  contenders: readonly Contender[],
  rounds: number,
  warmup: number,
  progress: (line: string) => void,
): Promise<Round[]> {
  const results: Round[] = [];
  for (let r = -warmup; r < rounds; r++) {
    const round: Round = {};
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(((r + i) % contenders.length) + contenders.length) % contenders.length] as Contender;
      round[c.name] = await c.run();
    }
    const line = contenders
      .map((c) => `${c.name} ${Math.round((round[c.name] as Sample).msgsPerSec).toLocaleString("en")}/s`)
      .join(", ");
    progress(r < 0 ? `  warm-up: ${line}` : `  round ${r + 1}/${rounds}: ${line}`);
    if (r >= 0) results.push(round);
  }
  return results;
}

export interface Ratio {
  /** `a`'s messages per second over `b`'s, paired per round (above 1: `a` is faster). */
  readonly throughput: Spread;
  /** `a`'s CPU time per message over `b`'s, paired per round (below 1: `a` spends less). */
  readonly cpu: Spread;
}

/** Ratios of `a` over `b`, computed within each round. */
export function pairedRatio(rounds: readonly Round[], a: string, b: string): Ratio {
  const pick = (r: Round, name: string) => r[name] as Sample;
  return {
    throughput: spread(rounds.map((r) => pick(r, a).msgsPerSec / pick(r, b).msgsPerSec)),
    cpu: spread(rounds.map((r) => pick(r, a).cpuMicrosPerMsg / pick(r, b).cpuMicrosPerMsg)),
  };
}

export interface BenchResult {
  readonly bench: "produce" | "consume";
  /** Everything every contender was held to. */
  readonly settings: Record<string, unknown>;
  /** The record every contender writes or reads. */
  readonly record: RecordShape;
  readonly contenders: readonly { readonly name: string; readonly label: string }[];
  /** One entry per timed round: each contender's sample. */
  readonly rounds: readonly Round[];
  readonly summary: Record<string, { readonly msgsPerSec: Spread; readonly cpuMicrosPerMsg: Spread }>;
  /** Keyed `a/b`: the SDK over each other contender (and any other pair worth naming). */
  readonly ratios: Record<string, Ratio>;
  /** Load average (1, 5, 15 min) and CPUs when the run started and ended: how shared the machine was. */
  readonly machine: { readonly cpus: number; readonly loadStart: number[]; readonly loadEnd: number[] };
}

export interface RecordShape {
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly headers: number;
  /** Header names and values, UTF-8. */
  readonly headerBytes: number;
  readonly headerNames: readonly string[];
}

export function recordShape(key: string, value: Buffer, headers: Readonly<Record<string, string>>): RecordShape {
  const names = Object.keys(headers);
  let headerBytes = 0;
  for (const name of names) headerBytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string);
  return {
    keyBytes: Buffer.byteLength(key),
    valueBytes: value.length,
    headers: names.length,
    headerBytes,
    headerNames: names,
  };
}

/** Pairs named `sdk/x` for every other contender `x`, plus `extra` pairs. */
export function summarize(
  bench: BenchResult["bench"],
  settings: Record<string, unknown>,
  record: RecordShape,
  contenders: readonly Contender[],
  rounds: readonly Round[],
  loadStart: number[],
  extra: readonly (readonly [string, string])[] = [],
): BenchResult {
  const summary: BenchResult["summary"] = {};
  for (const c of contenders) {
    summary[c.name] = {
      msgsPerSec: spread(rounds.map((r) => (r[c.name] as Sample).msgsPerSec)),
      cpuMicrosPerMsg: spread(rounds.map((r) => (r[c.name] as Sample).cpuMicrosPerMsg)),
    };
  }
  const ratios: Record<string, Ratio> = {};
  const pairs = [...contenders.filter((c) => c.name !== "sdk").map((c) => ["sdk", c.name] as const), ...extra].filter(
    ([a, b]) => contenders.some((c) => c.name === a) && contenders.some((c) => c.name === b),
  );
  for (const [a, b] of pairs) ratios[`${a}/${b}`] = pairedRatio(rounds, a, b);
  return {
    bench,
    settings,
    record,
    contenders: contenders.map((c) => ({ name: c.name, label: c.label })),
    rounds,
    summary,
    ratios,
    machine: { cpus: cpus().length, loadStart, loadEnd: loadavg() },
  };
}

const x = (v: number) => `${v.toFixed(2)}x`;

/** The human-readable form of a result. */
export function printResult(result: BenchResult, title: string): void {
  const lines = [title];
  const r = result.record;
  lines.push(
    `  record: ${r.keyBytes} B key, ${r.valueBytes} B Avro value, ${r.headers} headers of ${r.headerBytes} B (${r.headerNames.join(", ")})`,
  );
  lines.push(
    `  machine: ${result.machine.cpus} CPUs, load ${result.machine.loadStart.map((l) => l.toFixed(1)).join(" ")} -> ${result.machine.loadEnd.map((l) => l.toFixed(1)).join(" ")}`,
  );
  lines.push(`  per contender, median (min-max) of ${result.rounds.length} rounds:`);
  for (const c of result.contenders) {
    const s = result.summary[c.name];
    if (s === undefined) continue;
    const rate = (v: number) => Math.round(v).toLocaleString("en");
    lines.push(
      `    ${c.name.padEnd(14)} ${rate(s.msgsPerSec.median).padStart(9)} msgs/s (${rate(s.msgsPerSec.min)}-${rate(s.msgsPerSec.max)})  ` +
        `${s.cpuMicrosPerMsg.median.toFixed(1).padStart(6)} us CPU/msg (${s.cpuMicrosPerMsg.min.toFixed(1)}-${s.cpuMicrosPerMsg.max.toFixed(1)})  ${c.label}`,
    );
  }
  lines.push("  ratios paired per round, median (min-max):");
  for (const [pair, ratio] of Object.entries(result.ratios)) {
    lines.push(
      `    ${pair.padEnd(22)} throughput ${x(ratio.throughput.median)} (${x(ratio.throughput.min)}-${x(ratio.throughput.max)})  ` +
        `CPU/msg ${x(ratio.cpu.median)} (${x(ratio.cpu.min)}-${x(ratio.cpu.max)})`,
    );
  }
  lines.push("  CPU is this process's (user + system); the broker's is not counted.");
  console.log(lines.join("\n"));
}

export { loadavg };
