/**
 * Key-to-partition functions. The same key must land on the same partition whichever
 * service wrote it, so the choice has to match the other producers of a topic:
 * - `murmur2` (default): the Java client's and kafkajs' default partitioner.
 * - `fnv1a`: the FNV-1a hash that kafka-go's `Hash` balancer and Sarama use, for topics
 *   that Go services write too. The partition is the |int32(fnv1a(key)) % n|-th of the
 *   topic's partitions in id order; records without a key fall back to the default.
 */
import { type ICustomPartitioner, type PartitionerArgs, Partitioners } from "kafkajs";

export type PartitionerName = "murmur2" | "fnv1a";
export const partitionerNames: readonly PartitionerName[] = ["murmur2", "fnv1a"];

/** FNV-1a, 32 bits, over the key's bytes. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The index (into the id-ordered partition list) kafka-go's `Hash` balancer picks for a key. */
export function fnv1aIndex(key: Uint8Array, partitionCount: number): number {
  return Math.abs((fnv1a32(key) | 0) % partitionCount);
}

const fnv1aPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args: PartitionerArgs) => {
    const key = args.message.key;
    if (key === null || key === undefined) return fallback(args);
    const ids = args.partitionMetadata.map((p) => p.partitionId).sort((a, b) => a - b);
    const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
    return ids[fnv1aIndex(bytes, ids.length)] as number;
  };
};

export function createPartitioner(name: PartitionerName): ReturnType<ICustomPartitioner> {
  return name === "fnv1a" ? fnv1aPartitioner() : Partitioners.DefaultPartitioner();
}
