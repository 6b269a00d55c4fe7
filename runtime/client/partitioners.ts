/**
 * Key-to-partition functions. The same key must land on the same partition whichever
 * service wrote it, so the choice has to match the other producers of a topic (the manifest
 * says it per topic; see `PartitionerName`):
 * - `murmur2`: the Java client's and kafkajs' default partitioner.
 * - `fnv1a`: kafka-go's `Hash` balancer (and Sarama's hash partitioner), for topics that Go
 *   services write too: partition |int32(fnv1a(key)) % n| of the topic's n partitions.
 * Records without a key are spread as kafkajs' default partitioner spreads them, whichever is chosen.
 */
import { type ICustomPartitioner, type PartitionerArgs, Partitioners } from "kafkajs";
import type { PartitionerName } from "../descriptor.ts";

export { type PartitionerName, partitionerNames } from "../descriptor.ts";

/** FNV-1a, 32 bits, over the key's bytes. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The partition kafka-go's `Hash` balancer picks for a key among `partitionCount` partitions: the
 * hash read as a signed 32-bit number, its remainder (which keeps the dividend's sign, as Go's `%`
 * does), made positive. An empty key is a key like any other (kafka-go balances only a nil key
 * round robin).
 */
export function fnv1aIndex(key: Uint8Array, partitionCount: number): number {
  return Math.abs((fnv1a32(key) | 0) % partitionCount);
}

const fnv1aPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args: PartitionerArgs) => {
    const key = args.message.key;
    if (key === null || key === undefined) return fallback(args);
    const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
    // kafka-go hands its balancer the ids 0..n-1 of the topic's n partitions and writes to the
    // number it returns; a topic's partitions are numbered 0..n-1, so the count is all it takes.
    return fnv1aIndex(bytes, args.partitionMetadata.length);
  };
};

export function createPartitioner(name: PartitionerName): ReturnType<ICustomPartitioner> {
  return name === "fnv1a" ? fnv1aPartitioner() : Partitioners.DefaultPartitioner();
}
