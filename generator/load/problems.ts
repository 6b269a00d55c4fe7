/**
 * User errors found while loading schemas and the manifest. Each names the file,
 * the JSON path inside it, what is wrong and what is expected; all are collected
 * and reported together, one line each.
 */
import { locateJsonError } from "./json-errors.ts";

export interface Problem {
  /** Path of the file or folder, relative to the working directory, with `/` separators. */
  readonly file: string;
  /** JSON path inside the file (`$.fields[2].type`), or `$` for the file as a whole. */
  readonly path: string;
  /** What is wrong and what is expected. */
  readonly message: string;
  /** 1-based line and column in the file, where known (syntax errors). */
  readonly line?: number | undefined;
  readonly column?: number | undefined;
}

/**
 * One line: `schemas/x/v1.avsc: $.fields[0].type: unknown type "strng" (did you mean "string"?)`,
 * or `schemas/x/v1.avsc:3:14: $.fields[0]: invalid JSON: ...` when the position is known.
 */
export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return p.path === "$" || p.path === "" ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/** A warning line: `schemas/x/v1.avsc: $.fields[1].type.scale: warning: decimal scale 4 is ...`. */
export const formatWarning = (p: Problem): string => formatProblem({ ...p, message: `warning: ${p.message}` });

/**
 * Parses JSON text (a leading byte order mark is ignored); on failure returns a problem with
 * the line, column and JSON path of the first syntax error.
 */
export function parseJson(file: string, text: string): { value: unknown } | { problem: Problem } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body) };
  } catch (e) {
    const found = locateJsonError(body);
    if (found) {
      const { line, column, path, reason } = found;
      return { problem: { file, path, message: `invalid JSON: ${reason}`, line, column } };
    }
    // The scanner accepted what JSON.parse refused: fall back to JSON.parse's own words.
    return { problem: { file, path: "$", message: `invalid JSON: ${(e as Error).message}` } };
  }
}

/** Sorts problems by file (stable: within a file, in the order they were found). */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.file === b.file ? 0 : a.file < b.file ? -1 : 1));
}
