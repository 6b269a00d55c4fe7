/**
 * Writes the fault suite's latest results (`.local/faults/results.jsonl`, see test/faults/report.ts)
 * as the table between the markers in docs/reliability.md. Run by `npm run test:faults` after the
 * suite; `--check` only prints the table.
 */

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resultsFile, type ScenarioRow } from "../test/faults/report.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

const begin = "<!-- faults:begin -->";
const end = "<!-- faults:end -->";
const doc = join(repoRoot, "docs", "reliability.md");

function rows(): (ScenarioRow & { at: string })[] {
  if (!existsSync(resultsFile)) return [];
  const latest = new Map<string, ScenarioRow & { at: string }>();
  for (const line of readFileSync(resultsFile, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as ScenarioRow & { at: string };
    latest.set(row.scenario, row); // a scenario run twice keeps its last row
  }
  return [...latest.values()];
}

function table(all: (ScenarioRow & { at: string })[]): string {
  const head = "| scenario | published | acknowledged | lost | duplicated | dead-lettered | ambiguous | notes |";
  const rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |";
  const body = all.map(
    (r) =>
      `| ${r.scenario} | ${r.published} | ${r.acknowledged} | ${r.lost} | ${r.duplicated} | ${r.deadLettered} | ${r.ambiguous} | ${r.notes.replaceAll("|", "\\|")} |`,
  );
  const when = all.map((r) => r.at).sort();
  const stamp = when.length === 0 ? "no run yet" : `run of ${when[0]?.slice(0, 10)}, ${all.length} scenarios`;
  return [`_From the latest \`npm run test:faults\` (${stamp})._`, "", head, rule, ...body].join("\n");
}

const all = rows();
if (all.length === 0) {
  console.error(`no fault results in ${resultsFile}; run npm run test:faults first`);
  process.exit(1);
}
const rendered = table(all);
if (process.argv.includes("--check")) {
  console.log(rendered);
} else {
  const text = readFileSync(doc, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${doc} has no ${begin} ... ${end} markers`);
  writeFileSync(doc, `${text.slice(0, from + begin.length)}\n${rendered}\n${text.slice(to)}`);
  // In the repository's Markdown format (Biome's aligned tables), so that lint passes afterwards.
  const biome = createRequire(join(repoRoot, "package.json")).resolve("@biomejs/biome/bin/biome");
  execFileSync(process.execPath, [biome, "format", "--write", doc], { stdio: ["ignore", "ignore", "inherit"] });
  console.log(`wrote ${all.length} scenarios to ${doc}`);
}
const lost = all.filter((r) => r.lost > 0);
if (lost.length > 0) {
  console.error(`LOST records in: ${lost.map((r) => r.scenario).join("; ")}`);
  process.exit(1);
}
