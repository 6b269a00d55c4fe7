/**
 * What a failed produce request tells about its records: definitely not written, refused for good,
 * too large, or unknown. The rule is the Kafka Java client's in spirit: once a request may have
 * reached the broker and no definite answer came back, the records may or may not be in the log,
 * and the only honest report is "ambiguous".
 *
 * | What the client saw                                                    | Code                 |
 * | ---------------------------------------------------------------------- | -------------------- |
 * | nothing sent: connecting failed, the topic does not exist              | `PUBLISH_FAILED` / `CONNECTION_FAILED` |
 * | the broker refused one partition's batch for good (authorization, invalid or corrupt record, policy) | `PUBLISH_REJECTED` |
 * | the broker refused the topic (invalid name, authorization) before any record was given a partition | `PUBLISH_REJECTED` |
 * | the broker refused one partition's batch as too large                  | `RECORD_TOO_LARGE`   |
 * | anything else: a timeout, a lost connection, retries exhausted, `OUT_OF_ORDER_SEQUENCE_NUMBER`, `UNKNOWN_PRODUCER_ID`, `INVALID_PRODUCER_EPOCH`, a refusal in a request that spanned partitions | `PUBLISH_AMBIGUOUS` |
 *
 * A refusal is definite only for a request that carried a single partition's batch: the broker
 * appends each partition on its own, and kafkajs reports the first failing partition's error
 * without saying which, so in a request with several partitions the others may have been written.
 * Content refusals (too large, invalid record) are decided on the bytes, which are the same on
 * every attempt, so an earlier attempt of the same batch cannot have been written either.
 *
 * A topic refusal in the metadata answer (`partitions` 0: no record was given a partition, so no
 * produce request was built on any attempt) is definite for the whole request: the records of
 * every topic in it were never sent. A transport reports `partitions` 0 only when that holds.
 */
import { isTopicName, topicForm } from "../config/limits.ts";
import { ErrorCode, isSkejiError, SkejiError } from "../errors/base.ts";
import { howToCreate } from "./topics.ts";

/** Broker answers that refuse a batch for what it is or who sends it: no attempt can succeed. */
const rejectedTypes: ReadonlySet<string> = new Set([
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
  "INVALID_REQUIRED_ACKS",
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "INVALID_TIMESTAMP",
  "UNSUPPORTED_FOR_MESSAGE_FORMAT",
  "POLICY_VIOLATION",
  "UNSUPPORTED_COMPRESSION_TYPE",
  "INVALID_RECORD",
]);

/**
 * Broker answers that refuse a topic itself (its name, or the client's right to it): given in the
 * metadata answer, before partitioning, they mean nothing of the request was sent.
 */
const topicRefusedTypes: ReadonlySet<string> = new Set(["INVALID_TOPIC_EXCEPTION", "TOPIC_AUTHORIZATION_FAILED"]);

/** Broker answers that refuse a batch for its size. */
export const tooLargeTypes: ReadonlySet<string> = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** Errors that mean the topic itself is not there (no metadata for it). */
const unknownTopicTypes: ReadonlySet<string> = new Set(["UNKNOWN_TOPIC_OR_PARTITION"]);

export interface FailedSend {
  /** Topics of the request. */
  readonly topics: readonly string[];
  /** How many partitions the request's records went to (0 when partitioning did not happen). */
  readonly partitions: number;
  /** Records in the request. */
  readonly records: number;
  /** Whether a produce request can have left this client (false: failed while connecting). */
  readonly sent: boolean;
  /** Topics known not to exist after the failure (asked only when the error points there). */
  readonly missingTopics?: readonly string[];
  /** The broker's error type, when the client reports it other than kafkajs does (e.g. `MESSAGE_TOO_LARGE`). */
  readonly brokerError?: string;
}

/** The innermost kafkajs protocol error type in an error's cause chain (e.g. `MESSAGE_TOO_LARGE`). */
export function protocolErrorType(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === "string") return type;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error (or a cause) says a topic or its metadata is missing. */
export function pointsToMissingTopic(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const { type, name } = current as { type?: unknown; name?: unknown };
    if (typeof type === "string" && unknownTopicTypes.has(type)) return true;
    if (name === "KafkaJSTopicMetadataNotLoaded" || name === "KafkaJSMetadataNotLoaded") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The typed error for a failed produce request; see the table at the top of this module. */
export function sendFailure(error: unknown, send: FailedSend): SkejiError {
  if (isSkejiError(error)) return error instanceof SkejiError ? error : new SkejiError(error.code, error.message);
  const where = send.topics.join(", ");
  const details = { topics: send.topics, partitions: send.partitions, records: send.records };
  if (!send.sent) {
    return new SkejiError(ErrorCode.CONNECTION_FAILED, `cannot reach the Kafka cluster for ${where}: ${text(error)}`, {
      cause: error,
      details,
    });
  }
  if (send.missingTopics !== undefined && send.missingTopics.length > 0) {
    const missing = send.missingTopics.join(", ");
    const one = send.missingTopics.length === 1;
    return new SkejiError(
      ErrorCode.PUBLISH_FAILED,
      `${one ? "topic" : "topics"} ${missing} ${one ? "does" : "do"} not exist: ${howToCreate(send.missingTopics)} ` +
        "(or let the broker create topics with its defaults on first publish: KAFKA_PRODUCER_AUTO_CREATE_TOPICS=true, allowAutoTopicCreation)",
      { cause: error, details: { ...details, missingTopics: send.missingTopics, written: false } },
    );
  }
  const type = send.brokerError ?? protocolErrorType(error);
  const onePartition = send.partitions === 1;
  if (onePartition && type !== undefined && tooLargeTypes.has(type)) {
    return new SkejiError(
      ErrorCode.RECORD_TOO_LARGE,
      `the broker refused the batch for ${where} as too large (${type}): the topic's max.message.bytes is smaller than the records`,
      { cause: error, details: { ...details, brokerError: type, written: false } },
    );
  }
  const beforeSending = send.partitions === 0 && type !== undefined && topicRefusedTypes.has(type);
  if ((onePartition && type !== undefined && rejectedTypes.has(type)) || beforeSending) {
    const invalid = send.topics.filter((t) => !isTopicName(t));
    const why =
      type === "INVALID_TOPIC_EXCEPTION" && invalid.length > 0
        ? `: ${invalid.map((t) => JSON.stringify(t.length > 64 ? `${t.slice(0, 64)}...` : t)).join(", ")} ${invalid.length === 1 ? "is not" : "are not"} ${topicForm}`
        : "";
    return new SkejiError(
      ErrorCode.PUBLISH_REJECTED,
      `the broker refused the records for ${where}: ${text(error)}${why}`,
      { cause: error, details: { ...details, brokerError: type, written: false } },
    );
  }
  return new SkejiError(
    ErrorCode.PUBLISH_AMBIGUOUS,
    `publishing to ${where} may or may not have succeeded: ${text(error)}; the records may be in the topic (publishing them again may duplicate them)`,
    { cause: error, details: { ...details, ...(type === undefined ? {} : { brokerError: type }), written: "unknown" } },
  );
}
