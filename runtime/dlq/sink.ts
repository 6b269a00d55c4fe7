/**
 * Where dead-letter records are written. The consumer needs only "write this record to that
 * topic and resolve once the broker acknowledged it with acks=all, or reject".
 */
import type { Kafka, Producer } from "kafkajs";
import type { DlqRecord } from "./record.ts";

export interface DlqSink {
  /** Resolves only after every in-sync replica has the record (acks=all); rejects otherwise. */
  write(topic: string, record: DlqRecord): Promise<void>;
  close(): Promise<void>;
}

/** A sink on a dedicated idempotent kafkajs producer with acks=all. */
export function kafkaDlqSink(kafka: Kafka): DlqSink {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  const get = (): Promise<Producer> => {
    if (producer !== undefined) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 3 } });
      try {
        await p.connect();
      } catch (e) {
        connecting = undefined;
        throw e;
      }
      producer = p;
      return p;
    })();
    return connecting;
  };
  return {
    async write(topic, record) {
      const p = await get();
      await p.send({ topic, acks: -1, messages: [record] });
    },
    async close() {
      const p = producer ?? (await connecting?.catch(() => undefined));
      producer = undefined;
      connecting = undefined;
      await p?.disconnect();
    },
  };
}
