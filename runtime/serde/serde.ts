/**
 * The three wire formats, chosen per event by its descriptor's `format`:
 *
 * | format      | value bytes                                   | headers written                                  |
 * | ----------- | --------------------------------------------- | ------------------------------------------------ |
 * | `avro`      | Avro binary, schema embedded in generated code | `schema-version`, `schema-fingerprint`, `content-type: application/avro` (the producer may leave the last two out: `optionalHeaders`) |
 * | `confluent` | `0x00`, 4-byte big-endian schema id, Avro binary | `schema-version`, `content-type: application/vnd.confluent.avro` |
 * | `json`      | plain JSON (the codec's JSON mapping), validated | `schema-version`, `schema-fingerprint`, `content-type: application/json` |
 *
 * Encoding validates first: an invalid payload throws INVALID_PAYLOAD (with the
 * field path and expected type) and nothing is sent. Decoding returns the payload
 * in the latest version's shape, whatever version wrote it.
 */

import type { ClientConfig, SchemaRegistryConfig } from "../config/types.ts";
import { type AnyEventDescriptor, type AvroSchema, carriesOtherEvents, type EventVersion } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { formatSchemaVersion, HeaderName, parseSchemaVersion, readHeaders } from "../message/headers.ts";
import type { Logger } from "../observability/logger.ts";
import { otherByteOrder } from "./avro/fingerprint.ts";
import { avroCodec, type ResolvingCodec, resolvingCodec } from "./avro.ts";
import { createRegistryClient, type RegistryClient, schemaIdWithReferences } from "./registry.ts";
import { schemaTopicStore } from "./schema-topic.ts";
import { subjectFor } from "./subjects.ts";
import type { DecodedEvent, EncodedValue, EventEncoder, EventSerde, RecordToDecode } from "./types.ts";
import { registryStore, type WriterSchemaStore } from "./writer-schemas.ts";

export const ContentType = {
  avro: "application/avro",
  confluent: "application/vnd.confluent.avro",
  json: "application/json",
} as const;

const MAGIC_BYTE = 0;
const CONFLUENT_HEADER = 5;

export interface SerdeOptions {
  /**
   * Needed for the `confluent` format; with it, embedded Avro written with a version newer than
   * the generated code is read too (the writer schema is found in the registry by fingerprint).
   */
  readonly registry?: SchemaRegistryConfig | RegistryClient | undefined;
  /**
   * Confluent format: register the writer schema on first publish (true), or only look it up
   * (false: for registries where producers may not register). Default: the registry config's
   * `autoRegister` (`SCHEMA_REGISTRY_AUTO_REGISTER`), else true. Embedded Avro and JSON register
   * (or look up) their writer schema the same way before their first publish of a version.
   */
  readonly autoRegister?: boolean | undefined;
  /**
   * Without a registry: where writer schemas travel instead (`schemaTopicStore`, the compacted
   * schema topic). Ignored when `registry` is given.
   */
  readonly schemas?: WriterSchemaStore | undefined;
  readonly logger?: Logger | undefined;
}

export interface Serde extends EventSerde {
  /** See {@link decodeRecord}. */
  decode(record: RecordToDecode, descriptors: readonly AnyEventDescriptor[]): Promise<DecodedEvent>;
  /** Releases the schema topic's connections, if any. */
  close(): Promise<void>;
}

/**
 * The serde a producer or consumer of `config` uses: the registry when one is configured, else the
 * schema topic (unless `schemaTopic` is false).
 */
export function serdeForConfig(config: ClientConfig, logger?: Logger): Serde {
  const st = config.schemaTopic;
  const schemas =
    config.schemaRegistry !== undefined || st === false
      ? undefined
      : schemaTopicStore(config, { topic: st?.topic, create: st?.create, logger });
  return createSerde({ registry: config.schemaRegistry, schemas, logger });
}

/** Encoders (cached per descriptor) and a decoder sharing one registry client and its caches. */
export function createSerde(options: SerdeOptions = {}): Serde {
  const registry =
    options.registry === undefined
      ? undefined
      : "url" in options.registry
        ? createRegistryClient(options.registry)
        : options.registry;
  const autoRegister =
    options.autoRegister ??
    (options.registry !== undefined && "url" in options.registry ? options.registry.autoRegister : undefined) ??
    true;
  const schemas = registry === undefined ? options.schemas : registryStore(registry, autoRegister);
  const encoders = new WeakMap<AnyEventDescriptor, EventEncoder>();
  return {
    encoder(descriptor) {
      let encoder = encoders.get(descriptor);
      if (encoder === undefined) {
        encoder = createEncoder(descriptor, registry, { autoRegister, schemas });
        encoders.set(descriptor, encoder);
      }
      return encoder;
    },
    decode: (record, descriptors) => decodeRecord(record, descriptors, { registry, schemas }),
    close: async () => {
      await schemas?.close();
    },
  };
}

function latestVersion(descriptor: AnyEventDescriptor): EventVersion {
  const latest = descriptor.versions[descriptor.versions.length - 1];
  if (latest === undefined) {
    throw new SkejiError(ErrorCode.UNKNOWN_SCHEMA, `${descriptor.type} has no schema versions`, {
      details: { eventType: descriptor.type },
    });
  }
  return latest;
}

export interface EncoderOptions {
  /** Confluent format: register the schema on first use (default), or only look it up. */
  readonly autoRegister?: boolean | undefined;
  /** Embedded Avro and JSON: where the writer schema is made available before the first publish (`prepare`). */
  readonly schemas?: WriterSchemaStore | undefined;
}

/** The encoder of one descriptor, in its wire format. */
export function createEncoder(
  descriptor: AnyEventDescriptor,
  registry?: RegistryClient,
  options: EncoderOptions = {},
): EventEncoder {
  const autoRegister = options.autoRegister ?? true;
  const latest = latestVersion(descriptor);
  const codec = avroCodec(latest.schema);
  const version = formatSchemaVersion(latest.version);
  const prepare = publishOnce(descriptor, latest, options.schemas);
  switch (descriptor.format) {
    case "avro": {
      const headers = Object.freeze({
        [HeaderName.schemaVersion]: version,
        [HeaderName.schemaFingerprint]: codec.fingerprint,
        [HeaderName.contentType]: ContentType.avro,
      });
      return { deferrable: true, prepare, encode: (init) => ({ value: codec.encodeWithDefaults(init), headers }) };
    }
    case "json": {
      const headers = Object.freeze({
        [HeaderName.schemaVersion]: version,
        [HeaderName.schemaFingerprint]: codec.fingerprint,
        [HeaderName.contentType]: ContentType.json,
      });
      return {
        deferrable: true,
        prepare,
        encode: (init) => ({ value: Buffer.from(codec.toJSON(codec.applyDefaults(init)), "utf8"), headers }),
      };
    }
    case "confluent": {
      const headers = Object.freeze({
        [HeaderName.schemaVersion]: version,
        [HeaderName.contentType]: ContentType.confluent,
      });
      // Shared types are registered as references: the ids are worked out once per subject.
      const references = latest.references ?? [];
      const referencedIds = new Map<string, Promise<number>>();
      const idWithReferences = (registry: RegistryClient, subject: string): Promise<number> => {
        let id = referencedIds.get(subject);
        if (id === undefined) {
          id = schemaIdWithReferences(registry, subject, latest.schema, references, autoRegister);
          id.catch(() => referencedIds.delete(subject));
          referencedIds.set(subject, id);
        }
        return id;
      };
      return {
        async encode(init, topic): Promise<EncodedValue> {
          const body = codec.encodeWithDefaults(init); // validates before the registry is asked
          if (registry === undefined) throw noRegistry(descriptor);
          const subject = subjectFor({ topic, type: descriptor.type });
          const id =
            references.length > 0
              ? await idWithReferences(registry, subject)
              : autoRegister
                ? await registry.register(subject, latest.schema)
                : await registry.lookup(subject, latest.schema);
          const value = Buffer.allocUnsafe(CONFLUENT_HEADER + body.length);
          value.writeUInt8(MAGIC_BYTE, 0);
          value.writeUInt32BE(id, 1);
          body.copy(value, CONFLUENT_HEADER);
          return { value, headers };
        },
      };
    }
  }
}

/**
 * An encoder's `prepare`: the writer schema published to `schemas` once per topic; undefined
 * (nothing to wait for) once that is done, or when there is no store.
 */
function publishOnce(
  descriptor: AnyEventDescriptor,
  latest: EventVersion,
  schemas: WriterSchemaStore | undefined,
): EventEncoder["prepare"] {
  if (schemas === undefined) return undefined;
  const ready = new Map<string, Promise<void> | true>();
  return (topic) => {
    const state = ready.get(topic);
    if (state === true) return undefined;
    if (state !== undefined) return state;
    const publishing = schemas.publish(descriptor, latest, topic).then(
      () => {
        ready.set(topic, true);
      },
      (error: unknown) => {
        ready.delete(topic); // the next publish tries again
        throw error;
      },
    );
    ready.set(topic, publishing);
    return publishing;
  };
}

export interface DecodeOptions {
  /**
   * Needed for records in Confluent format; also finds the writer schema of embedded Avro
   * written with a version the descriptors do not have (by fingerprint, under `subjectFor`).
   */
  readonly registry?: RegistryClient | undefined;
  /**
   * Where writer schemas of versions the descriptors do not have are found, by fingerprint: the
   * schema topic, or the registry (the default when `registry` is given).
   */
  readonly schemas?: WriterSchemaStore | undefined;
}

/**
 * Decodes a consumed record into `{ descriptor, version, payload }`.
 *
 * - The descriptor is chosen by the `event-type` header among `descriptors`; with no
 *   header it is the only descriptor (unless its `topicEvents` say the topic carries others),
 *   the one a version of which `schema-fingerprint` names, or (Confluent format) the one whose
 *   record name matches the writer schema.
 * - `schema-fingerprint` is read in both byte orders: as written here (most significant byte
 *   first) and reversed (as some Avro libraries render it); the exact order is tried first.
 * - The format is taken from `content-type`, else from the descriptor (a JSON event's record
 *   whose bytes cannot begin a JSON object is read as embedded Avro; see `formatWithoutHeader`).
 * - Embedded Avro and JSON find the writer schema by `schema-version` (checked
 *   against `schema-fingerprint`); Confluent by the schema id, fetched once per id.
 * - A version newer than the descriptor's latest: the writer schema is looked up by
 *   `schema-fingerprint` in `schemas` (the schema topic) or the registry (under the event's
 *   subject) and resolved; embedded Avro found nowhere is UNKNOWN_VERSION, JSON found nowhere is
 *   read with the latest schema (undeclared fields dropped, defaults filled, validated).
 * - The payload is resolved to the latest version (added fields get their defaults).
 *
 * Throws SkejiError with code DECODE_FAILED (bad bytes, tombstone, incompatible
 * writer), UNKNOWN_EVENT_TYPE, UNKNOWN_SCHEMA, UNKNOWN_VERSION (upgrade the reader or
 * configure a registry), REGISTRY_UNAVAILABLE (transient: retry later) or REGISTRY_ERROR.
 */
export async function decodeRecord(
  record: RecordToDecode,
  descriptors: readonly AnyEventDescriptor[],
  options: DecodeOptions = {},
): Promise<DecodedEvent> {
  const headers = readHeaders(record.headers);
  const value = record.value;
  if (value === null) {
    throw new SkejiError(ErrorCode.DECODE_FAILED, "the record has no value (a tombstone)", {
      details: { tombstone: true },
    });
  }
  const eventType = headers[HeaderName.eventType];
  let descriptor: AnyEventDescriptor | undefined;
  if (eventType !== undefined) {
    descriptor = descriptors.find((d) => d.type === eventType);
    if (descriptor === undefined) {
      throw new SkejiError(ErrorCode.UNKNOWN_EVENT_TYPE, `unknown event type "${eventType}"`, {
        details: { eventType, known: descriptors.map((d) => d.type) },
      });
    }
  } else if (descriptors.length === 1 && !carriesOtherEvents(descriptors[0] as AnyEventDescriptor)) {
    // The topic's only event. One descriptor of a topic that carries others is not assumed:
    // its schema must say so, as among several.
    descriptor = descriptors[0];
  } else {
    // No event-type among several events: the writer schema's fingerprint may still say which.
    const fingerprint = fingerprintHeader(headers);
    if (fingerprint !== undefined) {
      descriptor = byFingerprintAmong(descriptors, (d) => d.versions, fingerprint)?.item;
    }
  }
  const format = formatOf(headers[HeaderName.contentType]) ?? formatWithoutHeader(descriptor, value);

  if (format === "confluent") return decodeConfluent(value, descriptor, descriptors, options.registry);
  if (descriptor === undefined) {
    throw new SkejiError(ErrorCode.UNKNOWN_EVENT_TYPE, "the record has no event-type header", {
      details: { known: descriptors.map((d) => d.type) },
    });
  }
  const found = writerVersion(descriptor, headers);
  const latest = latestVersion(descriptor);
  if (!("schema" in found)) {
    // A newer (or unnamed) version: its writer schema comes from the registry or the schema topic.
    const topic = record.topic ?? descriptor.topic;
    const schemas =
      options.schemas ?? (options.registry === undefined ? undefined : registryStore(options.registry, true));
    const writerSchema =
      schemas === undefined || found.fingerprint === undefined
        ? undefined
        : await schemas.find(descriptor, topic, found.fingerprint);
    const version = found.version ?? 0;
    if (format === "json") {
      const text = value.toString("utf8");
      if (writerSchema === undefined) {
        // Read with the latest schema: extra fields are dropped, missing ones take defaults.
        return { descriptor, version, payload: avroCodec(latest.schema).fromJSON(text) };
      }
      const bytes = avroCodec(writerSchema).encode(avroCodec(writerSchema).fromJSON(text));
      return { descriptor, version, payload: resolver(writerSchema, latest.schema).decode(bytes) };
    }
    if (writerSchema === undefined) throw unresolved(descriptor, found, schemas, topic);
    return { descriptor, version, payload: resolver(writerSchema, latest.schema).decode(value) };
  }
  const writer = found;
  if (format === "json") {
    const parsed = avroCodec(writer.schema).fromJSON(value.toString("utf8"));
    if (writer === latest) return { descriptor, version: writer.version, payload: parsed };
    const bytes = avroCodec(writer.schema).encode(parsed);
    return { descriptor, version: writer.version, payload: resolver(writer.schema, latest.schema).decode(bytes) };
  }
  const payload =
    writer === latest ? avroCodec(latest.schema).decode(value) : resolver(writer.schema, latest.schema).decode(value);
  return { descriptor, version: writer.version, payload };
}

async function decodeConfluent(
  value: Buffer,
  known: AnyEventDescriptor | undefined,
  descriptors: readonly AnyEventDescriptor[],
  registry: RegistryClient | undefined,
): Promise<DecodedEvent> {
  if (value.length < CONFLUENT_HEADER || value[0] !== MAGIC_BYTE) {
    throw new SkejiError(ErrorCode.DECODE_FAILED, "the value is not in Confluent wire format (no magic byte 0)", {
      details: { length: value.length },
    });
  }
  const id = value.readUInt32BE(1);
  if (registry === undefined) throw registryNeeded(id, known === undefined ? descriptors : [known]);
  const writer = await registry.schemaById(id);
  const descriptor = known ?? descriptors.find((d) => schemaName(latestVersion(d).schema) === schemaName(writer));
  if (descriptor === undefined) {
    throw new SkejiError(ErrorCode.UNKNOWN_EVENT_TYPE, `no known event matches the writer schema of id ${id}`, {
      details: { schemaId: id, schemaName: schemaName(writer) },
    });
  }
  const latest = latestVersion(descriptor);
  const fingerprint = avroCodec(writer).fingerprint;
  const version = descriptor.versions.find((v) => avroCodec(v.schema).fingerprint === fingerprint)?.version ?? 0;
  return { descriptor, version, payload: resolver(writer, latest.schema).decode(value.subarray(CONFLUENT_HEADER)) };
}

/** A writer version the descriptor does not have: newer than its latest, or named only by an unknown fingerprint. */
interface UnknownWriter {
  /** The version named by `schema-version`, when one is. */
  readonly version: number | undefined;
  readonly fingerprint: string | undefined;
}

/**
 * The writer version named by `schema-version`, checked against (or found by) `schema-fingerprint`;
 * an UnknownWriter for a version newer than the latest, or for an unknown fingerprint without a version.
 */
function writerVersion(
  descriptor: AnyEventDescriptor,
  headers: Readonly<Record<string, string>>,
): EventVersion | UnknownWriter {
  const named = headers[HeaderName.schemaVersion];
  const fingerprint = fingerprintHeader(headers);
  const number = parseSchemaVersion(named);
  if (number !== undefined) {
    const v = descriptor.versions.find((x) => x.version === number);
    if (v !== undefined && (fingerprint === undefined || fingerprintOf(v, fingerprint) !== undefined)) return v;
    if (v === undefined && number > latestVersion(descriptor).version) return { version: number, fingerprint };
    throw new SkejiError(
      ErrorCode.UNKNOWN_SCHEMA,
      v === undefined
        ? `${descriptor.type}: schema-version ${named} is not one of the known versions`
        : `${descriptor.type}: schema-fingerprint ${fingerprint} does not match version ${named}`,
      {
        details: {
          eventType: descriptor.type,
          schemaVersion: named,
          fingerprint,
          known: descriptor.versions.map((x) => x.version),
        },
      },
    );
  }
  const byFingerprint = fingerprint === undefined ? undefined : byFingerprintOf(descriptor.versions, fingerprint);
  if (byFingerprint !== undefined) return byFingerprint;
  if (fingerprint !== undefined) return { version: undefined, fingerprint };
  return latestVersion(descriptor); // no schema headers (e.g. a Go service's JSON): read as the latest
}

/** The `schema-fingerprint` header, trimmed and in lower case (some libraries write upper-case hex). */
function fingerprintHeader(headers: Readonly<Record<string, string>>): string | undefined {
  const text = headers[HeaderName.schemaFingerprint]?.trim().toLowerCase();
  return text === "" ? undefined : text;
}

/**
 * How `fingerprint` names version `v`: `exact` (the byte order written by this SDK, most
 * significant byte first) or `swapped` (the other byte order, as libraries that render the
 * single-object encoding's little-endian bytes write it); `undefined` when it names another schema.
 */
function fingerprintOf(v: EventVersion, fingerprint: string): "exact" | "swapped" | undefined {
  const own = avroCodec(v.schema).fingerprint;
  if (own === fingerprint) return "exact";
  return otherByteOrder(own) === fingerprint ? "swapped" : undefined;
}

/**
 * The one item whose version `fingerprint` names, trying the exact byte order on every item before
 * the swapped one: should one schema's little-endian rendering equal another known schema's
 * big-endian one (a 1 in 2^64 chance per pair), the exact match wins, as this SDK writes it.
 * `undefined` when none, or when several items match equally (two events with one schema).
 */
function byFingerprintAmong<T>(
  items: readonly T[],
  versions: (item: T) => readonly EventVersion[],
  fingerprint: string,
): { readonly item: T; readonly version: EventVersion } | undefined {
  for (const order of ["exact", "swapped"] as const) {
    const found: { item: T; version: EventVersion }[] = [];
    for (const item of items) {
      const version = versions(item).find((v) => fingerprintOf(v, fingerprint) === order);
      if (version !== undefined) found.push({ item, version });
    }
    if (found.length === 1) return found[0];
    if (found.length > 1) return undefined;
  }
  return undefined;
}

/**
 * The version `fingerprint` names, exact byte order first (see `byFingerprintAmong`). Versions that
 * differ only in docs or defaults share a fingerprint; the first is taken (they read the same bytes).
 */
const byFingerprintOf = (versions: readonly EventVersion[], fingerprint: string): EventVersion | undefined =>
  versions.find((v) => fingerprintOf(v, fingerprint) === "exact") ??
  versions.find((v) => fingerprintOf(v, fingerprint) === "swapped");

/** UNKNOWN_VERSION for a newer version nobody could supply; UNKNOWN_SCHEMA for an unknown fingerprint. */
function unresolved(
  descriptor: AnyEventDescriptor,
  w: UnknownWriter,
  schemas: WriterSchemaStore | undefined,
  topic: string,
): SkejiError {
  const known = descriptor.versions.map((x) => x.version);
  const subject = subjectFor({ topic, type: descriptor.type });
  const where = schemas?.where(descriptor, topic);
  const inRegistry =
    where === undefined
      ? ""
      : w.fingerprint === undefined
        ? ` (the record has no schema-fingerprint header to look it up in ${where})`
        : ` (no schema with fingerprint ${w.fingerprint} in ${where})`;
  if (w.version === undefined) {
    return new SkejiError(
      ErrorCode.UNKNOWN_SCHEMA,
      `${descriptor.type}: unknown schema-fingerprint ${w.fingerprint}${inRegistry}`,
      { details: { eventType: descriptor.type, fingerprint: w.fingerprint, known } },
    );
  }
  const v = formatSchemaVersion(w.version);
  return new SkejiError(
    ErrorCode.UNKNOWN_VERSION,
    `${descriptor.type}: written with ${v}, newer than the versions this reader knows (${known.map(formatSchemaVersion).join(", ")})${inRegistry}; upgrade the consumer (regenerate its code), or publish with a producer that makes its schemas available (a schema registry, SCHEMA_REGISTRY_URL, or the schema topic)`,
    { details: { eventType: descriptor.type, version: w.version, known, fingerprint: w.fingerprint, subject } },
  );
}

const resolvers = new Map<string, ResolvingCodec>();

function resolver(writer: AvroSchema, reader: AvroSchema): ResolvingCodec {
  const key = `${avroCodec(writer).fingerprint}:${avroCodec(reader).fingerprint}`;
  let r = resolvers.get(key);
  if (r === undefined) {
    try {
      r = resolvingCodec(writer, reader);
    } catch (cause) {
      throw new SkejiError(
        ErrorCode.DECODE_FAILED,
        `the writer schema (fingerprint ${avroCodec(writer).fingerprint}) cannot be read as the latest version: ${(cause as Error).message}`,
        { details: { incompatible: true, fingerprint: avroCodec(writer).fingerprint } }, // the cause's message is this one's reason: not repeated as a cause
      );
    }
    resolvers.set(key, r);
  }
  return r;
}

function formatOf(contentType: string | undefined): AnyEventDescriptor["format"] | undefined {
  if (contentType === ContentType.avro) return "avro";
  if (contentType === ContentType.confluent) return "confluent";
  if (contentType === ContentType.json || contentType?.startsWith("application/json")) return "json";
  return undefined;
}

/**
 * The format of a record without `content-type`: the descriptor's, except that a JSON event's
 * record whose bytes cannot start a JSON object is embedded Avro (producers leave `content-type`
 * out of embedded Avro records unless told to write it: records written before an event moved
 * from Avro to JSON are read as they were written). Without a descriptor, guessed from the bytes.
 */
function formatWithoutHeader(descriptor: AnyEventDescriptor | undefined, value: Buffer): AnyEventDescriptor["format"] {
  if (descriptor === undefined) return guessFormat(value);
  if (descriptor.format === "json" && value.length > 0 && !mayStartJson(value[0] as number)) return "avro";
  return descriptor.format;
}

/** `{` or JSON whitespace: how the text of a JSON object may begin. */
const mayStartJson = (byte: number): boolean =>
  byte === 0x7b || byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

function guessFormat(value: Buffer): AnyEventDescriptor["format"] {
  if (value[0] === MAGIC_BYTE && value.length >= CONFLUENT_HEADER) return "confluent";
  return value[0] === 0x7b ? "json" : "avro";
}

function schemaName(schema: AvroSchema): string | undefined {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return undefined;
  const s = schema as { name?: unknown; namespace?: unknown };
  if (typeof s.name !== "string") return undefined;
  return s.name.includes(".") || typeof s.namespace !== "string" || s.namespace === ""
    ? s.name
    : `${s.namespace}.${s.name}`;
}

/**
 * A Confluent record read without a registry. When the event (or, without an `event-type` header,
 * one of the events it may be) is declared in the Confluent format, this reader is misconfigured: REGISTRY_ERROR, which holds the partition like a registry that
 * refuses us (dead-lettering would empty the topic into the DLQ). Otherwise the record is not in
 * the format its event is read in, and this reader can never read it: DECODE_FAILED (dead-lettered).
 */
function registryNeeded(id: number, candidates: readonly AnyEventDescriptor[]): SkejiError {
  const descriptor = candidates.find((d) => d.format === "confluent");
  if (descriptor !== undefined) {
    return new SkejiError(
      ErrorCode.REGISTRY_ERROR,
      `${descriptor.type} uses the confluent wire format (schema id ${id}) but no schema registry is configured; set SCHEMA_REGISTRY_URL`,
      { details: { schemaId: id, eventType: descriptor.type } },
    );
  }
  return new SkejiError(
    ErrorCode.DECODE_FAILED,
    `the record is in the Confluent wire format (schema id ${id}), which needs a schema registry to read, and this reader has none (SCHEMA_REGISTRY_URL)`,
    { details: { schemaId: id, registryRequired: true } },
  );
}

function noRegistry(descriptor: AnyEventDescriptor): SkejiError {
  return new SkejiError(
    ErrorCode.INVALID_CONFIG,
    `${descriptor.type} uses the confluent wire format but no schema registry is configured; set SCHEMA_REGISTRY_URL`,
    { details: { eventType: descriptor.type } },
  );
}
