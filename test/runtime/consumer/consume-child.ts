/**
 * A consumer in a process of its own, for the group test that kills a real process.
 *
 *   node --conditions=skeji-source --import tsx consume-child.ts <topic> <group> <out-file> <delay-ms>
 *
 * Consumes `topic` in `group` from the oldest offset (brokers from KAFKA_BROKERS). Each handler
 * call waits `delay-ms`, then appends `<partition>:<offset>:<value>` and a newline to `out-file`
 * synchronously, before it returns: a line in the file means "handled", and nothing is committed
 * before its line is written. SIGTERM / SIGINT shut it down gracefully (exit code 0).
 */
import { appendFileSync } from "node:fs";
import { consumerConfigFromEnv, createConsumer, shutdownOnSignals, silentLogger } from "@skeji/kafka";

const [topic, group, out, delay] = process.argv.slice(2);
if (topic === undefined || group === undefined || out === undefined) {
  process.stderr.write("usage: consume-child.ts <topic> <group> <out-file> [delay-ms]\n");
  process.exit(2);
}
const delayMs = Number(delay ?? 0);

const consumer = createConsumer(
  {
    ...consumerConfigFromEnv(topic, group),
    startOffset: "oldest",
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    maxWaitMs: 100,
    commitIntervalMs: 200,
    dlqTopic: undefined,
  },
  { logger: silentLogger, shutdownTimeoutMs: 2_000 },
).handle(async (_ctx, message) => {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  appendFileSync(out, `${message.partition}:${message.offset}:${String(message.value)}\n`);
});

const { signal, dispose } = shutdownOnSignals();
await consumer.start(signal);
dispose();
process.exit(0);
