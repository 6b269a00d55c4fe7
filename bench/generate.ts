/**
 * Generator benchmark: generate from 1,000 synthetic event schemas with mixed constructs.
 * Prints ms per event version and in total, for 250/500/1,000 events (to show growth is linear),
 * the cost of `--check` on an unchanged output, and a baseline in the same run: reading and
 * parsing the same schemas with avsc alone.
 *
 *   npm run bench:generate [-- events] [-- --json]   (or: node --conditions=skeji-source --import tsx bench/generate.ts [events] [--json])
 *
 * Target: at most 2 ms per event version on a 2-core machine. Not a timed test.
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import avro from "avsc";
import { diffOutput, generate, writeOutput } from "../generator/generate.ts";

const TOPICS = 20;

function schemaFor(i: number, version: number): unknown {
  const ns = `bench.domain${i % 17}`;
  const fields: unknown[] = [
    { name: "id", type: { type: "string", logicalType: "uuid" } },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" }, doc: `When event ${i} happened.` },
    { name: "count", type: "int" },
    { name: "status", type: { type: "enum", name: `Status${i}`, symbols: ["NEW", "ACTIVE", "DONE"] } },
    { name: "tags", type: { type: "array", items: "string" }, default: [] },
    { name: "attributes", type: { type: "map", values: ["null", "string", "long"] }, default: {} },
    { name: "note", type: ["null", "string"], default: null },
    {
      name: "detail",
      type: {
        type: "record",
        name: `Detail${i}`,
        fields: [
          { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 12, scale: 2 } },
          { name: "day", type: { type: "int", logicalType: "date" } },
          { name: "hash", type: { type: "fixed", name: `Hash${i}`, size: 16 } },
          {
            name: "items",
            type: {
              type: "array",
              items: {
                type: "record",
                name: `Item${i}`,
                fields: [
                  { name: "sku", type: "string" },
                  { name: "qty", type: "int", default: 1 },
                ],
              },
            },
          },
        ],
      },
    },
  ];
  if (i % 3 === 0) fields.push({ name: "choice", type: ["string", "double", `Item${i}`] });
  if (i % 5 === 0) {
    fields.push({
      name: "tree",
      type: [
        "null",
        {
          type: "record",
          name: `Node${i}`,
          fields: [
            { name: "label", type: "string" },
            { name: "children", type: { type: "array", items: `Node${i}` } },
          ],
        },
      ],
      default: null,
    });
  }
  if (version > 1) fields.push({ name: "added", type: "string", default: "v2" });
  return { type: "record", name: `Event${i}`, namespace: ns, fields };
}

function writeSchemas(root: string, events: number): number {
  const schemas = join(root, "schemas");
  mkdirSync(schemas, { recursive: true });
  const topics: Record<string, { dlq: string; events: Record<string, { key: string }> }> = {};
  let versions = 0;
  for (let i = 0; i < events; i++) {
    const type = `domain${i % 17}.event${i}.happened`;
    const count = i % 4 === 0 ? 2 : 1;
    mkdirSync(join(schemas, type));
    for (let v = 1; v <= count; v++) {
      writeFileSync(join(schemas, type, `v${v}.avsc`), JSON.stringify(schemaFor(i, v), null, 2));
      versions++;
    }
    const topic = `topic-${i % TOPICS}`;
    topics[topic] ??= { dlq: `dlq-${topic}`, events: {} };
    (topics[topic] as { events: Record<string, { key: string }> }).events[type] = { key: "id" };
  }
  writeFileSync(join(schemas, "manifest.json"), JSON.stringify({ topics }, null, 2));
  return versions;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall time, and this process's CPU time (less sensitive to other work on a shared machine). */
function time<T>(fn: () => T): { ms: number; cpu: number; value: T } {
  const start = performance.now();
  const cpu = cpuMs();
  const value = fn();
  return { ms: performance.now() - start, cpu: cpuMs() - cpu, value };
}

/** Baseline: read every schema file and build avsc types, nothing else. */
function baseline(schemasDir: string): void {
  for (const dir of readdirSync(schemasDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(schemasDir, dir.name))) {
      avro.Type.forSchema(JSON.parse(readFileSync(join(schemasDir, dir.name, f), "utf8")), { wrapUnions: "always" });
    }
  }
}

/** `[events]` (default 1000) and `--json` (one JSON object per size, then a summary, instead of the table). */
const args = parseArgs({ options: { json: { type: "boolean", default: false } }, allowPositionals: true });
const json = args.values.json;
const maxEvents = Number(args.positionals[0] ?? 1000);
if (!Number.isInteger(maxEvents) || maxEvents < 4) {
  console.error(`usage: bench/generate.ts [events (a whole number >= 4, default 1000)] [--json]`);
  process.exit(2);
}
const log = (line: string) => {
  if (!json) console.log(line);
};
const sizes = [maxEvents / 4, maxEvents / 2, maxEvents].map(Math.round);
const fmt = (n: number) => n.toFixed(2).padStart(9);
log(`skeji-gen benchmark (${sizes.join(", ")} events; every 4th event has 2 versions)\n`);
log(
  "events versions | generate ms  ms/version  cpu ms/version | avsc-only ms  ratio | --check ms  check/generate  write ms",
);
let last: { perVersion: number; cpuPerVersion: number } | undefined;
for (const events of sizes) {
  const root = mkdtempSync(join(tmpdir(), "skeji-gen-bench-"));
  try {
    const versions = writeSchemas(root, events);
    const schemasDir = join(root, "schemas");
    const out = join(root, "generated");
    generate({ schemasDir, cwd: root }); // warm-up (module loading, JIT)
    const gen = time(() => generate({ schemasDir, cwd: root }));
    if (gen.value.problems.length > 0) throw new Error(`unexpected problems: ${gen.value.problems[0]?.message}`);
    const base = time(() => baseline(schemasDir));
    const write = time(() => writeOutput(gen.value.files, out));
    const check = time(() => {
      const result = generate({ schemasDir, cwd: root });
      return diffOutput(result.files, out);
    });
    if (check.value.changed.length + check.value.added.length + check.value.removed.length !== 0) {
      throw new Error("--check found differences on an unchanged tree");
    }
    const perVersion = gen.ms / versions;
    if (json) {
      console.log(
        JSON.stringify({
          events,
          versions,
          generateMs: gen.ms,
          msPerVersion: perVersion,
          cpuMsPerVersion: gen.cpu / versions,
          avscOnlyMs: base.ms,
          checkMs: check.ms,
          writeMs: write.ms,
        }),
      );
    }
    log(
      [
        `${String(events).padStart(6)} ${String(versions).padStart(8)} |`,
        `${fmt(gen.ms)}  ${fmt(perVersion)}  ${fmt(gen.cpu / versions)}     |`,
        `${fmt(base.ms)} ${fmt(gen.ms / base.ms)} |`,
        `${fmt(check.ms)}  ${fmt(check.ms / gen.ms)}       ${fmt(write.ms)}`,
      ].join(" "),
    );
    last = { perVersion, cpuPerVersion: gen.cpu / versions };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
if (last && !json) {
  console.log(
    `\ntarget: <= 2 ms per event version; measured ${last.perVersion.toFixed(2)} ms wall, ${last.cpuPerVersion.toFixed(2)} ms CPU at ${maxEvents} events.`,
  );
  console.log("--check = generate in memory + compare with disk (no writes).");
}
