/**
 * Warnings for logical types that fall back to their underlying type. The Avro specification
 * says an unknown or invalid logical type (a `decimal` whose scale exceeds its precision, a
 * `date` on a string, ...) is ignored and the underlying type used; the codec and the generated
 * types do so, and these warnings say where it happens and why, since it is rarely intended.
 *
 * Whether an annotation falls back is decided by the shared schema model (`parseSchema`), so the
 * warning and the generated type cannot disagree; this module only walks the schema JSON to find
 * the annotations and explains the reason.
 */
import {
  childPath,
  maxDecimalPrecision,
  parseSchema,
  primitiveNames,
  type SchemaProblem,
  suggest,
} from "@skeji/kafka/codegen";

/** The underlying types each supported logical type applies to. */
const appliesTo: Readonly<Record<string, readonly string[]>> = {
  "timestamp-millis": ["long"],
  "timestamp-micros": ["long"],
  "time-micros": ["long"],
  date: ["int"],
  "time-millis": ["int"],
  uuid: ["string"],
  decimal: ["bytes", "fixed"],
};

/** Logical types of the Avro specification that skeji-gen does not map (yet). */
const unsupported = [
  "timestamp-nanos",
  "local-timestamp-millis",
  "local-timestamp-micros",
  "local-timestamp-nanos",
  "duration",
  "big-decimal",
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** Why `obj`'s logical type is not used, and the path of the attribute at fault. */
function reason(obj: Record<string, unknown>, path: string): { path: string; why: string } {
  const lt = obj.logicalType;
  const under = obj.type as string;
  const at = (key: string) => childPath(path, key);
  if (typeof lt !== "string")
    return { path: at("logicalType"), why: `logicalType ${JSON.stringify(lt)} is not a name` };
  const targets = appliesTo[lt];
  if (!targets && unsupported.includes(lt)) {
    return { path: at("logicalType"), why: `logical type "${lt}" is not supported by skeji-gen` };
  }
  if (!targets) {
    const hint = suggest(lt, Object.keys(appliesTo));
    const known = hint ? `did you mean "${hint}"?` : `supported: ${Object.keys(appliesTo).join(", ")}`;
    return { path: at("logicalType"), why: `unknown logical type "${lt}" (${known})` };
  }
  if (!targets.includes(under)) {
    return { path: at("logicalType"), why: `logical type "${lt}" applies to ${targets.join(" or ")}, not ${under}` };
  }
  // Only decimal has attributes that can be invalid.
  const { precision } = obj;
  const scale = obj.scale ?? 0;
  if (precision === undefined) return { path, why: 'decimal without a "precision"' };
  if (!isInt(precision) || precision < 1) {
    return { path: at("precision"), why: `decimal precision ${JSON.stringify(precision)} is not an integer ≥ 1` };
  }
  if (!isInt(scale) || scale < 0) {
    return { path: at("scale"), why: `decimal scale ${JSON.stringify(scale)} is not an integer ≥ 0` };
  }
  if (scale > precision) {
    return { path: at("scale"), why: `decimal scale ${scale} is greater than its precision ${precision}` };
  }
  const size = obj.size as number;
  return {
    path: at("precision"),
    why: `decimal precision ${precision} does not fit a fixed of ${size} bytes (at most ${maxDecimalPrecision(size)} digits)`,
  };
}

/** What the value is typed as instead. */
function underlyingText(under: string): string {
  if (under === "bytes" || under === "fixed") return `${under} (Uint8Array)`;
  if (under === "long" || under === "int" || under === "float" || under === "double") return `${under} (number)`;
  return under;
}

/**
 * Every logical type in `schema` (a schema that parses without problems) that falls back to its
 * underlying type, with the JSON path of the attribute at fault.
 */
export function logicalTypeFallbacks(schema: unknown): SchemaProblem[] {
  const warnings: SchemaProblem[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((branch, i) => {
        visit(branch, childPath(path, i));
      });
      return;
    }
    if (!isObject(node) || typeof node.type !== "string") return;
    const { type } = node;
    if (type === "record" || type === "error") {
      if (Array.isArray(node.fields)) {
        node.fields.forEach((field, i) => {
          if (isObject(field)) visit(field.type, childPath(childPath(childPath(path, "fields"), i), "type"));
        });
      }
    } else if (type === "array") visit(node.items, childPath(path, "items"));
    else if (type === "map") visit(node.values, childPath(path, "values"));
    if (!("logicalType" in node)) return;
    const annotated = type === "fixed" || (primitiveNames as readonly string[]).includes(type);
    if (!annotated) {
      warnings.push({
        path: childPath(path, "logicalType"),
        message: `logicalType on a ${type} is ignored (logical types annotate primitive and fixed types)`,
      });
      return;
    }
    // The shared model decides; a named fixed parses on its own, a primitive is self-contained.
    const parsed = parseSchema(type === "fixed" ? { ...node, name: "Fallback", namespace: "" } : node);
    if (parsed.problems.length > 0 || parsed.root.kind === "logical") return;
    const { path: at, why } = reason(node, path);
    warnings.push({
      path: at,
      message: `${why}; as the Avro specification requires, the logical type is ignored and the value is typed as ${underlyingText(type)}`,
    });
  };
  visit(schema, "$");
  return warnings;
}
