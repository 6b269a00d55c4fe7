/**
 * The Avro codec: validates, encodes and decodes payloads of one schema, following
 * the Avro-to-TypeScript mapping the generator emits types for (docs/type-mapping.md).
 *
 * Codecs are cached per schema object: build them once (descriptors hold the schemas),
 * never per message. Binary encoding is avsc's; validation, the value mapping, the JSON
 * wire format and the fingerprint are this module's.
 *
 * Errors from avsc or JSON.parse are reported in the message (`cannot decode X: truncated
 * buffer`) and not attached as `cause` as well: error-chain printers (the dead-letter header,
 * pino's serializer) join every cause's message, which would then say the reason twice.
 */
import avro from "avsc";
import type { AvroSchema } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { compileScan, isStackOverflow, MalformedRecord, TOO_DEEP } from "./avro/bounds.ts";
import { fillDefaults } from "./avro/defaults.ts";
import { compileFastPath, FAIL } from "./avro/fast.ts";
import { compileFastDecode } from "./avro/fast-decode.ts";
import { compileFastRead, type FastReader } from "./avro/fast-read.ts";
import { canonicalForm, rabinFingerprint } from "./avro/fingerprint.ts";
import { fromJsonValue, toJsonValue } from "./avro/json.ts";
import { type AvroNode, parseSchema } from "./avro/model.ts";
import { readerForResolution, resolutionLogicalTypes } from "./avro/resolution.ts";
import {
  BoundedIssues,
  fromRaw,
  type LongRepresentation,
  toRaw,
  type ValidationIssue,
  type ValueOptions,
} from "./avro/values.ts";

export type { AvroSchema } from "../descriptor.ts";
export type { LongRepresentation, ValidationIssue } from "./avro/values.ts";

/** Error code thrown when a schema handed to the codec is not a valid Avro schema (also `ErrorCode.INVALID_SCHEMA`). */
export const INVALID_SCHEMA = ErrorCode.INVALID_SCHEMA;

export interface AvroCodec<T = unknown> {
  readonly schema: AvroSchema;
  /** CRC-64-AVRO (Rabin) of the Parsing Canonical Form, 16 hex digits. */
  readonly fingerprint: string;
  /** The Parsing Canonical Form of the schema. */
  readonly canonical: string;
  /** Every issue, empty when `value` is a valid payload. */
  validate(value: unknown): ValidationIssue[];
  /** Validates, then writes Avro binary. Throws `INVALID_PAYLOAD` with `details.issues`. */
  encode(value: T): Buffer;
  /**
   * `encode(applyDefaults(init))` in one walk, without copying `init`: what producers call.
   * Throws `INVALID_PAYLOAD` with every issue, exactly as that pair does.
   */
  encodeWithDefaults(init: unknown): Buffer;
  /** Reads Avro binary written with this schema. Throws `DECODE_FAILED` (truncated or trailing bytes, bad data). */
  decode(bytes: Uint8Array): T;
  /** The JSON wire format. Throws `INVALID_PAYLOAD` like `encode`. */
  toJSON(value: T): string;
  /** Parses and validates the JSON wire format, filling defaults. Throws `DECODE_FAILED` with `details.issues`. */
  fromJSON(text: string): T;
  /** A copy of `init` with every missing field that has a default filled in, at any depth. */
  applyDefaults(init: unknown): T;
}

export interface AvroCodecOptions {
  /** How `long` without a logical type is represented; default `number` (safe integers only). */
  readonly long?: LongRepresentation;
}

/**
 * An exclusive union of wrapped branches: exactly one key of `M`, e.g.
 * `AvroUnion<{ string: string; long: number }>` is `{ string: string } | { long: number }`
 * where an object carrying both keys is a type error.
 */
export type AvroUnion<M> = {
  [K in keyof M]: { [P in K]: M[P] } & { [P in Exclude<keyof M, K>]?: never };
}[keyof M];

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** avsc's long as bigint, so that every 64-bit value (e.g. timestamp-micros) survives decoding. */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (v: number | string | bigint) => BigInt(v),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === "bigint" && n >= LONG_MIN && n <= LONG_MAX,
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** avsc's reading position (internal, stable in the avsc version this package pins). */
interface Tap {
  buf: Buffer;
  pos: number;
}
type ReadFn = (this: avro.Type, tap: Tap) => unknown;
const readBigLong = (bigLong as unknown as { _read: ReadFn })._read;

/**
 * Reads a long of up to 7 varint bytes (|n| < 2^48) straight into a number - no 8-byte buffer,
 * no BigInt - and any longer one as a bigint as before. The value mapping takes both forms alike.
 * A truncated varint leaves the position past the end, which avsc reports as a truncated buffer.
 */
function readLong(this: avro.Type, tap: Tap): unknown {
  const buf = tap.buf;
  const start = tap.pos;
  let pos = start;
  let b = buf[pos++] as number;
  let z = b & 0x7f;
  let scale = 128;
  for (let i = 1; b & 0x80 && i < 7; i++) {
    b = buf[pos++] as number;
    z += (b & 0x7f) * scale;
    scale *= 128;
  }
  if (b & 0x80) return readBigLong.call(this, tap); // 8 bytes or more: read from the start
  tap.pos = pos;
  return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
}

/** The long type decoding reads with: `bigLong` (avsc types are frozen: a derived object) with `readLong`. */
const decodeLong = Object.create(bigLong, { _read: { value: readLong } }) as avro.Type;

/** Where values are written before being copied out (encoding is synchronous: one is enough). */
const scratch = Buffer.allocUnsafe(64 * 1024);

/** Exact-length scratch buffers for a varint of 1..10 bytes (avsc copies them at once). */
const varintScratch = Array.from({ length: 11 }, (_, n) => Buffer.alloc(n));
const TWO_POW_52 = 2 ** 52;

/** The zigzag varint of `n` (Avro's long encoding), in a scratch buffer valid until the next call. */
function zigzagVarint(n: number | bigint): Buffer {
  if (typeof n === "number" && n <= TWO_POW_52 && n >= -TWO_POW_52) {
    // Exact in doubles: |2n| <= 2^53. `f & 0x7f` reads the low bits of the integer part.
    const z = n >= 0 ? n * 2 : -n * 2 - 1;
    let len = 1;
    for (let f = z; f >= 128; f = Math.floor(f / 128)) len++;
    const buf = varintScratch[len] as Buffer;
    let f = z;
    for (let i = 0; i < len - 1; i++) {
      buf[i] = (f % 128) | 0x80;
      f = Math.floor(f / 128);
    }
    buf[len - 1] = f;
    return buf;
  }
  const b = BigInt(n);
  let z = b >= 0n ? b << 1n : (-b << 1n) - 1n;
  let len = 1;
  for (let t = z; t >= 128n; t >>= 7n) len++;
  const buf = varintScratch[len] as Buffer;
  for (let i = 0; i < len - 1; i++) {
    buf[i] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[len - 1] = Number(z);
  return buf;
}

function fromZigzagVarint(buf: Buffer): bigint {
  let z = 0n;
  for (let i = buf.length - 1; i >= 0; i--) z = (z << 7n) | BigInt((buf[i] as number) & 0x7f);
  return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
}

/**
 * The long type the encoder writes with: numbers (safe integers, as the fast path produces them)
 * and bigints alike, straight to Avro's varint - no 64-bit buffer and no BigInt per value.
 */
const writeLong = avro.types.LongType.__with(
  {
    fromBuffer: fromZigzagVarint,
    toBuffer: zigzagVarint,
    fromJSON: (v: number | string | bigint) => BigInt(v),
    toJSON: (n: number | bigint) => Number(n),
    isValid: (n: unknown) =>
      typeof n === "number" ? Number.isSafeInteger(n) : typeof n === "bigint" && n >= LONG_MIN && n <= LONG_MAX,
    compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
  },
  true, // noUnpack: toBuffer/fromBuffer see the varint bytes themselves
);

/**
 * The avsc type. Every `long` is read as a number (small ones) or a 64-bit bigint, and written
 * from numbers or bigints (converted by the value mapping): avsc's number-based long silently corrupts negative values
 * below -2^52, and `timestamp-micros` values do not fit a number at all.
 */
function avscType(
  schema: AvroSchema,
  long: avro.Type = decodeLong,
  logicalTypes: avro.ForSchemaOptions["logicalTypes"] = {},
): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    wrapUnions: "always",
    logicalTypes,
    typeHook: (s) =>
      s === "long" ||
      (typeof s === "object" && s !== null && !Array.isArray(s) && (s as { type?: unknown }).type === "long")
        ? long
        : undefined,
  });
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function summarize(issues: readonly ValidationIssue[], omitted = 0): string {
  const shown = issues
    .slice(0, 3)
    .map((i) => `${i.path || "(payload)"}: expected ${i.expected}, got ${i.actual}`)
    .join("; ");
  const more = issues.length - Math.min(3, issues.length) + omitted;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

function schemaName(root: AvroNode): string {
  return root.kind === "record" || root.kind === "enum" || root.kind === "fixed" ? root.name : root.kind;
}

/** A parsed schema with its avsc type; throws `INVALID_SCHEMA` listing every problem. */
function compile(schema: AvroSchema): Compiled {
  let parsed: ReturnType<typeof parseSchema>;
  try {
    parsed = parseSchema(schema);
  } catch (e) {
    // A schema from a registry may be nested deeper than the parser's stack allows.
    if (isStackOverflow(e)) throw new SkejiError(INVALID_SCHEMA, "invalid Avro schema: nested too deeply");
    throw e;
  }
  if (parsed.problems.length > 0) {
    const list = parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    throw new SkejiError(INVALID_SCHEMA, `invalid Avro schema: ${list}`, { details: { problems: parsed.problems } });
  }
  try {
    return { root: parsed.root, type: avscType(schema) };
  } catch (cause) {
    throw new SkejiError(INVALID_SCHEMA, `invalid Avro schema: ${(cause as Error).message}`);
  }
}

interface Compiled {
  readonly root: AvroNode;
  readonly type: avro.Type;
}

class Codec<T> implements AvroCodec<T> {
  #canonical: string | undefined;
  #fingerprint: string | undefined;
  readonly #root: AvroNode;
  readonly #type: avro.Type;
  readonly #opts: ValueOptions;
  readonly #name: string;
  /** The encoder's avsc type (varint longs from numbers or bigints) and fast paths, built on first encode. */
  #writer: avro.Type | undefined;
  #fast: ((v: unknown) => unknown) | undefined;
  #fastWithDefaults: ((v: unknown) => unknown) | undefined;
  /** The decoder's fast path (raw avsc value -> TypeScript value), built on first decode. */
  #fastDecode: ((raw: unknown) => unknown) | undefined;
  /** The compiled binary reader (bytes -> TypeScript value); null when the schema has none. */
  #fastRead: FastReader | null | undefined;
  /** Checks bytes written with this schema before avsc reads them (see `avro/bounds.ts`). */
  #scan: ((bytes: Buffer) => void) | undefined;

  constructor(
    readonly schema: AvroSchema,
    options: AvroCodecOptions,
  ) {
    this.#opts = { long: options.long ?? "number" };
    const { root, type } = compile(schema);
    this.#root = root;
    this.#type = type;
    this.#name = schemaName(root);
  }

  /** The parsed model and avsc type (for resolving codecs in this module). */
  get compiled(): Compiled {
    return { root: this.#root, type: this.#type };
  }

  /** The bounds check of bytes written with this schema (shared with resolving codecs that read them). */
  get scan(): (bytes: Buffer) => void {
    this.#scan ??= compileScan(this.#root);
    return this.#scan;
  }

  /** The decoder's fast path of this schema (shared with resolving codecs that read into it). */
  get fastDecode(): (raw: unknown) => unknown {
    this.#fastDecode ??= compileFastDecode(this.#root, this.#opts);
    return this.#fastDecode;
  }

  get canonical(): string {
    this.#canonical ??= canonicalForm(this.#root);
    return this.#canonical;
  }

  get fingerprint(): string {
    this.#fingerprint ??= rabinFingerprint(this.canonical);
    return this.#fingerprint;
  }

  validate(value: unknown): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    toRaw(this.#root, value, undefined, issues, this.#opts);
    return issues;
  }

  #raw(value: unknown): unknown {
    const issues: ValidationIssue[] = [];
    const raw = toRaw(this.#root, value, undefined, issues, this.#opts);
    if (issues.length > 0) {
      throw new SkejiError(ErrorCode.INVALID_PAYLOAD, `payload does not match ${this.#name}: ${summarize(issues)}`, {
        details: { schema: this.#name, issues, path: issues[0]?.path, expected: issues[0]?.expected },
      });
    }
    return raw;
  }

  encode(value: T): Buffer {
    this.#fast ??= compileFastPath(this.#root, this.#opts, false);
    const fast = this.#fast(value);
    return this.#write(fast === FAIL ? this.#raw(value) : fast);
  }

  encodeWithDefaults(init: unknown): Buffer {
    this.#fastWithDefaults ??= compileFastPath(this.#root, this.#opts, true);
    const fast = this.#fastWithDefaults(init);
    // Not accepted at once: the full path fills defaults, then reports every issue with its path.
    return this.#write(fast === FAIL ? this.#raw(fillDefaults(this.#root, init, this.#opts)) : fast);
  }

  #write(raw: unknown): Buffer {
    this.#writer ??= avscType(this.schema, writeLong);
    try {
      // avsc's toBuffer allocates a zero-filled buffer of its own per value; writing into scratch
      // space and copying into a pooled buffer is cheaper, and far lighter on the collector.
      const end = this.#writer.encode(raw, scratch, 0);
      if (end < 0) return this.#writer.toBuffer(raw); // larger than the scratch space
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    } catch (cause) {
      throw new SkejiError(ErrorCode.ENCODE_FAILED, `encoding ${this.#name} failed: ${(cause as Error).message}`);
    }
  }

  decode(bytes: Uint8Array): T {
    const buf = asBuffer(bytes);
    if (this.#fastRead === undefined) this.#fastRead = compileFastRead(this.#root, this.#opts) ?? null;
    if (this.#fastRead !== null) {
      const value = this.#fastRead(buf);
      if (value !== FAIL) return value as T;
    }
    // Not read at once (or no compiled reader): avsc, then the conversion, which explain failures.
    return this.decodeRaw(buf);
  }

  /**
   * The full decoding path: the bounds check, avsc's read, then the value conversion (public for
   * differential tests). avsc believes every count and length it reads: it must never see bytes
   * the check did not accept.
   */
  decodeRaw(bytes: Uint8Array): T {
    const buf = asBuffer(bytes);
    checkBounds(this.#name, this.scan, buf);
    let raw: unknown;
    try {
      raw = this.#type.fromBuffer(buf);
    } catch (cause) {
      throw readFailed(this.#name, cause);
    }
    return convertRaw(this.#name, this.#root, this.#opts, this.fastDecode, raw) as T;
  }

  toJSON(value: T): string {
    this.#raw(value);
    return JSON.stringify(toJsonValue(this.#root, value));
  }

  fromJSON(text: string): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new SkejiError(ErrorCode.DECODE_FAILED, `invalid JSON for ${this.#name}: ${(cause as Error).message}`);
    }
    // Bounded: the text comes from a record, and may have an issue per item.
    const issues = new BoundedIssues();
    let value: unknown;
    try {
      value = fromJsonValue(this.#root, parsed, "", issues, this.#opts);
      const reported = new Set<string>();
      for (const issue of issues) reported.add(issue.path);
      const invalid = new BoundedIssues();
      toRaw(this.#root, value, undefined, invalid, this.#opts);
      for (const issue of invalid) if (!reported.has(issue.path)) issues.push(issue);
      // Past the kept ones, both walks usually report the same paths: count them once.
      issues.omitted = Math.max(issues.omitted, invalid.omitted);
    } catch (e) {
      // Only a recursive schema can be walked this deep; JSON.parse itself is not recursive.
      if (isStackOverflow(e)) throw new SkejiError(ErrorCode.DECODE_FAILED, `cannot decode ${this.#name}: ${TOO_DEEP}`);
      throw e;
    }
    if (issues.length > 0) {
      throw new SkejiError(
        ErrorCode.DECODE_FAILED,
        `JSON does not match ${this.#name}: ${summarize(issues, issues.omitted)}`,
        {
          details: {
            schema: this.#name,
            issues: [...issues],
            ...(issues.omitted > 0 ? { omitted: issues.omitted } : {}),
          },
        },
      );
    }
    return value as T;
  }

  applyDefaults(init: unknown): T {
    return fillDefaults(this.#root, init, this.#opts) as T;
  }
}

/** Throws DECODE_FAILED, naming the broken rule and where, unless `bytes` pass the bounds check. */
function checkBounds(name: string, scan: (bytes: Buffer) => void, bytes: Buffer): void {
  try {
    scan(bytes);
  } catch (e) {
    if (!(e instanceof MalformedRecord)) throw e;
    const path = e.path;
    throw new SkejiError(
      ErrorCode.DECODE_FAILED,
      `cannot decode ${name}: ${path === "" ? "" : `${path}: `}${e.reason}`,
      {
        details: { schema: name, path, reason: e.reason },
      },
    );
  }
}

/** The error of a read that avsc rejected (bad data the bounds check does not look at). */
function readFailed(name: string, cause: unknown): SkejiError {
  const message = (cause as Error).message;
  const reason =
    message === "potential precision loss"
      ? 'a long exceeds the safe integer range (read it with the codec option long: "bigint")'
      : isStackOverflow(cause)
        ? TOO_DEEP
        : message;
  return new SkejiError(ErrorCode.DECODE_FAILED, `cannot decode ${name}: ${reason}`);
}

/**
 * The TypeScript value of a raw value: the compiled fast path, or - when it gives up on
 * something - the full conversion, which also reports what cannot be represented.
 */
function convertRaw(
  name: string,
  root: AvroNode,
  opts: ValueOptions,
  fast: (raw: unknown) => unknown,
  raw: unknown,
): unknown {
  try {
    const value = fast(raw);
    if (value !== FAIL) return value;
    return fromRaw(root, raw, opts);
  } catch (cause) {
    const reason = isStackOverflow(cause) ? TOO_DEEP : (cause as Error).message;
    throw new SkejiError(ErrorCode.DECODE_FAILED, `cannot decode ${name}: ${reason}`);
  }
}

const cache = new WeakMap<object, Map<string, Codec<unknown>>>();
const primitiveCache = new Map<string, Map<string, Codec<unknown>>>();

/** The codec of `schema` (cached per schema object and options). Throws `INVALID_SCHEMA`. */
export function avroCodec<T = unknown>(schema: AvroSchema, options: AvroCodecOptions = {}): AvroCodec<T> {
  const key = options.long ?? "number";
  let byOptions = typeof schema === "string" ? primitiveCache.get(schema) : cache.get(schema);
  if (!byOptions) {
    byOptions = new Map();
    if (typeof schema === "string") primitiveCache.set(schema, byOptions);
    else cache.set(schema, byOptions);
  }
  let codec = byOptions.get(key);
  if (!codec) {
    codec = new Codec(schema, options);
    byOptions.set(key, codec);
  }
  return codec as AvroCodec<T>;
}

export interface ResolvingCodec<T = unknown> {
  /** Reads bytes written with the writer schema into a value of the reader schema (Avro schema resolution). */
  decode(bytes: Uint8Array): T;
}

/**
 * Decodes data written with `writer` as values of `reader`: fields added with a default
 * are filled, removed fields skipped, promotions (int -> long -> double, string <-> bytes)
 * applied. Throws `INVALID_SCHEMA` when the reader cannot read the writer's data.
 */
export function resolvingCodec<T = unknown>(
  writer: AvroSchema,
  reader: AvroSchema,
  options: AvroCodecOptions = {},
): ResolvingCodec<T> {
  const key = options.long ?? "number";
  const readerCodec = avroCodec(reader, options) as Codec<unknown>;
  const writerCodec = avroCodec(writer, options) as Codec<unknown>;
  let byWriter = resolvers.get(readerCodec);
  if (!byWriter) {
    byWriter = new WeakMap();
    resolvers.set(readerCodec, byWriter);
  }
  let resolving = byWriter.get(writerCodec);
  if (!resolving) {
    resolving = createResolving(writerCodec, readerCodec, { long: key });
    byWriter.set(writerCodec, resolving);
  }
  return resolving as ResolvingCodec<T>;
}

/** Resolving codecs, cached per reader and writer codec (which are cached per schema object). */
const resolvers = new WeakMap<Codec<unknown>, WeakMap<Codec<unknown>, ResolvingCodec<unknown>>>();

/**
 * The resolver reads with avsc types of its own (see `avro/resolution.ts`): the reader's aliases as
 * the specification qualifies them, namespaces matched as Java matches them, and decimals of
 * another scale refused. They produce the same raw values as the codecs' types.
 */
function createResolving(writer: Codec<unknown>, reader: Codec<unknown>, opts: ValueOptions): ResolvingCodec<unknown> {
  const root = reader.compiled.root;
  const fast = reader.fastDecode;
  const name = schemaName(root);
  let readerType: avro.Type;
  let resolver: ReturnType<avro.Type["createResolver"]>;
  try {
    readerType = avscType(readerForResolution(reader.schema, writer.schema), decodeLong, resolutionLogicalTypes);
    resolver = readerType.createResolver(avscType(writer.schema, decodeLong, resolutionLogicalTypes));
  } catch (cause) {
    throw new SkejiError(
      INVALID_SCHEMA,
      `${name}: data written with the writer schema cannot be read with the reader schema: ${(cause as Error).message}`,
    );
  }
  return {
    decode: (bytes) => {
      const buf = asBuffer(bytes);
      // The bytes are the writer's: checked against the writer schema before avsc reads (or skips) them.
      checkBounds(name, writer.scan, buf);
      let raw: unknown;
      try {
        raw = readerType.fromBuffer(buf, resolver);
      } catch (cause) {
        throw readFailed(name, cause);
      }
      return convertRaw(name, root, opts, fast, raw);
    },
  };
}
