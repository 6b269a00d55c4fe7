/**
 * The kafkajs instance a requester's reply consumer runs on: its consumers never commit an offset
 * and keep their position in memory instead.
 *
 * A requester only wants replies to its own in-flight requests, read from the newest offset at
 * start, so a committed position would serve no one after the process is gone; it would only keep
 * the requester's group on the broker after a process that died without `close()` (a group with
 * offsets is kept for `offsets.retention.minutes`, a week by default; an empty one without offsets
 * is dropped at the broker's next retention check).
 *
 * What the commits were good for while the process lives is kept in memory: the position after
 * the last record the consumer got through, per partition. When the member joins the group again
 * (evicted after a stall or a lost connection, or restarted by kafkajs after a crash), every
 * partition it had read from resumes there instead of at the newest offset, so a reply published
 * in between is still seen.
 */
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";

/** The same kafkajs instance (cluster, admin, producers), except that its consumers never commit. */
export function withoutCommits(kafka: Kafka): Kafka {
  const facade: Kafka = Object.create(kafka);
  facade.consumer = (config) => uncommitted(kafka.consumer(config));
  return facade;
}

function uncommitted(consumer: Consumer): Consumer {
  /** `topic` -> partition -> the next offset to read. */
  const positions = new Map<string, Map<number, string>>();
  const done = (topic: string, partition: number, offset: string): void => {
    const byPartition = positions.get(topic) ?? new Map<number, string>();
    positions.set(topic, byPartition);
    byPartition.set(partition, (BigInt(offset) + 1n).toString());
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
      for (const partition of partitions) {
        const offset = positions.get(topic)?.get(partition);
        // Applied by kafkajs before the partition's first fetch of this generation.
        if (offset !== undefined) consumer.seek({ topic, partition, offset });
      }
    }
  });
  return {
    ...consumer,
    run: ({ eachBatch, eachMessage, ...config } = {}) =>
      consumer.run({
        ...config,
        autoCommit: false,
        autoCommitInterval: null,
        autoCommitThreshold: null,
        ...(eachBatch === undefined
          ? {}
          : {
              eachBatch: (payload: EachBatchPayload) =>
                eachBatch({
                  ...payload,
                  resolveOffset: (offset) => {
                    done(payload.batch.topic, payload.batch.partition, offset);
                    payload.resolveOffset(offset);
                  },
                }),
            }),
        ...(eachMessage === undefined
          ? {}
          : {
              eachMessage: async (payload) => {
                await eachMessage(payload);
                done(payload.topic, payload.partition, payload.message.offset);
              },
            }),
      }),
    commitOffsets: async () => {},
  };
}
