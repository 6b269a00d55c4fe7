/**
 * Logging through pino. Every part of the runtime takes a `Logger`; by default
 * one pino logger named `skeji-kafka` at `KAFKA_LOG_LEVEL` (default `info`).
 * Pass your application's pino logger (or a child of it) to share its output.
 */
import { pino } from "pino";

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

/** The shared default logger, created on first use. */
export function defaultLogger(): Logger {
  fallback ??= pino({ name: "skeji-kafka", level: process.env.KAFKA_LOG_LEVEL ?? "info" });
  return fallback;
}

/** A logger that drops everything (for tests and benchmarks). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
