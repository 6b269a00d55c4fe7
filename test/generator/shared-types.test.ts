/**
 * Shared named types (the manifest's `$.types` folder): loader errors, the self-contained schema
 * each descriptor embeds and its fingerprint, and one TypeScript declaration per shared type.
 */
import { join } from "node:path";
import avro from "avsc";
import { describe, expect, it } from "vitest";
import { generate } from "../../generator/generate.ts";
import { formatProblem, loadProject } from "../../generator/load/index.ts";
import { avroCodec, expandReferences, splitReferences } from "../../runtime/index.ts";
import { rabinFingerprint } from "../../runtime/serde/avro/fingerprint.ts";
import { manifestFor, record, writeProject } from "./helpers.ts";

const money = {
  type: "record",
  name: "Money",
  namespace: "com.example.common",
  fields: [
    { name: "amount_minor", type: "long" },
    { name: "currency", type: "Currency", default: "ILS" },
  ],
};
const currency = { type: "enum", name: "Currency", namespace: "com.example.common", symbols: ["ILS", "USD"] };
const order = record("OrderPlaced", [
  { name: "id", type: "string" },
  { name: "total", type: "com.example.common.Money" },
  { name: "tip", type: ["null", "com.example.common.Money"], default: null },
]);

const project = (files: Record<string, unknown> = {}) => ({
  "schemas/manifest.json": { types: "_types", ...manifestFor({ "order.placed": "id" }) },
  "schemas/_types/money.avsc": money,
  "schemas/_types/currency.avsc": currency,
  "schemas/order.placed/v1.avsc": { ...order, namespace: "com.example.orders" },
  ...files,
});
const load = (files: Record<string, unknown>) => {
  const root = writeProject(files);
  return loadProject({ schemasDir: join(root, "schemas"), cwd: root });
};
const lines = (files: Record<string, unknown>) => load(files).problems.map(formatProblem);

describe("loading shared types", () => {
  it("resolves shared types across files, whatever the file order, and is not an event folder", () => {
    const loaded = load(project());
    expect(loaded.problems).toEqual([]);
    expect(loaded.events.map((e) => e.type)).toEqual(["order.placed"]);
    expect([...loaded.shared.nodes.keys()].sort()).toEqual(["com.example.common.Currency", "com.example.common.Money"]);
    expect(loaded.events[0]?.versions[0]?.sharedTypes).toEqual([
      "com.example.common.Currency",
      "com.example.common.Money",
    ]);
  });

  it("without $.types a shared name is an unknown type", () => {
    const files = project({ "schemas/manifest.json": manifestFor({ "order.placed": "id" }) });
    expect(lines(files)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`invalid event type folder "_types"`),
        expect.stringContaining(`$.fields[1].type: unknown type "com.example.common.Money"`),
      ]),
    );
  });

  it("a name defined twice names both files and paths", () => {
    const files = project({
      "schemas/_types/more.avsc": [{ type: "enum", name: "Currency", namespace: "com.example.common", symbols: ["X"] }],
    });
    expect(lines(files)).toEqual([
      `schemas/_types/more.avsc: $[0]: duplicate shared type name "com.example.common.Currency" (also defined in schemas/_types/currency.avsc at $)`,
    ]);
  });

  it("a cycle between files names each step", () => {
    const a = record("A", [{ name: "b", type: "B" }], { namespace: "c" });
    const b = record("B", [{ name: "a", type: ["null", "A"] }], { namespace: "c" });
    const files = project({ "schemas/_types/a.avsc": a, "schemas/_types/b.avsc": b });
    expect(lines(files)).toEqual([
      "schemas/_types/a.avsc: shared types refer to each other in a cycle: schemas/_types/a.avsc $.fields[0].type uses c.B -> schemas/_types/b.avsc $.fields[0].type[1] uses c.A (define one inside the other, or break the cycle)",
    ]);
  });

  it("a shared type needs a namespace and must be a named type", () => {
    const files = project({
      "schemas/_types/bare.avsc": { type: "enum", name: "Bare", symbols: ["x"] },
      "schemas/_types/union.avsc": ["null", "string"],
    });
    expect(lines(files)).toEqual([
      `schemas/_types/bare.avsc: $.name: shared type "Bare" has no namespace (expected e.g. "namespace": "com.example.common", so it means the same in every event)`,
      "schemas/_types/union.avsc: $[0]: a shared type must be a named type: a record, enum or fixed (a file holds one, or an array of them)",
      "schemas/_types/union.avsc: $[1]: a shared type must be a named type: a record, enum or fixed (a file holds one, or an array of them)",
    ]);
  });

  it("errors inside a shared file and redefinitions in events are reported where they are", () => {
    const files = project({
      "schemas/_types/bad.avsc": record("Bad", [{ name: "x", type: "strng" }], { namespace: "c" }),
      "schemas/order.placed/v1.avsc": record(
        "OrderPlaced",
        [
          { name: "id", type: "string" },
          { name: "c", type: { type: "enum", name: "Currency", namespace: "com.example.common", symbols: ["X"] } },
        ],
        { namespace: "com.example.orders" },
      ),
    });
    expect(lines(files)).toEqual([
      `schemas/_types/bad.avsc: $.fields[0].type: unknown type "strng" (did you mean "string"?); expected a primitive type, a complex type or a named type defined earlier`,
      `schemas/order.placed/v1.avsc: $.fields[1].type.name: duplicate type name "com.example.common.Currency" (a shared type has this name: refer to it by name instead of defining it)`,
    ]);
  });

  it("an event cannot share the shared types folder's name", () => {
    const files = {
      ...project(),
      "schemas/manifest.json": { types: "types", ...manifestFor({ "order.placed": "id", types: "id" }) },
      "schemas/types/money.avsc": money,
      "schemas/types/currency.avsc": currency,
    };
    delete (files as Record<string, unknown>)["schemas/_types/money.avsc"];
    delete (files as Record<string, unknown>)["schemas/_types/currency.avsc"];
    expect(lines(files)).toEqual(
      expect.arrayContaining([expect.stringContaining(`event "types" has the name of the shared types folder`)]),
    );
  });
});

describe("the embedded schema", () => {
  const loaded = load(project());
  const version = loaded.events[0]?.versions[0];
  const expanded = version?.expanded as { readonly [key: string]: unknown };

  it("is self-contained: it parses on its own, each shared type defined once, at its first use", () => {
    const text = JSON.stringify(expanded);
    expect(text.match(/"name":"Money"/g)).toHaveLength(1);
    expect(text).toContain(`"tip","type":["null","com.example.common.Money"]`);
    expect(() => avro.Type.forSchema(expanded as avro.Schema)).not.toThrow();
  });

  it("its fingerprint is that of the expanded schema's Parsing Canonical Form, as avsc computes the form", () => {
    const codec = avroCodec(expanded);
    const avscCanonical = JSON.stringify(avro.Type.forSchema(expanded as avro.Schema).schema());
    expect(codec.canonical).toBe(avscCanonical);
    expect(codec.fingerprint).toBe(rabinFingerprint(avscCanonical));
  });

  it("splitting it again gives each shared type standalone and the references between them", () => {
    const split = splitReferences(expanded, new Set(version?.sharedTypes));
    expect(split.references).toEqual(["com.example.common.Money"]);
    expect(split.types.map((t) => [t.name, t.references])).toEqual([
      ["com.example.common.Currency", []],
      ["com.example.common.Money", ["com.example.common.Currency"]],
    ]);
    const types = new Map(split.types.map((t) => [t.name, t.schema]));
    expect(expandReferences(split.schema, types)).toEqual(expanded);
  });
});

describe("generated TypeScript", () => {
  it("declares each shared type once, in types.ts, and event modules import it", () => {
    const root = writeProject(
      project({
        "schemas/manifest.json": { types: "_types", ...manifestFor({ "order.placed": "id", "order.refunded": "id" }) },
        "schemas/order.refunded/v1.avsc": record(
          "OrderRefunded",
          [
            { name: "id", type: "string" },
            { name: "amount", type: "com.example.common.Money" },
          ],
          { namespace: "com.example.orders" },
        ),
      }),
    );
    const result = generate({ schemasDir: join(root, "schemas"), cwd: root, root });
    expect(result.problems).toEqual([]);
    const declaring = [...result.files].filter(([, text]) => text.includes("export interface Money "));
    expect(declaring.map(([path]) => path)).toEqual(["types.ts"]);
    for (const module of ["order.placed.ts", "order.refunded.ts"]) {
      expect(result.files.get(module)).toContain(`import type { Money, MoneyInit } from "./types.ts";`);
      expect(result.files.get(module)).toMatch(/^\/\/ Code generated by skeji-gen from .*_types\/money\.avsc/);
    }
    expect(result.files.get("index.ts")).toContain(`export type { Currency, Money, MoneyInit } from "./types.ts";`);
  });
});
