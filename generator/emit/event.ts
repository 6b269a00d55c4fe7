/**
 * One module per event: named types and the payload type of the current version, its
 * `Init` type, the descriptor (every version's schema embedded), `publishX` and `onX`.
 */

import type { AvroNode } from "@skeji/kafka/codegen";
import { codegenSymbols } from "@skeji/kafka/codegen";
import { type StatementStructures, StructureKind } from "ts-morph";
import type { EventModel } from "../model/event-model.ts";
import { docs, enumDeclaration, fixedDeclaration, recordDeclarations } from "./declarations.ts";
import { constStatement, type GeneratedModule, importText, runtimeImport } from "./module.ts";

/**
 * `schemaHeader` names the source files; `sharedImport` is the specifier of the shared types
 * module (e.g. `./types.ts`), which the module imports the shared types it uses from.
 */
export function emitEvent(event: EventModel, schemaHeader: string, sharedImport = ""): GeneratedModule {
  const sharedNames = new Set<string>();
  const imports = new Set<keyof typeof codegenSymbols>([
    "defineEvent",
    "EventDescriptor",
    "Producer",
    "PublishOptions",
    "PublishResult",
    "Consumer",
    "EventHandler",
  ]);
  const ctx = {
    typeNames: event.typeNames,
    needsInit: event.needsInit,
    unionHelper: codegenSymbols.AvroUnion.name,
    useUnionHelper: () => imports.add("AvroUnion"),
    useName: (node: AvroNode, name: string) => {
      if (event.shared.has(node)) sharedNames.add(name);
    },
  };
  const statements: (StatementStructures | string)[] = [];
  for (const node of event.namedTypes) {
    const name = event.typeNames.get(node) as string;
    if (node.kind === "record") statements.push(...recordDeclarations(node, name, ctx));
    else if (node.kind === "enum") statements.push(enumDeclaration(node, name));
    else statements.push(fixedDeclaration(node, name));
  }
  const [payload, init] = recordDeclarations(event.root, event.name, ctx);
  const current = event.versions.at(-1)?.version ?? 1;
  if (payload) {
    payload.docs = docs(
      `${event.root.doc ? `${event.root.doc}\n\n` : ""}Payload of \`${event.type}\` (v${current}), as consumers receive it.`,
    );
    statements.push(payload);
  }
  if (init) statements.push(init);
  else {
    statements.push({
      kind: StructureKind.TypeAlias,
      name: `${event.name}Init`,
      isExported: true,
      docs: docs(`{@link ${event.name}} as a publisher writes it (no field has a default).`),
      type: event.name,
    });
  }

  const descriptor = `${event.name}Event`;
  const versions = event.versions.map(
    (v) =>
      `    { version: ${v.version}, schema: ${JSON.stringify(v.schema)}${v.references.length > 0 ? `, references: ${JSON.stringify(v.references)}` : ""} },`,
  );
  const { defineEvent, EventDescriptor, Producer, PublishOptions, PublishResult, Consumer, EventHandler } =
    codegenSymbols;
  statements.push(
    constStatement(
      `\`${event.type}\` on topic \`${event.topic}\`, keyed by \`${event.keyField}\`${event.dlqTopic ? `; dead letters go to \`${event.dlqTopic}\`` : ""}.${event.doc ? `\n\n${event.doc}` : ""}`,
      descriptor,
      // The payload types are inferred from the annotation.
      `${EventDescriptor.name}<${event.name}, ${event.name}Init, ${JSON.stringify(event.type)}>`,
      [
        `${defineEvent.name}({`,
        `  type: ${JSON.stringify(event.type)},`,
        `  name: ${JSON.stringify(event.name)},`,
        `  topic: ${JSON.stringify(event.topic)},`,
        `  keyField: ${JSON.stringify(event.keyField)},`,
        `  format: ${JSON.stringify(event.format)},`,
        `  compatibility: ${JSON.stringify(event.compatibility)},`,
        `  dlqTopic: ${event.dlqTopic === undefined ? "undefined" : JSON.stringify(event.dlqTopic)},`,
        // Only when the manifest names one, so manifests without it generate what they always did.
        ...(event.partitioner === undefined ? [] : [`  partitioner: ${JSON.stringify(event.partitioner)},`]),
        // So a consumer that registers some of the topic's events knows the topic carries others.
        `  topicEvents: [${event.topicEvents.map((t) => JSON.stringify(t)).join(", ")}],`,
        "  versions: [",
        ...versions,
        "  ],",
        "})",
      ].join("\n"),
    ),
    constStatement(
      `Publishes \`${event.type}\` (validated against v${current}; fields with defaults may be left out).`,
      `publish${event.name}`,
      undefined,
      `(producer: ${Producer.name}, payload: ${event.name}Init, options?: ${PublishOptions.name}): Promise<${PublishResult.name}> =>\n  producer.publishEvent(${descriptor}, payload, options)`,
    ),
    constStatement(
      `Handles \`${event.type}\`; every version is read as v${current}.`,
      `on${event.name}`,
      undefined,
      `(consumer: ${Consumer.name}, handler: ${EventHandler.name}<typeof ${descriptor}>): ${Consumer.name} =>\n  consumer.on(${descriptor}, handler)`,
    ),
  );
  return {
    path: `${event.module}.ts`,
    header: schemaHeader,
    imports: [
      runtimeImport([...imports]),
      ...(sharedNames.size > 0
        ? [
            importText(
              "import",
              sharedImport,
              [...sharedNames].map((name) => ({ name, typeOnly: true })),
            ),
          ]
        : []),
    ],
    statements,
  };
}
