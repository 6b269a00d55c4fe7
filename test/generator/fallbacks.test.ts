/**
 * Logical types that the Avro specification says fall back to the underlying type: the fallback
 * is kept (types and codec agree), and skeji-gen reports a warning naming the file and JSON path.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { avroCodec } from "@skeji/kafka";
import { describe, expect, it } from "vitest";
import { generate } from "../../generator/generate.ts";
import { formatWarning, loadProject } from "../../generator/load/index.ts";
import { runCli } from "../../generator/program.ts";
import { record, validProject, writeProject } from "./helpers.ts";

const odd = record(
  "ThingCreated",
  [
    { name: "id", type: "string" },
    { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 2, scale: 4 } },
    { name: "day", type: { type: "string", logicalType: "date" } },
    { name: "at", type: ["null", { type: "long", logicalType: "timestamp-nanos" }], default: null },
    { name: "code", type: { type: "fixed", name: "Code", size: 2, logicalType: "decimal", precision: 10 } },
    { name: "seen", type: { type: "map", values: { type: "long", logicalType: "timestamp-milis" } } },
    { name: "ok", type: { type: "bytes", logicalType: "decimal", precision: 4, scale: 2 } },
  ],
  { namespace: "test" },
);
const file = "schemas/thing.created/v1.avsc";
const ignored = "as the Avro specification requires, the logical type is ignored and the value is typed as";

const expectedWarnings = [
  `${file}: $.fields[1].type.scale: warning: decimal scale 4 is greater than its precision 2; ${ignored} bytes (Uint8Array)`,
  `${file}: $.fields[2].type.logicalType: warning: logical type "date" applies to int, not string; ${ignored} string`,
  `${file}: $.fields[3].type[1].logicalType: warning: logical type "timestamp-nanos" is not supported by skeji-gen; ${ignored} long (number)`,
  `${file}: $.fields[4].type.precision: warning: decimal precision 10 does not fit a fixed of 2 bytes (at most 4 digits); ${ignored} fixed (Uint8Array)`,
  `${file}: $.fields[5].type.values.logicalType: warning: unknown logical type "timestamp-milis" (did you mean "timestamp-millis"?); ${ignored} long (number)`,
];

describe("logical types that fall back to the underlying type", () => {
  it("are warnings with file and JSON path, not problems", () => {
    const root = writeProject(validProject({ [file]: odd }));
    const project = loadProject({ schemasDir: join(root, "schemas"), cwd: root });
    expect(project.problems).toEqual([]);
    expect(project.warnings.map(formatWarning)).toEqual(expectedWarnings);
  });

  it("keep the fallback: the generated types and the codec use the underlying type", () => {
    const root = writeProject(validProject({ [file]: odd }));
    const { files, problems, warnings } = generate({ schemasDir: join(root, "schemas"), cwd: root });
    expect(problems).toEqual([]);
    expect(warnings).toHaveLength(5);
    const text = files.get("thing.created.ts") ?? "";
    expect(text).toContain("  price: Uint8Array;\n");
    expect(text).toContain("  day: string;\n");
    expect(text).toContain("  at: number | null;\n");
    expect(text).toContain("  ok: string;\n");

    const codec = avroCodec(odd as never);
    const value = {
      id: "x",
      price: new Uint8Array([1, 2]),
      day: "not a date",
      at: 5,
      code: new Uint8Array([7, 8]),
      seen: { a: 1 },
      ok: "12.34",
    };
    const back = codec.decode(codec.encode(value)) as typeof value;
    expect(new Uint8Array(back.price)).toEqual(value.price);
    expect(back).toMatchObject({ day: "not a date", at: 5, seen: { a: 1 }, ok: "12.34" });
  });

  it("the command prints them on stderr, still generates, and exits 0", async () => {
    const root = writeProject(validProject({ [file]: odd }));
    const result = await runCli([], root);
    expect(result.code).toBe(0);
    expect(result.err).toEqual(expectedWarnings);
    expect(result.out).toEqual(["skeji-gen: 3 files in generated/ (3 written, 0 unchanged, 0 removed)."]);
    expect(existsSync(join(root, "generated/thing.created.ts"))).toBe(true);
    expect(readFileSync(join(root, "generated/thing.created.ts"), "utf8")).toContain("price: Uint8Array;");
  });

  it("a valid project has none", () => {
    const project = loadProject({
      schemasDir: join(import.meta.dirname, "..", "..", "schemas"),
      cwd: join(import.meta.dirname, "..", ".."),
    });
    expect(project.problems).toEqual([]);
    expect(project.warnings).toEqual([]);
  });
});
