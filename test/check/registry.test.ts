/** `skeji-gen register` and `skeji-gen check --registry` against the real schema registry. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { subjectFor } from "../../generator/check/subjects.ts";
import { registryUrl, uniqueName } from "../infra/env.ts";
import { avsc, record, runCli, writeSchemas } from "./helpers.ts";

const id = { name: "booking_id", type: "string" };
const v1 = record("BookingCreated", id);
const v2 = record("BookingCreated", id, { name: "party_size", type: "int", default: 2 });

const getJson = async (path: string) => (await fetch(`${registryUrl()}${path}`)).json();

/** A schemas folder with booking.created v1, v2 on a topic no other test uses. */
function project(compatibility = "BACKWARD") {
  const topic = uniqueName("check-booking");
  const spec = { topic, compatibility, versions: [v1, v2] };
  const { root, dir } = writeSchemas({ "booking.created": spec });
  const subject = subjectFor({ topic, type: "booking.created" });
  const addVersion = (schema: unknown) => writeFileSync(join(dir, "booking.created", "v3.avsc"), avsc(schema));
  return { root, subject, addVersion };
}

describe("skeji-gen register", () => {
  it("registers every version under <topic>-<event-type> with the manifest's level, and is idempotent", async () => {
    const { root, subject } = project("FULL_TRANSITIVE");
    const first = await runCli("register", ["--registry", registryUrl()], root);
    expect(first.code).toBe(0);
    expect(first.out).toContain("registered 2 new versions of 1 event");
    expect(await getJson(`/subjects/${subject}/versions`)).toEqual([1, 2]);
    expect(await getJson(`/config/${subject}`)).toEqual({ compatibilityLevel: "FULL_TRANSITIVE" });
    const latest = (await getJson(`/subjects/${subject}/versions/2`)) as { schema: string };
    expect(JSON.parse(latest.schema)).toEqual(v2);

    const again = await runCli("register", ["--registry", registryUrl()], root);
    expect(again.code).toBe(0);
    expect(again.out).toContain("registered 0 new versions of 1 event");
    expect(again.out).toContain(`note: booking.created v2: already ${subject} version 2`);
    expect(await getJson(`/subjects/${subject}/versions`)).toEqual([1, 2]);
  });

  it("exits 1 when the registry refuses a version, naming the file", async () => {
    const { root, subject, addVersion } = project();
    expect((await runCli("register", ["--registry", registryUrl()], root)).code).toBe(0);
    addVersion(record("BookingCreated", id, { name: "note", type: "string" }));
    const run = await runCli("register", ["--registry", registryUrl(), "--format", "json"], root);
    expect(run.code).toBe(1);
    const [problem] = JSON.parse(run.out).problems;
    expect(problem).toMatchObject({
      rule: "registry-rejected",
      event: "booking.created",
      version: 3,
      file: "schemas/booking.created/v3.avsc",
    });
    expect(await getJson(`/subjects/${subject}/versions`)).toEqual([1, 2]);
  });

  it("exits 2 without a registry URL, or when the registry does not answer", async () => {
    const { root } = project();
    const saved = process.env.SCHEMA_REGISTRY_URL;
    delete process.env.SCHEMA_REGISTRY_URL;
    try {
      const missing = await runCli("register", [], root);
      expect(missing.code).toBe(2);
      expect(missing.err).toContain("required option '--registry <url>' not specified");
    } finally {
      process.env.SCHEMA_REGISTRY_URL = saved;
    }
    const down = await runCli("register", ["--registry", "http://127.0.0.1:9"], root);
    expect(down.code).toBe(2);
    expect(down.err).toContain("schema registry http://127.0.0.1:9 did not answer");
  });
});

describe("skeji-gen check --registry", () => {
  it("accepts a compatible new version, and rejects an incompatible one with the field and a hint", async () => {
    const { root, subject, addVersion } = project();
    expect((await runCli("register", ["--registry", registryUrl()], root)).code).toBe(0);

    addVersion(record("BookingCreated", id, { name: "party_size", type: "long", default: 2 }));
    const good = await runCli("check", ["--registry", registryUrl()], root);
    expect(good).toMatchObject({
      code: 0,
      out:
        "order: booking.created v3 against v2 (BACKWARD): deploy consumers first (v3 consumers read v2 data; consumers on v2 cannot read v3 data)\n\n" +
        "compatible: 1 event, 1 version pair checked\n",
    });

    addVersion(record("BookingCreated", id, { name: "party_size", type: "int" }, { name: "note", type: "string" }));
    const bad = await runCli("check", ["--registry", registryUrl(), "--format", "json"], root);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).findings).toEqual([
      expect.objectContaining({
        event: "booking.created",
        version: 3,
        against: 2,
        path: "note",
        rule: "READER_FIELD_MISSING_DEFAULT_VALUE",
        hint: 'give the new field "note" a default in v3 (data written with v2 does not have it)',
      }),
    ]);
    // The registry's own compatibility API gives the same verdict for that file.
    const verdict = await fetch(`${registryUrl()}/compatibility/subjects/${subject}/versions/latest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ schema: JSON.stringify(record("BookingCreated", id, { name: "note", type: "string" })) }),
    }).then((r) => r.json());
    expect(verdict).toEqual({ is_compatible: false });
  });

  it("fails on the registry's verdict even when its level is stricter than the manifest", async () => {
    const { root, subject, addVersion } = project("FORWARD");
    expect((await runCli("register", ["--registry", registryUrl()], root)).code).toBe(0);
    // Someone tightened the subject to BACKWARD in the registry; the manifest still says FORWARD.
    await fetch(`${registryUrl()}/config/${subject}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ compatibility: "BACKWARD" }),
    });
    addVersion(
      record("BookingCreated", id, { name: "party_size", type: "int", default: 2 }, { name: "note", type: "string" }),
    );
    const run = await runCli("check", ["--registry", registryUrl()], root);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`the registry applies BACKWARD to ${subject}, the manifest says FORWARD`);
    expect(run.out).toContain(`the registry rejects booking.created v3 for ${subject} at its level BACKWARD`);
  });

  it("asks the registry against every registered version when its level is transitive", async () => {
    // v1 {id, party_size: int}, v2 {id}; v3 {id, party_size: string = ""} reads v2 but not v1's int.
    const topic = uniqueName("check-booking");
    const v1Sized = record("BookingCreated", id, { name: "party_size", type: "int" });
    const { root, dir } = writeSchemas({ "booking.created": { topic, versions: [v1Sized, v1] } });
    const subject = subjectFor({ topic, type: "booking.created" });
    expect((await runCli("register", ["--registry", registryUrl()], root)).code).toBe(0);
    writeFileSync(
      join(dir, "booking.created", "v3.avsc"),
      avsc(record("BookingCreated", id, { name: "party_size", type: "string", default: "" })),
    );
    expect((await runCli("check", ["--registry", registryUrl()], root)).code).toBe(0);
    await fetch(`${registryUrl()}/config/${subject}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ compatibility: "BACKWARD_TRANSITIVE" }),
    });
    const run = await runCli("check", ["--registry", registryUrl()], root);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      `the registry rejects booking.created v3 for ${subject} at its level BACKWARD_TRANSITIVE`,
    );
  });

  it("passes an unregistered event with a note, and a version that is already registered", async () => {
    const { root, subject } = project();
    const before = await runCli("check", ["--registry", registryUrl()], root);
    expect(before.code).toBe(0);
    expect(before.out).toContain(`note: booking.created: subject ${subject} is not registered yet`);
    await runCli("register", ["--registry", registryUrl()], root);
    const after = await runCli("check", ["--registry", registryUrl()], root);
    expect(after.code).toBe(0);
    expect(after.out).toContain(`note: booking.created v2 is already registered as ${subject} version 2`);
  });
});
