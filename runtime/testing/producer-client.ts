/**
 * The producer's client interface (client/types.ts) on the in-memory broker. Partitions are chosen
 * by the same partitioners the kafkajs client uses (murmur2 as the Java client, or kafka-go's
 * FNV-1a, per record or per client), so a key lands on the partition it would land on in Kafka.
 * A send to a missing topic fails as it does against a broker that does not create topics.
 */
import type { PartitionMetadata } from "kafkajs";
import { createPartitioner, type PartitionerName } from "../client/partitioners.ts";
import { sendFailure } from "../client/send-outcome.ts";
import type {
  KafkaClient,
  ProduceRequestEvent,
  ProducerClient,
  ProducerClientOptions,
  RecordAck,
  TopicRecords,
} from "../client/types.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { type InMemoryBroker, UnknownTopicError } from "./broker.ts";

/** Decides, before a send is written, that it fails: the error to reject with, or undefined. */
export type SendFault = (batch: readonly TopicRecords[]) => unknown;

export function inMemoryClient(broker: InMemoryBroker, fault?: () => SendFault | undefined): KafkaClient {
  return { producer: (options) => new InMemoryProducerClient(broker, options, fault) };
}

type Partitioner = ReturnType<typeof createPartitioner>;

class InMemoryProducerClient implements ProducerClient {
  private closed = false;
  private readonly listeners = new Set<(event: ProduceRequestEvent) => void>();
  private readonly partitioners: Readonly<Record<PartitionerName, Partitioner>>;
  private readonly partitioner: Partitioner;

  constructor(
    private readonly broker: InMemoryBroker,
    private readonly options: ProducerClientOptions,
    private readonly fault: (() => SendFault | undefined) | undefined,
  ) {
    this.partitioners = { murmur2: createPartitioner("murmur2"), fnv1a: createPartitioner("fnv1a") };
    this.partitioner = this.partitioners[options.partitioner ?? "murmur2"];
  }

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {
    this.closed = true;
  }

  onProduceRequest(listener: (event: ProduceRequestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(batch: readonly TopicRecords[]): Promise<RecordAck[][]> {
    if (this.closed) throw new SkejiError(ErrorCode.PRODUCER_CLOSED, "the producer is closed");
    const topics = batch.map((t) => t.topic);
    const records = batch.reduce((n, t) => n + t.records.length, 0);
    const missing = topics.filter((t) => !this.broker.hasTopic(t));
    if (missing.length > 0 && this.options.allowAutoTopicCreation) {
      for (const topic of missing) this.broker.createTopic({ topic });
    } else if (missing.length > 0) {
      throw sendFailure(new UnknownTopicError(missing.join(", ")), {
        topics,
        partitions: 0,
        records,
        sent: true,
        missingTopics: missing,
      });
    }
    const failure = this.fault?.()?.(batch);
    if (failure !== undefined) throw sendFailure(failure, { topics, partitions: 0, records, sent: false });
    let size = 0;
    const acks = batch.map((t) => {
      const partitionMetadata = metadataOf(this.broker.partitionCount(t.topic));
      return t.records.map((record) => {
        const named = record.partitioner === undefined ? this.partitioner : this.partitioners[record.partitioner];
        const partition =
          record.partition ??
          named({
            topic: t.topic,
            partitionMetadata,
            message: { key: record.key, value: record.value, headers: record.headers as never },
          });
        const offset = this.broker.append(t.topic, partition, record);
        size += (record.value?.length ?? 0) + (record.key?.length ?? 0);
        return {
          topic: t.topic,
          partition,
          offset: this.options.requiredAcks === 0 ? undefined : offset,
        };
      });
    });
    const event = { broker: "in-memory", durationMs: 0, size };
    for (const listener of this.listeners) listener(event);
    return acks;
  }
}

function metadataOf(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
}
