/** The SDK's side of the interoperability tests: the event the Go gateway writes, and a consumer run. */

import {
  type GatewayMessageReceived,
  GatewayMessageReceivedEvent,
  type GatewayMessageReceivedInit,
} from "../../generated/gateway.message.received.ts";
import { GatewayInboundMessagesTopic } from "../../generated/topics.ts";
import {
  type Consumer,
  consumerConfigFromEnv,
  createConsumer,
  defineEvent,
  defineTopic,
  silentLogger,
} from "../../runtime/index.ts";
import { brokers } from "../infra/env.ts";
import { eventually, type Fixture } from "../runtime/consumer/helpers.ts";

/**
 * Gateway messages as the Go gateway writes them: JSON values. The descriptor is the generated one
 * (its topic's partitioner, fnv1a, included) in the wire format the Go services use.
 */
export const gatewayJson = defineEvent<GatewayMessageReceived, GatewayMessageReceivedInit, "gateway.message.received">({
  ...GatewayMessageReceivedEvent,
  format: "json",
});

/** The generated gateway topic, named `topic`, with its one event (in JSON, on that topic). */
export const gatewayTopic = (topic: string) =>
  defineTopic({
    ...GatewayInboundMessagesTopic,
    topic,
    events: [
      defineEvent<GatewayMessageReceived, GatewayMessageReceivedInit, "gateway.message.received">({
        ...gatewayJson,
        topic,
      }),
    ],
  });

/** A message id (a UUID, as the schema wants) per test message. */
export const messageId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/**
 * Runs an SDK consumer on `topic` (oldest first, dead letters to `<topic>-dlq`) until its group has
 * committed `count` records - handled, skipped or dead-lettered - then stops it.
 */
export async function consumeAll(
  fx: Fixture,
  topic: string,
  count: number,
  register: (consumer: Consumer) => void,
): Promise<void> {
  const env = { KAFKA_BROKERS: brokers().join(","), KAFKA_CONSUMER_START_OFFSET: "oldest" };
  const config = {
    ...consumerConfigFromEnv(topic, `${topic}-group`, env),
    dlqTopic: `${topic}-dlq`,
    heartbeatIntervalMs: 500,
    maxWaitMs: 100,
    maxRetries: 0,
  };
  const consumer = createConsumer(config, { logger: silentLogger, topics: [topic] });
  register(consumer);
  const running = consumer.start();
  try {
    await eventually(async () => {
      const committed = await fx.committed(config.groupId, topic);
      return committed.reduce((n, o) => n + Math.max(0, o), 0) >= count;
    }, `${count} records committed on ${topic}`);
  } finally {
    await consumer.stop();
    await running;
  }
}
