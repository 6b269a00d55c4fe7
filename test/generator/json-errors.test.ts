/** The invalid-JSON locator agrees with JSON.parse on what is valid, and points at the first error. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { locateJsonError } from "../../generator/load/json-errors.ts";

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const schema = readFileSync(
  join(import.meta.dirname, "..", "..", "schemas", "booking.create.requested", "v2.avsc"),
  "utf8",
);

describe("locateJsonError", () => {
  it.each([
    ['{"a": [1, 2.5e-3, -0, true, false, null, "\\u00e9\\n"], "b": {}}'],
    ["[]"],
    ['  "text"  '],
    ["0"],
    [schema],
  ])("finds nothing in valid JSON: %j", (text) => {
    expect(locateJsonError(text)).toBeUndefined();
  });

  it.each([
    ['{"a": [1,]}', 1, 10, "$.a", "unexpected ']' (a comma may not precede ']')"],
    ['{"a": 1,}', 1, 9, "$", "expected a double-quoted property name, found '}' (a comma may not precede '}')"],
    ['{"a":\n  {"b" 1}}', 2, 8, "$.a.b", `expected ':' after the property name "b", found '1'`],
    ['{"a": "x\ny"}', 1, 9, "$.a", "a line break in a string (write it as an escape such as \\n)"],
    ['{"a": 01}', 1, 8, "$.a", 'invalid number "01"'],
    ['{"a": "\\q"}', 1, 8, "$.a", 'invalid escape \\q (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)'],
    ['{"a": 1} x', 1, 10, "$", "unexpected 'x' after the JSON value (expected the end of the file)"],
    ['{"a": "open', 1, 7, "$.a", `unterminated string (expected a closing '"')`],
    [
      "",
      1,
      1,
      "$",
      "unexpected end of input (expected a value: an object, array, string, number, true, false or null)",
    ],
  ])("%j: line %i, column %i, %s", (text, line, column, path, reason) => {
    expect(parses(text)).toBe(false);
    expect(locateJsonError(text)).toMatchObject({ line, column, path, reason });
  });

  it("agrees with JSON.parse on every one-character deletion and insertion in a real schema", () => {
    let invalid = 0;
    for (let i = 0; i < schema.length; i++) {
      for (const text of [
        schema.slice(0, i) + schema.slice(i + 1),
        `${schema.slice(0, i)},${schema.slice(i)}`,
        `${schema.slice(0, i)}"${schema.slice(i)}`,
      ]) {
        const valid = parses(text);
        if (!valid) invalid++;
        expect(locateJsonError(text) === undefined, JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))).toBe(
          valid,
        );
      }
    }
    expect(invalid).toBeGreaterThan(schema.length);
  });
});
