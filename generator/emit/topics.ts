/**
 * The topics module (one descriptor per topic, its discriminated union of events and a
 * typed `onXTopic` registration) and the index module re-exporting everything.
 */

import { codegenSymbols } from "@skeji/kafka/codegen";
import { type StatementStructures, StructureKind } from "ts-morph";
import type { ProjectModel } from "../model/event-model.ts";
import { docs } from "./declarations.ts";
import { compareNames, constStatement, type GeneratedModule, importText, runtimeImport } from "./module.ts";
import { sharedExports } from "./shared.ts";

export function emitTopics(model: ProjectModel, header: string, ext: string): GeneratedModule {
  const { defineTopic, TopicEvent, TopicHandler, Consumer } = codegenSymbols;
  const imports = [runtimeImport(["defineTopic", "TopicEvent", "TopicHandler", "Consumer"])];
  const statements: (StatementStructures | string)[] = [];
  const events = [...new Map(model.topics.flatMap((t) => t.events.map((e) => [e.type, e]))).values()].sort((a, b) =>
    compareNames(a.module, b.module),
  );
  for (const e of events) {
    imports.push(importText("import", `./${e.module}${ext}`, [{ name: `${e.name}Event`, typeOnly: false }]));
  }
  for (const t of model.topics) {
    const lines = [`${defineTopic.name}({`, `  topic: ${JSON.stringify(t.topic)},`];
    if (t.dlqTopic !== undefined) lines.push(`  dlqTopic: ${JSON.stringify(t.dlqTopic)},`);
    lines.push(`  events: [${t.events.map((e) => `${e.name}Event`).join(", ")}],`, "})");
    statements.push(
      constStatement(
        `Topic \`${t.topic}\`${t.dlqTopic ? ` (dead letters: \`${t.dlqTopic}\`)` : ""}.${t.doc ? `\n\n${t.doc}` : ""}`,
        t.name,
        lines.join("\n"),
      ),
    );
    statements.push({
      kind: StructureKind.TypeAlias,
      name: `${t.name}Event`,
      isExported: true,
      docs: docs(`Every event on \`${t.topic}\`; narrow on \`type\`.`),
      type: `${TopicEvent.name}<typeof ${t.name}>`,
    });
    statements.push(
      constStatement(
        `Handles every event on \`${t.topic}\` with one handler.`,
        `on${t.name}`,
        `(consumer: ${Consumer.name}, handler: ${TopicHandler.name}<typeof ${t.name}>) =>\n  consumer.onTopic(${t.name}, handler)`,
      ),
    );
  }
  return { path: "topics.ts", header, imports, statements };
}

export function emitIndex(model: ProjectModel, header: string, ext: string): GeneratedModule {
  const imports: string[] = [];
  for (const e of model.events) {
    const names = [
      { name: e.name, typeOnly: true },
      { name: `${e.name}Init`, typeOnly: true },
      { name: `${e.name}Event`, typeOnly: false },
      { name: `on${e.name}`, typeOnly: false },
      { name: `publish${e.name}`, typeOnly: false },
    ];
    imports.push(importText("export", `./${e.module}${ext}`, names));
  }
  if (model.topics.length > 0) {
    const names = model.topics.flatMap((t) => [
      { name: t.name, typeOnly: false },
      { name: `${t.name}Event`, typeOnly: true },
      { name: `on${t.name}`, typeOnly: false },
    ]);
    imports.push(importText("export", `./topics${ext}`, names));
  }
  if (model.shared) imports.push(importText("export", `./${model.shared.module}${ext}`, sharedExports(model.shared)));
  // Re-exports sorted by module specifier, as Biome's organize-imports expects.
  const bySpecifier = (line: string) => line.slice(line.lastIndexOf(" from ") + 7);
  imports.sort((a, b) => compareNames(bySpecifier(a), bySpecifier(b)));
  return { path: "index.ts", header, imports, statements: [] };
}
