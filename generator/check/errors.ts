/**
 * Errors of `skeji-gen check` / `register`. Each carries a stable `code`; the guard
 * reads the brand, not the prototype, so it holds across duplicated package copies.
 */

export type CheckErrorCode =
  /** A schema is not valid Avro, or not valid JSON. Names the file and JSON path. */
  | "CHECK_INVALID_SCHEMA"
  /** A command-line option has a bad value. */
  | "CHECK_INVALID_OPTION"
  /** The schemas cannot be read (missing folder, git ref unknown, manifest broken). */
  | "CHECK_INPUT"
  /** The registry answered something other than what the Confluent API promises. */
  | "CHECK_REGISTRY";

const brand = Symbol.for("@skeji/kafka/CheckError");

export class CheckError extends Error {
  readonly code: CheckErrorCode;
  readonly [brand] = true;

  constructor(code: CheckErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CheckError";
    this.code = code;
  }
}

export function isCheckError(value: unknown): value is CheckError {
  return typeof value === "object" && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/** `invalid option "name": reason`, the house form for option errors. */
export function optionError(name: string, reason: string): CheckError {
  return new CheckError("CHECK_INVALID_OPTION", `invalid option "${name}": ${reason}`);
}
