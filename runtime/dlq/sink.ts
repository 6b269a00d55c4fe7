/**
 * Where dead-letter records are written. The consumer needs only "write this record to that
 * topic and resolve once the broker acknowledged it with acks=all, or reject".
 */
import { Kafka } from "kafkajs";
import { kafkajsConfig, kafkajsProducerClient } from "../client/kafkajs.ts";
import type { OutgoingHeaderValue, ProducerClient } from "../client/types.ts";
import type { ConsumerConfig, ProducerConfig } from "../config/types.ts";
import type { Logger } from "../observability/logger.ts";
import type { Producer } from "../producer/types.ts";
import type { DlqRecord } from "./record.ts";

export interface DlqSink {
  /** Resolves only after every in-sync replica has the record (acks=all); rejects otherwise. */
  write(topic: string, record: DlqRecord): Promise<void>;
  close(): Promise<void>;
}

/**
 * A sink on the runtime's producer, for applications that want their own producer's middleware.
 * The record is published with `rawHeaders`, so it is written as built: the original header
 * bytes, every value of a repeated header, and nothing filled in by the producer (no `event-id`,
 * `timestamp`, `retry-count` or `source`). Headers a middleware adds are written too, unless the
 * record has one of the same name: the record's wins. The producer must use acks=all and publish
 * synchronously (not `async`), so that a write resolves only once the broker has the record.
 */
export function producerDlqSink(producer: Producer): DlqSink {
  return {
    async write(topic, record) {
      if (producer.config.requiredAcks !== -1) {
        throw new Error("the DLQ producer must use acks=all (requiredAcks -1)");
      }
      if (producer.config.async) {
        throw new Error("the DLQ producer must not be async: a write must wait for the broker's acknowledgement");
      }
      await producer.publish({
        topic,
        key: record.key ?? undefined,
        value: record.value,
        headers: {},
        rawHeaders: record.headers,
      });
    },
    close: () => producer.close(),
  };
}

/** The producer configuration of a consumer's DLQ: same cluster, acks=all, idempotent, synchronous. */
export function dlqProducerConfig(config: ConsumerConfig): ProducerConfig {
  return {
    brokers: config.brokers,
    clientId: `${config.clientId}-dlq`,
    ssl: config.ssl,
    sasl: config.sasl,
    schemaRegistry: config.schemaRegistry,
    connectionTimeoutMs: config.connectionTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    topic: config.dlqTopic ?? "",
    maxAttempts: 3,
    batchTimeoutMs: 0,
    batchSize: 100,
    batchBytes: 1024 * 1024,
    requiredAcks: -1,
    idempotent: true,
    compression: "none",
    async: false,
    dlqTopic: undefined,
    source: undefined,
    allowAutoTopicCreation: false,
  };
}

/**
 * A sink on a dedicated producer client (idempotent, acks=all, one request in flight), with the
 * producer's recovery: after a failed write it continues with a new producer id, so a later
 * dead letter is never acknowledged without being written; a write whose answer was lost rejects
 * with PUBLISH_AMBIGUOUS (the consumer then holds the message and writes it again later: a
 * duplicate dead letter rather than a lost one). The record is written as built: the original
 * header bytes, every value of a repeated header, and nothing filled in. Connects on the first write.
 */
export function kafkaDlqSink(
  kafka: Kafka,
  options: { readonly maxAttempts?: number; readonly requestTimeoutMs?: number; readonly logger?: Logger } = {},
): DlqSink {
  const client = kafkajsProducerClient(
    kafka,
    {
      requiredAcks: -1,
      idempotent: true,
      compression: "none",
      maxAttempts: options.maxAttempts ?? 3,
      allowAutoTopicCreation: false,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    },
    options.logger,
  );
  return clientDlqSink(client);
}

/**
 * A sink on any producer client of the client interface (an acks=all one): the record is written
 * as built. `kafkaDlqSink` is this on a kafkajs client; the test kit's is on its in-memory broker.
 */
export function clientDlqSink(client: ProducerClient): DlqSink {
  let closed = false;
  return {
    async write(topic, record) {
      if (closed) throw new Error("the DLQ sink is closed");
      const [acks] = await client.send([
        { topic, records: [{ key: record.key, value: record.value, headers: dlqHeaders(record) }] },
      ]);
      const error = acks?.[0]?.error;
      if (error !== undefined) throw error;
    },
    async close() {
      closed = true;
      await client.disconnect();
    },
  };
}

/** The record's headers without absent values (kafkajs's header type allows `undefined`). */
function dlqHeaders(record: DlqRecord): Record<string, OutgoingHeaderValue> {
  const out: Record<string, OutgoingHeaderValue> = {};
  for (const name of Object.keys(record.headers)) {
    const value = record.headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The default sink: a dedicated acks=all kafkajs producer built from the consumer's configuration. */
export function defaultDlqSink(config: ConsumerConfig, logger: Logger): DlqSink {
  const producerConfig = dlqProducerConfig(config);
  return kafkaDlqSink(new Kafka(kafkajsConfig(producerConfig, logger)), {
    maxAttempts: producerConfig.maxAttempts,
    requestTimeoutMs: producerConfig.requestTimeoutMs,
    logger,
  });
}
