/** `skeji-gen check` over the schemas folder: output, formats and exit codes as a user sees them. */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { record, runCli, writeSchemas } from "./helpers.ts";

const id = { name: "booking_id", type: "string" };
const params = (...fields: unknown[]) => ({
  name: "params",
  type: { type: "record", name: "Params", fields },
});
const start = { name: "start_time", type: "long" };
const party = { name: "party_size", type: "int" };

/** booking.created: v1 {booking_id, params{party_size}}, v2 adds params.start_time without a default. */
const breaking = {
  "booking.created": {
    topic: "booking.events",
    versions: [record("BookingCreated", id, params(party)), record("BookingCreated", id, params(party, start))],
  },
  "booking.cancelled": {
    topic: "booking.events",
    versions: [
      record("BookingCancelled", id),
      record("BookingCancelled", id, { name: "reason", type: ["null", "string"], default: null }),
    ],
  },
};

describe("skeji-gen check (offline)", () => {
  it("exits 0 and says so when every version reads the previous one", async () => {
    const { root } = writeSchemas({ "booking.cancelled": breaking["booking.cancelled"] });
    const run = await runCli("check", [], root);
    expect(run).toMatchObject({ code: 0, err: "" });
    expect(run.out).toBe(
      "order: booking.cancelled v2 against v1 (BACKWARD): deploy either side first (consumers on v1 read v2 data, and v2 consumers read v1 data)\n\n" +
        "compatible: 1 event, 1 version pair checked\n",
    );
  });

  it("exits 1 and names event, versions, path, rule, who breaks, and a fix", async () => {
    const { root } = writeSchemas(breaking);
    const run = await runCli("check", [], root);
    expect(run.code).toBe(1);
    expect(run.out).toBe(
      [
        "booking.created v2 against v1 (BACKWARD): breaks new readers: consumers on v2 cannot read data written with v1",
        "  at   params.start_time  (schemas/booking.created/v2.avsc:21)",
        '  rule READER_FIELD_MISSING_DEFAULT_VALUE: reader field "start_time" has no default, and the writer has no such field',
        '  fix  give the new field "start_time" a default in v2 (data written with v1 does not have it)',
        "",
        "order: booking.cancelled v2 against v1 (BACKWARD): deploy either side first (consumers on v1 read v2 data, and v2 consumers read v1 data)",
        "order: booking.created v2 against v1 (BACKWARD): deploy producers first (consumers on v1 read v2 data; v2 consumers cannot read v1 data)",
        "",
        "incompatible: 1 incompatibility in 1 event (2 events, 2 version pairs checked)",
        "",
      ].join("\n"),
    );
  });

  it("uses the level from the manifest: FORWARD accepts the added field, NONE checks nothing", async () => {
    const forward = writeSchemas({ "booking.created": { ...breaking["booking.created"], compatibility: "FORWARD" } });
    expect((await runCli("check", [], forward.root)).code).toBe(0);
    const none = writeSchemas({ "booking.created": { ...breaking["booking.created"], compatibility: "NONE" } });
    expect(await runCli("check", [], none.root)).toMatchObject({
      code: 0,
      out: "compatible: 1 event, 0 version pairs checked\n",
    });
  });

  it("checks against every earlier version for transitive levels", async () => {
    // v1 {id, party_size:int}, v2 {id}, v3 {id, party_size:string=""}: v3 cannot read v1's int.
    const versions = [
      record("BookingCreated", id, party),
      record("BookingCreated", id),
      record("BookingCreated", id, { name: "party_size", type: "string", default: "" }),
    ];
    const plain = writeSchemas({ "booking.created": { versions } });
    expect((await runCli("check", [], plain.root)).code).toBe(0);
    const transitive = writeSchemas({ "booking.created": { versions, compatibility: "BACKWARD_TRANSITIVE" } });
    const run = await runCli("check", ["--format", "json"], transitive.root);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.out);
    expect(json).toMatchObject({ ok: false, mode: "offline", events: 1, pairs: 3 });
    expect(json.findings).toEqual([
      expect.objectContaining({
        event: "booking.created",
        version: 3,
        against: 1,
        level: "BACKWARD_TRANSITIVE",
        direction: "new-readers",
        path: "party_size",
        rule: "TYPE_MISMATCH",
        reader: "string",
        writer: "int",
        file: "schemas/booking.created/v3.avsc",
      }),
    ]);
    // Each checked version says which side may go first: v3 against both earlier versions.
    expect(json.changes).toEqual([
      { event: "booking.created", version: 2, against: [1], level: "BACKWARD_TRANSITIVE", order: "consumers-first" },
      { event: "booking.created", version: 3, against: [1, 2], level: "BACKWARD_TRANSITIVE", order: "together" },
    ]);
  });

  it("reports every problem of a FULL event at once, both directions", async () => {
    const status = (...symbols: string[]) => ({ name: "status", type: { type: "enum", name: "Status", symbols } });
    const { root } = writeSchemas({
      "booking.created": {
        compatibility: "FULL",
        versions: [
          record("BookingCreated", id, status("OPEN", "CONFIRMED"), params(party)),
          record("BookingCreated", id, status("OPEN", "CONFIRMED", "WAITLISTED"), params(party, start)),
        ],
      },
    });
    const run = await runCli("check", [], root);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      "booking.created v2 against v1 (FULL): breaks old readers: consumers on v1 cannot read data written with v2\n" +
        "  at   status  (schemas/booking.created/v2.avsc:11)\n" +
        "  rule MISSING_ENUM_SYMBOLS: reader enum dev.skeji.events.Status lacks the writer's symbols WAITLISTED, and has no default symbol\n",
    );
    expect(run.out).toContain("  at   params.start_time  (schemas/booking.created/v2.avsc:");
    expect(run.out).toMatch(/\nincompatible: 2 incompatibilities in 1 event \(1 event, 1 version pair checked\)\n$/);
  });

  it("prints GitHub annotations pointing at the schema file and the offending field's line", async () => {
    const { root } = writeSchemas(breaking);
    const run = await runCli("check", ["--format", "github"], root);
    expect(run.code).toBe(1);
    const lines = run.out.trimEnd().split("\n");
    const [annotation, ...notices] = lines.slice(0, -1);
    const last = lines.at(-1);
    expect(annotation).toBe(
      "::error file=schemas/booking.created/v2.avsc,line=21,title=booking.created v2%3A READER_FIELD_MISSING_DEFAULT_VALUE at params.start_time::" +
        'reader field "start_time" has no default, and the writer has no such field (against v1, BACKWARD; breaks new readers: consumers on v2 cannot read data written with v1).' +
        '%0AFix: give the new field "start_time" a default in v2 (data written with v1 does not have it)',
    );
    expect(notices).toEqual([
      "::notice title=booking.cancelled v2%3A either::booking.cancelled v2 against v1 (BACKWARD): deploy either side first (consumers on v1 read v2 data, and v2 consumers read v1 data)",
      "::notice title=booking.created v2%3A producers-first::booking.created v2 against v1 (BACKWARD): deploy producers first (consumers on v1 read v2 data; v2 consumers cannot read v1 data)",
    ]);
    expect(last).toMatch(/^incompatible: /);
  });

  it("finds the schemas and the manifest where skeji-gen.config.json or --manifest puts them", async () => {
    const { root, dir } = writeSchemas(breaking);
    renameSync(dir, join(root, "events"));
    renameSync(join(root, "events", "manifest.json"), join(root, "topics.json"));
    writeFileSync(join(root, "skeji-gen.config.json"), JSON.stringify({ schemas: "events", manifest: "topics.json" }));
    const configured = await runCli("check", [], root);
    expect(configured.code).toBe(1);
    expect(configured.out).toContain("  at   params.start_time  (events/booking.created/v2.avsc:21)");
    rmSync(join(root, "skeji-gen.config.json"));
    const explicit = await runCli("check", ["--schemas", "events", "--manifest", "topics.json"], root);
    expect(explicit.out).toBe(configured.out);
  });

  it("exits 2 on an invalid schema, naming the file and the JSON path", async () => {
    const { root, dir } = writeSchemas(breaking);
    writeFileSync(
      join(dir, "booking.created", "v2.avsc"),
      JSON.stringify(record("BookingCreated", { name: "x", type: "Nope" })),
    );
    const run = await runCli("check", [], root);
    expect(run).toMatchObject({ code: 2, out: "" });
    expect(run.err).toMatch(
      /^skeji-gen: schemas\/booking.created\/v2.avsc: \$\.fields\[0\]\.type: unknown type "Nope"/,
    );
  });

  it("from a subfolder, reads the schemas the project's config file names", async () => {
    const { root, dir } = writeSchemas({ "booking.cancelled": breaking["booking.cancelled"] });
    renameSync(dir, join(root, "events"));
    writeFileSync(join(root, "package.json"), '{ "name": "svc" }\n');
    writeFileSync(join(root, "skeji-gen.config.json"), '{ "schemas": "events" }\n');
    const sub = join(root, "src");
    mkdirSync(sub);
    expect(await runCli("check", [], sub)).toMatchObject({
      code: 0,
      out: expect.stringMatching(
        /^order: booking.cancelled v2 against v1 .*\n\ncompatible: 1 event, 1 version pair checked\n$/,
      ),
    });
  });

  it("exits 2 on usage errors: an unknown format, a missing folder, a registry URL that is not one", async () => {
    const { root } = writeSchemas(breaking);
    const format = await runCli("check", ["--format", "xml"], root);
    expect(format.code).toBe(2);
    expect(format.err).toContain("option '--format <format>' argument 'xml' is invalid");
    const empty = mkdtempSync(join(tmpdir(), "skeji-empty-"));
    const missing = await runCli("check", [], empty);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain(
      `skeji-gen: no schemas: found no skeji-gen.config.json (looked in ${empty} or its parents up to /), and the default schemas folder ${join(empty, "schemas")} does not exist. Run \`npx skeji-gen init\``,
    );
    const url = await runCli("check", ["--against", "main", "--registry", "localhost:1"], root);
    expect(url.code).toBe(2);
    expect(url.err).toBe('skeji-gen: invalid option "--registry": expected an http(s) URL, got "localhost:1"\n');
  });
});
