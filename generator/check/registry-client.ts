/**
 * The few Confluent Schema Registry API calls `check` and `register` make, over fetch.
 * Works against Confluent and against Apicurio's Confluent-compatible API (`/apis/ccompat/v7`).
 */
import type { CompatibilityLevel } from "@skeji/kafka/codegen";
import { CheckError } from "./errors.ts";
import { isLevel } from "./levels.ts";
import {
  type BasicAuth,
  basicAuthorization,
  PasswordVariable,
  redactUrl,
  splitCredentials,
  UsernameVariable,
} from "./registry-auth.ts";

const contentType = "application/vnd.schemaregistry.v1+json";

/** Confluent error codes for "no such subject / version / schema". */
const notFoundCodes = new Set([40401, 40402, 40403]);

/** A Confluent schema reference: a named type registered as `version` of `subject`. */
export interface Reference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

const body = (schema: string, references: readonly Reference[] = []) =>
  references.length === 0 ? { schema, schemaType: "AVRO" } : { schema, schemaType: "AVRO", references };

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | unknown[] | undefined;
}

export class RegistryClient {
  /** The registry's URL without credentials (safe to print). */
  readonly url: string;
  private readonly authorization: string | undefined;

  /**
   * `auth` is sent as basic auth. Credentials in `url` (`user:pass@`) are used when `auth` is
   * not given, and are never part of `url` or of a message.
   */
  constructor(url: string, auth?: BasicAuth) {
    let base = url;
    let credentials = auth;
    try {
      const parts = splitCredentials(url);
      base = parts.url;
      if (credentials === undefined && parts.username !== undefined) {
        credentials = { username: parts.username, password: parts.password ?? "" };
      }
    } catch {
      base = redactUrl(url); // not a URL: every call fails as "did not answer"
    }
    this.url = base.replace(/\/+$/, "");
    this.authorization = credentials === undefined ? undefined : basicAuthorization(credentials);
  }

  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          accept: contentType,
          ...(body === undefined ? {} : { "content-type": contentType }),
          ...(this.authorization === undefined ? {} : { authorization: this.authorization }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      throw new CheckError("CHECK_REGISTRY", `schema registry ${this.url} did not answer ${method} ${path}`, {
        cause,
      });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.denied(res.status, method, path);
    }
    const text = await res.text();
    let parsed: Answer["body"];
    try {
      parsed = text === "" ? undefined : (JSON.parse(text) as Answer["body"]);
    } catch {
      parsed = { message: text };
    }
    return { status: res.status, body: parsed };
  }

  /** One line saying what to set; never the credentials themselves. */
  private denied(status: number, method: string, path: string): CheckError {
    const what = `schema registry ${this.url} answered HTTP ${status} to ${method} ${path}`;
    const fix =
      this.authorization === undefined
        ? `it needs credentials: set ${UsernameVariable} and ${PasswordVariable}`
        : status === 401
          ? `the credentials were refused: check ${UsernameVariable} and ${PasswordVariable}`
          : `the registry user (${UsernameVariable}) may not do this`;
    return new CheckError("CHECK_REGISTRY", `${what}; ${fix}`);
  }

  private fail(what: string, a: Answer): never {
    const msg = a.body && !Array.isArray(a.body) ? String(a.body.message ?? "") : "";
    throw new CheckError("CHECK_REGISTRY", `schema registry: ${what}: HTTP ${a.status}${msg ? `: ${msg}` : ""}`);
  }

  private static notFound(a: Answer): boolean {
    if (a.status !== 404) return false;
    const code = a.body && !Array.isArray(a.body) ? a.body.error_code : undefined;
    return code === undefined || notFoundCodes.has(Number(code));
  }

  /** The subject's version numbers, ascending; `undefined` when the subject does not exist. */
  async versions(subject: string): Promise<number[] | undefined> {
    const a = await this.call("GET", `/subjects/${encodeURIComponent(subject)}/versions`);
    if (RegistryClient.notFound(a)) return undefined;
    if (a.status !== 200 || !Array.isArray(a.body)) return this.fail(`versions of ${subject}`, a);
    return (a.body as number[]).slice().sort((x, y) => x - y);
  }

  /** One registered version's schema text. */
  async schema(subject: string, version: number): Promise<{ id: number; schema: string; references: Reference[] }> {
    const a = await this.call("GET", `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
    const b = a.body as { id?: unknown; schema?: unknown; references?: unknown } | undefined;
    if (a.status !== 200 || typeof b?.schema !== "string") return this.fail(`${subject} version ${version}`, a);
    const references = Array.isArray(b.references) ? (b.references as Reference[]) : [];
    return { id: Number(b.id), schema: b.schema, references };
  }

  /** The level the registry applies to the subject (its own, else the global one). */
  async level(subject: string): Promise<CompatibilityLevel | undefined> {
    let a = await this.call("GET", `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`);
    if (RegistryClient.notFound(a)) a = await this.call("GET", "/config");
    const b = a.body as { compatibilityLevel?: unknown; compatibility?: unknown } | undefined;
    const level = b?.compatibilityLevel ?? b?.compatibility;
    if (a.status !== 200) return this.fail(`level of ${subject}`, a);
    return isLevel(level) ? level : undefined;
  }

  async setLevel(subject: string, level: CompatibilityLevel): Promise<void> {
    const a = await this.call("PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    if (a.status !== 200) this.fail(`set level of ${subject} to ${level}`, a);
  }

  /**
   * The registry's own verdict: may `schema` become the subject's next version? For transitive
   * levels it is asked against every version (`/versions`), else against the latest: Apicurio's
   * `/versions/latest` ignores transitivity, and its `/versions` checks all versions at any level.
   */
  async compatible(
    subject: string,
    schema: string,
    transitive: boolean,
    references: readonly Reference[] = [],
  ): Promise<boolean | "cannot judge"> {
    const target = transitive ? "versions" : "versions/latest";
    const a = await this.call(
      "POST",
      `/compatibility/subjects/${encodeURIComponent(subject)}/${target}`,
      body(schema, references),
    );
    const b = a.body as { is_compatible?: unknown; error_code?: unknown } | undefined;
    // Apicurio's Confluent API cannot run its rule when references are involved (42201, "invalid
    // Avro schema"), though it registers and resolves them: the local rules judge alone then.
    if (a.status === 422 && b?.error_code === 42201) {
      return "cannot judge";
    }
    if (a.status !== 200 || typeof b?.is_compatible !== "boolean") return this.fail(`compatibility of ${subject}`, a);
    return b.is_compatible;
  }

  /** The subject version that holds exactly this schema, if any. */
  async lookup(
    subject: string,
    schema: string,
    references: readonly Reference[] = [],
  ): Promise<{ version: number; id: number } | undefined> {
    const a = await this.call("POST", `/subjects/${encodeURIComponent(subject)}`, body(schema, references));
    if (RegistryClient.notFound(a)) return undefined;
    const b = a.body as { version?: unknown; id?: unknown } | undefined;
    if (a.status !== 200) return this.fail(`look up a schema under ${subject}`, a);
    return { version: Number(b?.version), id: Number(b?.id) };
  }

  /** Registers `schema` under `subject`. A refusal (409 incompatible, 422 invalid) is returned, not thrown. */
  async register(
    subject: string,
    schema: string,
    references: readonly Reference[] = [],
  ): Promise<{ id: number } | { refused: string }> {
    const a = await this.call("POST", `/subjects/${encodeURIComponent(subject)}/versions`, body(schema, references));
    const b = a.body as { id?: unknown; message?: unknown } | undefined;
    if (a.status === 200 && typeof b?.id === "number") return { id: b.id };
    if (a.status === 409 || a.status === 422) return { refused: String(b?.message ?? `HTTP ${a.status}`) };
    return this.fail(`register under ${subject}`, a);
  }
}
