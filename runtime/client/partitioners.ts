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

/**
 * MurmurHash2 over the key's bytes, as the Java client's `Utils.murmur2` computes it (32-bit int
 * arithmetic: `Math.imul` is Java's `int` multiplication), and so as kafkajs's, which gets the same
 * low 32 bits with 64-bit Long objects at several allocations a record.
 */
export function murmur2(bytes: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = bytes.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The last one to three bytes, folded in as the Java client's switch falls through its cases.
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) h ^= (bytes[whole + 2] as number) << 16;
    if (tail >= 2) h ^= (bytes[whole + 1] as number) << 8;
    h ^= bytes[whole] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client's (and kafkajs's) default partitioner picks for a key: its positive hash modulo the count. */
export function murmur2Index(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

/** The index a partitioner gives a key (bytes) among `partitionCount` partitions. */
export function keyIndex(name: PartitionerName, key: Uint8Array, partitionCount: number): number {
  return name === "fnv1a" ? fnv1aIndex(key, partitionCount) : murmur2Index(key, partitionCount);
}

/** kafkajs's default partitioner, hashing keys without its Long arithmetic (same partitions). */
const murmur2Partitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args: PartitionerArgs) => {
    const { key, partition } = args.message;
    if (key === null || key === undefined || (partition !== null && partition !== undefined)) return fallback(args);
    const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
    return murmur2Index(bytes, args.partitionMetadata.length);
  };
};

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
  return name === "fnv1a" ? fnv1aPartitioner() : murmur2Partitioner();
}
