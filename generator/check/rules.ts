/**
 * Avro schema resolution: can a reader with schema R read data written with schema W?
 *
 * Follows the "Schema Resolution" section of the Avro specification; problems are
 * named with the incompatibility types of Apache Avro's Java `SchemaCompatibility`
 * so that reports line up with what Java tooling and schema registries say.
 * Named types match as Java matches them: by unqualified name, or when one of the reader's
 * aliases is the writer's full name (aliases are full names, a relative alias taking the
 * namespace of the type that declares it). Where the two differ, the specification wins for
 * decimals, which Java ignores: the scale must match, and the precision may only grow.
 */
import { describe, type Field, type SchemaNode, shortName } from "./schema.ts";

export type IncompatibilityType =
  | "NAME_MISMATCH"
  | "FIXED_SIZE_MISMATCH"
  | "MISSING_ENUM_SYMBOLS"
  | "READER_FIELD_MISSING_DEFAULT_VALUE"
  | "TYPE_MISMATCH"
  | "MISSING_UNION_BRANCH";

export interface Incompatibility {
  readonly type: IncompatibilityType;
  /** Dotted field path inside the schema, e.g. `params.start_time`; `[]` = array items, `{}` = map values. */
  readonly path: string;
  /** What went wrong, in terms of the two schemas. */
  readonly message: string;
  readonly reader: string;
  readonly writer: string;
  /** Extra facts for hints: the field name, missing symbols or branches. */
  readonly detail: IncompatibilityDetail;
}

export type IncompatibilityDetail =
  | {
      readonly rule: "field-without-default";
      readonly field: string;
      /** A writer field no reader field reads, of a type this field could read: probably its old name. */
      readonly renamedFrom?: string | undefined;
    }
  | { readonly rule: "enum-symbols"; readonly symbols: readonly string[] }
  | {
      readonly rule: "union-branch";
      readonly branch: string;
      /** Why the reader branch of the same kind and name cannot read it, when there is one. */
      readonly cause?: Incompatibility | undefined;
    }
  | { readonly rule: "name"; readonly readerName: string; readonly writerName: string }
  | { readonly rule: "fixed-size"; readonly readerSize: number; readonly writerSize: number }
  | { readonly rule: "decimal"; readonly reader: string; readonly writer: string }
  | { readonly rule: "type" };

/** Writer primitive -> reader primitives it may be read as (besides itself). */
const promotions: Readonly<Record<string, readonly string[]>> = {
  int: ["long", "float", "double"],
  long: ["float", "double"],
  float: ["double"],
  string: ["bytes"],
  bytes: ["string"],
};

const unqualified = (name: string): string => name.slice(name.lastIndexOf(".") + 1);

/**
 * Java's rule: the same unqualified name (a namespace may move), or a reader alias equal to the
 * writer's full name. An alias is a full name (schema.ts qualifies relative ones), so `c.Point` or
 * a relative `Point` on `b.Position` does not match a writer `a.Point`.
 */
function namesMatch(reader: { name: string; aliases: readonly string[] }, writer: { name: string }): boolean {
  return unqualified(reader.name) === unqualified(writer.name) || reader.aliases.includes(writer.name);
}

type Named = Extract<SchemaNode, { readonly name: string }>;
const isNamed = (n: SchemaNode): n is Named => n.kind === "record" || n.kind === "enum" || n.kind === "fixed";

const join = (path: string, name: string): string => (path === "" ? name : `${path}.${name}`);

/** Every reason `reader` cannot read data written with `writer`; empty when it can. */
export function checkCompatibility(reader: SchemaNode, writer: SchemaNode): Incompatibility[] {
  // Record pairs being checked further up the stack: a recursive type meets itself again here,
  // and the pair is assumed compatible (its problems, if any, are reported where it was first met).
  const inProgress = new Set<string>();
  const ids = new Map<SchemaNode, number>();
  const idOf = (n: SchemaNode): number => {
    let id = ids.get(n);
    if (id === undefined) {
      id = ids.size;
      ids.set(n, id);
    }
    return id;
  };
  const pairKey = (r: SchemaNode, w: SchemaNode): string => `${idOf(r)}:${idOf(w)}`;

  const out: Incompatibility[] = [];

  const report = (
    type: IncompatibilityType,
    path: string,
    r: SchemaNode,
    w: SchemaNode,
    message: string,
    detail: IncompatibilityDetail,
  ): void => {
    out.push({ type, path, message, reader: describe(r), writer: describe(w), detail });
  };

  /** Walks without reporting: every reason `r` cannot read `w` (empty when it can). */
  const reasons = (r: SchemaNode, w: SchemaNode, path: string): Incompatibility[] => {
    const before = out.length;
    walk(r, w, path);
    return out.splice(before);
  };
  const compatible = (r: SchemaNode, w: SchemaNode, path: string): boolean => reasons(r, w, path).length === 0;

  /**
   * No branch of the reader union reads `w`. When one branch is meant for it (the same kind and
   * name) and fails for a nested reason, that reason is the one worth reading: it is reported with it.
   */
  const missingBranch = (r: SchemaNode & { kind: "union" }, w: SchemaNode, path: string): void => {
    const name = shortName(w);
    const meant = r.branches.find((rb) =>
      isNamed(w) ? isNamed(rb) && rb.kind === w.kind && namesMatch(rb, w) : rb.kind === w.kind && sameType(rb, w),
    );
    const cause = meant === undefined ? undefined : reasons(meant, w, path)[0];
    const because = cause === undefined ? "" : `: branch ${shortName(meant as SchemaNode)}: ${within(path, cause)}`;
    report(
      "MISSING_UNION_BRANCH",
      path,
      r,
      w,
      `reader union has no branch that can read the writer's ${name}${because}`,
      {
        rule: "union-branch",
        branch: name,
        cause,
      },
    );
  };

  const walk = (r: SchemaNode, w: SchemaNode, path: string): void => {
    if (w.kind === "union") {
      for (const branch of w.branches) {
        if (r.kind === "union") {
          if (!r.branches.some((rb) => compatible(rb, branch, path))) missingBranch(r, branch, path);
        } else {
          walk(r, branch, path);
        }
      }
      return;
    }
    if (r.kind === "union") {
      if (!r.branches.some((rb) => compatible(rb, w, path))) missingBranch(r, w, path);
      return;
    }
    if (r.kind === "primitive" && w.kind === "primitive") {
      if (r.type === w.type) {
        if (r.decimal && w.decimal) checkDecimal(r, w, r.decimal, w.decimal, path);
        return;
      }
      if (promotions[w.type]?.includes(r.type)) return;
      report("TYPE_MISMATCH", path, r, w, `reader type ${r.type} cannot read writer type ${w.type}`, { rule: "type" });
      return;
    }
    if (r.kind !== w.kind) {
      report("TYPE_MISMATCH", path, r, w, `reader type ${describe(r)} cannot read writer type ${describe(w)}`, {
        rule: "type",
      });
      return;
    }
    switch (r.kind) {
      case "array":
        walk(r.items, (w as typeof r).items, `${path}[]`);
        return;
      case "map":
        walk(r.values, (w as typeof r).values, `${path}{}`);
        return;
      case "fixed": {
        const wf = w as typeof r;
        checkName(r, wf, path);
        if (r.size !== wf.size) {
          report("FIXED_SIZE_MISMATCH", path, r, w, `reader fixed size ${r.size}, writer fixed size ${wf.size}`, {
            rule: "fixed-size",
            readerSize: r.size,
            writerSize: wf.size,
          });
        } else if (r.decimal && wf.decimal) {
          checkDecimal(r, w, r.decimal, wf.decimal, path);
        }
        return;
      }
      case "enum": {
        const we = w as typeof r;
        checkName(r, we, path);
        const missing = we.symbols.filter((s) => !r.symbols.includes(s));
        if (missing.length > 0 && r.default === undefined) {
          report(
            "MISSING_ENUM_SYMBOLS",
            path,
            r,
            w,
            `reader enum ${r.name} lacks the writer's symbols ${missing.join(", ")}, and has no default symbol`,
            { rule: "enum-symbols", symbols: missing },
          );
        }
        return;
      }
      case "record": {
        const wr = w as typeof r;
        checkName(r, wr, path);
        const key = pairKey(r, wr);
        if (inProgress.has(key)) return;
        inProgress.add(key);
        const read = new Set<Field>();
        for (const field of r.fields) {
          const match = writerField(wr.fields, field);
          if (match) read.add(match);
        }
        for (const field of r.fields) {
          const fpath = join(path, field.name);
          const match = writerField(wr.fields, field);
          if (match) walk(field.type, match.type, fpath);
          else if (!field.hasDefault) {
            // A writer field nobody reads, of a type this one could read: most likely a rename.
            const renamed = wr.fields.find((wf) => !read.has(wf) && compatible(field.type, wf.type, fpath));
            if (renamed) read.add(renamed);
            report(
              "READER_FIELD_MISSING_DEFAULT_VALUE",
              fpath,
              r,
              w,
              `reader field "${field.name}" has no default, and the writer has no such field${renamed ? ` (it has "${renamed.name}" of a type it could read)` : ""}`,
              { rule: "field-without-default", field: field.name, renamedFrom: renamed?.name },
            );
          }
        }
        inProgress.delete(key);
        return;
      }
      default:
        return;
    }
  };

  const checkName = (
    r: SchemaNode & { name: string; aliases: readonly string[] },
    w: SchemaNode & { name: string },
    path: string,
  ): void => {
    if (namesMatch(r, w)) return;
    report("NAME_MISMATCH", path, r, w, `reader ${r.kind} is named ${r.name}, writer's is ${w.name}`, {
      rule: "name",
      readerName: r.name,
      writerName: w.name,
    });
  };

  /**
   * A decimal is an integer with a scale: the scale must match (1234 is 12.34 at scale 2 and 1.234
   * at scale 3), and the precision may grow (every value still fits) but not shrink.
   */
  const checkDecimal = (
    r: SchemaNode,
    w: SchemaNode,
    rd: { precision: number; scale: number },
    wd: { precision: number; scale: number },
    path: string,
  ): void => {
    if (rd.scale === wd.scale && rd.precision >= wd.precision) return;
    const rs = `decimal(${rd.precision},${rd.scale})`;
    const ws = `decimal(${wd.precision},${wd.scale})`;
    const why =
      rd.scale !== wd.scale
        ? `a different scale reads the same stored integer as a different value (scale ${wd.scale} written, ${rd.scale} read)`
        : `values of more than ${rd.precision} digits no longer fit (the precision may grow, not shrink)`;
    report("TYPE_MISMATCH", path, r, w, `reader ${rs} cannot read writer ${ws}: ${why}`, {
      rule: "decimal",
      reader: rs,
      writer: ws,
    });
  };

  walk(reader, writer, "");
  return out;
}

/** The writer field a reader field reads: same name, else one of the reader field's aliases. */
function writerField(fields: readonly Field[], readerField: Field): Field | undefined {
  return fields.find((f) => f.name === readerField.name) ?? fields.find((f) => readerField.aliases.includes(f.name));
}

/** The same type at the top, for choosing the union branch a value was meant for. */
function sameType(r: SchemaNode, w: SchemaNode): boolean {
  return r.kind === "primitive" && w.kind === "primitive" ? r.type === w.type : r.kind === w.kind;
}

/** A nested incompatibility's message, with where it is relative to `path`: `field currency: ...`. */
function within(path: string, inc: Incompatibility): string {
  const rest = inc.path.slice(path.length).replace(/^\./, "");
  if (rest === "") return inc.message;
  return `${/^[[{]/.test(rest) ? rest : `field ${rest}`}: ${inc.message}`;
}
