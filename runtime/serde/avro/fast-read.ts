/**
 * The decoder's fastest path: reads Avro binary straight into the TypeScript value of the type
 * mapping, with code generated once per schema. No intermediate value: a record is one object
 * literal built from its fields as they are read (a stable shape), a timestamp is a Date at once,
 * a nullable union is the value or null.
 *
 * It gives up (returns FAIL) at the first thing it does not handle exactly like the full path
 * (the bounds check, avsc's read, then the value conversion): bytes that break a rule of
 * `bounds.ts` (a count or length the bytes left cannot hold, a varint over 10 bytes, an int over
 * 32 bits, a boolean byte other than 0 or 1, an unknown union branch or enum symbol, truncated or
 * trailing bytes), a long outside +-2^52, a Date out of range, a value its logical type does not
 * allow (a uuid that is not one, a time of day out of range), a map key `__proto__`. The caller
 * then runs the full path, which produces the value or throws the precise error. So this path
 * may only ever return what the full path returns for the same bytes; the differential tests in
 * `test/generator/avro-codec.test.ts` hold it to that. Like the bounds check, it never allocates
 * for a count before the bytes left could hold that many items.
 *
 * Schemas it does not compile (decimals, `long: "bigint"`, a record field named `__proto__`)
 * have no reader: `compileFastRead` returns undefined.
 */
import { MAX_EMPTY_ITEMS, minEncodedSize } from "./bounds.ts";
import { FAIL } from "./fast.ts";
import { type AvroNode, branchName, type LogicalNode, nullableBranch, type RecordNode } from "./model.ts";
import { isUuid, type ValueOptions } from "./values.ts";

export type FastReader = (bytes: Buffer) => unknown;

/** Thrown inside a reader to give up; never leaves it. */
const STOP: unique symbol = Symbol("stop");
const MAX_DATE_MS = 8.64e15;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const MS_PER_DAY = 86_400_000;
/** The scale of a varint's 11th byte: no varint of 64 bits has one. */
const ELEVENTH = 128 ** 10;
/**
 * Short ASCII strings (ids, codes, phone numbers, enum-like values: most strings of an event)
 * are built in JavaScript: one `String.fromCharCode` call with the bytes as its arguments costs
 * about half of a call into Node's UTF-8 decoder. Any byte above 0x7f leaves the string to it.
 */
const SHORT = 24;
const shortAscii = new Function(
  "fromCharCode",
  `return function shortAscii(b, s, n) {
  let high = 0;
  for (let i = s; i < s + n; i++) high |= b[i];
  if (high > 0x7f) return undefined;
  switch (n) {
${Array.from({ length: SHORT + 1 }, (_, n) => `    case ${n}: return fromCharCode(${Array.from({ length: n }, (_, i) => `b[s + ${i}]`).join(", ")});`).join("\n")}
  }
  return undefined;
};`,
)(String.fromCharCode) as (b: Buffer, s: number, n: number) => string | undefined;
type Utf8Sliceable = Buffer & { utf8Slice(start: number, end: number): string };
const hasUtf8Slice = typeof (Buffer.prototype as Partial<Utf8Sliceable>).utf8Slice === "function";

/**
 * The runtime the generated code calls: one cursor over one buffer (reads are synchronous and
 * never re-entered, so a reader's cursor is its own for the duration of a call).
 */
function runtime() {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let end = 0;
  /** Array items that take no bytes, read so far in this record (see MAX_EMPTY_ITEMS). */
  let emptyItems = 0;
  /** Where the block just counted must end, when it stated its byte size; else -1. */
  let blockEnd = -1;

  /** A zigzag varint as a number; gives up beyond 2^52 in magnitude (the full path reads those). */
  const long = (): number => {
    let b = buf[pos++];
    if (b === undefined) throw STOP;
    let z = b & 0x7f;
    if (b < 0x80) return z & 1 ? -(z + 1) / 2 : z / 2;
    let scale = 128;
    do {
      if (scale === ELEVENTH) throw STOP; // over 10 bytes, even if its high bytes are zero
      b = buf[pos++];
      if (b === undefined) throw STOP;
      z += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80);
    // Exact while below 2^53; rounding is monotonic, so a larger value never lands below it.
    if (z > 9007199254740991) throw STOP;
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  };
  const int = (): number => {
    const v = long();
    if (v < INT_MIN || v > INT_MAX) throw STOP;
    return v;
  };
  const length = (): number => {
    const n = long();
    if (n < 0 || pos + n > end) throw STOP;
    return n;
  };
  const string = (): string => {
    const n = length();
    const start = pos;
    pos += n;
    if (n <= SHORT) {
      const text = shortAscii(buf, start, n);
      if (text !== undefined) return text;
    }
    // Node's own UTF-8 slice, without toString's argument checks (avsc reads strings the same way).
    return hasUtf8Slice ? (buf as Utf8Sliceable).utf8Slice(start, pos) : buf.toString("utf8", start, pos);
  };
  const fixed = (n: number): Buffer => {
    if (pos + n > end) throw STOP;
    const out = Buffer.allocUnsafe(n);
    buf.copy(out, 0, pos, pos + n);
    pos += n;
    return out;
  };
  const boolean = (): boolean => {
    const b = buf[pos++];
    if (b === undefined || b > 1) throw STOP;
    return b === 1;
  };
  const float = (): number => {
    if (pos + 4 > end) throw STOP;
    const v = buf.readFloatLE(pos);
    pos += 4;
    return v;
  };
  const double = (): number => {
    if (pos + 8 > end) throw STOP;
    const v = buf.readDoubleLE(pos);
    pos += 8;
    return v;
  };
  /**
   * A block count of an array or map whose items take at least `min` bytes, checked against the
   * bytes left before anything is allocated. A negative count is followed by the block's byte
   * size, which sets `blockEnd`.
   */
  const count = (min: number): number => {
    let n = long();
    blockEnd = -1;
    if (n < 0) {
      n = -n;
      const size = long();
      if (size < 0 || size > end - pos) throw STOP;
      blockEnd = pos + size;
    }
    if (min > 0) {
      if (n * min > end - pos) throw STOP;
    } else {
      emptyItems += n;
      if (emptyItems > MAX_EMPTY_ITEMS) throw STOP;
    }
    return n;
  };
  /** The end `count` set for the block it just read; `endBlock` checks it once the items are read. */
  const block = (): number => blockEnd;
  const endBlock = (e: number): void => {
    if (e >= 0 && pos !== e) throw STOP;
  };
  const uuid = (s: string): string => {
    if (!isUuid(s)) throw STOP;
    return s;
  };
  const timeOfDay = (v: number, limit: number): number => {
    if (v < 0 || v >= limit) throw STOP;
    return v;
  };
  const date = (ms: number): Date => {
    if (ms > MAX_DATE_MS || ms < -MAX_DATE_MS) throw STOP;
    return new Date(ms);
  };
  const micros = (v: number): Date => {
    const r = v % 1000;
    return date((v - r) / 1000 - (r < 0 ? 1 : 0));
  };
  const mapKey = (): string => {
    const k = string();
    if (k === "__proto__") throw STOP;
    return k;
  };
  const read = (bytes: Buffer, root: () => unknown): unknown => {
    buf = bytes;
    pos = 0;
    end = bytes.length;
    emptyItems = 0;
    try {
      const value = root();
      return pos === end ? value : FAIL;
    } catch {
      return FAIL;
    } finally {
      buf = empty;
    }
  };
  return {
    long,
    int,
    length,
    string,
    fixed,
    boolean,
    float,
    double,
    count,
    block,
    endBlock,
    uuid,
    timeOfDay,
    date,
    micros,
    mapKey,
    read,
  };
}
const empty = Buffer.alloc(0);

/** Generated code for one schema: helper functions per node, and the expression reading each node. */
class Generator {
  readonly functions: string[] = [];
  readonly constants: unknown[] = [];
  private readonly names = new Map<AvroNode, string>();

  constructor(private readonly root: AvroNode) {}

  /** A constant the generated code refers to as `k[i]`. */
  private constant(value: unknown): string {
    this.constants.push(value);
    return `k[${this.constants.length - 1}]`;
  }

  /** The function reading `node` (generated once per node; recursion refers to it by name). */
  private fn(node: AvroNode, body: () => string): string {
    let name = this.names.get(node);
    if (name === undefined) {
      name = `n${this.names.size}`;
      this.names.set(node, name);
      this.functions.push(`function ${name}() {\n${body()}\n}`);
    }
    return `${name}()`;
  }

  /** The expression that reads one value of `node`; undefined when this path does not handle it. */
  expr(node: AvroNode): string {
    switch (node.kind) {
      case "primitive":
        switch (node.type) {
          case "null":
            return "null";
          case "boolean":
            return "r.boolean()";
          case "int":
            return "r.int()";
          case "long":
            return "r.long()";
          case "float":
            return "r.float()";
          case "double":
            return "r.double()";
          case "bytes":
            return "r.fixed(r.length())";
          case "string":
            return "r.string()";
        }
        return unsupported();
      case "enum":
        return this.fn(node, () => {
          const symbols = this.constant(node.symbols);
          return `const s = ${symbols}[r.long()];\nif (s === undefined) throw STOP;\nreturn s;`;
        });
      case "fixed":
        return `r.fixed(${node.size})`;
      case "array":
        return this.fn(node, () => {
          const item = this.expr(node.items);
          const min = minEncodedSize(node.items);
          return `const out = [];\nfor (let n = r.count(${min}); n !== 0; n = r.count(${min})) {\n  const e = r.block();\n  for (let i = 0; i < n; i++) out.push(${item});\n  r.endBlock(e);\n}\nreturn out;`;
        });
      case "map":
        return this.fn(node, () => {
          const value = this.expr(node.values);
          const min = 1 + minEncodedSize(node.values); // the key's length, at least
          return `const out = {};\nfor (let n = r.count(${min}); n !== 0; n = r.count(${min})) {\n  const e = r.block();\n  for (let i = 0; i < n; i++) { const key = r.mapKey(); out[key] = ${value}; }\n  r.endBlock(e);\n}\nreturn out;`;
        });
      case "union":
        return this.fn(node, () => this.union(node.branches, nullableBranch(node)));
      case "record":
        return this.fn(node, () => this.record(node));
      case "logical":
        return this.logical(node);
    }
  }

  private union(branches: readonly AvroNode[], nullable: AvroNode | undefined): string {
    const cases = branches.map((b, i) => {
      if (b.kind === "primitive" && b.type === "null") return `  case ${i}: return null;`;
      const value = this.expr(b);
      // Null-or-X unions are the value itself; others wrap it under the branch name.
      return nullable !== undefined
        ? `  case ${i}: return ${value};`
        : `  case ${i}: return { ${JSON.stringify(branchName(b))}: ${value} };`;
    });
    return `switch (r.long()) {\n${cases.join("\n")}\n  default: throw STOP;\n}`;
  }

  private record(node: RecordNode): string {
    // `__proto__` in an object literal sets the prototype: leave such records to the full path.
    if (node.fields.some((f) => f.name === "__proto__")) return unsupported();
    const reads = node.fields.map((f, i) => `const v${i} = ${this.expr(f.type)};`);
    const literal = node.fields.map((f, i) => `${JSON.stringify(f.name)}: v${i}`).join(", ");
    return `${reads.join("\n")}\nreturn { ${literal} };`;
  }

  private logical(node: LogicalNode): string {
    const underlying = this.expr(node.underlying);
    switch (node.logicalType) {
      case "timestamp-millis":
        return `r.date(${underlying})`;
      case "timestamp-micros":
        return `r.micros(${underlying})`;
      case "date":
        return `r.date(${underlying} * 86400000)`;
      case "decimal":
        return unsupported();
      case "uuid":
        return `r.uuid(${underlying})`;
      case "time-millis":
        return `r.timeOfDay(${underlying}, ${MS_PER_DAY})`;
      case "time-micros":
        return `r.timeOfDay(${underlying}, ${MS_PER_DAY * 1000})`;
    }
  }

  source(): string {
    const root = this.expr(this.root);
    return `${this.functions.join("\n")}\nconst root = () => ${root};\nreturn (bytes) => r.read(bytes, root);`;
  }
}

class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

/** The compiled reader of `root`, or undefined for schemas this path does not handle. */
export function compileFastRead(root: AvroNode, opts: ValueOptions): FastReader | undefined {
  if (opts.long !== "number") return undefined;
  const gen = new Generator(root);
  let source: string;
  try {
    source = gen.source();
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  return new Function("r", "k", "STOP", source)(runtime(), gen.constants, STOP) as FastReader;
}
