/**
 * Offsets kept in memory instead of committed (the consumer option `offsets: "memory"`).
 *
 * The consumer remembers, per topic-partition, the offset after the last record it finished -
 * exactly what it would have committed - and, each time its member joins the group, seeks every
 * assigned partition it has a position for back to it (kafkajs applies a seek before the
 * partition's next fetch). So a rejoin (after an eviction, a lost connection, a restart of the
 * kafkajs consumer) resumes where the process was instead of at the start offset, while the
 * broker never holds an offset for the group.
 */
import type { EachBatchPayload } from "kafkajs";

/** How the consumer keeps its position: committed to the group, or only in this process. */
export type OffsetStorage = "commit" | "memory";

export class MemoryPositions {
  /** topic -> partition -> the next offset to read. */
  private readonly next = new Map<string, Map<number, string>>();

  /**
   * The batch handler with its offset calls redirected: every resolved offset is remembered (and
   * still handed to kafkajs, which commits nothing without auto-commit), and the mid-batch
   * commit check does nothing. The batch handler resolves lazily, once per commit point, so this
   * costs a few calls per batch, not per message.
   */
  wrap(eachBatch: (payload: EachBatchPayload) => Promise<void>): (payload: EachBatchPayload) => Promise<void> {
    return (payload) => {
      const { topic, partition } = payload.batch;
      return eachBatch({
        ...payload,
        resolveOffset: (offset) => {
          this.remember(topic, partition, offset);
          payload.resolveOffset(offset);
        },
        commitOffsetsIfNecessary: async () => {},
      });
    };
  }

  /** Where each partition of `assignment` with a remembered position should resume. */
  seeksFor(assignment: Record<string, readonly number[]>): { topic: string; partition: number; offset: string }[] {
    const seeks: { topic: string; partition: number; offset: string }[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      const byPartition = this.next.get(topic);
      if (byPartition === undefined) continue;
      for (const partition of partitions) {
        const offset = byPartition.get(partition);
        if (offset !== undefined) seeks.push({ topic, partition, offset });
      }
    }
    return seeks;
  }

  private remember(topic: string, partition: number, offset: string): void {
    let byPartition = this.next.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.next.set(topic, byPartition);
    }
    byPartition.set(partition, (BigInt(offset) + 1n).toString());
  }
}
