/**
 * The schema registry (Confluent API): registering writer schemas under
 * `<topic>-<event-type>` (see `subjectFor`), looking them up without registering, fetching
 * schemas by id, and finding a subject's schema by fingerprint. Answers are cached for the
 * life of the process: an id or a subject's versions are fetched once, never per message.
 *
 * Errors, by what the registry answered:
 * - no answer (network error, timeout), 5xx, 408, 429: REGISTRY_UNAVAILABLE (transient), after up
 *   to three attempts within the request timeout;
 * - "schema not found" (Confluent `error_code` 40403) for an id: UNKNOWN_SCHEMA (the record
 *   names a schema that does not exist: permanent);
 * - anything else - another 404 (a wrong `SCHEMA_REGISTRY_URL`, e.g. without Apicurio's
 *   `/apis/ccompat/v7`), 401/403, 409, an answer that is not the registry's JSON: REGISTRY_ERROR.
 *   Not about the record, so a consumer never dead-letters because of it.
 */
import type { SchemaRegistryConfig } from "../config/types.ts";
import type { AvroSchema } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { expandReferences, splitReferences } from "./avro/references.ts";
import { avroCodec } from "./avro.ts";
import { rememberMiss } from "./misses.ts";
import { sharedTypeSubject } from "./subjects.ts";

/** A Confluent schema reference: a named type the schema uses, registered as `version` of `subject`. */
export interface SchemaReference {
  /** The type's full name, as the referring schema writes it. */
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

export interface RegistryClient {
  /** The id of `schema` (with `references`, if any) under `subject`, registering it on first use. */
  register(subject: string, schema: AvroSchema, references?: readonly SchemaReference[]): Promise<number>;
  /**
   * The id of `schema` under `subject` without registering it (for registries where producers
   * may not register). Throws UNKNOWN_SCHEMA naming the subject when it is not registered there.
   */
  lookup(subject: string, schema: AvroSchema, references?: readonly SchemaReference[]): Promise<number>;
  /** Like `lookup`, with the subject version that holds the schema (what a reference names). */
  lookupVersion(
    subject: string,
    schema: AvroSchema,
    references?: readonly SchemaReference[],
  ): Promise<{ id: number; version: number }>;
  /** The schema with this id, as parsed JSON; the types it references are expanded into it. */
  schemaById(id: number): Promise<AvroSchema>;
  /**
   * The schema registered under `subject` whose fingerprint (CRC-64-AVRO of the Parsing
   * Canonical Form, 16 hex digits) is `fingerprint`; undefined when no version matches.
   */
  schemaByFingerprint(subject: string, fingerprint: string): Promise<AvroSchema | undefined>;
}

export interface RegistryClientOptions {
  /** How long a miss (no such schema) is remembered before the registry is asked again. Default 30 s. */
  readonly missTtlMs?: number | undefined;
  /** Clock, for tests. */
  readonly now?: (() => number) | undefined;
}

const requestTimeoutMs = 10_000;
/** Pauses before the second and third attempt of a request the registry did not answer. */
const retryDelaysMs = [100, 400];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Statuses that say the registry cannot answer now, not that the request is wrong. */
const unavailableStatus = (status: number) => status >= 500 || status === 408 || status === 429;
/** Confluent error codes (Apicurio's ccompat API uses the same). */
const SUBJECT_NOT_FOUND = 40401;
const SCHEMA_NOT_FOUND = 40403;

interface Answer {
  readonly status: number;
  /** The parsed JSON body; undefined when it was not JSON. */
  readonly body: unknown;
}

/** A subject's versions seen so far, by fingerprint, the fingerprints a listing missed, and the listing under way. */
interface SubjectVersions {
  readonly versions: Set<number>;
  readonly byFingerprint: Map<string, AvroSchema>;
  /** When a listing that started after the fingerprint was asked for did not find it. */
  readonly misses: Map<string, number>;
  refreshing: { startedAt: number; done: Promise<void> } | undefined;
}

export function createRegistryClient(
  config: SchemaRegistryConfig,
  options: RegistryClientOptions = {},
): RegistryClient {
  const missTtlMs = options.missTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const authorization =
    config.username !== undefined && config.password !== undefined
      ? `Basic ${Buffer.from(`${config.username}:${config.password}`).toString("base64")}`
      : undefined;
  const base = config.url.replace(/\/+$/, "");
  const ids = new Map<string, Promise<unknown>>();
  const misses = new Map<string, { at: number; error: SkejiError }>();
  const schemas = new Map<number, Promise<AvroSchema>>();
  const subjects = new Map<string, SubjectVersions>();

  /**
   * One request, sent again (within one `requestTimeoutMs` in all) when no answer came or the
   * registry was unavailable (5xx, 408, 429). Every request this client sends may be repeated: reads,
   * lookups, and registrations, which for a schema already registered under the subject answer its
   * id and change nothing - so a registration whose answer was lost gets the same id on the retry.
   */
  const call = async (method: "GET" | "POST", path: string, doing: string, body?: unknown): Promise<Answer> => {
    const deadline = Date.now() + requestTimeoutMs;
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      const retryIn = retryDelaysMs[attempt - 1];
      const retry = retryIn !== undefined && Date.now() + retryIn < deadline;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: {
            accept: "application/vnd.schemaregistry.v1+json, application/json",
            ...(body === undefined ? {} : { "content-type": "application/vnd.schemaregistry.v1+json" }),
            ...(authorization === undefined ? {} : { authorization }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
        });
      } catch (cause) {
        if (retry) {
          await sleep(retryIn);
          continue;
        }
        throw new SkejiError(ErrorCode.REGISTRY_UNAVAILABLE, `schema registry did not answer ${doing}`, {
          cause,
          details: { url: base, attempts: attempt },
        });
      }
      if (!(retry && unavailableStatus(response.status))) break;
      await response.body?.cancel().catch(() => {});
      await sleep(retryIn);
    }
    const text = await response.text().catch(() => "");
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed };
  };

  /** The error for an answer that is neither success nor a "not found" the caller handles. */
  const failure = (answer: Answer, doing: string): SkejiError => {
    const registryCode = errorCodeOf(answer.body);
    const said = messageOf(answer.body);
    const unavailable = unavailableStatus(answer.status);
    const hint =
      answer.status === 404 && registryCode === undefined
        ? ` (not a registry answer: is SCHEMA_REGISTRY_URL the Confluent API base, e.g. Apicurio's .../apis/ccompat/v7?)`
        : "";
    return new SkejiError(
      unavailable ? ErrorCode.REGISTRY_UNAVAILABLE : ErrorCode.REGISTRY_ERROR,
      `schema registry answered ${answer.status}${said === undefined ? "" : ` (${said})`} ${doing}${hint}`,
      { details: { status: answer.status, url: base, ...(registryCode === undefined ? {} : { registryCode }) } },
    );
  };

  const idOf = (answer: Answer, doing: string): number => {
    const id = (answer.body as { id?: unknown } | undefined)?.id;
    if (answer.status === 200 && typeof id === "number") return id;
    throw failure(answer, doing);
  };

  const cached = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const miss = misses.get(key);
    if (miss !== undefined && now() - miss.at < missTtlMs) return Promise.reject(miss.error);
    let id = ids.get(key) as Promise<T> | undefined;
    if (id === undefined) {
      id = load().catch((error: unknown) => {
        ids.delete(key); // a failure is not cached: the next publish asks again (a miss, briefly)
        if (error instanceof SkejiError && error.code === ErrorCode.UNKNOWN_SCHEMA) {
          misses.set(key, { at: now(), error });
        }
        throw error;
      });
      ids.set(key, id);
    }
    return id;
  };

  const schemaText = (schema: AvroSchema) => JSON.stringify(schema);
  /** The request body: references only when there are some (registries without them see the old body). */
  const requestBody = (schema: AvroSchema, references: readonly SchemaReference[] | undefined) =>
    references === undefined || references.length === 0
      ? { schema: schemaText(schema) }
      : { schema: schemaText(schema), schemaType: "AVRO", references };
  const refsKey = (references: readonly SchemaReference[] | undefined) => JSON.stringify(references ?? []);

  /** A registered schema's JSON with the types it references expanded into it (fetched recursively). */
  const dereference = async (text: string, references: unknown, doing: string): Promise<AvroSchema> => {
    const root = JSON.parse(text) as AvroSchema;
    if (!Array.isArray(references) || references.length === 0) return root;
    const types = new Map<string, AvroSchema>();
    const fetchRefs = async (refs: readonly unknown[], depth: number): Promise<void> => {
      for (const ref of refs as { name?: unknown; subject?: unknown; version?: unknown }[]) {
        if (typeof ref?.name !== "string" || types.has(ref.name)) continue;
        if (typeof ref.subject !== "string" || typeof ref.version !== "number" || depth > 32) {
          throw new SkejiError(ErrorCode.REGISTRY_ERROR, `schema registry answered an invalid reference ${doing}`, {
            details: { url: base },
          });
        }
        const path = `/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`;
        const what = `fetching reference ${ref.name} (${ref.subject} version ${ref.version}) ${doing}`;
        const got = await call("GET", path, what);
        const body = got.body as { schema?: unknown; references?: unknown } | undefined;
        if (got.status !== 200 || typeof body?.schema !== "string") throw failure(got, what);
        types.set(ref.name, JSON.parse(body.schema) as AvroSchema);
        if (Array.isArray(body.references)) await fetchRefs(body.references, depth + 1);
      }
    };
    await fetchRefs(references, 0);
    return expandReferences(root, types);
  };

  const listVersions = async (subject: string, entry: SubjectVersions): Promise<void> => {
    const path = `/subjects/${encodeURIComponent(subject)}/versions`;
    const doing = `listing the versions of subject ${subject}`;
    const answer = await call("GET", path, doing);
    if (answer.status === 404 && errorCodeOf(answer.body) === SUBJECT_NOT_FOUND) return;
    if (answer.status !== 200 || !Array.isArray(answer.body)) throw failure(answer, doing);
    for (const version of answer.body) {
      if (typeof version !== "number" || entry.versions.has(version)) continue;
      const doingVersion = `fetching version ${version} of subject ${subject}`;
      const got = await call("GET", `${path}/${version}`, doingVersion);
      const body = got.body as { schema?: unknown; schemaType?: unknown } | undefined;
      if (got.status !== 200 || typeof body?.schema !== "string") throw failure(got, doingVersion);
      entry.versions.add(version); // versions never change: fetched once
      if (body.schemaType !== undefined && body.schemaType !== "AVRO") continue;
      try {
        const refs = (body as { references?: unknown }).references;
        const schema = await dereference(body.schema, refs, `of ${subject} version ${version}`);
        entry.byFingerprint.set(avroCodec(schema).fingerprint, schema);
      } catch {
        // Not a schema this runtime can read: it matches no fingerprint.
      }
    }
  };

  const lookupVersion = (
    subject: string,
    schema: AvroSchema,
    references: readonly SchemaReference[] | undefined,
  ): Promise<{ id: number; version: number }> => {
    const text = schemaText(schema);
    const doing = `looking up the schema under subject ${subject}`;
    return cached(`lookup\u0000${subject}\u0000${text}\u0000${refsKey(references)}`, async () => {
      const answer = await call(
        "POST",
        `/subjects/${encodeURIComponent(subject)}`,
        doing,
        requestBody(schema, references),
      );
      const registryCode = errorCodeOf(answer.body);
      if (answer.status === 404 && (registryCode === SUBJECT_NOT_FOUND || registryCode === SCHEMA_NOT_FOUND)) {
        throw new SkejiError(
          ErrorCode.UNKNOWN_SCHEMA,
          `the schema is not registered under subject ${subject}${registryCode === SUBJECT_NOT_FOUND ? " (no such subject)" : ""}, and this producer only looks schemas up (auto-registration is off: SCHEMA_REGISTRY_AUTO_REGISTER=false); register it first, e.g. with skeji-gen register`,
          { details: { subject, registryCode } },
        );
      }
      const version = (answer.body as { version?: unknown } | undefined)?.version;
      const found = idOf(answer, doing);
      if (typeof version !== "number") throw failure(answer, doing);
      return { id: found, version };
    });
  };

  return {
    register(subject, schema, references) {
      const text = schemaText(schema);
      const doing = `registering the schema under subject ${subject}`;
      return cached(`register\u0000${subject}\u0000${text}\u0000${refsKey(references)}`, async () =>
        idOf(
          await call(
            "POST",
            `/subjects/${encodeURIComponent(subject)}/versions`,
            doing,
            requestBody(schema, references),
          ),
          doing,
        ),
      );
    },

    async lookup(subject, schema, references) {
      return (await lookupVersion(subject, schema, references)).id;
    },

    lookupVersion: (subject, schema, references) => lookupVersion(subject, schema, references),

    schemaById(id) {
      let schema = schemas.get(id);
      if (schema === undefined) {
        schema = (async () => {
          const doing = `for schema id ${id}`;
          const answer = await call("GET", `/schemas/ids/${id}`, doing);
          if (answer.status === 404 && errorCodeOf(answer.body) === SCHEMA_NOT_FOUND) {
            throw new SkejiError(ErrorCode.UNKNOWN_SCHEMA, `schema id ${id} is not in the schema registry`, {
              details: { schemaId: id },
            });
          }
          const body = answer.body as { schema?: unknown; schemaType?: unknown; references?: unknown } | undefined;
          if (answer.status !== 200 || typeof body?.schema !== "string") throw failure(answer, doing);
          if (body.schemaType !== undefined && body.schemaType !== "AVRO") {
            throw new SkejiError(ErrorCode.UNKNOWN_SCHEMA, `schema id ${id} is not an Avro schema`, {
              details: { schemaId: id },
            });
          }
          try {
            return await dereference(body.schema, body.references, doing);
          } catch (error) {
            if (error instanceof SkejiError) throw error;
            // The registry's answer, not the record, is broken: an infrastructure error (held, not dead-lettered).
            throw new SkejiError(
              ErrorCode.REGISTRY_ERROR,
              `schema registry answered schema id ${id} with invalid JSON`,
              {
                details: { schemaId: id, url: base },
              },
            );
          }
        })().catch((error: unknown) => {
          schemas.delete(id);
          throw error;
        });
        schemas.set(id, schema);
      }
      return schema;
    },

    async schemaByFingerprint(subject, fingerprint) {
      let entry = subjects.get(subject);
      if (entry === undefined) {
        entry = { versions: new Set(), byFingerprint: new Map(), misses: new Map(), refreshing: undefined };
        subjects.set(subject, entry);
      }
      const e = entry;
      const found = e.byFingerprint.get(fingerprint);
      if (found !== undefined) return found;
      const askedAt = now();
      const missedAt = e.misses.get(fingerprint);
      if (missedAt !== undefined && askedAt - missedAt < missTtlMs) return undefined;
      // Only a listing that starts after this call can prove the fingerprint missing: a version
      // registered just before its first record was published must be found.
      let settled = false;
      for (let current = e.refreshing; current !== undefined && !settled; current = e.refreshing) {
        await current.done;
        settled = e.byFingerprint.has(fingerprint) || current.startedAt >= askedAt;
      }
      if (!settled) {
        const refreshing = { startedAt: now(), done: listVersions(subject, e) };
        e.refreshing = refreshing;
        try {
          await refreshing.done;
        } finally {
          if (e.refreshing === refreshing) e.refreshing = undefined;
        }
      }
      const schema = e.byFingerprint.get(fingerprint);
      if (schema === undefined) rememberMiss(e.misses, fingerprint, now());
      else e.misses.delete(fingerprint);
      return schema;
    },
  };
}

function errorCodeOf(body: unknown): number | undefined {
  const code = (body as { error_code?: unknown } | undefined)?.error_code;
  return typeof code === "number" ? code : undefined;
}

function messageOf(body: unknown): string | undefined {
  const b = body as { message?: unknown; title?: unknown } | undefined;
  const text = typeof b?.message === "string" ? b.message : typeof b?.title === "string" ? b.title : undefined;
  return text === undefined ? undefined : text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/**
 * The id of a schema that uses shared named types (`names`, full names), registered the way
 * Confluent's Avro references work: each shared type under its own subject (`sharedTypeSubject`),
 * dependencies first, then the schema under `subject` with references to them. With `register`
 * false everything is only looked up.
 */
export async function schemaIdWithReferences(
  registry: RegistryClient,
  subject: string,
  schema: AvroSchema,
  names: readonly string[],
  register: boolean,
): Promise<number> {
  const split = splitReferences(schema, new Set(names));
  const versions = new Map<string, number>();
  const referencesTo = (list: readonly string[]): SchemaReference[] =>
    list.map((name) => ({ name, subject: sharedTypeSubject(name), version: versions.get(name) as number }));
  for (const type of split.types) {
    const refs = referencesTo(type.references);
    const typeSubject = sharedTypeSubject(type.name);
    if (register) await registry.register(typeSubject, type.schema, refs);
    versions.set(type.name, (await registry.lookupVersion(typeSubject, type.schema, refs)).version);
  }
  const refs = referencesTo(split.references);
  return register ? registry.register(subject, split.schema, refs) : registry.lookup(subject, split.schema, refs);
}
