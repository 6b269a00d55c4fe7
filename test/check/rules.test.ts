/**
 * Table of writer/reader pairs: can a reader with schema R read data written with schema W?
 * Each row names the expected incompatibilities (type and path) or none.
 */
import { describe, expect, it } from "vitest";
import { checkCompatibility } from "../../generator/check/rules.ts";
import { resolveSchema } from "../../generator/check/schema.ts";
import { type AvroSchema, resolvingCodec } from "../../runtime/serde/avro.ts";
import { en, f, one, rec, rows } from "./rule-rows.ts";

describe("Avro schema resolution (writer -> reader)", () => {
  it("has at least 60 pairs", () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
  });

  it.each(rows)("$name", ({ writer, reader, expected }) => {
    const found = checkCompatibility(resolveSchema(reader, "reader"), resolveSchema(writer, "writer"));
    expect(found.map((i) => [i.type, i.path])).toEqual(expected);
  });
});

/**
 * A second opinion: the runtime's resolver (which throws on the first problem) agrees on
 * compatible-or-not for every row, except where it is more lenient by design: a narrower decimal
 * precision is read, and only a value that does not fit fails.
 */
const runtimeLenient = new Set(["decimal precision narrowed"]);

describe("agreement with the runtime's resolver", () => {
  it.each(rows.filter((r) => !runtimeLenient.has(r.name)))("$name", ({ writer, reader, expected }) => {
    const resolves = () => resolvingCodec(writer as AvroSchema, reader as AvroSchema);
    if (expected.length === 0) expect(resolves).not.toThrow();
    else expect(resolves).toThrow();
  });
});

describe("messages", () => {
  it("name both types and the missing enum symbols", () => {
    const [found] = checkCompatibility(
      resolveSchema(en("E", ["A"]), "r"),
      resolveSchema(en("E", ["A", "B", "C"]), "w"),
    );
    expect(found?.message).toBe("reader enum E lacks the writer's symbols B, C, and has no default symbol");
    expect(found?.detail).toEqual({ rule: "enum-symbols", symbols: ["B", "C"] });
  });

  it("describe a type mismatch by both type names", () => {
    const [found] = checkCompatibility(resolveSchema(one("int"), "r"), resolveSchema(one("string"), "w"));
    expect(found).toMatchObject({
      reader: "int",
      writer: "string",
      message: "reader type int cannot read writer type string",
    });
  });
});

describe("invalid schemas", () => {
  it.each([
    ["unknown type name", rec("R", [f("a", "Missing")]), 'writer.avsc: .fields[0].type: unknown type "Missing"'],
    ["duplicate field", rec("R", [f("a", "int"), f("a", "int")]), 'writer.avsc: .fields[1]: field "a" appears twice'],
    [
      "enum default not a symbol",
      en("E", ["A"], { default: "B" }),
      "writer.avsc: .default: the enum default must be one of its symbols",
    ],
    ["record without fields", { type: "record", name: "R" }, "writer.avsc: .fields: a record needs a fields array"],
  ])("reject %s with the file and JSON path", (_name, schema, message) => {
    expect(() => resolveSchema(schema, "writer.avsc")).toThrow(message);
  });
});
