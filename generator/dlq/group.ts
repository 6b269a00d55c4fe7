/**
 * `dlq replay --group <id>`: a consumer group of the replay's own that remembers how far it got,
 * so a replay run again (by hand, or on a schedule) continues where the last one stopped.
 *
 * The reader never joins the group (read.ts reads with a throwaway group); the positions are
 * committed with the admin API, which the broker allows only while the group has no members - so
 * a service's running group cannot be given by mistake. A position is committed right after each
 * replayed record is acknowledged, and once more at the end for the records read past the last
 * one; a replay killed between a send and its commit sends that one record again next time.
 */
import type { Kafka } from "kafkajs";

export interface ReplayGroup {
  readonly id: string;
  /** The committed position per partition of the topic (partitions without one are left out). */
  committed(): Promise<Map<number, bigint>>;
  commit(positions: ReadonlyMap<number, bigint>): Promise<void>;
  close(): Promise<void>;
}

export async function replayGroup(kafka: Kafka, id: string, topic: string): Promise<ReplayGroup> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const group = (await admin.describeGroups([id])).groups.find((g) => g.groupId === id);
    const members = group?.members.length ?? 0;
    if (members > 0) {
      throw new Error(
        `group ${id} has ${members} active member${members === 1 ? "" : "s"}: a replay's group must be its own and not in use (a service's group is not one)`,
      );
    }
  } catch (e) {
    await admin.disconnect().catch(() => {});
    throw e;
  }
  return {
    id,
    async committed() {
      const [entry] = await admin.fetchOffsets({ groupId: id, topics: [topic] });
      const out = new Map<number, bigint>();
      for (const p of entry?.partitions ?? []) if (BigInt(p.offset) >= 0n) out.set(p.partition, BigInt(p.offset));
      return out;
    },
    async commit(positions) {
      if (positions.size === 0) return;
      await admin.setOffsets({
        groupId: id,
        topic,
        partitions: [...positions].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
      });
    },
    close: () => admin.disconnect(),
  };
}
