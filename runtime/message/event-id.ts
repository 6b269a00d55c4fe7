/**
 * Random (version 4) UUIDs for `event-id`, one per published event, as one flat string each.
 *
 * `crypto.randomUUID()` joins its UUID from 20 short strings: V8 keeps that as a rope of some twenty
 * objects, which lives as long as the record it names, and flattens it (a copy) the first time its
 * characters are read - when the record is written to the wire. Here the 36 characters are written
 * into a byte buffer and read out as one string: one object, already flat. The randomness is the
 * same: `crypto.randomFillSync`, drawn 4 KB at a time as Node draws it for `randomUUID`.
 */
import { randomFillSync } from "node:crypto";

/** The two hex digits of each byte value, as the character codes of a 16-bit little-endian pair. */
const hexPairs = (() => {
  const digits = "0123456789abcdef";
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) t[b] = digits.charCodeAt(b >> 4) | (digits.charCodeAt(b & 15) << 8);
  return t;
})();

const UUID_BYTES = 16;
const pool = Buffer.allocUnsafe(UUID_BYTES * 256);
let used = pool.length;
const text = Buffer.allocUnsafe(36);

/** A new random UUID (RFC 9562 version 4, variant 10xx), lowercase, `8-4-4-4-12`. */
export function newEventId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += UUID_BYTES;
  pool[at + 6] = ((pool[at + 6] as number) & 0x0f) | 0x40; // version 4
  pool[at + 8] = ((pool[at + 8] as number) & 0x3f) | 0x80; // variant 10xx
  let p = 0;
  for (let i = 0; i < UUID_BYTES; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[p++] = 0x2d; // "-"
    const pair = hexPairs[pool[at + i] as number] as number;
    text[p++] = pair & 0xff;
    text[p++] = pair >> 8;
  }
  return text.toString("latin1", 0, 36);
}
