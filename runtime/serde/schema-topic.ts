/**
 * The schema topic: where writer schemas travel when there is no schema registry. A compacted
 * topic on the same cluster (default `_skeji-schemas`, one partition), one record per schema:
 *
 * - key: the schema's fingerprint, CRC-64-AVRO of its Parsing Canonical Form, as 16 lowercase hex
 *   digits, most significant first (the order `schema-fingerprint` headers are written in);
 * - value: JSON `{"fingerprint","eventType","version","schema"}`, `schema` being the writer schema's
 *   JSON text as the producer's generated code holds it. Not the Parsing Canonical Form, although the
 *   key is its fingerprint: that form drops logical types, which the JSON wire format needs to read
 *   a timestamp or a decimal written as a string. A reader checks the key against the schema.
 *
 * A producer writes a version's record before its first record of that version, once per process
 * per fingerprint, creating the topic (compacted) when it is missing. The value is the same bytes
 * whoever writes it, so the copies that several producer processes write are harmless: compaction
 * keeps one, and a reader keeps one per key anyway.
 *
 * A consumer reads the whole topic (it holds one small record per schema version ever published)
 * when it meets a fingerprint it does not know, never per record: a read that started after the
 * record was consumed sees its schema, because its producer wrote the schema first. Reads are at
 * least `minRereadMs` apart; a fingerprint still missing after a read is remembered as missing for
 * `missTtlMs`, so that a stream of records with a bogus fingerprint costs one read per TTL.
 */
import { type CompactedLog, kafkajsCompactedLog } from "../client/compacted-log.ts";
import { defaultSchemaTopic } from "../config/env.ts";
import type { ClientConfig } from "../config/types.ts";
import type { AnyEventDescriptor, AvroSchema, EventVersion } from "../descriptor.ts";
import { ErrorCode, isSkejiError, SkejiError } from "../errors/base.ts";
import { errorMessage } from "../errors/classify.ts";
import type { Logger } from "../observability/logger.ts";
import { defaultLogger } from "../observability/logger.ts";
import { ensureTopics, planTopics } from "../topics/ensure.ts";
import { avroCodec } from "./avro.ts";
import { rememberMiss } from "./misses.ts";
import { swappedFingerprint, type WriterSchemaStore } from "./writer-schemas.ts";

/** The settings the schema topic is created with when a producer finds it missing. */
export const schemaTopicSettings = { partitions: 1, config: { "cleanup.policy": "compact" } } as const;

/** One record of the schema topic, as its value's JSON holds it. */
export interface SchemaTopicEntry {
  readonly fingerprint: string;
  readonly eventType: string;
  readonly version: number;
  /** The writer schema, as JSON text; its Parsing Canonical Form's fingerprint is `fingerprint`. */
  readonly schema: string;
}

export interface SchemaTopicOptions {
  /** The topic; default `_skeji-schemas`. */
  readonly topic?: string | undefined;
  /** Producers create the topic when it is missing (default true). */
  readonly create?: boolean | undefined;
  /** The least time between two reads of the topic. Default 2 s. */
  readonly minRereadMs?: number | undefined;
  /** How long a fingerprint that a read did not find is reported missing without reading again. Default 30 s. */
  readonly missTtlMs?: number | undefined;
  readonly logger?: Logger | undefined;
  /** The topic's reader and writer; the kafkajs one for `config` unless given. */
  readonly log?: CompactedLog | undefined;
  /** Clock and sleep, for tests. */
  readonly now?: (() => number) | undefined;
}

/** The record value a producer writes for `version` of `descriptor`. */
export function schemaTopicValue(descriptor: AnyEventDescriptor, version: EventVersion): Buffer {
  const codec = avroCodec(version.schema);
  const entry: SchemaTopicEntry = {
    fingerprint: codec.fingerprint,
    eventType: descriptor.type,
    version: version.version,
    schema: JSON.stringify(version.schema),
  };
  return Buffer.from(JSON.stringify(entry), "utf8");
}

/** A schema topic record's schema, or undefined when the record is not one (or its key does not match its schema). */
function parseEntry(key: string, value: Buffer): AvroSchema | undefined {
  try {
    const entry = JSON.parse(value.toString("utf8")) as Partial<SchemaTopicEntry>;
    if (typeof entry.schema !== "string") return undefined;
    const schema = JSON.parse(entry.schema) as AvroSchema;
    return avroCodec(schema).fingerprint === key ? schema : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function schemaTopicStore(config: ClientConfig, options: SchemaTopicOptions = {}): WriterSchemaStore {
  const topic = options.topic ?? defaultSchemaTopic;
  const create = options.create ?? true;
  const minRereadMs = options.minRereadMs ?? 2000;
  const missTtlMs = options.missTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const logger = (options.logger ?? defaultLogger()).child({ component: "schema-topic", schemaTopic: topic });
  const log = options.log ?? kafkajsCompactedLog(config, topic, logger);

  const schemas = new Map<string, AvroSchema>();
  const misses = new Map<string, number>();
  const published = new Map<string, Promise<void>>();
  let ensured: Promise<void> | undefined;
  let reading: { startedAt: number; done: Promise<void> } | undefined;
  let lastReadAt = Number.NEGATIVE_INFINITY;
  let ignored = 0;

  const unavailable = (doing: string, cause: unknown) =>
    isSkejiError(cause)
      ? cause
      : new SkejiError(
          ErrorCode.SCHEMA_TOPIC_UNAVAILABLE,
          `cannot ${doing} schema topic ${topic}: ${errorMessage(cause)}`,
          {
            cause,
            details: { schemaTopic: topic },
          },
        );

  const ensure = (): Promise<void> => {
    ensured ??= (async () => {
      if (!create) {
        let exists: boolean;
        try {
          const plan = await planTopics(config, [{ topic, ...schemaTopicSettings }], { logger });
          exists = plan.topics.every((t) => t.status !== "create" && t.status !== "cannot-create");
        } catch (cause) {
          throw unavailable("look up", cause);
        }
        if (!exists) {
          throw new SkejiError(
            ErrorCode.SCHEMA_TOPIC_UNAVAILABLE,
            `schema topic ${topic} does not exist, and this producer may not create it (KAFKA_SCHEMA_TOPIC_CREATE=false); create it compacted (cleanup.policy=compact, one partition) before publishing`,
            { details: { schemaTopic: topic } },
          );
        }
        return;
      }
      try {
        await ensureTopics(config, [{ topic, ...schemaTopicSettings }], { logger });
      } catch (cause) {
        // The cluster cannot be reached at all: that, not the schema topic, is what to fix.
        if (isSkejiError(cause, ErrorCode.CONNECTION_FAILED)) throw cause;
        const unusable = isSkejiError(cause) && (cause.details?.unusable as unknown[] | undefined)?.includes(topic);
        if (unusable) {
          throw new SkejiError(
            ErrorCode.SCHEMA_TOPIC_UNAVAILABLE,
            `schema topic ${topic} exists but cannot be written to now (${errorMessage(cause)})`,
            {
              cause,
              details: { schemaTopic: topic },
            },
          );
        }
        throw new SkejiError(
          ErrorCode.SCHEMA_TOPIC_UNAVAILABLE,
          `schema topic ${topic} is missing and could not be created (${errorMessage(cause)}); create it compacted (cleanup.policy=compact), or configure a schema registry (SCHEMA_REGISTRY_URL)`,
          { cause, details: { schemaTopic: topic } },
        );
      }
    })().catch((error: unknown) => {
      ensured = undefined;
      throw error;
    });
    return ensured;
  };

  const read = (): Promise<void> => {
    const startedAt = now();
    const done = (async () => {
      try {
        const records = await log.readAll();
        for (const r of records) {
          if (schemas.has(r.key)) continue;
          const schema = parseEntry(r.key, r.value);
          if (schema === undefined) ignored++;
          else schemas.set(r.key, schema);
        }
        if (ignored > 0) logger.warn({ ignored }, `schema topic ${topic} holds records that are not schemas; ignored`);
        ignored = 0;
      } catch (cause) {
        throw unavailable("read", cause);
      } finally {
        lastReadAt = now();
        reading = undefined;
      }
    })();
    reading = { startedAt, done };
    return done;
  };

  const known = (fingerprint: string) => schemas.get(fingerprint) ?? schemas.get(swappedFingerprint(fingerprint));

  return {
    publish(descriptor, version) {
      const fingerprint = avroCodec(version.schema).fingerprint;
      let done = published.get(fingerprint);
      if (done === undefined) {
        done = (async () => {
          await ensure();
          try {
            await log.append(fingerprint, schemaTopicValue(descriptor, version));
          } catch (cause) {
            throw new SkejiError(
              ErrorCode.SCHEMA_TOPIC_UNAVAILABLE,
              `cannot write the schema of ${descriptor.type} v${version.version} to schema topic ${topic}: ${errorMessage(cause)}`,
              { cause, details: { schemaTopic: topic, eventType: descriptor.type, version: version.version } },
            );
          }
          schemas.set(fingerprint, version.schema);
        })().catch((error: unknown) => {
          published.delete(fingerprint);
          throw error;
        });
        published.set(fingerprint, done);
      }
      return done;
    },

    async find(_descriptor, _topic, fingerprint) {
      const askedAt = now();
      let found = known(fingerprint);
      if (found !== undefined) return found;
      const missedAt = misses.get(fingerprint);
      if (missedAt !== undefined && askedAt - missedAt < missTtlMs) return undefined;
      // Only a read that starts after this call can prove the schema missing.
      for (;;) {
        const current = reading;
        if (current !== undefined) {
          await current.done;
          found = known(fingerprint);
          if (found !== undefined) return found;
          if (current.startedAt >= askedAt) break;
          continue;
        }
        const wait = lastReadAt + minRereadMs - now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        await read();
        break;
      }
      found = known(fingerprint);
      if (found === undefined) rememberMiss(misses, fingerprint, now());
      return found;
    },

    where: () => `schema topic ${topic}`,

    async close() {
      await log.close();
    },
  };
}
