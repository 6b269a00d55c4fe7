/**
 * The shared types module (`types.ts`): every shared named type declared once, as the event
 * modules that use them import it.
 */

import { codegenSymbols } from "@skeji/kafka/codegen";
import type { StatementStructures } from "ts-morph";
import type { SharedModel } from "../model/event-model.ts";
import { enumDeclaration, fixedDeclaration, recordDeclarations } from "./declarations.ts";
import { type GeneratedModule, runtimeImport } from "./module.ts";

/** Names the module exports: each type, and the `Init` variant of records that have one. */
export function sharedExports(shared: SharedModel): { name: string; typeOnly: true }[] {
  return shared.namedTypes.flatMap((node) => {
    const name = shared.typeNames.get(node) as string;
    const init = node.kind === "record" && shared.needsInit.has(node);
    return init
      ? [
          { name, typeOnly: true as const },
          { name: `${name}Init`, typeOnly: true as const },
        ]
      : [{ name, typeOnly: true as const }];
  });
}

export function emitShared(shared: SharedModel, header: string): GeneratedModule {
  let unions = false;
  const ctx = {
    typeNames: shared.typeNames,
    needsInit: shared.needsInit,
    unionHelper: codegenSymbols.AvroUnion.name,
    useUnionHelper: () => {
      unions = true;
    },
  };
  const statements: (StatementStructures | string)[] = [];
  for (const node of shared.namedTypes) {
    const name = shared.typeNames.get(node) as string;
    if (node.kind === "record") statements.push(...recordDeclarations(node, name, ctx));
    else if (node.kind === "enum") statements.push(enumDeclaration(node, name));
    else statements.push(fixedDeclaration(node, name));
  }
  return {
    path: `${shared.module}.ts`,
    header,
    imports: unions ? [runtimeImport(["AvroUnion"])] : [],
    statements,
  };
}
