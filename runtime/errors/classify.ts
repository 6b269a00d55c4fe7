/**
 * Classification of any thrown value into transient / permanent / business.
 *
 * Order of evidence, first match wins:
 * 1. an explicit class (`TransientError`, `PermanentError`, `BusinessError`, from any package copy);
 * 2. a runtime error code (`REGISTRY_UNAVAILABLE` is transient, `DECODE_FAILED` permanent, ...);
 * 3. a Node system error code (`ECONNREFUSED`, `ETIMEDOUT`, ...), on the error or anywhere in its cause chain;
 * 4. a kafkajs error that says it is retriable;
 * 5. the Go package's message patterns ("connection refused", "invalid message", ...);
 * 6. otherwise the `unclassified` default: `permanent`, like the Go package (configurable).
 */
import { ErrorCode } from "./base.ts";
import { ConsumerErrorCode, type ErrorClass, explicitErrorClass } from "./processing.ts";

/** Node system error codes that mean "try again later". */
export const transientNodeCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ECONNABORTED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

const transientCodes: ReadonlySet<string> = new Set([
  ErrorCode.REGISTRY_UNAVAILABLE,
  ErrorCode.SCHEMA_TOPIC_UNAVAILABLE,
  ErrorCode.CONNECTION_FAILED,
  ConsumerErrorCode.HANDLER_TIMEOUT,
]);
const permanentCodes: ReadonlySet<string> = new Set([
  ErrorCode.DECODE_FAILED,
  ErrorCode.UNKNOWN_SCHEMA,
  ErrorCode.UNKNOWN_VERSION,
  ErrorCode.UNKNOWN_EVENT_TYPE,
  ErrorCode.INVALID_PAYLOAD,
  ErrorCode.INVALID_MESSAGE,
  ErrorCode.ENCODE_FAILED,
  ErrorCode.INVALID_CONFIG,
  // A writer schema the reader cannot read (decoding): no retry changes either schema.
  ErrorCode.INVALID_SCHEMA,
  ConsumerErrorCode.NO_HANDLER,
]);

/** The Go guide's message patterns (case-insensitive substrings). */
export const transientPatterns: readonly string[] = [
  "connection refused",
  "timeout",
  "timed out",
  "deadline exceeded",
  "network is unreachable",
  "broken pipe",
  "i/o timeout",
  "temporary failure",
  "connection reset",
  "temporarily unavailable",
];
export const permanentPatterns: readonly string[] = [
  "invalid message",
  "schema mismatch",
  "deserialization failed",
  "unknown topic",
];

export interface ClassifyOptions {
  /** The class of an error no rule recognises. Default `permanent` (as in the Go package). */
  readonly unclassified?: ErrorClass;
}

/** Walks `e` and its `cause` chain (bounded, cycle-safe). */
function* chain(e: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let cur = e;
  while (cur !== undefined && cur !== null && !seen.has(cur) && seen.size < 16) {
    seen.add(cur);
    yield cur;
    cur = typeof cur === "object" ? (cur as { cause?: unknown }).cause : undefined;
  }
}

const field = (e: unknown, key: string): unknown =>
  typeof e === "object" && e !== null ? (e as Record<string, unknown>)[key] : undefined;

function isSkejiCoded(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  if ((e as Record<symbol, unknown>)[Symbol.for("@skeji/kafka.error")] !== true) return undefined;
  const code = field(e, "code");
  return typeof code === "string" ? code : undefined;
}

/** The class of a thrown value; see the module comment for the rules. */
export function classifyError(e: unknown, options: ClassifyOptions = {}): ErrorClass {
  const explicit = explicitErrorClass(e);
  if (explicit !== undefined) return explicit;
  for (const link of chain(e)) {
    const own = explicitErrorClass(link);
    if (own !== undefined && link !== e) return own;
    const skejiCode = isSkejiCoded(link);
    if (skejiCode !== undefined) {
      if (transientCodes.has(skejiCode)) return "transient";
      if (permanentCodes.has(skejiCode)) return "permanent";
    }
    const code = field(link, "code");
    if (typeof code === "string" && transientNodeCodes.has(code)) return "transient";
    const name = field(link, "name");
    if (typeof name === "string" && name.startsWith("KafkaJS") && field(link, "retriable") === true) {
      return "transient";
    }
    if (name === "TimeoutError") return "transient";
  }
  const text = [...chain(e)]
    .map((link) => (link instanceof Error ? link.message : typeof link === "string" ? link : ""))
    .join("\n")
    .toLowerCase();
  if (permanentPatterns.some((p) => text.includes(p))) return "permanent";
  if (transientPatterns.some((p) => text.includes(p))) return "transient";
  return options.unclassified ?? "permanent";
}

/** A short name for the error's kind, written to the `dlq-error-type` header (e.g. `TransientError`, `ECONNREFUSED`). */
export function errorTypeName(e: unknown): string {
  const skejiCode = isSkejiCoded(e);
  const name = field(e, "name");
  if (skejiCode !== undefined && typeof name === "string") return `${name}:${skejiCode}`;
  const code = field(e, "code");
  if (typeof name === "string" && typeof code === "string") return `${name}:${code}`;
  if (typeof name === "string") return name;
  return typeof e;
}

/** The message of any thrown value, including its causes (`outer: inner: innermost`). */
export function errorMessage(e: unknown): string {
  const parts: string[] = [];
  for (const link of chain(e)) {
    const m = link instanceof Error ? link.message : typeof link === "string" ? link : safeString(link);
    // A wrapper whose message already ends with its cause's text (`x failed: reason`) says it once.
    if (m !== "" && !parts.some((p) => p.endsWith(m))) parts.push(m);
  }
  return parts.join(": ");
}

function safeString(v: unknown): string {
  try {
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}
