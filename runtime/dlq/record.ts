/**
 * The dead-letter record: the original key, value bytes and headers, unchanged, plus headers
 * saying where the message came from and why it failed.
 *
 * | Header               | Value                                                                |
 * | -------------------- | -------------------------------------------------------------------- |
 * | `original-topic`     | topic the message was consumed from                                  |
 * | `original-partition` | partition, decimal                                                   |
 * | `original-offset`    | offset, decimal                                                      |
 * | `original-timestamp` | record timestamp, milliseconds since the epoch, decimal              |
 * | `dlq-error`          | error message including its causes (`outer: inner`), at most 4 KiB   |
 * | `dlq-error-type`     | error name and code, e.g. `PermanentError:PERMANENT`, `Error:ECONNREFUSED` |
 * | `dlq-error-class`    | `permanent`, or `transient` when retries were exhausted             |
 * | `dlq-timestamp`      | when it was dead-lettered, RFC 3339 (UTC), as the Go services write it |
 * | `dlq-consumer-group` | the consumer group that gave up                                      |
 * | `retry-count`        | retries before giving up: the received `retry-count` (0 if none) plus the retries made here, decimal (processor.ts) |
 * | `dlq-truncated`      | only on a record too large to dead-letter whole (see truncate.ts): JSON, the original size in bytes of the record and of each part cut or dropped, e.g. `{"record":2097305,"value":1048576,"header:blob":1048576}` |
 *
 * These headers replace any of the same name on the original record; every other original
 * header is copied exactly as received: its bytes, and every value of a repeated header, in order.
 * Nothing else is added (no `event-id` or `timestamp` is filled in). A record larger than the
 * dead-letter topic accepts is written truncated instead (truncate.ts): the headers above and the
 * key (if it fits) whole, the value and the largest other headers cut to their first bytes.
 */
import type { IHeaders } from "kafkajs";
import type { ConsumedMessage } from "../consumer/types.ts";
import type { ErrorClass } from "../errors/processing.ts";
import { rfc3339 } from "../message/headers.ts";
import { truncateUtf8 } from "../message/truncate.ts";

export const DlqHeader = {
  originalTopic: "original-topic",
  originalPartition: "original-partition",
  originalOffset: "original-offset",
  originalTimestamp: "original-timestamp",
  error: "dlq-error",
  errorType: "dlq-error-type",
  errorClass: "dlq-error-class",
  timestamp: "dlq-timestamp",
  consumerGroup: "dlq-consumer-group",
  retryCount: "retry-count",
  /** Only on a record dead-lettered truncated (truncate.ts). */
  truncated: "dlq-truncated",
} as const;

/** A record ready to be written as-is to the dead-letter topic. */
export interface DlqRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The original headers as received (bytes, repeats) plus the DLQ headers as strings. */
  readonly headers: Readonly<IHeaders>;
}

export interface DlqFailure {
  readonly message: ConsumedMessage;
  readonly error: string;
  readonly errorType: string;
  readonly errorClass: ErrorClass;
  readonly retryCount: number;
  readonly groupId: string;
  readonly now: Date;
}

const maxErrorBytes = 4096;
const truncate = (text: string): string => truncateUtf8(text, maxErrorBytes);

/** Builds the dead-letter record for a failed message. */
export function buildDlqRecord(f: DlqFailure): DlqRecord {
  const ours: Record<string, string> = {
    [DlqHeader.originalTopic]: f.message.topic,
    [DlqHeader.originalPartition]: String(f.message.partition),
    [DlqHeader.originalOffset]: f.message.offset,
    [DlqHeader.originalTimestamp]: String(f.message.timestamp.getTime()),
    [DlqHeader.error]: truncate(f.error),
    [DlqHeader.errorType]: f.errorType,
    [DlqHeader.errorClass]: f.errorClass,
    [DlqHeader.timestamp]: rfc3339(f.now),
    [DlqHeader.consumerGroup]: f.groupId,
    [DlqHeader.retryCount]: String(f.retryCount),
  };
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(f.message.rawHeaders)) {
    if (value !== undefined && !Object.hasOwn(ours, name)) headers[name] = value;
  }
  return { key: f.message.key, value: f.message.value, headers: Object.assign(headers, ours) };
}
