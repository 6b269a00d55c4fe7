/**
 * The part of kafkajs's API the consumer uses, in kafkajs's own types: what `ConsumerOptions.kafka`
 * must provide. A kafkajs `Kafka` instance has all of it; so does the in-memory broker of
 * `@skeji/kafka/testing`, which is how users' unit tests run the real consumer (batch loop, offset
 * resolution, commits, retries, dead letters) without Kafka. Keep this list to what the consumer
 * calls: every name added here is one more thing the in-memory stand-in has to do faithfully.
 *
 * - consumer: `connect`, `subscribe`, `run` (eachBatch with manual offset resolution: the
 *   payload's `batch`, `resolveOffset`, `heartbeat`, `pause`, `commitOffsetsIfNecessary`,
 *   `isRunning`, `isStale`), `seek`, `disconnect`, and the HEARTBEAT, GROUP_JOIN, FETCH and CRASH
 *   events.
 * - admin: `connect`, `listTopics` (to name missing topics in a start error), `deleteGroups` (the
 *   requester's private group, on close), `disconnect`.
 */
import type { Admin, AdminConfig, Consumer, ConsumerConfig } from "kafkajs";

export type ConsumerApi = Pick<Consumer, "connect" | "subscribe" | "run" | "seek" | "disconnect" | "on" | "events">;

export type AdminApi = Pick<Admin, "connect" | "listTopics" | "deleteGroups" | "disconnect">;

/** What the consumer needs of a kafkajs `Kafka` instance. */
export interface ConsumerKafka {
  consumer(config: ConsumerConfig): ConsumerApi;
  admin(config?: AdminConfig): AdminApi;
}
