/**
 * What a failed @platformatic/kafka send tells about its records, in the terms of send-outcome.ts.
 *
 * The client's producer rejects a send with one error per failed destination (broker) wrapped
 * together; a request it retried wraps one error per attempt, the last one last; a broker's answer
 * with errors holds one per partition, plus an UNKNOWN_SERVER_ERROR detail per refused record. The
 * broker's refusal that counts is the last attempt's, and only when every failed request of the
 * send ended on the same one (anything else is ambiguous).
 */
import { SkejiError } from "../errors/base.ts";
import { type FailedSend, sendFailure } from "./send-outcome.ts";

interface PltError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly apiId?: unknown;
  readonly path?: unknown;
  readonly errors?: readonly unknown[];
  readonly cause?: unknown;
}

const isObject = (e: unknown): e is PltError => typeof e === "object" && e !== null;
/** A MultipleErrors of the client's retries: one error per attempt, the last one last. */
const isAttempts = (e: PltError) => typeof e.message === "string" && / failed \d+ times\.$/.test(e.message);

/** The broker error types of the last attempt of each failed request (undefined: not a broker answer). */
function finalTypes(error: unknown, depth = 0, out = new Set<string | undefined>()): Set<string | undefined> {
  if (!isObject(error) || depth > 8) return out.add(undefined);
  if (typeof error.apiId === "string") {
    // A refused record's own message (record_errors) comes as an extra UNKNOWN_SERVER_ERROR next to
    // its partition's error: it details that error, it is not another one.
    const detail = typeof error.path === "string" && error.path.includes("/record_errors/");
    return detail ? out : out.add(error.apiId);
  }
  if (Array.isArray(error.errors) && error.errors.length > 0) {
    const errors = error.errors;
    if (error.code !== "PLT_KFK_RESPONSE" && isAttempts(error))
      return finalTypes(errors[errors.length - 1], depth + 1, out);
    for (const e of errors) finalTypes(e, depth + 1, out);
    return out;
  }
  if (error.cause !== undefined) return finalTypes(error.cause, depth + 1, out);
  return out.add(undefined);
}

/** The broker's refusal, when every failed request of the send ended on the same one. */
export function brokerErrorType(error: unknown): string | undefined {
  const types = finalTypes(error);
  if (types.size !== 1) return undefined;
  return [...types][0];
}

/** True when the error says a topic is not there. */
export function unknownTopic(error: unknown, depth = 0): boolean {
  if (!isObject(error) || depth > 8) return false;
  if (error.apiId === "UNKNOWN_TOPIC_OR_PARTITION") return true;
  if (error.code === "PLT_KFK_USER" && typeof error.message === "string" && error.message.startsWith("Unknown topic "))
    return true;
  if (Array.isArray(error.errors) && error.errors.some((e) => unknownTopic(e, depth + 1))) return true;
  return unknownTopic(error.cause, depth + 1);
}

/** The distinct innermost messages of an error tree ("Producing messages failed." says little). */
export function errorText(error: unknown): string {
  const leaves: string[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!isObject(e) || depth > 8) {
      if (e !== undefined && !isObject(e)) leaves.push(String(e));
      return;
    }
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      for (const inner of e.errors) walk(inner, depth + 1);
      return;
    }
    const own = typeof e.message === "string" ? e.message : "";
    const api = typeof e.apiId === "string" ? ` (${e.apiId})` : "";
    if (own !== "") leaves.push(`${own}${api}`);
    else if (e.cause !== undefined) walk(e.cause, depth + 1);
  };
  walk(error, 0);
  return [...new Set(leaves)].join("; ") || String(error);
}

/**
 * The typed error for a failed @platformatic/kafka send (see send-outcome.ts): the broker's refusal
 * is read from the last attempt of each failed request, and the message from the innermost errors.
 */
export function platformaticFailure(error: unknown, send: FailedSend): SkejiError {
  const type = brokerErrorType(error);
  return sendFailure(readable(error), type === undefined ? send : { ...send, brokerError: type });
}

/** The error with a message that says what happened, the client's error as its cause. */
export function readable(error: unknown): unknown {
  if (error instanceof SkejiError) return error;
  return new Error(errorText(error), { cause: error });
}
