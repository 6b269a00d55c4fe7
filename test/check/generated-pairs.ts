/**
 * Generated writer/reader schema pairs: each change between two versions of a record's fields
 * (fields added and removed, promotions, enum symbols, unions, aliases, namespaces, decimals,
 * arrays and maps of records), placed in several contexts (top level, nested record, array items,
 * map values, a nullable union), in both directions.
 */

export interface Pair {
  readonly name: string;
  readonly writer: unknown;
  readonly reader: unknown;
}

type Fields = readonly unknown[];
interface Change {
  readonly name: string;
  readonly a: Fields;
  readonly b: Fields;
}

const field = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });
const record = (name: string, fields: Fields, extra: Record<string, unknown> = {}) => ({
  type: "record",
  name,
  fields,
  ...extra,
});
const enumType = (name: string, symbols: string[], extra: Record<string, unknown> = {}) => ({
  type: "enum",
  name,
  symbols,
  ...extra,
});
const decimal = (precision: number, scale: number) => ({ type: "bytes", logicalType: "decimal", precision, scale });
const fixedDecimal = (size: number, precision: number, scale: number) => ({
  type: "fixed",
  name: "Amount",
  size,
  logicalType: "decimal",
  precision,
  scale,
});
const money = (...extra: unknown[]) => record("Money", [field("amount_minor", "long"), ...extra]);
const point = (name: string, extra: Record<string, unknown> = {}) =>
  record(name, [field("x", "int"), field("y", "int")], extra);

const primitives = ["boolean", "int", "long", "float", "double", "bytes", "string"];

const changes: Change[] = [
  // every primitive read as every other (promotions and mismatches)
  ...primitives.flatMap((w) =>
    primitives.filter((r) => r !== w).map((r) => ({ name: `${w} -> ${r}`, a: [field("v", w)], b: [field("v", r)] })),
  ),
  // fields added (and, in the other direction, removed)
  { name: "add int with default", a: [], b: [field("n", "int", { default: 0 })] },
  { name: "add int without default", a: [], b: [field("n", "int")] },
  { name: "add optional string", a: [], b: [field("note", ["null", "string"], { default: null })] },
  { name: "add enum with default", a: [], b: [field("s", enumType("Size", ["S", "M"]), { default: "S" })] },
  { name: "add record without default", a: [], b: [field("m", money())] },
  { name: "add array with default", a: [], b: [field("tags", { type: "array", items: "string" }, { default: [] })] },
  { name: "add map with default", a: [], b: [field("attrs", { type: "map", values: "long" }, { default: {} })] },
  { name: "add decimal with default", a: [], b: [field("d", decimal(10, 2), { default: "\u0000" })] },
  // renames
  { name: "rename with alias", a: [field("old", "int")], b: [field("new", "int", { aliases: ["old"] })] },
  { name: "rename without alias", a: [field("old", "int")], b: [field("new", "int")] },
  // enums
  {
    name: "enum symbol added",
    a: [field("s", enumType("Status", ["A", "B"]))],
    b: [field("s", enumType("Status", ["A", "B", "C"]))],
  },
  {
    name: "enum symbol added, defaults",
    a: [field("s", enumType("Status", ["A", "B"], { default: "A" }))],
    b: [field("s", enumType("Status", ["A", "B", "C"], { default: "A" }))],
  },
  {
    name: "enum renamed with relative alias",
    a: [field("s", enumType("Status", ["A"]))],
    b: [field("s", enumType("State", ["A"], { aliases: ["Status"] }))],
  },
  // unions
  { name: "made optional", a: [field("u", "string")], b: [field("u", ["null", "string"])] },
  { name: "branch added", a: [field("u", ["null", "string"])], b: [field("u", ["null", "string", "int"])] },
  { name: "union reordered", a: [field("u", ["null", "string"])], b: [field("u", ["string", "null"])] },
  { name: "union branch promoted", a: [field("u", ["int", "string"])], b: [field("u", ["long", "string"])] },
  {
    name: "union of records widened",
    a: [field("u", ["null", money()])],
    b: [field("u", ["null", money(), point("P")])],
  },
  {
    name: "record in a union gains a field without default",
    a: [field("u", ["null", money()])],
    b: [field("u", ["null", money(field("currency", "string"))])],
  },
  {
    name: "record in a union gains a field with default",
    a: [field("u", ["null", money()])],
    b: [field("u", ["null", money(field("currency", "string", { default: "EUR" }))])],
  },
  // nested records
  {
    name: "nested record gains a field without default",
    a: [field("m", money())],
    b: [field("m", money(field("c", "int")))],
  },
  {
    name: "nested record gains a field with default",
    a: [field("m", money())],
    b: [field("m", money(field("c", "int", { default: 1 })))],
  },
  {
    name: "nested record field promoted",
    a: [field("m", money(field("c", "int")))],
    b: [field("m", money(field("c", "double")))],
  },
  // names, aliases and namespaces of named types
  { name: "record moved to another namespace", a: [field("p", point("a.Point"))], b: [field("p", point("b.Point"))] },
  {
    name: "record renamed, alias in another namespace",
    a: [field("p", point("a.Point"))],
    b: [field("p", point("b.Position", { aliases: ["c.Point"] }))],
  },
  {
    name: "record renamed, relative alias",
    a: [field("p", point("a.Point"))],
    b: [field("p", point("b.Position", { aliases: ["Point"] }))],
  },
  {
    name: "record renamed, alias by full name",
    a: [field("p", point("a.Point"))],
    b: [field("p", point("b.Position", { aliases: ["a.Point"] }))],
  },
  {
    name: "record renamed, relative alias in the same namespace",
    a: [field("p", point("a.Point"))],
    b: [field("p", point("a.Position", { aliases: ["Point"] }))],
  },
  { name: "record renamed without alias", a: [field("p", point("Point"))], b: [field("p", point("Position"))] },
  {
    name: "nested enum moved to another namespace",
    a: [field("s", enumType("a.Status", ["A"]))],
    b: [field("s", enumType("b.Status", ["A"]))],
  },
  {
    name: "nested enum renamed, relative alias from another namespace",
    a: [field("s", enumType("a.Status", ["A"]))],
    b: [field("s", enumType("b.State", ["A"], { aliases: ["Status"] }))],
  },
  {
    name: "fixed moved to another namespace",
    a: [field("h", { type: "fixed", name: "a.Hash", size: 4 })],
    b: [field("h", { type: "fixed", name: "b.Hash", size: 4 })],
  },
  {
    name: "fixed renamed, relative alias from another namespace",
    a: [field("h", { type: "fixed", name: "a.Hash", size: 4 })],
    b: [field("h", { type: "fixed", name: "b.Digest", size: 4, aliases: ["Hash"] })],
  },
  {
    name: "fixed size changed",
    a: [field("h", { type: "fixed", name: "Hash", size: 4 })],
    b: [field("h", { type: "fixed", name: "Hash", size: 8 })],
  },
  // decimals
  { name: "decimal precision widened", a: [field("d", decimal(10, 2))], b: [field("d", decimal(12, 2))] },
  { name: "decimal scale changed", a: [field("d", decimal(10, 2))], b: [field("d", decimal(10, 3))] },
  { name: "bytes become a decimal", a: [field("d", "bytes")], b: [field("d", decimal(10, 2))] },
  {
    name: "optional decimal widened",
    a: [field("d", ["null", decimal(10, 2)])],
    b: [field("d", ["null", decimal(12, 2)])],
  },
  {
    name: "optional decimal rescaled",
    a: [field("d", ["null", decimal(10, 2)])],
    b: [field("d", ["null", decimal(10, 4)])],
  },
  {
    name: "fixed decimal widened, same size",
    a: [field("d", fixedDecimal(8, 10, 2))],
    b: [field("d", fixedDecimal(8, 12, 2))],
  },
  { name: "fixed decimal rescaled", a: [field("d", fixedDecimal(8, 10, 2))], b: [field("d", fixedDecimal(8, 10, 3))] },
  { name: "fixed decimal resized", a: [field("d", fixedDecimal(8, 10, 2))], b: [field("d", fixedDecimal(16, 12, 2))] },
  // arrays and maps
  {
    name: "array items promoted",
    a: [field("l", { type: "array", items: "int" })],
    b: [field("l", { type: "array", items: "long" })],
  },
  {
    name: "array of records gains a field with default",
    a: [field("l", { type: "array", items: money() })],
    b: [field("l", { type: "array", items: money(field("c", "string", { default: "" })) })],
  },
  {
    name: "array of records gains a field without default",
    a: [field("l", { type: "array", items: money() })],
    b: [field("l", { type: "array", items: money(field("c", "string")) })],
  },
  {
    name: "map of records gains an enum symbol",
    a: [field("m", { type: "map", values: record("Line", [field("s", enumType("Kind", ["A"]))]) })],
    b: [field("m", { type: "map", values: record("Line", [field("s", enumType("Kind", ["A", "B"]))]) })],
  },
  {
    name: "array read as map",
    a: [field("c", { type: "array", items: "int" })],
    b: [field("c", { type: "map", values: "int" })],
  },
  // recursive
  {
    name: "linked list gains a field with default",
    a: [field("head", record("Node", [field("v", "int"), field("next", ["null", "Node"])]))],
    b: [
      field(
        "head",
        record("Node", [field("v", "int"), field("next", ["null", "Node"]), field("w", "int", { default: 0 })]),
      ),
    ],
  },
];

/** The record `fields` live in, in each context; every context's types are named alike in both versions. */
const contexts: Record<string, (fields: Fields) => unknown> = {
  top: (fields) => record("dev.skeji.Event", [field("id", "string"), ...fields]),
  nested: (fields) => record("dev.skeji.Event", [field("id", "string"), field("inner", record("Inner", fields))]),
  "array items": (fields) =>
    record("dev.skeji.Event", [
      field("id", "string"),
      field("items", { type: "array", items: record("Inner", fields) }),
    ]),
  "map values": (fields) =>
    record("dev.skeji.Event", [
      field("id", "string"),
      field("byKey", { type: "map", values: record("Inner", fields) }),
    ]),
  "nullable union": (fields) =>
    record("dev.skeji.Event", [field("id", "string"), field("maybe", ["null", record("Inner", fields)])]),
};

export function generatedPairs(): Pair[] {
  const pairs: Pair[] = [];
  for (const change of changes) {
    // Primitive-to-primitive changes at the top level only: the contexts add nothing new for them.
    const where = change.name.includes(" -> ") ? ["top"] : Object.keys(contexts);
    for (const context of where) {
      const wrap = contexts[context] as (fields: Fields) => unknown;
      const a = wrap(change.a);
      const b = wrap(change.b);
      pairs.push({ name: `${change.name} (${context})`, writer: a, reader: b });
      pairs.push({ name: `${change.name} (${context}, reversed)`, writer: b, reader: a });
    }
  }
  return pairs;
}
