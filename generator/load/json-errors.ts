/**
 * Where invalid JSON goes wrong: the offset, line and column of the first error, what was
 * expected there and the JSON path of the value being read. `JSON.parse` reports a position
 * only for some errors, and its wording changes between Node versions, so this small scanner
 * runs (only) after `JSON.parse` has failed and reads the text the way the JSON grammar does.
 */
import { childPath } from "@skeji/kafka/codegen";

export interface JsonErrorLocation {
  /** Offset into the text (UTF-16 code units). */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters from the start of the line (a tab counts as one). */
  readonly column: number;
  /** JSON path of the value that could not be read, e.g. `$.fields[2]`. */
  readonly path: string;
  /** What is wrong and what was expected, e.g. `expected ',' or '}' after a property value, found ']'`. */
  readonly reason: string;
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly path: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** How a character is shown in a message. */
function show(ch: string | undefined): string {
  if (ch === undefined) return "end of input";
  if (ch === "\n") return "a line break";
  if (ch < " ") return `control character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  return ch === "'" ? `"'"` : `'${ch}'`;
}

class Scanner {
  #pos = 0;
  constructor(readonly text: string) {}

  fail(reason: string, path: string, offset = this.#pos): never {
    throw new JsonSyntaxError(offset, path, reason);
  }

  #skip(): void {
    while (WHITESPACE.has(this.text[this.#pos] as string)) this.#pos++;
  }

  document(): void {
    this.#skip();
    this.value("$");
    this.#skip();
    if (this.#pos < this.text.length) {
      this.fail(`unexpected ${show(this.text[this.#pos])} after the JSON value (expected the end of the file)`, "$");
    }
  }

  value(path: string): void {
    const ch = this.text[this.#pos];
    if (ch === "{") this.#object(path);
    else if (ch === "[") this.#array(path);
    else if (ch === '"') this.#string(path);
    else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) this.#number(path);
    else this.#literal(path);
  }

  #literal(path: string): void {
    const ch = this.text[this.#pos];
    for (const word of ["true", "false", "null"]) {
      if (this.text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return;
      }
    }
    const word = /^[A-Za-z_]\w*/.exec(this.text.slice(this.#pos, this.#pos + 40))?.[0];
    const found = word ? `"${word}"` : show(ch);
    this.fail(`unexpected ${found} (expected a value: an object, array, string, number, true, false or null)`, path);
  }

  #object(path: string): void {
    this.#pos++; // {
    this.#skip();
    if (this.text[this.#pos] === "}") {
      this.#pos++;
      return;
    }
    for (;;) {
      this.#skip();
      if (this.text[this.#pos] !== '"') {
        const after = this.text[this.#pos] === "}" ? " (a comma may not precede '}')" : "";
        this.fail(`expected a double-quoted property name, found ${show(this.text[this.#pos])}${after}`, path);
      }
      const start = this.#pos;
      this.#string(path);
      const key = JSON.parse(this.text.slice(start, this.#pos)) as string;
      const keyPath = childPath(path, key);
      this.#skip();
      if (this.text[this.#pos] !== ":") {
        this.fail(`expected ':' after the property name "${key}", found ${show(this.text[this.#pos])}`, keyPath);
      }
      this.#pos++;
      this.#skip();
      this.value(keyPath);
      this.#skip();
      const next = this.text[this.#pos];
      if (next === "}") {
        this.#pos++;
        return;
      }
      if (next !== ",") this.fail(`expected ',' or '}' after a property value, found ${show(next)}`, path);
      this.#pos++;
    }
  }

  #array(path: string): void {
    this.#pos++; // [
    this.#skip();
    if (this.text[this.#pos] === "]") {
      this.#pos++;
      return;
    }
    for (let i = 0; ; i++) {
      this.#skip();
      if (this.text[this.#pos] === "]") this.fail("unexpected ']' (a comma may not precede ']')", path);
      this.value(childPath(path, i));
      this.#skip();
      const next = this.text[this.#pos];
      if (next === "]") {
        this.#pos++;
        return;
      }
      if (next !== ",") this.fail(`expected ',' or ']' after an array element, found ${show(next)}`, path);
      this.#pos++;
    }
  }

  #string(path: string): void {
    const start = this.#pos;
    this.#pos++; // "
    for (;;) {
      const ch = this.text[this.#pos];
      if (ch === undefined) this.fail("unterminated string (expected a closing '\"')", path, start);
      if (ch === '"') {
        this.#pos++;
        return;
      }
      if (ch < " ") this.fail(`${show(ch)} in a string (write it as an escape such as \\n)`, path);
      if (ch === "\\") {
        const esc = this.text[this.#pos + 1];
        if (esc === "u") {
          if (!/^[0-9A-Fa-f]{4}$/.test(this.text.slice(this.#pos + 2, this.#pos + 6))) {
            this.fail("invalid \\u escape (expected four hex digits)", path);
          }
          this.#pos += 6;
          continue;
        }
        if (esc === undefined || !ESCAPES.has(esc)) {
          this.fail(`invalid escape \\${esc ?? ""} (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`, path);
        }
        this.#pos += 2;
        continue;
      }
      this.#pos++;
    }
  }

  #number(path: string): void {
    NUMBER.lastIndex = this.#pos;
    const m = NUMBER.exec(this.text);
    if (!m || m[0] === "-") this.fail(`invalid number (expected digits after ${show(this.text[this.#pos])})`, path);
    const end = this.#pos + m[0].length;
    const next = this.text[end];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) {
      this.fail(`invalid number ${JSON.stringify(this.text.slice(this.#pos, end + 1))}`, path, end);
    }
    this.#pos = end;
  }
}

/** Line and column (1-based) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { offset: e.offset, ...lineColumn(text, e.offset), path: e.path, reason: e.reason };
  }
}
