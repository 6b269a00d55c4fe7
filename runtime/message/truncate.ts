/**
 * Bounded header text. Header values such as `dlq-error` are limited in bytes on the wire,
 * not in UTF-16 code units: a limit on `string.length` can exceed it threefold (or split a
 * surrogate pair and leave half a character).
 */

/** `text` as at most `maxBytes` bytes of UTF-8, cut on a character boundary and ending in `...` when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text; // no UTF-16 unit takes more than 3 bytes
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes - 3);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return `${bytes.subarray(0, end).toString("utf8")}...`;
}
