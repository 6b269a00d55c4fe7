/**
 * Where a consumer group without committed offsets starts reading. The Go package takes kafka-go's
 * numbers (`kafka.LastOffset` = -1, `kafka.FirstOffset` = -2) in code and in the environment; the
 * runtime's own words are "newest" and "oldest". Both are accepted wherever a start offset is
 * given, and normalised to the words once, when the consumer (or a config) is built.
 */
import type { StartOffset, StartPosition } from "./types.ts";

/** kafka-go's `kafka.LastOffset`: start at the newest record (the end of the log). */
export const LastOffset = -1;
/** kafka-go's `kafka.FirstOffset`: start at the oldest record still in the log. */
export const FirstOffset = -2;

/** The accepted forms, for error messages. */
export const startOffsetForm = '"newest" or -1 (kafka.LastOffset), "oldest" or -2 (kafka.FirstOffset)';

/**
 * The position a start offset names, or undefined when `value` is none of the accepted forms:
 * "newest"/-1 (also "latest", "-1") and "oldest"/-2 (also "earliest", "-2"), words in any case.
 */
export function startPosition(value: unknown): StartPosition | undefined {
  if (value === LastOffset) return "newest";
  if (value === FirstOffset) return "oldest";
  if (typeof value !== "string") return undefined;
  switch (value.trim().toLowerCase()) {
    case "newest":
    case "latest":
    case "-1":
      return "newest";
    case "oldest":
    case "earliest":
    case "-2":
      return "oldest";
    default:
      return undefined;
  }
}

/** `startPosition` of a value already checked (a config that passed validation); "newest" otherwise. */
export function normalizeStartOffset(value: StartOffset): StartPosition {
  return startPosition(value) ?? "newest";
}
