/**
 * TypeScript type expressions for Avro types, following docs/type-mapping.md
 * (the same mapping the runtime codec implements):
 * primitives, logical types, arrays, maps and unions. Named types are referenced by name.
 */
import { type AvroNode, branchName, nullableBranch } from "@skeji/kafka/codegen";

export interface TypeContext {
  /** TypeScript name of each named type (records, enums, fixed). */
  readonly typeNames: ReadonlyMap<AvroNode, string>;
  /** Records that have a distinct `Init` variant. */
  readonly needsInit: ReadonlySet<AvroNode>;
  /** True while emitting the publisher-side (`Init`) types. */
  readonly init: boolean;
  /** The name of the runtime's exclusive-union helper type. */
  readonly unionHelper: string;
  /** Called when the union helper is used, so the import can be added. */
  readonly useUnionHelper: () => void;
  /** Called with each named type's TypeScript name as it is used, so imports can be added. */
  readonly useName?: ((node: AvroNode, name: string) => void) | undefined;
}

const primitiveTypes: Record<string, string> = {
  null: "null",
  boolean: "boolean",
  int: "number",
  long: "number",
  float: "number",
  double: "number",
  bytes: "Uint8Array",
  string: "string",
};

const logicalTypes: Record<string, string> = {
  "timestamp-millis": "Date",
  "timestamp-micros": "Date",
  date: "Date",
  "time-millis": "number",
  "time-micros": "number",
  uuid: "string",
  decimal: "string",
};

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
export const propertyKey = (key: string): string => (IDENT.test(key) ? key : JSON.stringify(key));

export function typeExpr(node: AvroNode, ctx: TypeContext): string {
  switch (node.kind) {
    case "primitive":
      return primitiveTypes[node.type] as string;
    case "logical":
      return logicalTypes[node.logicalType] as string;
    case "record": {
      const base = ctx.typeNames.get(node) as string;
      const name = ctx.init && ctx.needsInit.has(node) ? `${base}Init` : base;
      ctx.useName?.(node, name);
      return name;
    }
    case "enum":
    case "fixed": {
      const name = ctx.typeNames.get(node) as string;
      ctx.useName?.(node, name);
      return name;
    }
    case "array": {
      const items = typeExpr(node.items, ctx);
      return / \| /.test(items) || items.includes("=>") ? `(${items})[]` : `${items}[]`;
    }
    case "map":
      return `Record<string, ${typeExpr(node.values, ctx)}>`;
    case "union":
      return unionExpr(node, ctx);
  }
}

function unionExpr(node: Extract<AvroNode, { kind: "union" }>, ctx: TypeContext): string {
  const inner = nullableBranch(node);
  if (inner) return `${typeExpr(inner, ctx)} | null`;
  const isNull = (b: AvroNode) => b.kind === "primitive" && b.type === "null";
  const branches = node.branches.filter((b) => !isNull(b));
  const orNull = branches.length < node.branches.length ? " | null" : "";
  if (branches.length === 0) return "null";
  ctx.useUnionHelper();
  const members = branches.map((b) => `${propertyKey(branchName(b))}: ${typeExpr(b, ctx)}`).join("; ");
  return `${ctx.unionHelper}<{ ${members} }>${orNull}`;
}
