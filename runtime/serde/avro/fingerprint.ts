/**
 * Parsing Canonical Form and the CRC-64-AVRO (Rabin) fingerprint, as the Avro
 * specification defines them. Two schemas that differ only in docs, defaults,
 * aliases, logical types or attribute order have the same fingerprint.
 */
import type { AvroNode } from "./model.ts";

/** The Parsing Canonical Form of a parsed schema. */
export function canonicalForm(node: AvroNode): string {
  return write(node, new Set());
}

function write(node: AvroNode, seen: Set<string>): string {
  switch (node.kind) {
    case "primitive":
      return JSON.stringify(node.type);
    case "logical":
      return write(node.underlying, seen);
    case "array":
      return `{"type":"array","items":${write(node.items, seen)}}`;
    case "map":
      return `{"type":"map","values":${write(node.values, seen)}}`;
    case "union":
      return `[${node.branches.map((b) => write(b, seen)).join(",")}]`;
    default: {
      const name = JSON.stringify(node.name);
      if (seen.has(node.name)) return name;
      seen.add(node.name);
      if (node.kind === "enum") {
        return `{"name":${name},"type":"enum","symbols":${JSON.stringify(node.symbols)}}`;
      }
      if (node.kind === "fixed") return `{"name":${name},"type":"fixed","size":${node.size}}`;
      const fields = node.fields.map((f) => `{"name":${JSON.stringify(f.name)},"type":${write(f.type, seen)}}`);
      return `{"name":${name},"type":"record","fields":[${fields.join(",")}]}`;
    }
  }
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
  return fp;
});

/** CRC-64-AVRO of `text` (UTF-8), as 16 lowercase hex digits (the unsigned value, most significant first). */
export function rabinFingerprint(text: string): string {
  let fp = EMPTY;
  for (const byte of Buffer.from(text, "utf8")) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  }
  return fp.toString(16).padStart(16, "0");
}

/**
 * The same 8 bytes in the other byte order (`0123456789abcdef` <-> `efcdab8967452301`): how
 * libraries that render the fingerprint as the single-object encoding stores it (little-endian)
 * write it. `undefined` for anything but 16 hex digits. Case is folded to lower.
 */
export function otherByteOrder(fingerprint: string): string | undefined {
  if (!/^[0-9a-fA-F]{16}$/.test(fingerprint)) return undefined;
  return (fingerprint.toLowerCase().match(/../g) as string[]).reverse().join("");
}
