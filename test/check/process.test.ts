/**
 * `skeji-gen check` as a real process (the CLI's sources through tsx; test/package runs the built
 * package): exit codes and output.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { record, writeSchemas } from "./helpers.ts";

const exec = promisify(execFile);
const cli = join(import.meta.dirname, "..", "..", "generator", "cli.ts");
/** tsx by absolute URL: the command runs in temporary folders outside the repository. */
const tsx = import.meta.resolve("tsx");

/** Runs the CLI; resolves with the exit code and output whatever the code. */
async function skejiGen(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await exec("node", ["--conditions=skeji-source", "--import", tsx, cli, ...args], {
      cwd,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const id = { name: "booking_id", type: "string" };

describe("skeji-gen check (process)", () => {
  it("exits 0, 1 and 2, and takes --schemas after the subcommand", async () => {
    const good = writeSchemas({
      "booking.created": {
        versions: [record("BookingCreated", id), record("BookingCreated", id, { name: "n", type: "int", default: 0 })],
      },
    });
    expect(await skejiGen(["check"], good.root)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/deploy either side first .*\n\ncompatible: 1 event, 1 version pair checked\n$/),
    });

    const bad = writeSchemas({
      "booking.created": {
        versions: [record("BookingCreated", id), record("BookingCreated", id, { name: "n", type: "int" })],
      },
    });
    const failed = await skejiGen(["check", "--schemas", bad.dir, "--format", "json"], good.root);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      ok: false,
      findings: [{ path: "n", rule: "READER_FIELD_MISSING_DEFAULT_VALUE" }],
    });

    const usage = await skejiGen(["check", "--format", "xml"], good.root);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("argument 'xml' is invalid");
  });
});
