/**
 * SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS configured from the environment, against the
 * real broker's secured listeners (generator/infra starts them next to the plain one): a producer
 * publishes, a consumer reads, and a failed message is dead-lettered through the same listener;
 * a wrong password or an unknown CA fails with an error that names no secret. Mutual TLS: the
 * client certificate and key from KAFKA_SSL_CERT / KAFKA_SSL_KEY are presented, and a client
 * without them is turned away.
 */
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import {
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  defineEvent,
  newPermanentError,
  producerConfigFromEnv,
  silentLogger,
} from "../../runtime/index.ts";
import { brokers, securedListeners, uniqueName } from "../infra/env.ts";
import { transport } from "./producer/support.ts";

/** The producer's configuration on the transport under test (the consumer runs on kafkajs). */
const producerConfig = (topic: string, env: Record<string, string>) =>
  producerConfigFromEnv(topic, { ...env, KAFKA_TRANSPORT: transport });

const secured = securedListeners();
const admin = new Kafka({ brokers: brokers(), clientId: "secured-test", logLevel: logLevel.NOTHING }).admin();
afterAll(() => admin.disconnect());

interface Note {
  id: string;
  text: string;
}

async function topicWithDlq(): Promise<string> {
  const topic = uniqueName("secured");
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: 1 },
      { topic: `${topic}-dlq`, numPartitions: 1 },
    ],
  });
  return topic;
}

const noteEvent = (topic: string) =>
  defineEvent<Note, Note, "test.note.added">({
    type: "test.note.added",
    name: "NoteAdded",
    topic,
    keyField: "id",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [
      {
        version: 1,
        schema: {
          type: "record",
          name: "NoteAdded",
          fields: [
            { name: "id", type: "string" },
            { name: "text", type: "string" },
          ],
        },
      },
    ],
  });

/** Publishes two notes through the secured listener, consumes them there, and dead-letters the second. */
async function roundTrip(env: Record<string, string>): Promise<{ handled: string[]; dlq: string[] }> {
  const topic = await topicWithDlq();
  const event = noteEvent(topic);
  const producer = createProducer(producerConfig(topic, env), { logger: silentLogger });
  try {
    await producer.publishEvent(event, { id: "n-1", text: "hello" });
    await producer.publishEvent(event, { id: "n-2", text: "refused" });
  } finally {
    await producer.close();
  }
  const handled: string[] = [];
  const config = {
    ...consumerConfigFromEnv(topic, uniqueName("secured-group"), { ...env, KAFKA_CONSUMER_MAX_RETRIES: "0" }),
    startOffset: "oldest" as const,
    maxWaitMs: 100,
    dlqTopic: `${topic}-dlq`,
  };
  const consumer = createConsumer(config, { logger: silentLogger }).on(event, (e) => {
    handled.push(e.payload.id);
    if (e.payload.id === "n-2") throw newPermanentError("refused on purpose");
  });
  const dlq: string[] = [];
  const reader = new Kafka({ brokers: brokers(), clientId: "secured-dlq-reader", logLevel: logLevel.NOTHING }).consumer(
    {
      groupId: uniqueName("secured-dlq"),
      maxWaitTimeInMs: 100,
    },
  );
  await reader.connect();
  await reader.subscribe({ topic: `${topic}-dlq`, fromBeginning: true });
  const dlqRead = new Promise<void>((resolve) => {
    void reader.run({
      eachMessage: async ({ message }) => {
        dlq.push(message.key?.toString() ?? "");
        resolve();
      },
    });
  });
  const running = consumer.start();
  try {
    await Promise.race([
      dlqRead,
      new Promise((_, reject) => setTimeout(() => reject(new Error("no DLQ record within 20 s")), 20_000)),
    ]);
  } finally {
    await consumer.stop();
    await running;
    await reader.disconnect();
  }
  return { handled, dlq };
}

describe.skipIf(secured === undefined)(
  "secured listeners (skipped: this broker was not started by generator/infra)",
  () => {
    const s = secured as NonNullable<typeof secured>;
    const sasl = (mechanism: string, password = s.sasl.password) => ({
      KAFKA_BROKERS: s.sasl.brokers,
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: s.sasl.username,
      KAFKA_SASL_PASSWORD: password,
    });

    it.each(["plain", "scram-sha-256", "scram-sha-512"])(
      "SASL %s from the environment: publish, consume and dead-letter through the SASL listener",
      async (mechanism) => {
        expect(await roundTrip(sasl(mechanism))).toEqual({ handled: ["n-1", "n-2"], dlq: ["n-2"] });
      },
    );

    it("a wrong SASL password fails the publish with an authentication error that does not show it", async () => {
      const topic = await topicWithDlq();
      const wrong = "not-the-password-7f3a";
      const producer = createProducer(producerConfig(topic, sasl("scram-sha-512", wrong)), {
        logger: silentLogger,
      });
      const error = await producer.publishEvent(noteEvent(topic), { id: "n-1", text: "x" }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      await producer.close();
      expect(error?.message).toMatch(/authentication failed/i);
      expect(JSON.stringify({ message: error?.message, stack: error?.stack })).not.toContain(wrong);
    });

    it("TLS verified against the CA from KAFKA_SSL_CA (a file path): publish, consume and dead-letter", async () => {
      const env = { KAFKA_BROKERS: s.tls.brokers, KAFKA_SSL_CA: s.tls.caFile };
      expect(await roundTrip(env)).toEqual({ handled: ["n-1", "n-2"], dlq: ["n-2"] });
    });

    it("TLS refuses a broker whose certificate the configured CA did not sign", async () => {
      const topic = await topicWithDlq();
      const producer = createProducer(
        producerConfig(topic, {
          KAFKA_BROKERS: s.tls.brokers,
          KAFKA_SSL_CA: s.tls.otherCaFile,
          KAFKA_PRODUCER_MAX_ATTEMPTS: "1",
          KAFKA_CONNECTION_TIMEOUT: "2s",
        }),
        { logger: silentLogger },
      );
      const error = await producer.publishEvent(noteEvent(topic), { id: "n-1", text: "x" }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await producer.close();
      expect(error?.message).toMatch(/certificate/i);
    });
  },
);

describe.skipIf(secured?.mtls === undefined)(
  "mutual TLS (skipped: no mutual-TLS listener; generator/infra makes one when openssl is installed)",
  () => {
    const s = secured as NonNullable<typeof secured>;
    const m = s.mtls as NonNullable<(typeof s)["mtls"]>;

    it("presents the client certificate from KAFKA_SSL_CERT / KAFKA_SSL_KEY: publish, consume and dead-letter", async () => {
      const env = {
        KAFKA_BROKERS: m.brokers,
        KAFKA_SSL_CA: s.tls.caFile,
        KAFKA_SSL_CERT: m.certFile,
        KAFKA_SSL_KEY: m.keyFile,
      };
      expect(await roundTrip(env)).toEqual({ handled: ["n-1", "n-2"], dlq: ["n-2"] });
    });

    it("without a client certificate the broker turns the connection away", async () => {
      const topic = await topicWithDlq();
      const producer = createProducer(
        producerConfig(topic, {
          KAFKA_BROKERS: m.brokers,
          KAFKA_SSL_CA: s.tls.caFile,
          KAFKA_PRODUCER_MAX_ATTEMPTS: "1",
          KAFKA_CONNECTION_TIMEOUT: "2s",
        }),
        { logger: silentLogger },
      );
      const error = await producer.publishEvent(noteEvent(topic), { id: "n-1", text: "x" }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      await producer.close();
      expect(error?.code).toBe("CONNECTION_FAILED");
      // The broker's TLS alert: it asked for a certificate and got none it trusts.
      expect(error?.message).toMatch(/bad certificate|certificate required/i);
    });
  },
);
