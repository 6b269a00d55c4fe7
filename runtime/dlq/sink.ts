/**
 * Where dead-letter records are written. The consumer needs only "write this record to that
 * topic and resolve once the broker acknowledged it with acks=all, or reject".
 */
import type { ConsumerConfig, ProducerConfig } from "../config/types.ts";
import type { Logger } from "../observability/logger.ts";
import { createProducer } from "../producer/producer.ts";
import type { Producer } from "../producer/types.ts";
import type { DlqRecord } from "./record.ts";

export interface DlqSink {
  /** Resolves only after every in-sync replica has the record (acks=all); rejects otherwise. */
  write(topic: string, record: DlqRecord): Promise<void>;
  close(): Promise<void>;
}

/**
 * A sink on the runtime's producer. Header values are passed on as UTF-8 text (the producer's
 * headers are strings): every header a Skeji producer or Go service writes survives byte for
 * byte; a header holding bytes that are not valid UTF-8 does not.
 */
export function producerDlqSink(producer: Producer): DlqSink {
  return {
    async write(topic, record) {
      if (producer.config.requiredAcks !== -1) {
        throw new Error("the DLQ producer must use acks=all (requiredAcks -1)");
      }
      await producer.publish({ topic, key: record.key ?? undefined, value: record.value, headers: record.headers });
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

/** The default sink: a dedicated runtime producer built from the consumer's configuration. */
export function defaultDlqSink(config: ConsumerConfig, logger: Logger): DlqSink {
  return producerDlqSink(createProducer(dlqProducerConfig(config), { logger }));
}
