/**
 * What decoding may believe of untrusted bytes. Avro binary states sizes before the data: an
 * array block starts with its item count, a string with its length. A reader that trusts them
 * allocates what a hostile record claims (57 bytes claiming 30 million array items), so every
 * decoding path checks each claim against the bytes that are left before it acts on it:
 *
 * - an array or map block of `n` items needs at least `n` times the smallest encoding of an item;
 *   items that take no bytes at all (null, a fixed of size 0, a record of only such fields) are
 *   limited to `MAX_EMPTY_ITEMS` per record instead;
 * - a block with a negative count states its size in bytes: its items must take exactly that;
 * - a string, bytes or fixed must fit in the bytes left; a negative length is an error;
 * - a varint is at most 10 bytes and within 64 bits; an `int` within 32 bits; a boolean is 0 or 1;
 * - an enum index names a symbol, a union index a branch; no byte is left after the record.
 *
 * `compileScan` checks a whole record against these rules without building any value, and says
 * where the first broken rule is (`items[3].name: ...`). The full decoding path (avsc, which
 * trusts counts) runs it first; the compiled reader applies the same rules as it reads.
 */
import type { AvroNode } from "./model.ts";
import { fieldPath, indexPath } from "./values.ts";

/**
 * The most array items that take no bytes (null, a fixed of size 0, a record of only such fields)
 * one record may hold, over all its arrays: such items cost memory but no bytes, so the record's
 * size cannot bound them.
 */
export const MAX_EMPTY_ITEMS = 100_000;

/** A record whose bytes break one of the rules above; `message` says which and where. */
export class MalformedRecord extends Error {
  override readonly name = "MalformedRecord";
  /** Field names, array indexes and map keys from the innermost out (reversed once, at the top). */
  readonly segments: (string | number)[] = [];
  constructor(readonly reason: string) {
    super(reason);
  }

  /** Where in the record, e.g. `items[3].name`; empty for the record itself. */
  get path(): string {
    let text = "";
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i] as string | number;
      text = typeof s === "number" ? indexPath(text, s) : fieldPath(text, s);
    }
    // A deeply nested record must not make the message (a dead-letter header) unbounded.
    return text.length > 240 ? `${text.slice(0, 100)}...${text.slice(-120)}` : text;
  }
}

/** True for V8's "Maximum call stack size exceeded": a value nested deeper than the stack allows. */
export const isStackOverflow = (e: unknown): boolean =>
  e instanceof RangeError && e.message.includes("call stack size");

export const TOO_DEEP = "the record is nested deeper than the decoder's stack allows";

const minSizes = new WeakMap<AvroNode, number>();

/**
 * The fewest bytes any value of `node` encodes to. For a recursive type, a lower bound: a
 * reference back to a type being measured counts as 0.
 */
export function minEncodedSize(node: AvroNode, measuring: Set<AvroNode> = new Set()): number {
  const known = minSizes.get(node);
  if (known !== undefined) return known;
  if (measuring.has(node)) return 0;
  measuring.add(node);
  let size: number;
  switch (node.kind) {
    case "primitive":
      size = node.type === "null" ? 0 : node.type === "float" ? 4 : node.type === "double" ? 8 : 1;
      break;
    case "fixed":
      size = node.size;
      break;
    case "enum":
    case "array": // a block count, 0 for the empty array
    case "map":
      size = 1;
      break;
    case "union":
      size = 1 + Math.min(...node.branches.map((b) => minEncodedSize(b, measuring)));
      break;
    case "record":
      size = node.fields.reduce((sum, f) => sum + minEncodedSize(f.type, measuring), 0);
      break;
    case "logical":
      size = minEncodedSize(node.underlying, measuring);
      break;
  }
  measuring.delete(node);
  minSizes.set(node, size);
  return size;
}

/** The reading position of one scan. */
interface Cursor {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  /** Empty items seen so far (see MAX_EMPTY_ITEMS). */
  empty: number;
  /** Where the block just counted must end, when it stated its byte size; else -1. */
  blockEnd: number;
}
type Scan = (c: Cursor) => void;

const left = (c: Cursor): number => c.end - c.pos;
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : what.endsWith("h") ? "es" : "s"}`;
const onlyLeft = (c: Cursor): string => `only ${plural(left(c), "byte")} ${left(c) === 1 ? "is" : "are"} left`;

function truncated(c: Cursor, what: string): MalformedRecord {
  return new MalformedRecord(`truncated buffer: ${what}, only ${plural(left(c), "byte")} left`);
}

/** A zigzag varint (at most 10 bytes, within 64 bits). Exact up to 2^53, rounded beyond. */
function varint(c: Cursor, what: string): number {
  const buf = c.buf;
  let pos = c.pos;
  let b = buf[pos++];
  if (b === undefined) throw truncated(c, `${what} is cut off`);
  let z = b & 0x7f;
  if (b >= 0x80) {
    let scale = 128;
    do {
      b = buf[pos++];
      if (b === undefined) throw truncated(c, `${what} is cut off`);
      if (pos - c.pos === 10 && b > 1) {
        throw new MalformedRecord(`${what} is a varint ${b >= 0x80 ? "longer than 10 bytes" : "beyond 64 bits"}`);
      }
      z += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80);
  }
  c.pos = pos;
  return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
}

function need(c: Cursor, n: number, what: string): void {
  if (n > left(c)) throw truncated(c, `${what} needs ${plural(n, "byte")}`);
  c.pos += n;
}

/** A length prefix (string, bytes, map key): not negative, and no more than the bytes left. */
function length(c: Cursor, what: string): number {
  const n = varint(c, `the length of a ${what}`);
  if (n < 0) throw new MalformedRecord(`a ${what} of negative length ${n}`);
  if (n > left(c)) throw truncated(c, `a ${what} of ${plural(n, "byte")}`);
  return n;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

const nothing: Scan = () => {};
const scanBoolean: Scan = (c) => {
  const b = c.buf[c.pos];
  if (b === undefined) throw truncated(c, "a boolean is cut off");
  if (b > 1) throw new MalformedRecord(`a boolean byte is ${b} (expected 0 or 1)`);
  c.pos++;
};
const scanInt: Scan = (c) => {
  const v = varint(c, "an int");
  if (v < INT_MIN || v > INT_MAX) throw new MalformedRecord(`int ${v} is outside the 32-bit range`);
};
const scanLong: Scan = (c) => {
  varint(c, "a long");
};
const scanFloat: Scan = (c) => need(c, 4, "a float");
const scanDouble: Scan = (c) => need(c, 8, "a double");
const scanString: Scan = (c) => {
  const n = length(c, "string"); // read first: `c.pos += length(c)` would add to the old position
  c.pos += n;
};
const scanBytes: Scan = (c) => {
  const n = length(c, "bytes value");
  c.pos += n;
};

/** Adds one path segment to an error thrown inside a value (only MalformedRecord carries a path). */
function annotate(e: unknown, segment: string | number): void {
  if (e instanceof MalformedRecord) e.segments.push(segment);
}

const blockOf = (what: "array" | "map"): string => (what === "array" ? "an array block" : "a map block");

/**
 * The item count of one array or map block, checked against the bytes left. A block with a
 * negative count states its byte size: `c.blockEnd` is then where its items must end (else -1).
 */
function blockCount(c: Cursor, min: number, what: "array" | "map"): number {
  let n = varint(c, `the item count of ${blockOf(what)}`);
  c.blockEnd = -1;
  if (n < 0) {
    n = -n;
    const size = varint(c, `the byte size of ${blockOf(what)}`);
    if (size < 0 || size > left(c)) {
      throw new MalformedRecord(`${blockOf(what)} states a size of ${size} bytes, but ${onlyLeft(c)}`);
    }
    c.blockEnd = c.pos + size;
  }
  if (min > 0) {
    if (n * min > left(c)) {
      throw new MalformedRecord(
        `${blockOf(what)} claims ${plural(n, "item")}, but ${onlyLeft(c)} (each item takes at least ${plural(min, "byte")})`,
      );
    }
  } else {
    c.empty += n;
    if (c.empty > MAX_EMPTY_ITEMS) {
      throw new MalformedRecord(
        `${blockOf(what)} claims ${plural(n, "item")} that take no bytes, ${c.empty} in the record, more than the ${MAX_EMPTY_ITEMS} allowed`,
      );
    }
  }
  return n;
}

/** A block that stated its byte size must end exactly there (readers skip by it). */
function endBlock(c: Cursor, end: number, start: number, what: "array" | "map"): void {
  if (end >= 0 && c.pos !== end) {
    throw new MalformedRecord(
      `${blockOf(what)} states a size of ${plural(end - start, "byte")}, but its items take ${c.pos - start}`,
    );
  }
}

/**
 * The bounds check of `root` for one record's bytes: throws MalformedRecord, naming the first
 * broken rule and where. Well-formed bytes (nearly all) are checked by code generated once per
 * schema, which only says yes or no; the explanation comes from a second, interpreted scan.
 */
export function compileScan(root: AvroNode): (bytes: Buffer) => void {
  const check = compileCheck(root);
  let explain: ((bytes: Buffer) => void) | undefined;
  return (bytes) => {
    if (check(bytes)) return;
    explain ??= compileExplain(root);
    explain(bytes);
    // Both scans apply the same rules (the differential tests hold them to it); just in case:
    throw new MalformedRecord("the bytes are not a valid encoding of the schema");
  };
}

/** The interpreted scan: throws MalformedRecord with the path (or TOO_DEEP). */
function compileExplain(root: AvroNode): (bytes: Buffer) => void {
  const compiled = new Map<AvroNode, Scan>();
  const scanOf = (node: AvroNode): Scan => {
    let s = compiled.get(node);
    if (s === undefined) {
      // A recursive type refers to itself through this forwarder until it is built.
      let inner: Scan | undefined;
      compiled.set(node, (c) => (inner as Scan)(c));
      inner = build(node);
      compiled.set(node, inner);
      s = inner;
    }
    return s;
  };

  const build = (node: AvroNode): Scan => {
    switch (node.kind) {
      case "primitive":
        switch (node.type) {
          case "null":
            return nothing;
          case "boolean":
            return scanBoolean;
          case "int":
            return scanInt;
          case "long":
            return scanLong;
          case "float":
            return scanFloat;
          case "double":
            return scanDouble;
          case "string":
            return scanString;
          case "bytes":
            return scanBytes;
        }
        return nothing;
      case "logical":
        return scanOf(node.underlying);
      case "fixed": {
        const size = node.size;
        return (c) => need(c, size, `a fixed ${node.name}`);
      }
      case "enum": {
        const count = node.symbols.length;
        return (c) => {
          const i = varint(c, "an enum index");
          if (!(i >= 0 && i < count)) {
            throw new MalformedRecord(`enum index ${i} is not a symbol of ${node.name} (${plural(count, "symbol")})`);
          }
        };
      }
      case "union": {
        const branches = node.branches.map(scanOf);
        const count = branches.length;
        return (c) => {
          const i = varint(c, "a union branch index");
          const branch = branches[i];
          if (branch === undefined) {
            throw new MalformedRecord(
              `union branch index ${i} does not exist (the union has ${plural(count, "branch")})`,
            );
          }
          branch(c);
        };
      }
      case "array": {
        const items = scanOf(node.items);
        const min = minEncodedSize(node.items);
        return (c) => {
          let i = 0;
          let inItem = false;
          try {
            for (let n = blockCount(c, min, "array"); n !== 0; n = blockCount(c, min, "array")) {
              const end = c.blockEnd;
              const start = c.pos;
              inItem = true;
              for (const last = i + n; i < last; i++) items(c);
              inItem = false;
              endBlock(c, end, start, "array");
            }
          } catch (e) {
            // A broken block is reported at the array, a broken item at its index.
            if (inItem) annotate(e, i);
            throw e;
          }
        };
      }
      case "map": {
        const values = scanOf(node.values);
        const min = 1 + minEncodedSize(node.values);
        return (c) => {
          let keyStart = -1;
          let keyEnd = -1;
          try {
            for (let n = blockCount(c, min, "map"); n !== 0; n = blockCount(c, min, "map")) {
              const end = c.blockEnd;
              const start = c.pos;
              for (let k = 0; k < n; k++) {
                const len = length(c, "map key");
                keyStart = c.pos;
                keyEnd = c.pos + len;
                c.pos = keyEnd;
                values(c);
                keyStart = -1;
              }
              endBlock(c, end, start, "map");
            }
          } catch (e) {
            if (keyStart >= 0) annotate(e, keyText(c.buf, keyStart, keyEnd));
            throw e;
          }
        };
      }
      case "record": {
        const fields = node.fields.map((f) => scanOf(f.type));
        const names = node.fields.map((f) => f.name);
        const count = fields.length;
        return (c) => {
          let f = 0;
          try {
            for (; f < count; f++) (fields[f] as Scan)(c);
          } catch (e) {
            annotate(e, names[f] as string);
            throw e;
          }
        };
      }
    }
  };

  const scan = scanOf(root);
  return (bytes) => {
    const c: Cursor = { buf: bytes, pos: 0, end: bytes.length, empty: 0, blockEnd: -1 };
    try {
      scan(c);
    } catch (e) {
      if (isStackOverflow(e)) throw new MalformedRecord(TOO_DEEP);
      throw e;
    }
    if (c.pos !== c.end) throw new MalformedRecord(`trailing data: ${plural(c.end - c.pos, "byte")} after the record`);
  };
}

/** A map key for a path, cut short: it comes from the record, and the path goes into headers and logs. */
function keyText(buf: Buffer, start: number, end: number): string {
  const text = buf.toString("utf8", start, Math.min(end, start + 64));
  return end - start > 64 ? `${text.slice(0, 40)}...` : text;
}

/** Thrown inside a generated check to say no; never leaves it. */
const NO: unique symbol = Symbol("no");

/** The generated check's runtime: one cursor over one buffer (checks are synchronous, never re-entered). */
function checkRuntime() {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let end = 0;
  let emptyItems = 0;
  let blockEnd = -1;

  /** A varint's value, for counts, lengths, indexes and ints: the rules and arithmetic of `varint`. */
  const value = (): number => {
    const start = pos;
    let b = buf[pos++];
    if (b === undefined) throw NO;
    let z = b & 0x7f;
    if (b < 0x80) return z & 1 ? -(z + 1) / 2 : z / 2;
    let scale = 128;
    do {
      b = buf[pos++];
      if (b === undefined || (pos - start === 10 && b > 1)) throw NO;
      z += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80);
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  };
  /** Any 64-bit long: at most 10 bytes, the 10th at most 1. */
  const long = (): void => {
    const start = pos;
    let b: number | undefined;
    do {
      b = buf[pos++];
      if (b === undefined) throw NO;
    } while (b >= 0x80 && pos - start < 10);
    if (pos - start === 10 && b > 1) throw NO;
  };
  const int = (): void => {
    const v = value();
    if (v < INT_MIN || v > INT_MAX) throw NO;
  };
  const boolean = (): void => {
    const b = buf[pos++];
    if (b === undefined || b > 1) throw NO;
  };
  const skip = (n: number): void => {
    if (n > end - pos) throw NO;
    pos += n;
  };
  const bytes = (): void => {
    const n = value();
    if (n < 0 || n > end - pos) throw NO;
    pos += n;
  };
  const index = (count: number): number => {
    const i = value();
    if (!(i >= 0 && i < count)) throw NO;
    return i;
  };
  const count = (min: number): number => {
    let n = value();
    blockEnd = -1;
    if (n < 0) {
      n = -n;
      const size = value();
      if (size < 0 || size > end - pos) throw NO;
      blockEnd = pos + size;
    }
    if (min > 0) {
      if (n * min > end - pos) throw NO;
    } else {
      emptyItems += n;
      if (emptyItems > MAX_EMPTY_ITEMS) throw NO;
    }
    return n;
  };
  const block = (): number => blockEnd;
  const endBlock = (e: number): void => {
    if (e >= 0 && pos !== e) throw NO;
  };
  const run = (bytes: Buffer, root: () => void): boolean => {
    buf = bytes;
    pos = 0;
    end = bytes.length;
    emptyItems = 0;
    try {
      root();
      return pos === end;
    } catch {
      return false; // NO, or a stack overflow: the explaining scan says which
    } finally {
      buf = noBytes;
    }
  };
  return { long, int, boolean, skip, bytes, index, count, block, endBlock, run };
}
const noBytes = Buffer.alloc(0);

/** The generated check of `root`: statements per node, a function per complex node (recursion calls it by name). */
function compileCheck(root: AvroNode): (bytes: Buffer) => boolean {
  const functions: string[] = [];
  const names = new Map<AvroNode, string>();
  const fn = (node: AvroNode, body: () => string): string => {
    let name = names.get(node);
    if (name === undefined) {
      name = `c${names.size}`;
      names.set(node, name);
      functions.push(`function ${name}() {\n${body()}\n}`);
    }
    return `${name}();`;
  };
  const statement = (node: AvroNode): string => {
    switch (node.kind) {
      case "primitive":
        switch (node.type) {
          case "null":
            return "";
          case "boolean":
            return "s.boolean();";
          case "int":
            return "s.int();";
          case "long":
            return "s.long();";
          case "float":
            return "s.skip(4);";
          case "double":
            return "s.skip(8);";
          case "string":
          case "bytes":
            return "s.bytes();";
        }
        return "";
      case "logical":
        return statement(node.underlying);
      case "fixed":
        return `s.skip(${node.size});`;
      case "enum":
        return `s.index(${node.symbols.length});`;
      case "union":
        return fn(node, () => {
          const cases = node.branches.map((b, i) => `  case ${i}: ${statement(b)} return;`);
          return `switch (s.index(${node.branches.length})) {\n${cases.join("\n")}\n}`;
        });
      case "array":
        return fn(node, () => {
          const min = minEncodedSize(node.items);
          const item = statement(node.items);
          return `for (let n = s.count(${min}); n !== 0; n = s.count(${min})) {\n  const e = s.block();\n  for (let i = 0; i < n; i++) { ${item} }\n  s.endBlock(e);\n}`;
        });
      case "map":
        return fn(node, () => {
          const min = 1 + minEncodedSize(node.values);
          const value = statement(node.values);
          return `for (let n = s.count(${min}); n !== 0; n = s.count(${min})) {\n  const e = s.block();\n  for (let i = 0; i < n; i++) { s.bytes(); ${value} }\n  s.endBlock(e);\n}`;
        });
      case "record":
        return fn(node, () => node.fields.map((f) => statement(f.type)).join("\n"));
    }
  };
  const body = statement(root);
  const source = `${functions.join("\n")}\nconst root = () => { ${body} };\nreturn (bytes) => s.run(bytes, root);`;
  return new Function("s", source)(checkRuntime()) as (bytes: Buffer) => boolean;
}
