/**
 * What each setting may be, shared by the environment reader (env.ts) and the check of config
 * objects (validate.ts), so that both reject the same values with the same accepted form.
 *
 * The bounds are where something breaks, not taste: Node timers fire at once above 2^31-1 ms
 * (a 1000h linger becomes 1 ms), Kafka's group coordinator refuses a session timeout outside
 * `group.min.session.timeout.ms` / `group.max.session.timeout.ms` (6 s and 30 min by default),
 * a zero timeout times out every request, and a request beyond the broker's
 * `socket.request.max.bytes` (100 MiB by default) makes it drop the connection.
 */
import { isIP } from "node:net";

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
/** The longest duration any setting takes: far inside a timer's 2^31-1 ms and Kafka's int32 fields. */
const day = 24 * hour;

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Milliseconds. */
export const durationLimits = {
  connectionTimeoutMs: { min: 1, max: day },
  requestTimeoutMs: { min: 1, max: day },
  batchTimeoutMs: { min: 0, max: day },
  maxWaitMs: { min: 0, max: day },
  commitIntervalMs: { min: 0, max: day },
  heartbeatIntervalMs: { min: 1, max: day },
  sessionTimeoutMs: { min: 6 * second, max: 30 * minute },
  rebalanceTimeoutMs: { min: 1, max: day },
} as const satisfies Record<string, Range>;

const MiB = 1024 * 1024;

/** Bytes, or a count of messages / attempts. */
export const countLimits = {
  maxAttempts: { min: 1, max: 100 },
  maxRetries: { min: 0, max: 1000 },
  batchSize: { min: 1, max: 1_000_000 },
  batchBytes: { min: 1, max: 100 * MiB },
  maxMessageBytes: { min: 1, max: 100 * MiB },
  minBytes: { min: 1, max: 1024 * MiB },
  maxBytes: { min: 1, max: 1024 * MiB },
} as const satisfies Record<string, Range>;

/** The levels pino knows (`KAFKA_LOG_LEVEL`). */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const brokersForm = "a comma-separated list of host:port (port 1-65535), e.g. broker1:9092,broker2:9092";

/** Why one `host:port` entry cannot be used, or undefined when it can. */
export function brokerProblem(entry: string): string | undefined {
  if (entry === "") return "an empty entry";
  if (entry.startsWith("[") || isIP(entry) === 6) {
    // kafkajs splits an address at its first colon, so an IPv6 literal can never be reached.
    return "an IPv6 address literal (not supported: use a host name that resolves to it)";
  }
  const colon = entry.lastIndexOf(":");
  if (colon < 0 || colon === entry.length - 1) return "no port";
  const host = entry.slice(0, colon);
  const port = entry.slice(colon + 1);
  if (host === "") return "no host";
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host)) return "not a host name or IPv4 address";
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return "a port outside 1-65535";
  return undefined;
}

/** A Kafka topic name: 1-249 of letters, digits, `.`, `_` and `-`, but not `.` or `..` (what brokers accept). */
export function isTopicName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,249}$/.test(name) && name !== "." && name !== "..";
}

/** Which rule of `isTopicName` `name` breaks, in words; undefined for a topic name. */
export function topicNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return `it is ${name === null ? "null" : typeof name}, not a string`;
  if (name === "") return "it is empty";
  if (name === "." || name === "..") return 'it is "." or "..", which Kafka reserves';
  if (name.length > 249) return `it is ${name.length} characters long, and at most 249 are allowed`;
  const other = /[^A-Za-z0-9._-]/u.exec(name);
  if (other !== null) {
    return `it has ${JSON.stringify(other[0])} at position ${other.index + 1}, and only letters, digits, ".", "_" and "-" are allowed`;
  }
  return undefined;
}
export const topicForm = 'a topic name (letters, digits, ".", "_", "-"; at most 249; not "." or "..")';

/** A client id: sent in every request header; printable, at most 255 characters. */
export function isClientId(id: string): boolean {
  if (id.length < 1 || id.length > 255) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}
export const clientIdForm = "printable text of 1 to 255 characters";

/** `1ms`, `6s`, `30m`, `24h`: the largest unit that divides the value. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of [
    ["h", hour],
    ["m", minute],
    ["s", second],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `1`, `512KB`, `100MB`, `1GB` (binary units, as the size parser reads them). */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ["GB", 1024 * MiB],
    ["MB", MiB],
    ["KB", 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

export const durationForm = (range: Range): string =>
  `a duration from ${formatDuration(range.min)} to ${formatDuration(range.max)}, such as 10ms, 1s, 1m30s (units ns, us, ms, s, m, h)`;

export const sizeForm = (range: Range): string =>
  `a size in bytes from ${formatSize(range.min)} to ${formatSize(range.max)}, such as 1048576, 512KB, 10MB (KB/MB/GB are 1024-based; KiB/MiB/GiB also accepted)`;
