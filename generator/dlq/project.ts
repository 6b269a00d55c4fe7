/**
 * The project's events as the runtime's descriptors, built from the schemas folder and manifest the
 * way generated code declares them (every version, self-contained, with its shared types named),
 * so the DLQ tool decodes exactly as a service's consumer does - without the generated code.
 */
import type { AnyEventDescriptor, TopicDescriptor } from "@skeji/kafka";
import { CheckError } from "../check/errors.ts";
import { formatProblem, loadProject } from "../load/index.ts";

export interface DlqProject {
  readonly events: readonly AnyEventDescriptor[];
  readonly topics: readonly TopicDescriptor[];
  /** The DLQ topics the manifest declares, sorted. */
  readonly dlqTopics: readonly string[];
}

type Runtime = Pick<typeof import("@skeji/kafka"), "defineEvent" | "defineTopic">;

export function loadDlqProject(
  kafka: Runtime,
  schemasDir: string,
  manifestPath: string | undefined,
  cwd = process.cwd(),
): DlqProject {
  const loaded = loadProject({ schemasDir, manifestPath, cwd });
  if (loaded.problems.length > 0) {
    throw new CheckError("CHECK_INVALID_SCHEMA", loaded.problems.map(formatProblem).join("\n"));
  }
  const events = loaded.events.map((e) =>
    kafka.defineEvent({
      type: e.type,
      name: e.name,
      topic: e.topic,
      keyField: e.keyField,
      format: e.format,
      compatibility: e.compatibility,
      dlqTopic: e.dlqTopic,
      partitioner: e.partitioner,
      versions: e.versions.map((v) => ({
        version: v.version,
        schema: v.expanded,
        ...(v.sharedTypes.length > 0 ? { references: v.sharedTypes } : {}),
      })),
    }),
  );
  const topics = loaded.topics.map((t) =>
    kafka.defineTopic({
      topic: t.name,
      dlqTopic: t.dlqTopic,
      partitioner: t.partitioner,
      settings: t.settings,
      dlqSettings: t.dlqSettings,
      events: events.filter((e) => e.topic === t.name),
    }),
  );
  const dlqTopics = [...new Set(loaded.topics.flatMap((t) => (t.dlqTopic === undefined ? [] : [t.dlqTopic])))].sort();
  return { events, topics, dlqTopics };
}
