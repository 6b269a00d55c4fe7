/** `skeji-gen check --against <ref>` in a temporary git repository. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { avsc, gitIn, record, runCli, writeSchemas } from "./helpers.ts";

const id = { name: "booking_id", type: "string" };
const v1 = record("BookingCreated", id);
const v2 = record("BookingCreated", id, { name: "party_size", type: "int", default: 2 });

let root = "";
let dir = "";
const git = gitIn(() => root);
const write = (version: number, schema: unknown, text = avsc(schema)) =>
  writeFileSync(join(dir, "booking.created", `v${version}.avsc`), text);

beforeEach(() => {
  ({ root, dir } = writeSchemas({ "booking.created": { topic: "booking.events", versions: [v1, v2] } }));
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "published");
  git("tag", "base");
});

describe("skeji-gen check --against", () => {
  it("accepts a new version that reads the published ones", async () => {
    write(3, record("BookingCreated", id, { name: "party_size", type: "long", default: 2 }));
    expect(await runCli("check", ["--against", "base"], root)).toMatchObject({
      code: 0,
      out:
        "order: booking.created v3 against v2 (BACKWARD): deploy consumers first (v3 consumers read v2 data; consumers on v2 cannot read v3 data)\n\n" +
        "compatible: 1 event, 1 version pair checked\n",
    });
  });

  it("checks only the new versions: the published pair v2/v1 is not compared again", async () => {
    write(3, v2);
    const run = await runCli("check", ["--against", "base", "--format", "json"], root);
    expect(JSON.parse(run.out)).toMatchObject({ ok: true, pairs: 1, findings: [], problems: [] });
  });

  it("rejects a new version that breaks readers, with the file and line of the field", async () => {
    write(3, record("BookingCreated", id, { name: "party_size", type: "string", default: "2" }));
    const run = await runCli("check", ["--against", "base", "--format", "github"], root);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      "::error file=schemas/booking.created/v3.avsc,line=11,title=booking.created v3%3A TYPE_MISMATCH at party_size::",
    );
  });

  it("rejects an edited published version, but not a reformatted one", async () => {
    write(2, v2, JSON.stringify(v2)); // same schema, one line
    expect((await runCli("check", ["--against", "base"], root)).code).toBe(0);

    write(1, record("BookingCreated", id, { name: "note", type: "string", default: "" }));
    const run = await runCli("check", ["--against", "base", "--format", "json"], root);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.out).problems).toEqual([
      {
        rule: "published-version-edited",
        event: "booking.created",
        version: 1,
        file: "schemas/booking.created/v1.avsc",
        line: 9, // where the edit starts
        message: "booking.created v1 is published but its schema was changed",
        hint: "restore schemas/booking.created/v1.avsc and put the change in a new version v3",
      },
    ]);
  });

  it("rejects a deleted published version", async () => {
    rmSync(join(dir, "booking.created", "v2.avsc"));
    const run = await runCli("check", ["--against", "base"], root);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      "booking.created v2: booking.created v2 is published (schemas/booking.created/v2.avsc exists at the base ref) but was deleted",
    );
    const github = await runCli("check", ["--against", "base", "--format", "github"], root);
    expect(github.out.split("\n")[0]).toBe(
      "::error file=schemas/booking.created/v2.avsc,line=1,title=booking.created v2%3A published-version-deleted::" +
        "booking.created v2 is published (schemas/booking.created/v2.avsc exists at the base ref) but was deleted." +
        "%0AFix: restore schemas/booking.created/v2.avsc; published versions stay, even when no producer writes them any more",
    );
  });

  it("checks a new event's versions among themselves and notes it", async () => {
    writeSchemas(
      {
        "booking.created": { topic: "booking.events", versions: [v1, v2] },
        "booking.moved": {
          versions: [record("BookingMoved", id), record("BookingMoved", id, { name: "to", type: "string" })],
        },
      },
      root,
    );
    const run = await runCli("check", ["--against", "base"], root);
    expect(run.code).toBe(1);
    expect(run.out).toContain("booking.moved v2 against v1 (BACKWARD)");
    expect(run.out).toContain("note: booking.moved is a new event (2 versions)");
  });

  it("treats a ref without schemas as nothing published (the pull request that adds them)", async () => {
    const emptyTree = git("hash-object", "-t", "tree", "/dev/null").trim();
    const nothing = git("commit-tree", emptyTree, "-m", "before schemas").trim();
    const run = await runCli("check", ["--against", nothing], root);
    expect(run).toMatchObject({ code: 0 });
    expect(run.out).toBe(
      "order: booking.created v2 against v1 (BACKWARD): deploy either side first (consumers on v1 read v2 data, and v2 consumers read v1 data)\n\n" +
        "note: booking.created is a new event (2 versions)\n\ncompatible: 1 event, 1 version pair checked\n",
    );
  });

  it("reads the manifest at the ref from where --manifest says", async () => {
    git("mv", "schemas/manifest.json", "manifest.json");
    git("commit", "-q", "-m", "manifest moved");
    git("tag", "moved");
    write(3, record("BookingCreated", id, { name: "party_size", type: "string", default: "2" }));
    const run = await runCli("check", ["--against", "moved", "--manifest", "manifest.json", "--format", "json"], root);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.out)).toMatchObject({
      pairs: 1,
      findings: [{ version: 3, against: 2, rule: "TYPE_MISMATCH" }],
    });
  });

  it("notes a changed compatibility level", async () => {
    writeSchemas({ "booking.created": { topic: "booking.events", compatibility: "NONE", versions: [v1, v2] } }, root);
    const run = await runCli("check", ["--against", "base"], root);
    expect(run).toMatchObject({ code: 0 });
    expect(run.out).toContain("note: booking.created: compatibility changed from BACKWARD to NONE");
  });

  it("works from a commit of another branch, and exits 2 on an unknown ref", async () => {
    git("checkout", "-q", "-b", "feature");
    write(3, v2);
    git("add", ".");
    git("commit", "-q", "-m", "v3");
    expect((await runCli("check", ["--against", "main"], root)).code).toBe(0);
    const unknown = await runCli("check", ["--against", "no-such-ref"], root);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(
      'skeji-gen: --against: unknown git ref "no-such-ref" (expected a branch, tag or commit)\n',
    );
  });

  it("with --format github, reports a bad ref as an ::error annotation", async () => {
    const run = await runCli("check", ["--against", "no-such-ref", "--format", "github"], root);
    expect(run).toMatchObject({
      code: 2,
      err: "",
      out: '::error title=skeji-gen check::--against: unknown git ref "no-such-ref" (expected a branch, tag or commit)\n',
    });
    const usage = await runCli("check", ["--format", "github", "--registry-username"], root);
    expect(usage).toMatchObject({
      code: 2,
      out: "::error title=skeji-gen check::option '--registry-username <name>' argument missing\n",
    });
  });

  it("in a shallow clone without the base ref, says to fetch the history (fetch-depth: 0)", async () => {
    git("checkout", "-q", "-b", "feature");
    write(3, v2);
    git("add", ".");
    git("commit", "-q", "-m", "v3");
    // What actions/checkout does by default: one commit of the branch being checked.
    const clone = mkdtempSync(join(tmpdir(), "skeji-shallow-"));
    git("clone", "-q", "--depth", "1", "--branch", "feature", `file://${root}`, clone);
    const run = await runCli("check", ["--against", "origin/main", "--format", "github"], clone);
    expect(run.code).toBe(2);
    expect(run.out).toBe(
      '::error title=skeji-gen check::--against: unknown git ref "origin/main" (expected a branch, tag or commit); ' +
        "this is a shallow clone, which holds only the latest commits: fetch the full history " +
        "(with actions/checkout, set `fetch-depth: 0`; elsewhere run `git fetch --unshallow`)\n",
    );

    // Fetched in full, the same command works.
    gitIn(() => clone)("fetch", "-q", "--unshallow", "origin", "+refs/heads/*:refs/remotes/origin/*");
    expect((await runCli("check", ["--against", "origin/main", "--format", "github"], clone)).code).toBe(0);
  });

  it("names a remote branch that was never fetched, and a folder outside git", async () => {
    const clone = mkdtempSync(join(tmpdir(), "skeji-clone-"));
    git("clone", "-q", `file://${root}`, clone);
    const run = await runCli("check", ["--against", "origin/release"], clone);
    expect(run.err).toBe(
      'skeji-gen: --against: unknown git ref "origin/release" (expected a branch, tag or commit); fetch it first: `git fetch origin release`\n',
    );
    const outside = writeSchemas({ "booking.created": { versions: [v1] } });
    const noGit = await runCli("check", ["--against", "main"], outside.root);
    expect(noGit.code).toBe(2);
    expect(noGit.err).toContain("is not in a git repository, and --against reads the published schemas from git");
  });
});
