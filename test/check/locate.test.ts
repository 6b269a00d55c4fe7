/** Findings point at the line of the field their path names, in the file and in GitHub annotations. */
import { describe, expect, it } from "vitest";
import { lineOf } from "../../generator/check/locate.ts";
import { avsc, record, runCli, writeSchemas } from "./helpers.ts";

/** The 1-based number of the first line of `text` after line `after` that contains `needle`. */
const lineWith = (text: string, needle: string, after = 0): number =>
  text.split("\n").findIndex((l, i) => i + 1 > after && l.includes(needle)) + 1;

// `currency` appears first inside `deposit`, then as a field of `price` further down.
const money = (...extra: unknown[]) => ({
  type: "record",
  name: "Money",
  fields: [{ name: "amount_minor", type: "long" }, { name: "currency", type: "string" }, ...extra],
});
const schema = {
  type: "record",
  name: "dev.skeji.Booking",
  fields: [
    { name: "deposit", type: money() },
    { name: "currency", type: "string" },
    {
      name: "price",
      type: [
        "null",
        {
          type: "record",
          name: "Price",
          fields: [
            { name: "currency", type: "string" },
            {
              name: "lines",
              type: {
                type: "array",
                items: { type: "record", name: "Line", fields: [{ name: "currency", type: "string" }] },
              },
            },
            { name: "by_code", type: { type: "map", values: "Money" } },
          ],
        },
      ],
    },
    { name: "refund", type: "Money" },
  ],
};
const text = avsc(schema);
const priceLine = lineWith(text, '"name": "price"');
const linesLine = lineWith(text, '"name": "lines"');

describe("lineOf", () => {
  it.each([
    [
      "a top-level field named like a nested one",
      "currency",
      lineWith(text, '"name": "currency"', lineWith(text, '"name": "currency"')),
    ],
    ["a field of a record in a union", "price.currency", lineWith(text, '"name": "currency"', priceLine)],
    ["a field of array items", "price.lines[].currency", lineWith(text, '"name": "currency"', linesLine)],
    ["a field of a referenced type: its definition", "refund.currency", lineWith(text, '"name": "currency"')],
    ["a field of map values that refer to a type", "price.by_code{}.amount_minor", lineWith(text, "amount_minor")],
    ["a field that is gone: its parent", "price.tax", priceLine],
    ["the whole schema", "", 1],
  ])("%s", (_name, path, line) => {
    expect(line).toBeGreaterThan(0);
    expect(lineOf(text, path)).toBe(line);
  });

  it("the nested field is not the top-level one of the same name", () => {
    expect(lineOf(text, "currency")).not.toBe(lineOf(text, "deposit.currency"));
    expect(lineOf(text, "deposit.currency")).toBe(lineWith(text, '"name": "currency"'));
  });
});

describe("skeji-gen check --format github", () => {
  it("annotates the line of the field its path names, not an earlier field of the same name", async () => {
    const nested = {
      name: "deposit",
      type: { type: "record", name: "Deposit", fields: [{ name: "note", type: "string" }] },
    };
    const v1 = record("BookingCreated", { name: "booking_id", type: "string" }, nested);
    const v2 = record("BookingCreated", { name: "booking_id", type: "string" }, nested, {
      name: "note",
      type: "string",
    });
    const { root } = writeSchemas({ "booking.created": { versions: [v1, v2] } });
    const run = await runCli("check", ["--format", "github"], root);
    expect(run.code).toBe(1);
    const lines = avsc(v2).split("\n");
    const line = lines.findLastIndex((l) => l.includes('"name": "note"')) + 1; // the top-level field, added in v2
    expect(line).toBeGreaterThan(lineWith(avsc(v2), '"name": "note"')); // after the nested one
    expect(run.out).toContain("READER_FIELD_MISSING_DEFAULT_VALUE at note");
    expect(run.out).toContain(`::error file=schemas/booking.created/v2.avsc,line=${line},title=`);
  });
});
