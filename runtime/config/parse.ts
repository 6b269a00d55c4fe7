/**
 * Parsers for configuration values (environment variables). Each returns the
 * parsed value or records one problem that names the variable and the accepted
 * form; a secret's value is never echoed.
 */

import { durationForm, isTopicName, type Range, sizeForm, topicForm } from "./limits.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** Collects every problem so that start-up reports all bad variables at once. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    private readonly secrets: ReadonlySet<string> = new Set(),
  ) {}

  /** The raw value, trimmed; `undefined` when unset or blank. */
  raw(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  }

  /** Records `NAME is "value" (reason); expected accepted`; a secret's value reads `is invalid`. */
  problem(name: string, accepted: string, reason?: string): void {
    const v = this.raw(name);
    const shown = v === undefined ? "is not set" : this.secrets.has(name) ? "is invalid" : `is ${quote(v)}`;
    this.problems.push(`${name} ${shown}${reason === undefined ? "" : ` (${reason})`}; expected ${accepted}`);
  }

  string(name: string): string | undefined {
    return this.raw(name);
  }

  /** A Kafka topic name (see `isTopicName`). */
  topic(name: string): string | undefined {
    const v = this.raw(name);
    if (v !== undefined && !isTopicName(v)) this.problem(name, topicForm);
    return v;
  }

  required(name: string, accepted: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) this.problem(name, accepted);
    return v;
  }

  int(name: string, fallback: number, range: Range): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
      this.problem(name, `an integer from ${range.min} to ${range.max}`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (["true", "1", "yes", "on"].includes(v)) return true;
    if (["false", "0", "no", "off"].includes(v)) return false;
    this.problem(name, "true or false");
    return fallback;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    const hit = choices.find((c) => c === v);
    if (hit === undefined) this.problem(name, `one of ${choices.join(", ")}`);
    return hit ?? fallback;
  }

  /** A duration such as `10ms`, `1s`, `1m30s`, `2h` within `range`; returns milliseconds. */
  duration(name: string, fallbackMs: number, range: Range): number {
    const v = this.raw(name);
    if (v === undefined) return fallbackMs;
    const ms = parseDuration(v);
    if (ms === undefined || ms < range.min || ms > range.max) {
      this.problem(name, durationForm(range));
      return fallbackMs;
    }
    return ms;
  }

  /** A size such as `10MB`, `512KB`, `1048576` within `range`; returns bytes. */
  size(name: string, fallback: number, range: Range): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = parseSize(v);
    if (n === undefined || n < range.min || n > range.max) {
      this.problem(name, sizeForm(range));
      return fallback;
    }
    return n;
  }
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go-style duration (`300ms`, `1.5s`, `1h2m`) into milliseconds; `0` is accepted bare. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * (durationUnits[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) return undefined;
  return total;
}

const KiB = 1024;
const sizeUnits: Record<string, number> = {
  "": 1,
  b: 1,
  k: KiB,
  kb: KiB,
  kib: KiB,
  m: KiB ** 2,
  mb: KiB ** 2,
  mib: KiB ** 2,
  g: KiB ** 3,
  gb: KiB ** 3,
  gib: KiB ** 3,
};

/**
 * Parses a size into bytes. `KB`/`MB`/`GB` follow the Go guide's `10MB` and are
 * binary multiples (10MB = 10 * 1024 * 1024), the same as `KiB`/`MiB`/`GiB`;
 * a plain number is bytes.
 */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (m === null) return undefined;
  const factor = sizeUnits[(m[2] ?? "").toLowerCase()];
  if (factor === undefined) return undefined;
  const n = Number(m[1]) * factor;
  return Number.isSafeInteger(n) ? n : undefined;
}

function quote(v: string): string {
  return JSON.stringify(v.length > 64 ? `${v.slice(0, 61)}...` : v);
}
