/** The classification of failed produce requests (runtime/client/send-outcome.ts), table-driven. */
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type FailedSend, sendFailure } from "../../../runtime/client/send-outcome.ts";

const protocol = (type: string, retriable = false) =>
  new KafkaJSProtocolError({ message: `broker said ${type}`, type, code: 1, retriable } as never);
const exhausted = (cause: Error) => new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 2, retryTime: 100 });
const send = (over: Partial<FailedSend> = {}): FailedSend => ({
  topics: ["t"],
  partitions: 1,
  records: 3,
  sent: true,
  ...over,
});

describe("sendFailure", () => {
  it.each([
    [
      "connecting failed: nothing sent",
      new KafkaJSConnectionError("connect ECONNREFUSED"),
      send({ sent: false }),
      "CONNECTION_FAILED",
    ],
    ["lost connection after sending", new KafkaJSConnectionError("Closed connection"), send(), "PUBLISH_AMBIGUOUS"],
    ["retries exhausted on a timeout", exhausted(new Error("Request Produce timed out")), send(), "PUBLISH_AMBIGUOUS"],
    [
      "retries exhausted on NOT_LEADER",
      exhausted(protocol("NOT_LEADER_OR_FOLLOWER", true)),
      send(),
      "PUBLISH_AMBIGUOUS",
    ],
    ["out of order sequence", protocol("OUT_OF_ORDER_SEQUENCE_NUMBER"), send(), "PUBLISH_AMBIGUOUS"],
    ["unknown producer id", protocol("UNKNOWN_PRODUCER_ID"), send(), "PUBLISH_AMBIGUOUS"],
    ["invalid producer epoch", protocol("INVALID_PRODUCER_EPOCH"), send(), "PUBLISH_AMBIGUOUS"],
    ["too large, one partition", protocol("MESSAGE_TOO_LARGE"), send(), "RECORD_TOO_LARGE"],
    ["record list too large, one partition", protocol("RECORD_LIST_TOO_LARGE"), send(), "RECORD_TOO_LARGE"],
    [
      "too large, several partitions: others may be written",
      protocol("MESSAGE_TOO_LARGE"),
      send({ partitions: 2 }),
      "PUBLISH_AMBIGUOUS",
    ],
    ["invalid record, one partition", protocol("INVALID_RECORD"), send(), "PUBLISH_REJECTED"],
    ["authorization, one partition", protocol("TOPIC_AUTHORIZATION_FAILED"), send(), "PUBLISH_REJECTED"],
    [
      "authorization, several partitions",
      protocol("TOPIC_AUTHORIZATION_FAILED"),
      send({ partitions: 3 }),
      "PUBLISH_AMBIGUOUS",
    ],
    ["refused before partitioning", protocol("INVALID_RECORD"), send({ partitions: 0 }), "PUBLISH_AMBIGUOUS"],
    [
      "invalid topic in the metadata answer: nothing sent",
      protocol("INVALID_TOPIC_EXCEPTION"),
      send({ partitions: 0, topics: ["t", "bad topic"] }),
      "PUBLISH_REJECTED",
    ],
    [
      "topic authorization in the metadata answer: nothing sent",
      protocol("TOPIC_AUTHORIZATION_FAILED"),
      send({ partitions: 0 }),
      "PUBLISH_REJECTED",
    ],
    [
      "invalid topic after partitioning, several partitions",
      protocol("INVALID_TOPIC_EXCEPTION"),
      send({ partitions: 2 }),
      "PUBLISH_AMBIGUOUS",
    ],
    [
      "missing topic, confirmed",
      protocol("UNKNOWN_TOPIC_OR_PARTITION", true),
      send({ missingTopics: ["t"] }),
      "PUBLISH_FAILED",
    ],
    [
      "unknown topic answer, topic exists",
      protocol("UNKNOWN_TOPIC_OR_PARTITION", true),
      send({ missingTopics: [] }),
      "PUBLISH_AMBIGUOUS",
    ],
    ["anything else", new Error("something odd"), send(), "PUBLISH_AMBIGUOUS"],
  ])("%s -> %s", (_, error, failed, code) => {
    const typed = sendFailure(error, failed);
    expect(typed.code).toBe(code);
    expect(typed.cause).toBe(error);
    if (code === "PUBLISH_AMBIGUOUS") {
      expect(typed.details).toMatchObject({ written: "unknown" });
      expect(typed.message).toContain("may or may not");
    } else if (code !== "CONNECTION_FAILED") {
      expect(typed.details).toMatchObject({ written: false });
    }
  });
});
