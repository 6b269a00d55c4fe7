/**
 * JSON with the offset of every value, so a finding can point at the line of the value its path
 * names. Only for text that `JSON.parse` has accepted (schema files are parsed before they are
 * checked): it does not report syntax errors, it gives up (undefined) on anything unexpected.
 */

export type Positioned =
  | { readonly kind: "object"; readonly at: number; readonly entries: ReadonlyMap<string, Positioned> }
  | { readonly kind: "array"; readonly at: number; readonly items: readonly Positioned[] }
  | { readonly kind: "string"; readonly at: number; readonly value: string }
  | { readonly kind: "other"; readonly at: number };

const SPACE = /[ \t\n\r]*/y;
const SCALAR = /-?[0-9][0-9.eE+-]*|true|false|null/y;

export function parsePositioned(text: string): Positioned | undefined {
  let pos = 0;
  const skip = (): void => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    pos = SPACE.lastIndex;
  };
  const string = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length && text[pos] !== '"') pos += text[pos] === "\\" ? 2 : 1;
    pos++; // closing quote
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (): Positioned => {
    skip();
    const at = pos;
    const ch = text[pos];
    if (ch === "{") {
      pos++;
      const entries = new Map<string, Positioned>();
      skip();
      while (text[pos] !== "}") {
        skip();
        const key = string();
        skip();
        pos++; // ':'
        entries.set(key, value());
        skip();
        if (text[pos] === ",") pos++;
        skip();
      }
      pos++;
      return { kind: "object", at, entries };
    }
    if (ch === "[") {
      pos++;
      const items: Positioned[] = [];
      skip();
      while (text[pos] !== "]") {
        items.push(value());
        skip();
        if (text[pos] === ",") pos++;
        skip();
      }
      pos++;
      return { kind: "array", at, items };
    }
    if (ch === '"') return { kind: "string", at, value: string() };
    SCALAR.lastIndex = pos;
    if (SCALAR.exec(text) === null) throw new Error(`unexpected ${ch} at ${pos}`);
    pos = SCALAR.lastIndex;
    return { kind: "other", at };
  };
  try {
    return value();
  } catch {
    return undefined;
  }
}

/** 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
