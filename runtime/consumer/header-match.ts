/**
 * Whether a raw header is exactly one expected text, without turning its bytes into a string.
 *
 * The consumer asks this of several headers of every record (event type, content type, schema
 * version, fingerprint). kafkajs hands header values over as bytes; the matcher compares them
 * with the expected text's bytes as constants in code generated once per text, which costs about
 * half of a loop over two buffers. A repeated header counts by its last value, as everywhere else.
 */
import type { RawHeaderValue } from "../message/headers.ts";
import { headerText } from "./message.ts";

export type HeaderMatcher = (value: RawHeaderValue) => boolean;

/** Texts longer than this are compared with a loop (no generated code of unbounded size). */
const MAX_UNROLLED = 128;

export function headerMatcher(text: string): HeaderMatcher {
  const bytes = Buffer.from(text, "utf8");
  const repeated = (value: (Buffer | string)[]): boolean => headerText(value) === text;
  if (bytes.length > MAX_UNROLLED) {
    return (value) => {
      if (value === undefined) return false;
      if (typeof value === "string") return value === text;
      if (Array.isArray(value)) return repeated(value);
      return value.length === bytes.length && value.equals(bytes);
    };
  }
  const compare = [`v.length === ${bytes.length}`, ...Array.from(bytes, (b, i) => `v[${i}] === ${b}`)].join(" && ");
  return new Function(
    "text",
    "repeated",
    `return function matches(v) {
  if (v === undefined) return false;
  if (typeof v === "string") return v === text;
  if (Array.isArray(v)) return repeated(v);
  return ${compare};
};`,
  )(text, repeated) as HeaderMatcher;
}
