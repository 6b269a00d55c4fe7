/**
 * `dlq replay --group <id>`: a consumer group of the replay's own that remembers how far it got,
 * so a replay run again (by hand, or on a schedule) continues where the last one stopped.
 *
 * The replay reads as a member of that group (read.ts) and commits the position right after each
 * replayed record is acknowledged, and once more at the end for the records read past the last
 * one; a replay killed between a send and its commit sends that one record again next time. Run
 * one replay per group at a time. A group that has members when the replay starts - a service's
 * running group, another replay - is refused: joining it would take partitions from the service.
 */
import type { Kafka } from "kafkajs";

/** The group's committed position per partition of `topic` (partitions without one left out); throws when it has members. */
export async function replayGroupStart(kafka: Kafka, id: string, topic: string): Promise<Map<number, bigint>> {
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
    const [entry] = await admin.fetchOffsets({ groupId: id, topics: [topic] });
    const out = new Map<number, bigint>();
    for (const p of entry?.partitions ?? []) if (BigInt(p.offset) >= 0n) out.set(p.partition, BigInt(p.offset));
    return out;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
