/**
 * Benchmark: `skeji-gen check` over 1,000 events with 5 versions each.
 *
 * Writes the schemas folder to a temporary directory, then times loading (the generator's
 * loader reads, validates and compiles each version; the check then resolves it), the offline check at FULL_TRANSITIVE (each version against every earlier one,
 * both directions: 10 pairs x 2 directions per event), and the same pairs through avsc's
 * resolver as a baseline. Prints times and the ratio to the baseline.
 *
 *   npm run bench:check
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import avro from "avsc";
import { checkOffline } from "../generator/check/offline.ts";
import type { Project } from "../generator/check/project.ts";
import { resolveSchema } from "../generator/check/schema.ts";
import { loadProject as loadSchemas } from "../generator/load/index.ts";

/** `--json`: one JSON object instead of the table (for scripts). */
const json = parseArgs({ options: { json: { type: "boolean", default: false } } }).values.json;

const EVENTS = 1000;
const VERSIONS = 5;

/** A realistic event: ids, a nested params record, an enum, an optional field, an array; each version adds a field. */
function schema(event: number, version: number): unknown {
  const extra = Array.from({ length: version - 1 }, (_, i) => ({
    name: `added_${i + 2}`,
    type: ["null", "string"],
    default: null,
  }));
  return {
    type: "record",
    name: `Event${event}`,
    namespace: "dev.skeji.bench",
    fields: [
      { name: "event_id", type: "string" },
      { name: "occurred_at", type: { type: "long", logicalType: "timestamp-millis" } },
      {
        name: "params",
        type: {
          type: "record",
          name: "Params",
          fields: [
            { name: "user_phone", type: "string" },
            { name: "start_time", type: "long" },
            { name: "party_size", type: "int" },
            { name: "status", type: { type: "enum", name: "Status", symbols: ["OPEN", "CONFIRMED", "CANCELLED"] } },
            { name: "notes", type: ["null", "string"], default: null },
            { name: "tags", type: { type: "array", items: "string" }, default: [] },
            { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 } },
          ],
        },
      },
      ...extra,
    ],
  };
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

const root = mkdtempSync(join(tmpdir(), "skeji-bench-check-"));
try {
  const dir = join(root, "schemas");
  const events: Record<string, { key: string }> = {};
  for (let e = 0; e < EVENTS; e++) {
    const type = `bench.event${e}.happened`;
    mkdirSync(join(dir, type), { recursive: true });
    for (let v = 1; v <= VERSIONS; v++) {
      writeFileSync(join(dir, type, `v${v}.avsc`), JSON.stringify(schema(e, v), null, 2));
    }
    events[type] = { key: "event_id" };
  }
  const manifest = { topics: { "bench-events": { compatibility: "FULL_TRANSITIVE", events } } };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));

  let t = process.hrtime.bigint();
  // The same two steps as `loadProject` in generator/check/project.ts, timed apart.
  const loaded = loadSchemas({ schemasDir: dir, cwd: root });
  const loaderMs = ms(t);
  if (loaded.problems.length > 0) throw new Error(`bench schemas do not load: ${loaded.problems[0]?.message}`);
  t = process.hrtime.bigint();
  const project: Project = {
    events: loaded.events.map((e) => ({
      type: e.type,
      topic: e.topic,
      compatibility: e.compatibility,
      versions: e.versions.map((v) => ({ ...v, schema: resolveSchema(v.schema, v.file) })),
    })),
  };
  const resolveMs = ms(t);

  t = process.hrtime.bigint();
  const result = checkOffline(project);
  const checkMs = ms(t);
  if (result.findings.length > 0) throw new Error("bench schemas are meant to be compatible");

  // Baseline: avsc parses the same schemas, then resolves the same pairs in both directions.
  t = process.hrtime.bigint();
  const parsed = Array.from({ length: EVENTS }, (_, e) =>
    Array.from({ length: VERSIONS }, (_, v) => avro.Type.forSchema(schema(e, v + 1) as avro.Schema)),
  );
  const avscParseMs = ms(t);
  t = process.hrtime.bigint();
  let resolutions = 0;
  for (const types of parsed) {
    for (let v = 1; v < VERSIONS; v++) {
      for (let w = 0; w < v; w++) {
        types[v]?.createResolver(types[w] as avro.Type);
        types[w]?.createResolver(types[v] as avro.Type);
        resolutions += 2;
      }
    }
  }
  const avscResolveMs = ms(t);

  if (json) {
    console.log(
      JSON.stringify({
        events: EVENTS,
        versions: VERSIONS,
        pairs: result.pairs,
        resolutions,
        ms: { load: loaderMs, resolve: resolveMs, check: checkMs, avscParse: avscParseMs, avscResolve: avscResolveMs },
        ratio: { load: loaderMs / avscParseMs, resolve: resolveMs / avscParseMs, check: checkMs / avscResolveMs },
      }),
    );
    process.exit(0);
  }
  const row = (label: string, value: number, base: number) =>
    console.log(
      `  ${label.padEnd(44)} ${value.toFixed(0).padStart(6)} ms   avsc ${base.toFixed(0).padStart(6)} ms   ratio ${(value / base).toFixed(2)}x`,
    );
  console.log(
    `skeji-gen check: ${EVENTS} events x ${VERSIONS} versions, FULL_TRANSITIVE: ${result.pairs} pairs, ${resolutions} reader/writer checks`,
  );
  row(`load: ${EVENTS * VERSIONS} files through generator/load`, loaderMs, avscParseMs);
  row("resolve: the check's own schema model", resolveMs, avscParseMs);
  row("check: all pairs, both directions", checkMs, avscResolveMs);
  console.log(
    `  total ${(loaderMs + resolveMs + checkMs).toFixed(0)} ms (avsc: parse only, no file reads; its resolver stops at the first problem)`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
