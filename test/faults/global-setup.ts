/** Starts each fault run with an empty results file, so the report shows this run only. */
import { rmSync } from "node:fs";
import { resultsFile } from "./report.ts";

export default function setup(): void {
  rmSync(resultsFile, { force: true });
}
