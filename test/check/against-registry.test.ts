/** `skeji-gen check --against <ref> --registry <url>` together: a temporary git repository and the real registry. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { subjectFor } from "../../generator/check/subjects.ts";
import { registryUrl, uniqueName } from "../infra/env.ts";
import { avsc, gitIn, record, runCli, writeSchemas } from "./helpers.ts";

const id = { name: "booking_id", type: "string" };
const v1 = record("BookingCreated", id);
const v2 = record("BookingCreated", id, { name: "party_size", type: "int", default: 2 });

let root = "";
let dir = "";
let subject = "";
const git = gitIn(() => root);
const write = (version: number, schema: unknown) =>
  writeFileSync(join(dir, "booking.created", `v${version}.avsc`), avsc(schema));
const check = (...args: string[]) =>
  runCli("check", ["--against", "base", "--registry", registryUrl(), "--format", "json", ...args], root);

beforeEach(async () => {
  const topic = uniqueName("check-both");
  ({ root, dir } = writeSchemas({ "booking.created": { topic, versions: [v1, v2] } }));
  subject = subjectFor({ topic, type: "booking.created" });
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "published");
  git("tag", "base");
  expect((await runCli("register", ["--registry", registryUrl()], root)).code).toBe(0);
});

describe("skeji-gen check --against <ref> --registry <url>", () => {
  it("passes a compatible new version, having asked both", async () => {
    write(3, record("BookingCreated", id, { name: "party_size", type: "long", default: 2 }));
    const run = await check();
    expect(run.code).toBe(0);
    // One pair against the ref (v3/v2) and one against the registry's latest (v3/v2).
    expect(JSON.parse(run.out)).toMatchObject({ ok: true, mode: "git+registry", pairs: 2, findings: [], problems: [] });
  });

  it("reports an incompatibility both find once", async () => {
    write(
      3,
      record("BookingCreated", id, { name: "party_size", type: "int", default: 2 }, { name: "note", type: "string" }),
    );
    const run = await check();
    expect(run.code).toBe(1);
    const out = JSON.parse(run.out);
    expect(out.findings).toEqual([
      expect.objectContaining({ event: "booking.created", version: 3, against: 2, path: "note" }),
    ]);
    expect(out.problems).toEqual([]);
    expect(out.pairs).toBe(2); // both compared v3 with v2
  });

  it("reports an edited published version (git) together with what the registry says", async () => {
    write(2, record("BookingCreated", id, { name: "party_size", type: "int", default: 3 }));
    const run = await check();
    expect(run.code).toBe(1);
    const out = JSON.parse(run.out);
    expect(out.problems.map((p: { rule: string }) => p.rule)).toEqual(["published-version-edited"]);
    // The registry was asked too: what it holds as version 2 is no longer any file in schemas/.
    expect(out.notes).toContain(
      `booking.created: ${subject} versions 2 match no file in schemas/ (numbered by subject version below)`,
    );
  });

  it("an unknown ref ends the run before the registry is asked", async () => {
    const run = await runCli("check", ["--against", "nope", "--registry", "http://127.0.0.1:9"], root);
    expect(run.code).toBe(2);
    expect(run.err).toContain("nope");
    expect(run.err).not.toContain("did not answer");
  });
});
