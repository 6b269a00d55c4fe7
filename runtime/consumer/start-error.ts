/**
 * The error `start()` rejects with. The consumer never creates topics (kafkajs's consumer would,
 * on a broker with `auto.create.topics.enable`: a mistyped topic would be created empty and
 * joined without a word), so a topic that does not exist fails the start; the error names the
 * missing topics, looked up in the cluster's topic list.
 */
import { pointsToMissingTopic } from "../client/send-outcome.ts";
import { howToCreate, missingTopics } from "../client/topics.ts";
import { SkejiError } from "../errors/base.ts";
import { errorMessage } from "../errors/classify.ts";
import { ConsumerErrorCode } from "../errors/processing.ts";
import type { ConsumerKafka } from "./kafkajs-api.ts";

export async function startError(
  kafka: Pick<ConsumerKafka, "admin">,
  groupId: string,
  topics: readonly string[],
  cause: unknown,
): Promise<SkejiError> {
  const details = { groupId, topics: [...topics] };
  if (pointsToMissingTopic(cause)) {
    const missing = await missingTopics(kafka, topics);
    if (missing !== undefined && missing.length > 0) {
      const list = missing.join(", ");
      return new SkejiError(
        ConsumerErrorCode.CONSUMER_START_FAILED,
        `consumer group ${groupId} could not start: ${missing.length === 1 ? "topic" : "topics"} ${list} ` +
          `${missing.length === 1 ? "does" : "do"} not exist (the consumer never creates topics: ` +
          `${howToCreate(missing)}, or correct the name)`,
        { cause, details: { ...details, missingTopics: missing } },
      );
    }
  }
  const on = topics.length === 0 ? "" : ` on topic(s) ${topics.join(", ")}`;
  return new SkejiError(
    ConsumerErrorCode.CONSUMER_START_FAILED,
    `consumer group ${groupId} could not start${on}: ${errorMessage(cause)}`,
    { cause, details },
  );
}
