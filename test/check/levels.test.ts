/** Levels over chains of versions: which pairs are checked, in which direction, with which hint. */
import { describe, expect, it } from "vitest";
import {
  type CompatibilityLevel,
  changeOf,
  checkChain,
  type DeploymentOrder,
  deploymentOrder,
} from "../../generator/check/levels.ts";
import { resolveSchema } from "../../generator/check/schema.ts";

const record = (...fields: unknown[]) => ({ type: "record", name: "Booking", fields });
const chain = (...schemas: unknown[]) =>
  schemas.map((s, i) => ({ version: i + 1, schema: resolveSchema(s, `v${i + 1}.avsc`) }));

const id = { name: "id", type: "string" };
const noteWithDefault = { name: "note", type: "string", default: "" };
const noteRequired = { name: "note", type: "string" };
const size = { name: "size", type: "int" };
const sizeWithDefault = { name: "size", type: "int", default: 1 };

/** Each finding as `vN->vM direction type path`, in the order reported. */
const summarise = (level: CompatibilityLevel, versions: ReturnType<typeof chain>) =>
  checkChain("booking.created", level, versions).map(
    (f) => `v${f.version}->v${f.against} ${f.direction} ${f.type} ${f.path}`,
  );

// v1 {id}, v2 {id, note=""}, v3 {id}: each step is fully compatible, but v3 drops a field with a default.
const addThenDrop = chain(record(id), record(id, noteWithDefault), record(id));
// v1 {id, size}, v2 {id}, v3 {id, size=1}: v2 dropped a required field; v3 adds it back with a default.
const dropRequiredThenReadd = chain(record(id, size), record(id), record(id, sizeWithDefault));
// v1 {id}, v2 {id, note} (no default).
const addRequired = chain(record(id), record(id, noteRequired));
// v1 {id, note}, v2 {id}: removes a field that has no default.
const dropRequired = chain(record(id, noteRequired), record(id));

const cases: [string, CompatibilityLevel, ReturnType<typeof chain>, string[]][] = [
  ["NONE accepts anything", "NONE", addRequired, []],
  [
    "BACKWARD: new field without default breaks new readers",
    "BACKWARD",
    addRequired,
    ["v2->v1 new-readers READER_FIELD_MISSING_DEFAULT_VALUE note"],
  ],
  ["FORWARD: adding a field without default is fine for old readers", "FORWARD", addRequired, []],
  [
    "FULL: adding a required field is caught",
    "FULL",
    addRequired,
    ["v2->v1 new-readers READER_FIELD_MISSING_DEFAULT_VALUE note"],
  ],
  ["BACKWARD: removing a required field is fine", "BACKWARD", dropRequired, []],
  [
    "FORWARD: removing a required field breaks old readers",
    "FORWARD",
    dropRequired,
    ["v2->v1 old-readers READER_FIELD_MISSING_DEFAULT_VALUE note"],
  ],
  [
    "FULL: removing a required field is caught",
    "FULL",
    dropRequired,
    ["v2->v1 old-readers READER_FIELD_MISSING_DEFAULT_VALUE note"],
  ],
  ["FULL: add then drop a defaulted field, pairwise", "FULL", addThenDrop, []],
  ["FULL_TRANSITIVE: add then drop a defaulted field, against all", "FULL_TRANSITIVE", addThenDrop, []],
  ["BACKWARD: v3 only against v2", "BACKWARD", dropRequiredThenReadd, []],
  [
    "FORWARD: v2 dropped a required field",
    "FORWARD",
    dropRequiredThenReadd,
    ["v2->v1 old-readers READER_FIELD_MISSING_DEFAULT_VALUE size"],
  ],
  ["BACKWARD_TRANSITIVE: every version against every earlier one", "BACKWARD_TRANSITIVE", dropRequiredThenReadd, []],
  [
    "FORWARD_TRANSITIVE: v1 readers can read v3 (size is back), only v2 broke them",
    "FORWARD_TRANSITIVE",
    dropRequiredThenReadd,
    ["v2->v1 old-readers READER_FIELD_MISSING_DEFAULT_VALUE size"],
  ],
];

describe("levels over version chains", () => {
  it.each(cases)("%s", (_name, level, versions, expected) => {
    expect(summarise(level, versions)).toEqual(expected);
  });

  it("BACKWARD passes a chain whose first and last versions do not fit; BACKWARD_TRANSITIVE catches it", () => {
    // v1 {id, size:int}, v2 {id}, v3 {id, size:string=""}: each step reads the previous one,
    // but v3 cannot read v1's int `size`.
    const versions = chain(record(id, size), record(id), record(id, { name: "size", type: "string", default: "" }));
    expect(summarise("BACKWARD", versions)).toEqual([]);
    expect(summarise("BACKWARD_TRANSITIVE", versions)).toEqual(["v3->v1 new-readers TYPE_MISMATCH size"]);
    expect(summarise("FULL_TRANSITIVE", versions)).toEqual([
      "v2->v1 old-readers READER_FIELD_MISSING_DEFAULT_VALUE size",
      "v3->v1 new-readers TYPE_MISMATCH size",
      "v3->v1 old-readers TYPE_MISMATCH size",
    ]);
  });

  it("FORWARD passes a chain that FORWARD_TRANSITIVE rejects", () => {
    // v1 {id, note}, v2 {id, note=""}, v3 {id}: v2 readers default `note`, v1 readers need it.
    const versions = chain(record(id, noteRequired), record(id, noteWithDefault), record(id));
    expect(summarise("FORWARD", versions)).toEqual([]);
    expect(summarise("FORWARD_TRANSITIVE", versions)).toEqual([
      "v3->v1 old-readers READER_FIELD_MISSING_DEFAULT_VALUE note",
    ]);
  });

  it("gives each finding the event, both versions, the level and a hint that names the field", () => {
    const [finding] = checkChain("booking.created", "BACKWARD", addRequired);
    expect(finding).toMatchObject({
      event: "booking.created",
      version: 2,
      against: 1,
      level: "BACKWARD",
      direction: "new-readers",
      path: "note",
      hint: 'give the new field "note" a default in v2 (data written with v1 does not have it)',
    });
    const [forward] = checkChain("booking.created", "FORWARD", dropRequired);
    expect(forward?.hint).toBe('keep field "note" in v2: v1 readers require it because it has no default there');
  });

  it("suggests aliases, not a default, for a field that looks renamed", () => {
    // v1 {id, size}, v2 {id, amount} (same type, no default): most likely `size` renamed.
    const renamed = chain(record(id, size), record(id, { name: "amount", type: "int" }));
    const [backward] = checkChain("booking.created", "BACKWARD", renamed);
    expect(backward).toMatchObject({ path: "amount", detail: { renamedFrom: "size" } });
    expect(backward?.message).toBe(
      'reader field "amount" has no default, and the writer has no such field (it has "size" of a type it could read)',
    );
    expect(backward?.hint).toBe(
      'if "amount" is "size" renamed, add "aliases": ["size"] to field "amount" in v2; if it is a new field, give it a default',
    );
    const [forward] = checkChain("booking.created", "FORWARD", renamed);
    expect(forward?.hint).toBe(
      'v1 readers still look for "size" and do not know it under another name: keep field "size" in v2 (aliases only help readers of v2)',
    );
    // A removed field of a type the new one cannot read is no rename: the plain hint.
    const replaced = chain(record(id, size), record(id, { name: "label", type: "string" }));
    expect(checkChain("booking.created", "BACKWARD", replaced)[0]?.hint).toBe(
      'give the new field "label" a default in v2 (data written with v1 does not have it)',
    );
  });

  it("names the nested cause when the union branch meant for a value cannot read it", () => {
    const money = (...fields: unknown[]) => ({ type: "record", name: "Money", fields });
    const amount = { name: "amount_minor", type: "long" };
    const versions = chain(
      record(id, { name: "price", type: ["null", money(amount)] }),
      record(id, { name: "price", type: ["null", money(amount, { name: "currency", type: "string" })] }),
    );
    const [finding] = checkChain("booking.created", "BACKWARD", versions);
    expect(finding).toMatchObject({ type: "MISSING_UNION_BRANCH", path: "price" });
    expect(finding?.message).toBe(
      `reader union has no branch that can read the writer's Money: branch Money: field currency: reader field "currency" has no default, and the writer has no such field`,
    );
    expect(finding?.hint).toBe(
      `in the union's Money branch: give the new field "currency" a default in v2 (data written with v1 does not have it)`,
    );
  });

  it("says why a decimal cannot change its scale or narrow its precision", () => {
    const dec = (precision: number, scale: number) => ({
      name: "total",
      type: { type: "bytes", logicalType: "decimal", precision, scale },
    });
    expect(checkChain("booking.created", "FULL", chain(record(dec(10, 2)), record(dec(12, 2))))).toMatchObject([
      {
        direction: "old-readers",
        message:
          "reader decimal(10,2) cannot read writer decimal(12,2): values of more than 10 digits no longer fit (the precision may grow, not shrink)",
      },
    ]);
    expect(checkChain("booking.created", "BACKWARD", chain(record(dec(10, 2)), record(dec(10, 3))))).toMatchObject([
      {
        message:
          "reader decimal(10,3) cannot read writer decimal(10,2): a different scale reads the same stored integer as a different value (scale 2 written, 3 read)",
      },
    ]);
  });

  it("checks nothing for a single version", () => {
    expect(summarise("FULL_TRANSITIVE", chain(record(id)))).toEqual([]);
  });
});

describe("the deployment order a change allows", () => {
  const sizeLong = { name: "size", type: "long" };
  const orders: [string, ReturnType<typeof chain>, DeploymentOrder][] = [
    ["adding a field with a default: either side first", chain(record(id), record(id, noteWithDefault)), "either"],
    ["adding a field without a default: producers first", addRequired, "producers-first"],
    ["removing a field without a default: consumers first", dropRequired, "consumers-first"],
    [
      "int -> long: consumers first (old readers cannot read a long)",
      chain(record(id, size), record(id, sizeLong)),
      "consumers-first",
    ],
    [
      "a field's type changed from string to int: together",
      chain(record(id, size), record(id, { name: "size", type: "string" })),
      "together",
    ],
  ];
  for (const [name, [v1, v2], order] of orders) {
    it(name, () => {
      if (v1 === undefined || v2 === undefined) throw new Error("two versions expected");
      expect(deploymentOrder(v2.schema, [v1.schema])).toBe(order);
      expect(changeOf("booking.created", "FULL", v2, [v1])).toEqual({
        event: "booking.created",
        version: 2,
        against: [1],
        level: "FULL",
        order,
      });
    });
  }

  it("at a transitive level, the order must hold against every earlier version", () => {
    // v1 {id, note}, v2 {id, note=""}, v3 {id}: v3 drops `note`, which v1 readers require.
    const [v1, v2, v3] = chain(record(id, noteRequired), record(id, noteWithDefault), record(id));
    if (v1 === undefined || v2 === undefined || v3 === undefined) throw new Error("three versions expected");
    expect(changeOf("e", "FULL", v3, [v1, v2])?.order).toBe("either"); // against v2 only
    expect(changeOf("e", "FULL_TRANSITIVE", v3, [v1, v2])).toMatchObject({ against: [1, 2], order: "consumers-first" });
  });
});
