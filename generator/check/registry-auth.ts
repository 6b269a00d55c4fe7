/**
 * Where `check --registry` and `register` reach the schema registry, and as whom. Read the way
 * the runtime reads it: basic auth from `SCHEMA_REGISTRY_USERNAME` / `SCHEMA_REGISTRY_PASSWORD`,
 * else from credentials in the URL (`https://user:pass@host`), which are moved out of it.
 * Secrets never appear in a message: URLs are shown without credentials, and problems name the
 * variable to set, never a value.
 */
import { optionError } from "./errors.ts";

export const UsernameVariable = "SCHEMA_REGISTRY_USERNAME";
export const PasswordVariable = "SCHEMA_REGISTRY_PASSWORD";
export const UrlVariable = "SCHEMA_REGISTRY_URL";

export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

export interface RegistryAccess {
  /** The URL without credentials (safe to print). */
  readonly url: string;
  readonly auth: BasicAuth | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A value as the runtime reads one: trimmed, empty counts as unset. */
const read = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t === undefined || t === "" ? undefined : t;
};

/** The text with any `user:pass@` after a `//` replaced, for messages about URLs that did not parse. */
export function redactUrl(text: string): string {
  return text.replace(/\/\/[^/?#\s]*@/g, "//***@");
}

/** A URL split into the printable URL and the credentials it held, if any. */
export function splitCredentials(url: string): { url: string; username?: string; password?: string } {
  const u = new URL(url);
  const username = u.username === "" ? undefined : decodeURIComponent(u.username);
  const password = u.password === "" ? undefined : decodeURIComponent(u.password);
  u.username = "";
  u.password = "";
  return {
    url: u.toString().replace(/\/+$/, ""),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}

/**
 * The registry to call. `option` names the option the URL came from (for errors); `username` is
 * `--registry-username` when given (it wins over the environment and the URL).
 */
export function registryAccess(option: string, rawUrl: string, env: Env, username?: string): RegistryAccess {
  let parts: ReturnType<typeof splitCredentials>;
  try {
    const u = new URL(rawUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    parts = splitCredentials(rawUrl);
  } catch {
    throw optionError(option, `expected an http(s) URL, got "${redactUrl(rawUrl)}"`);
  }
  const user = read(username) ?? read(env[UsernameVariable]) ?? parts.username;
  const password = read(env[PasswordVariable]) ?? parts.password;
  if (user !== undefined && password === undefined) {
    throw optionError(option, `a registry user name is set but no password; set ${PasswordVariable}`);
  }
  if (user === undefined && password !== undefined) {
    throw optionError(option, `${PasswordVariable} is set but no user name; set ${UsernameVariable}`);
  }
  return {
    url: parts.url,
    auth: user === undefined || password === undefined ? undefined : { username: user, password },
  };
}

/** The `Authorization` header value for basic auth. */
export function basicAuthorization(auth: BasicAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64")}`;
}
