/**
 * Writer/reader pairs with the incompatibilities `skeji-gen check` must report for each (type and
 * path), or none. Shared by the rules table and the differential test against the runtime.
 */
import type { IncompatibilityType } from "../../generator/check/rules.ts";

export type S = unknown;
export const rec = (name: string, fields: S[], extra: Record<string, unknown> = {}): S => ({
  type: "record",
  name,
  fields,
  ...extra,
});
export const f = (name: string, type: S, extra: Record<string, unknown> = {}): S => ({ name, type, ...extra });
export const dflt = (name: string, type: S, value: unknown): S => ({ name, type, default: value });
export const en = (name: string, symbols: string[], extra: Record<string, unknown> = {}): S => ({
  type: "enum",
  name,
  symbols,
  ...extra,
});
export const fixed = (name: string, size: number, extra: Record<string, unknown> = {}): S => ({
  type: "fixed",
  name,
  size,
  ...extra,
});
export const dec = (precision: number, scale: number): S => ({
  type: "bytes",
  logicalType: "decimal",
  precision,
  scale,
});
export const one = (type: S): S => rec("R", [f("x", type)]);

export type Expected = readonly (readonly [IncompatibilityType, string])[];
export interface Row {
  readonly name: string;
  readonly writer: S;
  readonly reader: S;
  readonly expected: Expected;
}
const ok = (name: string, writer: S, reader: S): Row => ({ name, writer, reader, expected: [] });
const bad = (name: string, writer: S, reader: S, ...expected: [IncompatibilityType, string][]): Row => ({
  name,
  writer,
  reader,
  expected,
});

const linked = (extra: S[] = []): S =>
  rec("dev.skeji.Node", [f("value", "int"), f("next", ["null", "Node"]), ...extra]);

export const rows: Row[] = [
  // primitives and promotions
  ok("same primitive", "string", "string"),
  ok("int read as long", "int", "long"),
  ok("int read as float", "int", "float"),
  ok("int read as double", "int", "double"),
  ok("long read as float", "long", "float"),
  ok("long read as double", "long", "double"),
  ok("float read as double", "float", "double"),
  ok("string read as bytes", "string", "bytes"),
  ok("bytes read as string", "bytes", "string"),
  ok("primitive in object form", { type: "int" }, "int"),
  bad("long read as int", "long", "int", ["TYPE_MISMATCH", ""]),
  bad("double read as float", "double", "float", ["TYPE_MISMATCH", ""]),
  bad("float read as long", "float", "long", ["TYPE_MISMATCH", ""]),
  bad("int read as string", "int", "string", ["TYPE_MISMATCH", ""]),
  bad("boolean read as int", "boolean", "int", ["TYPE_MISMATCH", ""]),
  bad("null read as string", "null", "string", ["TYPE_MISMATCH", ""]),
  bad("string read as record", "string", rec("R", []), ["TYPE_MISMATCH", ""]),
  bad("field type change inside record", one("string"), one("int"), ["TYPE_MISMATCH", "x"]),
  ok("field promoted inside record", one("int"), one("long")),

  // records: fields and defaults
  ok("added field with default", rec("R", [f("a", "int")]), rec("R", [f("a", "int"), dflt("b", "string", "")])),
  bad("added field without default", rec("R", [f("a", "int")]), rec("R", [f("a", "int"), f("b", "string")]), [
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "b",
  ]),
  ok(
    "removed field (reader ignores writer extras)",
    rec("R", [f("a", "int"), f("b", "int")]),
    rec("R", [f("a", "int")]),
  ),
  ok("null default on optional field", rec("R", []), rec("R", [dflt("c", ["null", "string"], null)])),
  ok("field renamed with alias", rec("R", [f("old", "int")]), rec("R", [f("new", "int", { aliases: ["old"] })])),
  bad("field renamed without alias", rec("R", [f("old", "int")]), rec("R", [f("new", "int")]), [
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "new",
  ]),
  ok(
    "field order does not matter",
    rec("R", [f("a", "int"), f("b", "string")]),
    rec("R", [f("b", "string"), f("a", "int")]),
  ),
  bad(
    "two problems reported at once",
    rec("R", [f("a", "int")]),
    rec("R", [f("a", "boolean"), f("b", "int")]),
    ["TYPE_MISMATCH", "a"],
    ["READER_FIELD_MISSING_DEFAULT_VALUE", "b"],
  ),

  // names, namespaces and aliases of named types
  ok("same record name, different namespace (unqualified match)", rec("a.R", []), rec("b.R", [])),
  ok("namespace attribute vs dotted name", rec("R", [], { namespace: "dev.skeji" }), rec("dev.skeji.R", [])),
  bad("record renamed", rec("dev.skeji.Old", []), rec("dev.skeji.New", []), ["NAME_MISMATCH", ""]),
  ok("record renamed with alias", rec("dev.skeji.Old", []), rec("dev.skeji.New", [], { aliases: ["Old"] })),
  ok("record alias by full name", rec("a.Old", []), rec("b.New", [], { aliases: ["a.Old"] })),
  // Aliases are full names: a relative one takes the namespace of the type that declares it.
  bad("alias in another namespace", rec("a.Point", []), rec("b.Position", [], { aliases: ["c.Point"] }), [
    "NAME_MISMATCH",
    "",
  ]),
  bad(
    "relative alias names the reader's namespace",
    rec("a.Point", []),
    rec("b.Position", [], { aliases: ["Point"] }),
    ["NAME_MISMATCH", ""],
  ),
  ok("relative alias in the writer's namespace", rec("a.Point", []), rec("a.Position", [], { aliases: ["Point"] })),
  ok(
    "relative alias of a type with a namespace attribute",
    rec("a.Point", []),
    rec("Position", [], { namespace: "a", aliases: ["Point"] }),
  ),
  bad(
    "nested enum aliased by a relative name from another namespace",
    rec("a.R", [f("s", en("Status", ["A"]))]),
    rec("b.R", [f("s", en("State", ["A"], { aliases: ["Status"] }))]),
    ["NAME_MISMATCH", "s"],
  ),
  ok(
    "nested enum aliased by the writer's full name",
    rec("a.R", [f("s", en("Status", ["A"]))]),
    rec("b.R", [f("s", en("State", ["A"], { aliases: ["a.Status"] }))]),
  ),
  ok(
    "nested enum moved to another namespace",
    rec("a.R", [f("s", en("Status", ["A"]))]),
    rec("b.R", [f("s", en("Status", ["A"]))]),
  ),
  bad(
    "nested fixed aliased by a relative name from another namespace",
    rec("a.R", [f("h", fixed("Hash", 4))]),
    rec("b.R", [f("h", fixed("Digest", 4, { aliases: ["Hash"] }))]),
    ["NAME_MISMATCH", "h"],
  ),
  ok(
    "nested fixed moved to another namespace",
    rec("a.R", [f("h", fixed("Hash", 4))]),
    rec("b.R", [f("h", fixed("Hash", 4))]),
  ),
  bad(
    "nested record renamed",
    rec("R", [f("p", rec("P", [f("a", "int")]))]),
    rec("R", [f("p", rec("Q", [f("a", "int")]))]),
    ["NAME_MISMATCH", "p"],
  ),

  // nested records: paths
  bad(
    "nested field without default",
    rec("Booking", [f("params", rec("Params", [f("id", "string")]))]),
    rec("Booking", [f("params", rec("Params", [f("id", "string"), f("start_time", "long")]))]),
    ["READER_FIELD_MISSING_DEFAULT_VALUE", "params.start_time"],
  ),
  bad(
    "nested field type change",
    rec("Booking", [f("params", rec("Params", [f("start_time", "string")]))]),
    rec("Booking", [f("params", rec("Params", [f("start_time", "long")]))]),
    ["TYPE_MISMATCH", "params.start_time"],
  ),
  ok(
    "named type referenced by name in a later field",
    rec("R", [f("a", rec("P", [f("x", "int")])), f("b", "P")]),
    rec("R", [f("a", rec("P", [f("x", "long")])), f("b", "P")]),
  ),

  // enums
  ok("enum with a symbol added (reader superset)", en("E", ["A", "B"]), en("E", ["A", "B", "C"])),
  bad("enum with a symbol removed", en("E", ["A", "B", "C"]), en("E", ["A", "B"]), ["MISSING_ENUM_SYMBOLS", ""]),
  ok("enum symbol removed but reader has a default", en("E", ["A", "B", "C"]), en("E", ["A", "B"], { default: "A" })),
  ok("enum symbols reordered", en("E", ["A", "B"]), en("E", ["B", "A"])),
  bad("enum renamed", en("E", ["A"]), en("F", ["A"]), ["NAME_MISMATCH", ""]),
  bad("enum read as string", en("E", ["A"]), "string", ["TYPE_MISMATCH", ""]),
  bad(
    "enum in a field loses a symbol",
    rec("R", [f("status", en("Status", ["OPEN", "CLOSED"]))]),
    rec("R", [f("status", en("Status", ["OPEN"]))]),
    ["MISSING_ENUM_SYMBOLS", "status"],
  ),

  // unions
  ok("field made optional (T -> [null, T])", one("string"), one(["null", "string"])),
  bad("optional field made required ([null, T] -> T)", one(["null", "string"]), one("string"), ["TYPE_MISMATCH", "x"]),
  ok("union branch added", one(["null", "string"]), one(["null", "string", "int"])),
  bad("union branch removed", one(["null", "string", "int"]), one(["null", "string"]), ["MISSING_UNION_BRANCH", "x"]),
  ok("union reordered", one(["null", "string"]), one(["string", "null"])),
  ok("union branch read through promotion", one(["null", "int"]), one(["null", "long"])),
  bad("writer value matches no reader branch", one("boolean"), one(["null", "string"]), ["MISSING_UNION_BRANCH", "x"]),
  ok("writer union of promotable branches read as one type", one(["int", "long"]), one("double")),
  ok("single-branch union and plain type", one(["string"]), one("string")),
  bad("union of records: one record renamed", one(["null", rec("A", [])]), one(["null", rec("B", [])]), [
    "MISSING_UNION_BRANCH",
    "x",
  ]),

  // arrays and maps
  ok("array items promoted", { type: "array", items: "int" }, { type: "array", items: "long" }),
  bad("array items changed", { type: "array", items: "int" }, { type: "array", items: "string" }, [
    "TYPE_MISMATCH",
    "[]",
  ]),
  ok("map values promoted", { type: "map", values: "float" }, { type: "map", values: "double" }),
  bad("map values changed", { type: "map", values: "long" }, { type: "map", values: "int" }, ["TYPE_MISMATCH", "{}"]),
  bad("array read as map", { type: "array", items: "int" }, { type: "map", values: "int" }, ["TYPE_MISMATCH", ""]),
  bad(
    "record inside array gains a required field",
    one({ type: "array", items: rec("Item", [f("a", "int")]) }),
    one({ type: "array", items: rec("Item", [f("a", "int"), f("b", "int")]) }),
    ["READER_FIELD_MISSING_DEFAULT_VALUE", "x[].b"],
  ),

  // fixed
  ok("same fixed", fixed("F", 16), fixed("F", 16)),
  bad("fixed size changed", fixed("F", 16), fixed("F", 8), ["FIXED_SIZE_MISMATCH", ""]),
  bad("fixed renamed", fixed("F", 16), fixed("G", 16), ["NAME_MISMATCH", ""]),
  bad("fixed read as bytes", fixed("F", 4), "bytes", ["TYPE_MISMATCH", ""]),

  // decimals: the scale must match, the precision may grow
  ok("same decimal", dec(10, 2), dec(10, 2)),
  bad("decimal scale changed", dec(10, 2), dec(10, 3), ["TYPE_MISMATCH", ""]),
  ok("decimal precision widened", dec(10, 2), dec(12, 2)),
  bad("decimal precision narrowed", dec(12, 2), dec(10, 2), ["TYPE_MISMATCH", ""]),
  ok("decimal precision widened in a field", one(dec(10, 2)), one(dec(12, 2))),
  ok(
    "fixed decimal precision widened (same size)",
    fixed("Money", 8, { logicalType: "decimal", precision: 10, scale: 2 }),
    fixed("Money", 8, { logicalType: "decimal", precision: 12, scale: 2 }),
  ),
  bad(
    "fixed decimal widened with a larger size",
    fixed("Money", 8, { logicalType: "decimal", precision: 10, scale: 2 }),
    fixed("Money", 16, { logicalType: "decimal", precision: 30, scale: 2 }),
    ["FIXED_SIZE_MISMATCH", ""],
  ),
  ok("decimal added to plain bytes (falls back to bytes)", "bytes", dec(10, 2)),
  bad(
    "fixed decimal scale changed",
    fixed("Money", 8, { logicalType: "decimal", precision: 12, scale: 2 }),
    fixed("Money", 8, { logicalType: "decimal", precision: 12, scale: 4 }),
    ["TYPE_MISMATCH", ""],
  ),
  ok(
    "other logical types resolve by their underlying type",
    { type: "int", logicalType: "date" },
    { type: "long", logicalType: "timestamp-millis" },
  ),

  // recursive types
  ok("recursive type against itself", linked(), linked()),
  ok("recursive type with added defaulted field", linked(), linked([dflt("label", "string", "")])),
  bad("recursive type with added required field", linked(), linked([f("label", "string")]), [
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "label",
  ]),
  bad(
    "recursive type with field type change",
    linked(),
    rec("dev.skeji.Node", [f("value", "string"), f("next", ["null", "Node"])]),
    ["TYPE_MISMATCH", "value"],
  ),
];
