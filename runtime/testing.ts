/**
 * `@skeji/kafka/testing`: unit tests of a service's handlers without Kafka. An in-memory broker
 * behind the runtime's own producer and consumer (the same `createProducer` / `createConsumer`
 * the service runs, with an in-memory client and a kafkajs stand-in), a clock on which retry
 * backoff takes no time, and readers for what was published, dead-lettered and committed.
 * See docs/testing.md.
 */
export type { AdminApi, ConsumerApi, ConsumerKafka } from "./consumer/kafkajs-api.ts";
export { InMemoryBroker, type StoredHeaderValue, type StoredRecord, type TopicSpec } from "./testing/broker.ts";
export { type TestClock, testClock } from "./testing/clock.ts";
export { InMemoryKafka } from "./testing/consumer-client.ts";
export {
  createTestKit,
  type DeadLetter,
  type KitRecord,
  type PublishedEvent,
  type TestKit,
  type TestKitOptions,
  type TopicInput,
} from "./testing/kit.ts";
export { inMemoryClient, type SendFault } from "./testing/producer-client.ts";
