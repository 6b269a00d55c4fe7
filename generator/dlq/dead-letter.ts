/**
 * A dead-letter record as an operator reads it: where it came from, why it failed, how often it
 * was retried, from whichever headers its writer set.
 *
 * Writers differ in what they set:
 *
 * | header                                              | SDK consumer | SDK producer   | Go services          |
 * | --------------------------------------------------- | ------------ | -------------- | -------------------- |
 * | `original-topic`, `dlq-error`, `dlq-timestamp`      | yes          | yes            | yes                  |
 * | `dlq-consumer-group`                                | yes          | -              | yes                  |
 * | `dlq-error-type`                                    | yes          | yes            | -                    |
 * | `original-partition`, `original-offset`, `original-timestamp`, `dlq-error-class` | yes | - | -        |
 * | `retry-count`                                       | retries made | as published   | as received (`'0' + n`, one character) |
 *
 * Every field a header did not give is `undefined`; nothing is guessed.
 */
import type { KafkaMessage } from "kafkajs";

/** The headers a dead-letter writer adds; everything else on the record is the original's. */
export const deadLetterHeaders: readonly string[] = [
  "original-topic",
  "original-partition",
  "original-offset",
  "original-timestamp",
  "dlq-error",
  "dlq-error-type",
  "dlq-error-class",
  "dlq-timestamp",
  "dlq-consumer-group",
  "dlq-truncated",
];

export interface DeadLetter {
  /** Where the dead letter itself is. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The dead-letter record's timestamp (when it was written), milliseconds since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Headers as received (bytes, repeats), for a replay. */
  readonly rawHeaders: NonNullable<KafkaMessage["headers"]>;
  /** Every header as text (a repeated header: its last value). */
  readonly headers: Readonly<Record<string, string>>;
  readonly original: {
    readonly topic: string | undefined;
    readonly partition: number | undefined;
    readonly offset: string | undefined;
    /** Milliseconds since the epoch. */
    readonly timestamp: number | undefined;
  };
  readonly error: string | undefined;
  /** `dlq-error-type` as written, e.g. `SkejiError:DECODE_FAILED`. */
  readonly errorType: string | undefined;
  /** The code part of `dlq-error-type` (after the last `:`), or its whole value when it has none. */
  readonly errorCode: string | undefined;
  readonly errorClass: string | undefined;
  readonly consumerGroup: string | undefined;
  /** `dlq-timestamp` as written (RFC 3339). */
  readonly deadLetteredAt: string | undefined;
  /** `retry-count` as read by `parseRetryCount` (decimal, or the Go services' one character); 0 when absent. */
  readonly retryCount: number;
  /** Whether `retry-count` was there at all. */
  readonly hasRetryCount: boolean;
  readonly eventType: string | undefined;
  /** `dlq-truncated`: the record was cut to fit the DLQ (not to be replayed as it is). */
  readonly truncated: string | undefined;
}

const text = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined => {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (last === undefined) return undefined;
  return typeof last === "string" ? last : last.toString("utf8");
};

const decimal = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : undefined;

export function deadLetter(
  topic: string,
  partition: number,
  m: KafkaMessage,
  parseRetryCount: (value: string | undefined) => number,
): DeadLetter {
  const rawHeaders = m.headers ?? {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawHeaders)) {
    const t = text(value);
    if (t !== undefined) headers[name] = t;
  }
  const errorType = headers["dlq-error-type"];
  const offset = headers["original-offset"]?.trim();
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    rawHeaders,
    headers,
    original: {
      topic: headers["original-topic"],
      partition: decimal(headers["original-partition"]),
      offset: offset !== undefined && /^\d+$/.test(offset) ? offset : undefined,
      timestamp: decimal(headers["original-timestamp"]),
    },
    error: headers["dlq-error"],
    errorType,
    errorCode: errorType === undefined ? undefined : errorType.slice(errorType.lastIndexOf(":") + 1),
    errorClass: headers["dlq-error-class"],
    consumerGroup: headers["dlq-consumer-group"],
    deadLetteredAt: headers["dlq-timestamp"],
    retryCount: parseRetryCount(headers["retry-count"]),
    hasRetryCount: headers["retry-count"] !== undefined,
    eventType: headers["event-type"],
    truncated: headers["dlq-truncated"],
  };
}

/**
 * The headers of the record replayed from `d`: the original's, exactly as they were (bytes,
 * repeats), without the dead-letter headers, and `retry-count` one more than the dead letter's
 * (decimal; the Go services read 0-9 the same way).
 */
export function replayHeaders(d: DeadLetter): Record<string, Buffer | string | (Buffer | string)[]> {
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, value] of Object.entries(d.rawHeaders)) {
    if (value === undefined || deadLetterHeaders.includes(name) || name === "retry-count") continue;
    out[name] = value;
  }
  out["retry-count"] = String(d.retryCount + 1);
  return out;
}
