/**
 * A producer or a consumer in a process of its own, for the tests that check it lets the process
 * end once it is closed.
 *
 *   node --conditions=skeji-source --import tsx lifecycle-child.ts producer|consumer <topic>
 *
 * Brokers and timeouts come from the environment (KAFKA_BROKERS, KAFKA_CONNECTION_TIMEOUT, ...).
 * The producer publishes one message; the consumer starts (and, if that works, stops at once).
 * One JSON line on stdout says what happened ({ ok, code, message, causeCode, missingTopics, and
 * elapsedMs from the publish or start to its outcome }),
 * then the producer is closed or the consumer stopped, and a second line says so. The process is
 * never told to exit: it ends only when nothing is left open (no socket, no timer).
 */
import {
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  producerConfigFromEnv,
  silentLogger,
} from "@skeji/kafka";

const [role, topic] = process.argv.slice(2);
if ((role !== "producer" && role !== "consumer") || topic === undefined) {
  process.stderr.write("usage: lifecycle-child.ts producer|consumer <topic>\n");
  process.exit(2);
}

const started = Date.now();
const report = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
const outcome = (line: Record<string, unknown>): void => report({ ...line, elapsedMs: Date.now() - started });
const failure = (e: unknown) => {
  const error = e as {
    code?: unknown;
    message?: unknown;
    cause?: { code?: unknown };
    details?: Record<string, unknown>;
  };
  return {
    ok: false,
    code: error.code,
    message: error.message,
    causeCode: error.cause?.code,
    missingTopics: error.details?.missingTopics,
  };
};

if (role === "producer") {
  const producer = createProducer(producerConfigFromEnv(topic), { logger: silentLogger });
  try {
    const result = await producer.publish({ topic, key: "k", value: Buffer.from("lifecycle"), headers: {} });
    outcome({ ok: true, offset: result.offset });
  } catch (e) {
    outcome(failure(e));
  }
  await producer.close();
  report({ closed: true });
} else {
  const consumer = createConsumer(
    { ...consumerConfigFromEnv(topic, `lifecycle-${process.pid}-${Date.now()}`), startOffset: "oldest" },
    { logger: silentLogger, shutdownTimeoutMs: 1_000 },
  ).handle(() => {});
  const running = consumer.start();
  try {
    await Promise.race([consumer.ready(), running]);
    outcome({ ok: true });
    await consumer.stop();
    await running;
  } catch (e) {
    outcome(failure(e));
    await consumer.stop();
  }
  report({ closed: true });
}
