/** The producer's typed errors. */
import { topicNameProblem } from "../config/limits.ts";
import { ErrorCode, isSkejiError, SkejiError } from "../errors/base.ts";

/** The error every message of a failed request gets: the cause itself if typed, else PUBLISH_FAILED. */
export function toPublishFailure(cause: unknown, topic: string, attempts: number): SkejiError {
  if (isSkejiError(cause)) return toSkejiError(cause);
  const message = cause instanceof Error ? cause.message : String(cause);
  return new SkejiError(
    ErrorCode.PUBLISH_FAILED,
    `publishing to ${topic} failed after ${attempts} attempts: ${message}`,
    {
      cause,
      details: { topic, attempts },
    },
  );
}

/** Any error as a SkejiError of this copy of the package (keeping code and details). */
export function toSkejiError(error: unknown): SkejiError {
  if (error instanceof SkejiError) return error;
  if (isSkejiError(error)) {
    return new SkejiError(error.code, error.message, {
      cause: error,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  }
  return new SkejiError(ErrorCode.PUBLISH_FAILED, error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/**
 * An error raised while reading a payload to encode it: the payload's own (a getter that throws,
 * a value whose `toJSON` fails) when it is not one of ours. Permanent like any invalid payload:
 * publishing the same value again fails the same way.
 */
export function payloadError(error: unknown, what: string): SkejiError {
  if (isSkejiError(error)) return toSkejiError(error);
  const message = error instanceof Error ? error.message : String(error);
  return new SkejiError(ErrorCode.INVALID_PAYLOAD, `${what}: reading the payload threw: ${message}`, {
    cause: error,
    details: { path: "", expected: "a payload whose fields can be read" },
  });
}

export function closedError(): SkejiError {
  return new SkejiError(ErrorCode.PRODUCER_CLOSED, "the producer is closed");
}

/**
 * The refusal of a publish to a name Kafka does not accept as a topic (given per message, per
 * event or by middleware), made before anything is sent: a broker would refuse it for good, and
 * some clients fail on it in ways that do not say so. Undefined for a valid name.
 */
export function invalidTopicError(topic: unknown): SkejiError | undefined {
  const problem = topicNameProblem(topic);
  if (problem === undefined) return undefined;
  const text = typeof topic === "string" && topic.length > 60 ? `${topic.slice(0, 60)}…` : topic;
  return new SkejiError(
    ErrorCode.PUBLISH_REJECTED,
    `cannot publish to topic ${JSON.stringify(text) ?? String(text)}: not a Kafka topic name (${problem}); nothing was sent`,
    { details: { topic, written: false } },
  );
}
