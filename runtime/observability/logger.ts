/**
 * Logging through pino. Every part of the runtime takes a `Logger`; by default
 * one pino logger named `skeji-kafka` at `KAFKA_LOG_LEVEL` (default `info`).
 * Pass your application's pino logger (or a child of it) to share its output.
 */
import { pino } from "pino";
import { logLevels } from "../config/limits.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";

/** The subset of pino's API the runtime uses, so any pino instance (or child) fits. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /**
   * Whether `level` would be written (pino has it). Optional: without it every level counts as
   * enabled. Hot paths ask before building a log entry nobody would see.
   */
  isLevelEnabled?(level: "debug" | "info" | "warn" | "error"): boolean;
}

let fallback: Logger | undefined;

/**
 * The shared default logger, created on first use. A `KAFKA_LOG_LEVEL` pino does not know fails
 * with INVALID_CONFIG naming the variable (pino's own error does not say where the level came from).
 */
export function defaultLogger(): Logger {
  fallback ??= pino({ name: "skeji-kafka", level: levelFromEnv(process.env.KAFKA_LOG_LEVEL) });
  return fallback;
}

function levelFromEnv(value: string | undefined): string {
  const level = value?.trim().toLowerCase() || "info";
  if (!(logLevels as readonly string[]).includes(level)) {
    const problem = `KAFKA_LOG_LEVEL is ${JSON.stringify(value?.slice(0, 64))}; expected one of ${logLevels.join(", ")}`;
    throw new SkejiError(ErrorCode.INVALID_CONFIG, `invalid Kafka configuration: ${problem}`, {
      details: { problems: [problem] },
    });
  }
  return level;
}

/** A logger that drops everything (for tests and benchmarks). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
