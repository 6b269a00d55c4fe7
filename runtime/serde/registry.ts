/**
 * The schema registry (Confluent API): registering writer schemas under
 * `<topic>-<event-type>` (see `subjectFor`) and looking schemas up by id. Both are cached for the life of
 * the process: an id is resolved once, never per message. A registry that does
 * not answer (network error, timeout, 5xx) raises REGISTRY_UNAVAILABLE, which is
 * transient; a refusal (4xx) raises REGISTRY_ERROR, an unknown id UNKNOWN_SCHEMA.
 */
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { SchemaRegistryConfig } from "../config/types.ts";
import type { AvroSchema } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";

export interface RegistryClient {
  /** The id of `schema` under `subject`, registering it on first use. */
  register(subject: string, schema: AvroSchema): Promise<number>;
  /** The schema with this id, as parsed JSON. */
  schemaById(id: number): Promise<AvroSchema>;
}

const requestTimeoutMs = 10_000;

export function createRegistryClient(config: SchemaRegistryConfig): RegistryClient {
  const auth =
    config.username !== undefined && config.password !== undefined
      ? { username: config.username, password: config.password }
      : undefined;
  const registry = new SchemaRegistry({
    host: config.url,
    ...(auth === undefined ? {} : { auth }),
    retry: { retries: 2, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 1 },
  });
  const ids = new Map<string, Promise<number>>();
  const schemas = new Map<number, Promise<AvroSchema>>();
  const authorization =
    auth === undefined ? undefined : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;

  return {
    register(subject, schema) {
      const text = JSON.stringify(schema);
      const cacheKey = `${subject}\u0000${text}`;
      let id = ids.get(cacheKey);
      if (id === undefined) {
        id = registry
          .register({ type: SchemaType.AVRO, schema: text }, { subject })
          .then((r) => r.id)
          .catch((error: unknown) => {
            ids.delete(cacheKey); // a failure is not cached: the next publish asks again
            throw registryError(error, `registering the schema under subject ${subject}`);
          });
        ids.set(cacheKey, id);
      }
      return id;
    },

    schemaById(id) {
      let schema = schemas.get(id);
      if (schema === undefined) {
        schema = fetchSchema(config.url, id, authorization).catch((error: unknown) => {
          schemas.delete(id);
          throw error;
        });
        schemas.set(id, schema);
      }
      return schema;
    },
  };
}

/**
 * Reads `GET /schemas/ids/{id}` directly: the writer schema is needed as JSON (to
 * resolve it against the reader schema), which the client library only hands out compiled.
 */
async function fetchSchema(baseUrl: string, id: number, authorization: string | undefined): Promise<AvroSchema> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/schemas/ids/${id}`, {
      headers: {
        accept: "application/vnd.schemaregistry.v1+json, application/json",
        ...(authorization === undefined ? {} : { authorization }),
      },
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (cause) {
    throw new SkejiError(ErrorCode.REGISTRY_UNAVAILABLE, `schema registry did not answer for schema id ${id}`, {
      cause,
      details: { schemaId: id, url: baseUrl },
    });
  }
  if (response.status === 404) {
    throw new SkejiError(ErrorCode.UNKNOWN_SCHEMA, `schema id ${id} is not in the schema registry`, {
      details: { schemaId: id },
    });
  }
  if (!response.ok) {
    const code = response.status >= 500 ? ErrorCode.REGISTRY_UNAVAILABLE : ErrorCode.REGISTRY_ERROR;
    throw new SkejiError(code, `schema registry answered ${response.status} for schema id ${id}`, {
      details: { schemaId: id, status: response.status },
    });
  }
  const body = (await response.json()) as { schema?: unknown; schemaType?: unknown };
  if (typeof body.schema !== "string" || (body.schemaType !== undefined && body.schemaType !== "AVRO")) {
    throw new SkejiError(ErrorCode.UNKNOWN_SCHEMA, `schema id ${id} is not an Avro schema`, {
      details: { schemaId: id },
    });
  }
  return JSON.parse(body.schema) as AvroSchema;
}

/** The HTTP client reports network failures as status 400: recognise them by the system error. */
const networkFailure =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE|socket hang up|timed? ?out/i;

function registryError(error: unknown, doing: string): SkejiError {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message : String(error);
  const refused = typeof status === "number" && status >= 400 && status < 500 && !networkFailure.test(message);
  return new SkejiError(
    refused ? ErrorCode.REGISTRY_ERROR : ErrorCode.REGISTRY_UNAVAILABLE,
    `${doing} failed: ${message}`,
    {
      cause: error,
      details: typeof status === "number" ? { status } : {},
    },
  );
}
