/**
 * The classification of failed @platformatic/kafka sends (runtime/client/platformatic-outcome.ts), table-driven,
 * on the client's own error classes in the shapes its producer rejects with: a send's failure wraps
 * one error per failed destination, a request retried wraps one error per attempt (the last one
 * last), and a broker's answer with errors holds one per partition (plus a detail per refused record).
 */
import {
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { platformaticFailure } from "../../../runtime/client/platformatic-outcome.ts";
import type { FailedSend } from "../../../runtime/client/send-outcome.ts";

/** A Produce answer (API key 0, v11) with these errors, keyed by their path in the response. */
const answer = (...errors: [string, number][]) =>
  new ResponseError(0 as never, 11, Object.fromEntries(errors.map(([path, code]) => [path, [code, null]])), {});
const partition = (j: number) => `/responses/0/partition_responses/${j}`;
const recordDetail = (j: number) => `${partition(j)}/record_errors/0`;
/** How the producer reports one failed destination: its errors wrapped once per send. */
const sendOf = (...perDestination: Error[]) => new MultipleErrors("Producing messages failed.", perDestination);
const attempts = (...each: Error[]) => new MultipleErrors(`produce failed ${each.length} times.`, each);
const send = (over: Partial<FailedSend> = {}): FailedSend => ({
  topics: ["t"],
  partitions: 1,
  records: 3,
  sent: true,
  ...over,
});

// Kafka's error codes.
const MESSAGE_TOO_LARGE = 10;
const INVALID_RECORD = 87;
const NOT_LEADER_OR_FOLLOWER = 6;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const TOPIC_AUTHORIZATION_FAILED = 29;

describe("platformaticFailure", () => {
  it.each([
    [
      "connecting failed: nothing sent",
      new NetworkError("Connection to 127.0.0.1:1 failed."),
      send({ sent: false }),
      "CONNECTION_FAILED",
    ],
    ["a lost connection after sending", sendOf(new NetworkError("Connection closed")), send(), "PUBLISH_AMBIGUOUS"],
    ["a request timeout", sendOf(new TimeoutError("Request timed out")), send(), "PUBLISH_AMBIGUOUS"],
    [
      "retries exhausted on connections lost",
      sendOf(attempts(new NetworkError("Connection closed"), new NetworkError("Connection closed"))),
      send(),
      "PUBLISH_AMBIGUOUS",
    ],
    ["too large, one partition", sendOf(answer([partition(0), MESSAGE_TOO_LARGE])), send(), "RECORD_TOO_LARGE"],
    [
      "too large after a lost connection: the bytes are the same on every attempt",
      sendOf(attempts(new NetworkError("Connection closed"), answer([partition(0), MESSAGE_TOO_LARGE]))),
      send(),
      "RECORD_TOO_LARGE",
    ],
    [
      "a lost connection after a refusal: the last attempt decides",
      sendOf(attempts(answer([partition(0), NOT_LEADER_OR_FOLLOWER]), new NetworkError("Connection closed"))),
      send(),
      "PUBLISH_AMBIGUOUS",
    ],
    [
      "invalid record, with the broker's detail for the record",
      sendOf(answer([partition(0), INVALID_RECORD], [recordDetail(0), -1])),
      send(),
      "PUBLISH_REJECTED",
    ],
    [
      "too large, several partitions: others may be written",
      sendOf(answer([partition(0), MESSAGE_TOO_LARGE])),
      send({ partitions: 2 }),
      "PUBLISH_AMBIGUOUS",
    ],
    [
      "two destinations refusing differently",
      sendOf(answer([partition(0), TOPIC_AUTHORIZATION_FAILED]), new NetworkError("Connection closed")),
      send(),
      "PUBLISH_AMBIGUOUS",
    ],
    [
      "out of order sequence",
      sendOf(answer([partition(0), OUT_OF_ORDER_SEQUENCE_NUMBER])),
      send(),
      "PUBLISH_AMBIGUOUS",
    ],
    ["a missing topic, confirmed", new UserError("Unknown topic t."), send({ missingTopics: ["t"] }), "PUBLISH_FAILED"],
  ] as const)("%s", (_name, error, failed, code) => {
    const out = platformaticFailure(error, failed);
    expect(out.code).toBe(code);
    expect(out.cause).toBeDefined();
  });

  it("names the broker's refusal and says nothing was written", () => {
    const out = platformaticFailure(sendOf(answer([partition(0), MESSAGE_TOO_LARGE])), send());
    expect(out.details).toMatchObject({ brokerError: "MESSAGE_TOO_LARGE", written: false });
  });

  it("says what happened in the innermost errors, not the client's wrappers", () => {
    const out = platformaticFailure(
      sendOf(attempts(new NetworkError("Connection closed"), new TimeoutError("Request timed out"))),
      send(),
    );
    expect(out.message).toContain("Connection closed; Request timed out");
    expect(out.message).not.toContain("Producing messages failed");
  });

  it("keeps ProtocolError's own type when it comes alone", () => {
    const out = platformaticFailure(new ProtocolError("INVALID_RECORD"), send());
    expect(out.code).toBe("PUBLISH_REJECTED");
  });
});
