/** Avro binary written by hand, for tests that need bytes no encoder would write. */

/** The zigzag varint of `n` (any 64-bit value; numbers must be exact). */
export function varint(n: number | bigint): number[] {
  const b = BigInt(n);
  let z = b >= 0n ? b << 1n : (-b << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

/** A string (or bytes) value: its length, then its UTF-8 bytes. */
export const str = (s: string): number[] => {
  const bytes = [...Buffer.from(s, "utf8")];
  return [...varint(bytes.length), ...bytes];
};

/** A 64-bit little-endian double. */
export const double = (d: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return [...b];
};
