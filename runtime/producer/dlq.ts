/**
 * Dead-letter records for messages the producer could not publish: the record
 * as it would have been sent (key, value bytes, headers) plus headers saying
 * where it was going and why it failed. Header names match the consumer's DLQ
 * records and the Go services.
 */
import type { OutgoingRecord } from "../client/types.ts";
import { isSkejiError } from "../errors/base.ts";
import { HeaderName, rfc3339 } from "../message/headers.ts";
import { truncateUtf8 } from "../message/truncate.ts";

/** The limit of `dlq-error`, in bytes of UTF-8 (as the consumer's dead-letter records). */
const maxErrorBytes = 4096;

export function producerDlqRecord(
  record: OutgoingRecord,
  topic: string,
  error: unknown,
  now = new Date(),
): OutgoingRecord {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [HeaderName.originalTopic]: topic,
      [HeaderName.dlqError]: errorText(error),
      [HeaderName.dlqErrorType]: errorType(error),
      [HeaderName.dlqTimestamp]: rfc3339(now),
    },
  };
}

/** The error message with its causes, `outer: inner`, at most 4 KiB of UTF-8. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    // A wrapper whose message already ends with its cause's (`x failed: reason`) says it once.
    if (message !== "" && !parts.some((p) => p === message || p.endsWith(`: ${message}`))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  const text = parts.join(": ");
  return truncateUtf8(text, maxErrorBytes);
}

function errorType(error: unknown): string {
  if (isSkejiError(error)) return `${error.name}:${error.code}`;
  if (error instanceof Error) return error.name;
  return typeof error;
}
