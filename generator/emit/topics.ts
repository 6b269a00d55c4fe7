/**
 * The topics module (one descriptor per topic, its discriminated union of events and a
 * typed `onXTopic` registration) and the index module re-exporting everything.
 */

import type { TopicSettings } from "@skeji/kafka/codegen";
import { codegenSymbols } from "@skeji/kafka/codegen";
import { type StatementStructures, StructureKind } from "ts-morph";
import { allTopicsName, type ProjectModel } from "../model/event-model.ts";
import { docs } from "./declarations.ts";
import { compareNames, constStatement, type GeneratedModule, importText, runtimeImport } from "./module.ts";
import { sharedExports } from "./shared.ts";

export function emitTopics(model: ProjectModel, header: string, ext: string): GeneratedModule {
  const { defineTopic, TopicDescriptor, TopicEvent, TopicHandler, Consumer } = codegenSymbols;
  const imports = [runtimeImport(["defineTopic", "TopicDescriptor", "TopicEvent", "TopicHandler", "Consumer"])];
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
    if (t.partitioner !== undefined) lines.push(`  partitioner: ${JSON.stringify(t.partitioner)},`);
    lines.push(...settingsLines("settings", t.settings));
    if (t.dlqSettings !== undefined) lines.push(...settingsLines("dlqSettings", t.dlqSettings));
    lines.push(`  events: [${t.events.map((e) => `${e.name}Event`).join(", ")}],`, "})");
    statements.push(
      constStatement(
        `Topic \`${t.topic}\`${t.dlqTopic ? ` (dead letters: \`${t.dlqTopic}\`)` : ""}.${t.doc ? `\n\n${t.doc}` : ""}`,
        t.name,
        `${TopicDescriptor.name}<${t.events.map((e) => `typeof ${e.name}Event`).join(" | ") || "never"}>`,
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
        undefined,
        `(consumer: ${Consumer.name}, handler: ${TopicHandler.name}<typeof ${t.name}>): ${Consumer.name} =>\n  consumer.onTopic(${t.name}, handler)`,
      ),
    );
  }
  if (model.topics.length > 0) {
    statements.push(
      constStatement(
        "Every topic above: `ensureTopics(config, allTopics)` creates the missing ones and their DLQ topics.",
        allTopicsName,
        `readonly [${model.topics.map((t) => `typeof ${t.name}`).join(", ")}]`,
        `[${model.topics.map((t) => t.name).join(", ")}]`,
      ),
    );
  }
  return { path: "topics.ts", header, imports, statements };
}

/**
 * `settings: { partitions: 6, ... },` as lines of the descriptor; nothing when every setting is the
 * broker's default, so manifests without settings generate what they always did.
 */
function settingsLines(name: string, settings: TopicSettings): string[] {
  const members: string[] = [];
  if (settings.partitions !== undefined) members.push(`partitions: ${settings.partitions}`);
  if (settings.replicationFactor !== undefined) members.push(`replicationFactor: ${settings.replicationFactor}`);
  const config = Object.entries(settings.config).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  if (config.length > 0) {
    const oneLine = `config: { ${config.join(", ")} }`;
    members.push(
      oneLine.length <= 100 ? oneLine : ["config: {", ...config.map((c) => `      ${c},`), "    }"].join("\n"),
    );
  }
  if (members.length === 0) return [];
  return [`  ${name}: {`, ...members.map((m) => `    ${m},`), "  },"];
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
    names.push({ name: allTopicsName, typeOnly: false });
    imports.push(importText("export", `./topics${ext}`, names));
  }
  if (model.shared) imports.push(importText("export", `./${model.shared.module}${ext}`, sharedExports(model.shared)));
  // Re-exports sorted by module specifier, as Biome's organize-imports expects.
  const bySpecifier = (line: string) => line.slice(line.lastIndexOf(" from ") + 7);
  imports.sort((a, b) => compareNames(bySpecifier(a), bySpecifier(b)));
  return { path: "index.ts", header, imports, statements: [] };
}
