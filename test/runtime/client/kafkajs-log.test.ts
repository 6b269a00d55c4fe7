/** Which kafkajs log lines keep their level and which are "not yet" answers kafkajs retries by itself. */
import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkajsLevel } from "../../../runtime/client/kafkajs-log.ts";

const loading = "The coordinator is loading and hence can't process requests for this group";

describe("kafkajsLevel", () => {
  it.each([
    // The settling answers of a fresh broker, a forming group, a topic being created: debug.
    [
      logLevel.ERROR,
      "Response FindCoordinator(key: 10, version: 2)",
      "The group coordinator is not available",
      "debug",
    ],
    [logLevel.ERROR, "Response InitProducerId(key: 22, version: 1)", loading, "debug"],
    [
      logLevel.ERROR,
      "Response JoinGroup(key: 11, version: 5)",
      "The group is rebalancing, so a rejoin is needed",
      "debug",
    ],
    [
      logLevel.ERROR,
      "Response Metadata(key: 3, version: 6)",
      "This server does not host this topic-partition",
      "debug",
    ],
    [
      logLevel.ERROR,
      "Failed to send messages: This server is not the leader for that topic-partition",
      undefined,
      "info",
    ],
    [logLevel.WARN, "The group is rebalancing, re-joining", "The group is rebalancing, so a rejoin is needed", "info"],
    [logLevel.WARN, "KafkaJS v2.0.0 switched default partitioner. To retain ...", undefined, "debug"],
    [logLevel.WARN, "Limiting retries for the idempotent producer may invalidate EoS guarantees", undefined, undefined],
    // Real errors keep their level, also when kafkajs retries them.
    [
      logLevel.ERROR,
      "Response Produce(key: 0, version: 7)",
      "The request included a message larger than the max message size the server will accept",
      "error",
    ],
    [logLevel.ERROR, "Response SaslAuthenticate(key: 36, version: 1)", "SASL PLAIN authentication failed", "error"],
    [
      logLevel.ERROR,
      "Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available",
      undefined,
      "error",
    ],
    [
      logLevel.ERROR,
      "The coordinator is not aware of this member, re-joining the group",
      "The coordinator is not aware of this member",
      "error",
    ],
    [logLevel.ERROR, "Connection error: connect ECONNREFUSED 127.0.0.1:1", undefined, "error"],
    [logLevel.WARN, "Consumer group received unsubscribed topics", undefined, "warn"],
    // The run loop stopped on a "not yet" answer and restarts: normal on a fresh broker.
    [logLevel.ERROR, `Crash: KafkaJSProtocolError: ${loading}`, undefined, "info"],
    [logLevel.ERROR, "Restarting the consumer in 300ms", undefined, "info"],
    // A crash on any other answer keeps its level.
    [logLevel.ERROR, "Crash: KafkaJSProtocolError: Not authorized to access group", undefined, "error"],
    // A settling text in another place than a broker's answer is not taken for one.
    [logLevel.ERROR, "Offset out of range, resetting to default offset", loading, "error"],
    // kafkajs's info lines are its internals' progress.
    [logLevel.INFO, "Consumer has joined the group", undefined, "debug"],
  ] as const)("%i %s (%s) -> %s", (level, message, error, expected) => {
    expect(kafkajsLevel(level, message, error)).toBe(expected);
  });
});
