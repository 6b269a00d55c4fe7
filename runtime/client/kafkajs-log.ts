/**
 * kafkajs's log lines, at the levels they deserve.
 *
 * kafkajs logs every error answer of a broker at ERROR ("Response JoinGroup ... The coordinator is
 * loading"), also when the answer only says the cluster is still settling and kafkajs asks again a
 * moment later, as it does during every first join of a group on a fresh broker, the first publish
 * to a topic the broker is creating, or a leader election. A healthy start then prints a screen of
 * errors. Those answers are mapped to debug: whoever waits on the request (a publish, `start()`,
 * the consumer's run loop) is told when the retries do not help - a rejected publish, a start that
 * fails naming the topic, kafkajs's "Crash" line - and those stay what they are. Every other broker
 * answer (authorization, a record too large, an invalid configuration) keeps its level.
 *
 * Texts are kafkajs's own (2.x); a kafkajs that words them differently only loses the mapping,
 * never a line.
 */
import { logLevel } from "kafkajs";
import type { Logger } from "../observability/logger.ts";

/**
 * Broker answers kafkajs asks again after, that mean "not yet" rather than "no": a coordinator
 * being elected or loading its state, a group forming, a topic whose partitions have no leader yet
 * (just created, or a leader moving). The messages of kafkajs's protocol errors.
 */
const settling: ReadonlySet<string> = new Set([
  // GROUP_LOAD_IN_PROGRESS, GROUP_COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR_FOR_GROUP: the group's
  // (or the transaction log's) coordinator is being elected or loads its partition.
  "The coordinator is loading and hence can't process requests for this group",
  "The group coordinator is not available",
  "This is not the correct coordinator for this group",
  // REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED: the join protocol itself; kafkajs rejoins.
  "The group is rebalancing, so a rejoin is needed",
  "The group member needs to have a valid member id before actually entering a consumer group",
  // UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE: metadata of a topic being created. A topic
  // that never appears fails the publish or the start, naming the topic.
  "This server does not host this topic-partition",
  "There is no leader for this topic-partition as we are in the middle of a leadership election",
  // NOT_LEADER_FOR_PARTITION, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH: leadership moved; kafkajs
  // refreshes its metadata and sends again.
  "This server is not the leader for that topic-partition",
  "The leader epoch in the request is older than the epoch on the broker",
  "The leader epoch in the request is newer than the epoch on the broker",
]);

/** kafkajs's own warnings that describe normal group life (a rebalance, partitions just added). */
const groupLife = [
  "The group is rebalancing, re-joining",
  "Consumer is not aware of all assigned partitions, refreshing metadata",
];

const failedSend = "Failed to send messages: ";
/** kafkajs's consumer stopped its run loop on an error; it restarts when the error is retriable. */
const crash = /^Crash: KafkaJSProtocolError: (.*)$/;
const restarting = "Restarting the consumer in ";

export type KafkajsLevel = "debug" | "info" | "warn" | "error";

/** The level a kafkajs log line is written at, or undefined to drop it. */
export function kafkajsLevel(level: logLevel, message: string, error: unknown): KafkajsLevel | undefined {
  // Our own retry policy limits the idempotent producer's retries on purpose.
  if (message.startsWith("Limiting retries for the idempotent producer")) return undefined;
  // Written once per process for a kafkajs producer created without a partitioner. The runtime's
  // producers always bring theirs (murmur2 or FNV-1a), so kafkajs's default is not in play.
  if (message.startsWith("KafkaJS v2.0.0 switched default partitioner")) return "debug";
  if (level === logLevel.ERROR || level === logLevel.WARN) {
    if (typeof error === "string" && settling.has(error) && message.startsWith("Response ")) return "debug";
    // A send kafkajs retries after such an answer (its message is the answer's).
    if (message.startsWith(failedSend) && settling.has(message.slice(failedSend.length))) return "info";
    if (groupLife.includes(message)) return "info";
    // The consumer's first join on a fresh broker can meet a loading coordinator outside kafkajs's
    // own retries: its run loop "crashes" on that retriable answer and restarts a moment later.
    // Any other crash keeps its level; the restart line itself says only what happens next.
    const crashed = crash.exec(message)?.[1];
    if (crashed !== undefined && settling.has(crashed.trim())) return "info";
    if (message.startsWith(restarting)) return "info";
  }
  switch (level) {
    case logLevel.ERROR:
      return "error";
    case logLevel.WARN:
      return "warn";
    default:
      // kafkajs's INFO lines (consumer starting, joined, stopped) are its internals' progress.
      return "debug";
  }
}

interface KafkajsLog {
  readonly message: string;
  readonly [key: string]: unknown;
}

/** Writes one kafkajs log entry to `logger` at its mapped level. */
export function logKafkajs(logger: Logger, level: logLevel, log: KafkajsLog): void {
  const { message, timestamp: _t, logger: _l, ...rest } = log;
  const mapped = kafkajsLevel(level, message, rest.error);
  if (mapped !== undefined) logger[mapped](rest, message);
}
