/**
 * How `skeji-gen dlq inspect` shows a dead letter: a block of text per record for people, or one
 * JSON object per line for tools (`jq`). Fields a writer did not record are left out (JSON) or
 * said to be missing (text), never made up.
 */
import type { DeadLetter } from "./dead-letter.ts";

/** What decoding the value gave. */
export type Decoding =
  | { readonly ok: true; readonly type: string; readonly version: number; readonly payload: unknown }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/** How many value bytes an undecodable record shows. */
const previewBytes = 64;

/** A payload as JSON can carry it: longs as numbers (or strings past 2^53), bytes as base64, dates as RFC 3339. */
export function plain(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();

const keyText = (key: Buffer | null): string | null => (key === null ? null : key.toString("utf8"));

function preview(value: Buffer | null) {
  if (value === null) return { bytes: 0 };
  const head = value.subarray(0, previewBytes);
  return {
    bytes: value.length,
    hex: head.toString("hex"),
    base64: head.toString("base64"),
    ...(value.length > previewBytes ? { previewOf: previewBytes } : {}),
  };
}

const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** One dead letter as a JSON object (one line). */
export function jsonLine(d: DeadLetter, decoding: Decoding): string {
  return JSON.stringify(
    defined({
      dlq: { topic: d.topic, partition: d.partition, offset: d.offset, timestamp: iso(d.timestamp) },
      key: keyText(d.key),
      original: defined({
        topic: d.original.topic,
        partition: d.original.partition,
        offset: d.original.offset,
        timestamp: iso(d.original.timestamp),
      }),
      error: d.error,
      errorType: d.errorType,
      errorCode: d.errorCode,
      errorClass: d.errorClass,
      retryCount: d.retryCount,
      consumerGroup: d.consumerGroup,
      deadLetteredAt: d.deadLetteredAt,
      truncated: d.truncated,
      eventType: decoding.ok ? decoding.type : d.eventType,
      schemaVersion: decoding.ok ? decoding.version : undefined,
      payload: decoding.ok ? plain(decoding.payload) : undefined,
      undecodable: decoding.ok ? undefined : { code: decoding.code, reason: decoding.reason, ...preview(d.value) },
      headers: d.headers,
    }),
  );
}

const label = (name: string): string => `  ${name.padEnd(10)}`;
const indentRest = (text: string): string => text.split("\n").join(`\n${" ".repeat(12)}`);

/** One dead letter as a block of text. */
export function textBlock(d: DeadLetter, decoding: Decoding): string {
  const lines: string[] = [];
  const key = keyText(d.key);
  lines.push(
    `${d.topic} ${d.partition}:${d.offset}  ${d.deadLetteredAt ?? iso(d.timestamp)}  key ${key === null ? "(none)" : JSON.stringify(key)}`,
  );
  const o = d.original;
  const at =
    o.partition !== undefined && o.offset !== undefined
      ? ` ${o.partition}:${o.offset}`
      : " (partition and offset not recorded)";
  const written = o.timestamp === undefined ? "" : `, written ${iso(o.timestamp)}`;
  lines.push(
    `${label("from")}${o.topic === undefined ? "(original-topic not recorded)" : `${o.topic}${at}`}${written}`,
  );
  const error = [
    d.errorType ?? "(error type not recorded)",
    ...(d.errorClass === undefined ? [] : [d.errorClass]),
    d.hasRetryCount ? `retry-count ${d.retryCount}` : "no retry-count",
    ...(d.consumerGroup === undefined ? [] : [`group ${d.consumerGroup}`]),
  ];
  lines.push(`${label("error")}${error.join(", ")}`);
  lines.push(`${label("reason")}${indentRest(d.error ?? "(dlq-error not recorded)")}`);
  if (d.truncated !== undefined) lines.push(`${label("truncated")}${d.truncated} (not replayable as it is)`);
  if (decoding.ok) {
    lines.push(`${label("event")}${decoding.type} v${decoding.version}`);
    lines.push(`${label("payload")}${indentRest(JSON.stringify(plain(decoding.payload), null, 2))}`);
  } else {
    lines.push(`${label("event")}${d.eventType ?? "(no event-type)"}`);
    lines.push(`${label("value")}not decoded: ${decoding.code}: ${indentRest(decoding.reason)}`);
    const p = preview(d.value);
    if ("hex" in p && p.bytes > 0) {
      const cut = p.bytes > previewBytes ? ` (first ${previewBytes})` : "";
      lines.push(`${label("bytes")}${p.bytes} bytes${cut}: hex ${p.hex}`);
      lines.push(`${label("")}base64 ${p.base64}`);
    }
  }
  const shown = Object.entries(d.headers).filter(([name]) => !name.startsWith("dlq-") && !name.startsWith("original-"));
  if (shown.length > 0) {
    lines.push(`${label("headers")}${shown.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(" ")}`);
  }
  return lines.join("\n");
}
