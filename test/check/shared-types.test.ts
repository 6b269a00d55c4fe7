/** `skeji-gen check` through shared named types: a change to one is judged for every event that uses it. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { avsc, gitIn, record, runCli, writeSchemas } from "./helpers.ts";

const money = (...extra: unknown[]) => ({
  type: "record",
  name: "Money",
  namespace: "dev.skeji.common",
  fields: [{ name: "amount_minor", type: "long" }, ...extra],
});
const id = { name: "booking_id", type: "string" };

let root = "";
let dir = "";
const git = gitIn(() => root);
const writeMoney = (schema: unknown) => writeFileSync(join(dir, "_types", "money.avsc"), avsc(schema));

beforeEach(() => {
  ({ root, dir } = writeSchemas({
    "booking.created": { versions: [record("BookingCreated", id, { name: "price", type: "dev.skeji.common.Money" })] },
    "booking.cancelled": {
      versions: [record("BookingCancelled", id, { name: "refund", type: ["null", "dev.skeji.common.Money"] })],
    },
  }));
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as object;
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ types: "_types", ...manifest }));
  mkdirSync(join(dir, "_types"));
  writeMoney(money());
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "published");
  git("tag", "base");
});

describe("skeji-gen check --against, through shared types", () => {
  it("a docs-only change to a shared type passes", async () => {
    writeMoney({ ...money(), doc: "Money in minor units." });
    expect(await runCli("check", ["--against", "base"], root)).toMatchObject({ code: 0 });
  });

  it("the manifest named explicitly (as init's config does) still finds the shared types at the ref", async () => {
    writeFileSync(
      join(root, "skeji-gen.config.json"),
      JSON.stringify({ schemas: "schemas", manifest: "schemas/manifest.json" }),
    );
    git("add", ".");
    git("commit", "-q", "-m", "config");
    const passes = await runCli("check", ["--against", "HEAD"], root);
    expect(passes.err).toBe("");
    expect(passes.code).toBe(0);
    writeMoney(money({ name: "currency", type: "string" }));
    expect(await runCli("check", ["--against", "HEAD"], root)).toMatchObject({ code: 1 });
  });

  it("a breaking change is reported for every event that uses it, at the shared file, naming the path", async () => {
    writeMoney(money({ name: "currency", type: "string" }));
    const run = await runCli("check", ["--against", "base", "--format", "json"], root);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.out) as {
      findings: { event: string; path: string; through?: string; file: string; line: number }[];
      problems: { event: string; rule: string; message: string; file: string }[];
    };
    expect(out.findings.map((f) => [f.event, f.path, f.through, f.file])).toEqual([
      // In a union the branch as a whole no longer reads the old one: reported at the union.
      ["booking.cancelled", "refund", undefined, "schemas/booking.cancelled/v1.avsc"],
      ["booking.created", "price.currency", "dev.skeji.common.Money", "schemas/_types/money.avsc"],
    ]);
    expect(out.findings[1]?.line).toBe(11); // `"name": "currency"` in money.avsc
    expect(out.problems.map((p) => [p.event, p.rule, p.file])).toEqual([
      ["booking.cancelled", "published-version-edited", "schemas/_types/money.avsc"],
      ["booking.created", "published-version-edited", "schemas/_types/money.avsc"],
    ]);
    expect(out.problems[0]?.message).toContain("changed through the shared type dev.skeji.common.Money");

    const text = await runCli("check", ["--against", "base"], root);
    expect(text.out).toContain(
      "  at   price.currency  (in shared type dev.skeji.common.Money, schemas/_types/money.avsc:11)",
    );
  });

  it("offline, a new version is judged with the shared types expanded", async () => {
    const v2 = record(
      "BookingCreated",
      id,
      { name: "price", type: "dev.skeji.common.Money" },
      { name: "deposit", type: "dev.skeji.common.Money" },
    );
    writeFileSync(join(dir, "booking.created", "v2.avsc"), avsc(v2));
    const run = await runCli("check", ["--format", "json"], root);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.out) as { findings: { event: string; path: string; rule: string }[] };
    expect(out.findings.map((f) => [f.event, f.path, f.rule])).toEqual([
      ["booking.created", "deposit", "READER_FIELD_MISSING_DEFAULT_VALUE"],
    ]);
  });
});
