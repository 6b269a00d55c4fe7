/**
 * User errors found while loading schemas and the manifest. Each names the file,
 * the JSON path inside it, what is wrong and what is expected; all are collected
 * and reported together, one line each.
 */

export interface Problem {
  /** Path of the file or folder, relative to the working directory, with `/` separators. */
  readonly file: string;
  /** JSON path inside the file (`$.fields[2].type`), or `$` for the file as a whole. */
  readonly path: string;
  /** What is wrong and what is expected. */
  readonly message: string;
}

/** One line: `schemas/x/v1.avsc: $.fields[0].type: unknown type "strng" (did you mean "string"?)`. */
export function formatProblem(p: Problem): string {
  return p.path === "$" || p.path === "" ? `${p.file}: ${p.message}` : `${p.file}: ${p.path}: ${p.message}`;
}

/** Parses JSON text; on failure returns a problem with the line and column. */
export function parseJson(file: string, text: string): { value: unknown } | { problem: Problem } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const message = (e as Error).message;
    const m = /at position (\d+)/.exec(message);
    let where = "";
    if (m) {
      const before = text.slice(0, Number(m[1]));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      where = ` at line ${line}, column ${column}`;
    }
    const reason = message
      .replace(/\s*in JSON at position \d+.*$/, "")
      .replace(/^Unexpected end of JSON input$/, "unexpected end of input");
    return { problem: { file, path: "$", message: `invalid JSON${where}: ${reason}` } };
  }
}

/** Sorts problems by file (stable: within a file, in the order they were found). */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.file === b.file ? 0 : a.file < b.file ? -1 : 1));
}
