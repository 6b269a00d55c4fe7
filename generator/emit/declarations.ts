/**
 * Declarations for named Avro types: records (an interface, plus an `Init` interface when
 * fields have defaults), enums (a string literal union) and fixed (a `Uint8Array` alias).
 */

import {
  type AvroNode,
  type EnumNode,
  type FixedNode,
  nullableBranch,
  type RecordField,
  type RecordNode,
} from "@skeji/kafka/codegen";
import {
  type InterfaceDeclarationStructure,
  type JSDocStructure,
  type PropertySignatureStructure,
  StructureKind,
  type TypeAliasDeclarationStructure,
} from "ts-morph";
import { jsdoc } from "./module.ts";
import { type TypeContext, typeExpr } from "./type-expr.ts";

/** TSDoc text: `*\/` cannot end the comment early. */
export const docText = (text: string): string => text.replace(/\*\//g, "*\\/").trim();

export function docs(description: string | undefined, tags: JSDocStructure["tags"] = []): JSDocStructure[] {
  if (description === undefined && (tags === undefined || tags.length === 0)) return [];
  return [{ kind: StructureKind.JSDoc, description: description === undefined ? "" : docText(description), tags }];
}

/** What the TypeScript type does not say about a logical type (e.g. that a string must be a UUID). */
function logicalNote(type: AvroNode): string | undefined {
  const node = type.kind === "union" ? (nullableBranch(type) ?? type) : type;
  if (node.kind !== "logical") return undefined;
  switch (node.logicalType) {
    case "decimal":
      return `Avro \`decimal(${node.precision}, ${node.scale})\`: an exact decimal string such as "${node.scale > 0 ? `12.${"5".padEnd(node.scale, "0")}` : "12"}".`;
    case "uuid":
      return "Avro `uuid`: a UUID string.";
    case "date":
      return "Avro `date`: a Date at UTC midnight.";
    case "time-millis":
      return "Avro `time-millis`: milliseconds after midnight.";
    case "time-micros":
      return "Avro `time-micros`: microseconds after midnight.";
    case "timestamp-micros":
      return "Avro `timestamp-micros`: read back with millisecond precision.";
    default:
      return undefined;
  }
}

function fieldDocs(field: RecordField): JSDocStructure[] {
  const tags = field.hasDefault
    ? [{ kind: StructureKind.JSDocTag, tagName: "defaultValue", text: docText(JSON.stringify(field.default)) } as const]
    : [];
  const note = logicalNote(field.type);
  const description = note === undefined ? field.doc : field.doc === undefined ? note : `${field.doc}\n\n${note}`;
  return docs(description, tags);
}

export function recordDeclarations(
  node: RecordNode,
  name: string,
  ctx: Omit<TypeContext, "init">,
): [InterfaceDeclarationStructure, ...(InterfaceDeclarationStructure | string)[]] {
  const property = (f: RecordField, init: boolean): PropertySignatureStructure => ({
    kind: StructureKind.PropertySignature,
    name: f.name,
    type: typeExpr(f.type, { ...ctx, init }),
    hasQuestionToken: init && f.hasDefault,
    docs: fieldDocs(f),
  });
  const out: [InterfaceDeclarationStructure, ...(InterfaceDeclarationStructure | string)[]] = [
    {
      kind: StructureKind.Interface,
      name,
      isExported: true,
      docs: docs(node.doc ?? `The \`${node.name}\` record.`),
      properties: node.fields.map((f) => property(f, false)),
    },
  ];
  if (ctx.needsInit.has(node)) {
    // Only fields whose type differs for publishers are spelled out; the rest come from the payload
    // type through `Pick` (required) and `Partial<Pick>` (with a default), which keep their docs.
    const quiet = { ...ctx, useName: undefined }; // comparing, not emitting: no imports
    const differs = (f: RecordField) =>
      typeExpr(f.type, { ...quiet, init: true }) !== typeExpr(f.type, { ...quiet, init: false });
    const names = (fields: RecordField[]) => fields.map((f) => JSON.stringify(f.name)).join(" | ");
    const required = node.fields.filter((f) => !f.hasDefault && !differs(f));
    const optional = node.fields.filter((f) => f.hasDefault && !differs(f));
    const extendsTypes: string[] = [];
    if (required.length > 0) extendsTypes.push(`Pick<${name}, ${names(required)}>`);
    if (optional.length > 0) extendsTypes.push(`Partial<Pick<${name}, ${names(optional)}>>`);
    const doc = `{@link ${name}} as a publisher writes it: fields with a default may be left out.`;
    const properties = node.fields.filter(differs).map((f) => property(f, true));
    out.push(
      properties.length === 0
        ? // Printed as text: ts-morph would print an empty body on two lines.
          `${jsdoc(doc)}\nexport interface ${name}Init extends ${extendsTypes.join(", ")} {}`
        : {
            kind: StructureKind.Interface,
            name: `${name}Init`,
            isExported: true,
            docs: docs(doc),
            extends: extendsTypes,
            properties,
          },
    );
  }
  return out;
}

export function enumDeclaration(node: EnumNode, name: string): TypeAliasDeclarationStructure {
  return {
    kind: StructureKind.TypeAlias,
    name,
    isExported: true,
    docs: docs(node.doc ?? `The \`${node.name}\` enum.`),
    type: node.symbols.map((s) => JSON.stringify(s)).join(" | ") || "never",
  };
}

export function fixedDeclaration(node: FixedNode, name: string): TypeAliasDeclarationStructure {
  const description = `${node.doc ? `${node.doc}\n\n` : ""}Exactly ${node.size} bytes (\`${node.name}\`).`;
  return { kind: StructureKind.TypeAlias, name, isExported: true, docs: docs(description), type: "Uint8Array" };
}
