/**
 * The poison scenario's consumer, in a process of its own so that its heap can be limited:
 *
 *   node --max-old-space-size=64 --conditions=skeji-source --import tsx poison-child.ts <topic> <group> <out-file>
 *
 * Consumes `topic` from the oldest offset with the real consumer (brokers from KAFKA_BROKERS, no
 * schema registry, dead letters to `<topic>-dlq`, unknown event types dead-lettered). Each handled
 * event appends `<offset>:<id>` and a newline to `out-file` synchronously before the handler
 * returns. SIGTERM shuts it down gracefully (exit code 0); anything else that ends it is a crash.
 */
import { appendFileSync } from "node:fs";
import { consumerConfigFromEnv, createConsumer, shutdownOnSignals, silentLogger } from "@skeji/kafka";
import { poisonEvent } from "./poison-event.ts";

const [topic, group, out] = process.argv.slice(2);
if (topic === undefined || group === undefined || out === undefined) {
  process.stderr.write("usage: poison-child.ts <topic> <group> <out-file>\n");
  process.exit(2);
}

const consumer = createConsumer(
  {
    ...consumerConfigFromEnv(topic, group),
    schemaRegistry: undefined,
    startOffset: "oldest",
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    maxWaitMs: 100,
    commitIntervalMs: 200,
    dlqTopic: `${topic}-dlq`,
    maxRetries: 2,
  },
  { logger: silentLogger, unknownEvents: "dead-letter", shutdownTimeoutMs: 5_000 },
).on(poisonEvent(topic), (event) => {
  appendFileSync(out, `${event.offset}:${event.payload.id}\n`);
});

const { signal, dispose } = shutdownOnSignals();
await consumer.start(signal);
dispose();
process.exit(0);
