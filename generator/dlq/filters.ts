/**
 * Which dead letters `inspect` shows and `replay` sends: every filter given must match (a filter
 * with several values matches any of them). A record that lacks what a filter looks at - a Go
 * service's record has no `dlq-error-type`, so no error code - does not match it.
 */
import type { DeadLetter } from "./dead-letter.ts";

export interface Filters {
  readonly eventTypes?: ReadonlySet<string> | undefined;
  /** Matches the code part of `dlq-error-type` (`DECODE_FAILED`) or its whole value (`SkejiError:DECODE_FAILED`). */
  readonly errorCodes?: ReadonlySet<string> | undefined;
  /** A piece of text `dlq-error` must contain (case-insensitive): what the Go services' records can be told apart by. */
  readonly errorContains?: string | undefined;
  readonly originalTopics?: ReadonlySet<string> | undefined;
  readonly keys?: ReadonlySet<string> | undefined;
  /** The dead letter's timestamp (when it was written) is at or after this, milliseconds. */
  readonly fromTime?: number | undefined;
  /** ...and at or before this. */
  readonly toTime?: number | undefined;
}

/** Whether `d` is selected; `eventType` is its `event-type` header or, without one, the type its value decoded to. */
export function selects(f: Filters, d: DeadLetter, eventType: string | undefined): boolean {
  const among = (set: ReadonlySet<string> | undefined, value: string | undefined) =>
    set === undefined || (value !== undefined && set.has(value));
  if (!among(f.eventTypes, eventType)) return false;
  if (f.errorCodes !== undefined && !(among(f.errorCodes, d.errorCode) || among(f.errorCodes, d.errorType))) {
    return false;
  }
  if (f.errorContains !== undefined && !(d.error ?? "").toLowerCase().includes(f.errorContains.toLowerCase())) {
    return false;
  }
  if (!among(f.originalTopics, d.original.topic)) return false;
  if (!among(f.keys, d.key?.toString("utf8"))) return false;
  if (f.fromTime !== undefined && d.timestamp < f.fromTime) return false;
  if (f.toTime !== undefined && d.timestamp > f.toTime) return false;
  return true;
}

/** An RFC 3339 date-time (`2025-11-18T15:00:00Z`) or milliseconds since the epoch; `undefined` otherwise. */
export function parseTime(text: string): number | undefined {
  const t = text.trim();
  if (/^\d{1,15}$/.test(t)) return Number(t);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}
