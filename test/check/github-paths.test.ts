/**
 * `skeji-gen check --format github` run from a service's folder inside a monorepo: GitHub places
 * annotations by paths relative to the repository's root, so that is what they carry, wherever the
 * command runs; text and JSON keep paths relative to the working directory, as a terminal needs them.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { annotationPaths, repositoryRoot } from "../../generator/check/repository-root.ts";
import { gitIn, record, runCli, writeSchemas } from "./helpers.ts";

const id = { name: "booking_id", type: "string" };
const v1 = record("BookingCreated", id);
const v2 = record("BookingCreated", id, { name: "party_size", type: "int", default: 2 });
const breaking = record("BookingCreated", id, { name: "party_size", type: "string", default: "2" });

let root = "";
let service = "";
const git = gitIn(() => root);

/** A monorepo with one service's schemas under `services/booking/` (its own package.json), v1 and v2 committed. */
function monorepo(): void {
  root = mkdtempSync(join(tmpdir(), "skeji-monorepo-"));
  service = join(root, "services", "booking");
  mkdirSync(service, { recursive: true });
  writeFileSync(join(service, "package.json"), '{ "name": "booking" }\n');
  writeSchemas({ "booking.created": { topic: "booking.events", versions: [v1, v2] } }, service);
}

beforeEach(() => {
  // The runner's own workspace must not decide the answer; the tests that need one set it.
  vi.stubEnv("GITHUB_WORKSPACE", "");
  monorepo();
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

const v3File = "schemas/booking.created/v3.avsc";

describe("skeji-gen check --format github from a subfolder of the repository", () => {
  beforeEach(() => {
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "published");
    git("tag", "base");
    writeSchemas({ "booking.created": { topic: "booking.events", versions: [v1, v2, breaking] } }, service);
  });

  it("annotates the file by its path from the repository's root", async () => {
    const run = await runCli("check", ["--format", "github"], service);
    expect(run.code).toBe(1);
    expect(run.out.split("\n")[0]).toMatch(
      /^::error file=services\/booking\/schemas\/booking\.created\/v3\.avsc,line=11,title=booking\.created v3%3A TYPE_MISMATCH at party_size::/,
    );
  });

  it("annotates problems found against a git ref the same way (a deleted published version)", async () => {
    rmSync(join(service, "schemas", "booking.created", "v2.avsc"));
    rmSync(join(service, v3File));
    const run = await runCli("check", ["--against", "base", "--format", "github"], service);
    expect(run.code).toBe(1);
    expect(run.out.split("\n")[0]).toMatch(
      /^::error file=services\/booking\/schemas\/booking\.created\/v2\.avsc,line=1,title=booking\.created v2%3A published-version-deleted::/,
    );
  });

  it("from a folder deeper than the schemas, and from the root itself, the path is the same", async () => {
    const deeper = join(service, "src");
    mkdirSync(deeper);
    const fromDeeper = await runCli("check", ["--format", "github", "--schemas", "../schemas"], deeper);
    const fromRoot = await runCli("check", ["--format", "github", "--schemas", "services/booking/schemas"], root);
    const file = /^::error file=([^,]*),/;
    expect(file.exec(fromDeeper.out)?.[1]).toBe("services/booking/schemas/booking.created/v3.avsc");
    expect(file.exec(fromRoot.out)?.[1]).toBe("services/booking/schemas/booking.created/v3.avsc");
  });

  it("text and JSON keep paths relative to the working directory", async () => {
    const text = await runCli("check", [], service);
    expect(text.out).toContain(`  at   party_size  (${v3File}:11)`);
    const json = await runCli("check", ["--format", "json"], service);
    expect(JSON.parse(json.out).findings[0]).toMatchObject({ file: v3File, line: 11 });
  });
});

describe("where the checkout has no git metadata", () => {
  it("paths are relative to GITHUB_WORKSPACE", async () => {
    writeSchemas({ "booking.created": { topic: "booking.events", versions: [v1, v2, breaking] } }, service);
    vi.stubEnv("GITHUB_WORKSPACE", root);
    const run = await runCli("check", ["--format", "github"], service);
    expect(run.out).toContain("::error file=services/booking/schemas/booking.created/v3.avsc,line=11,");
  });

  it("GITHUB_WORKSPACE through a symbolic link counts as the folder it points to", async () => {
    writeSchemas({ "booking.created": { topic: "booking.events", versions: [v1, v2, breaking] } }, service);
    const link = `${root}-link`;
    symlinkSync(root, link, "dir");
    vi.stubEnv("GITHUB_WORKSPACE", link);
    try {
      const run = await runCli("check", ["--format", "github"], service);
      expect(run.out).toContain("::error file=services/booking/schemas/booking.created/v3.avsc,line=11,");
    } finally {
      rmSync(link);
    }
  });

  it("without a repository or a workspace, paths stay relative to the working directory", async () => {
    writeSchemas({ "booking.created": { topic: "booking.events", versions: [v1, v2, breaking] } }, service);
    const run = await runCli("check", ["--format", "github"], service);
    expect(run.out).toContain(`::error file=${v3File},line=11,`);
  });
});

describe("repositoryRoot", () => {
  it("finds the nearest .git upwards, a folder or a worktree's file, before the workspace", () => {
    mkdirSync(join(root, ".git"));
    expect(repositoryRoot(join(service, "schemas"), undefined)).toBe(root);
    writeFileSync(join(service, ".git"), "gitdir: /elsewhere\n");
    expect(repositoryRoot(join(service, "schemas"), root)).toBe(service);
    expect(annotationPaths(service, undefined)("schemas/x.avsc")).toBe("schemas/x.avsc");
    expect(annotationPaths(root, undefined)("services/booking/schemas/x.avsc")).toBe("schemas/x.avsc");
  });

  it("keeps a path outside every repository and workspace as it is", () => {
    expect(repositoryRoot(service, undefined)).toBeUndefined();
    expect(annotationPaths(service, join(root, "elsewhere"))("schemas/x.avsc")).toBe("schemas/x.avsc");
  });
});
