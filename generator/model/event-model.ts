/**
 * The model stage: from a loaded project to what the emitter needs per event
 * (TypeScript names of every named type, which records need an `Init` variant)
 * and per topic. Pure data; no TypeScript text here.
 */
import type {
  AvroNode,
  CompatibilityLevel,
  LogicalNode,
  NamedNode,
  PartitionerName,
  RecordNode,
  TopicSettings,
  WireFormat,
} from "@skeji/kafka/codegen";
import type { LoadedProject } from "../load/project.ts";

export interface EventModel {
  readonly type: string;
  /** Payload type name, e.g. `BookingCreateRequested`. */
  readonly name: string;
  readonly topic: string;
  readonly keyField: string;
  readonly format: WireFormat;
  readonly compatibility: CompatibilityLevel;
  /** The DLQ of the event's topic, if the manifest declares one. */
  readonly dlqTopic: string | undefined;
  /** The partitioner of the event's topic, if the manifest declares one. */
  readonly partitioner: PartitionerName | undefined;
  /** Every event type the manifest puts on the event's topic, this one included, sorted. */
  readonly topicEvents: readonly string[];
  readonly doc: string | undefined;
  /** Module file name without extension, e.g. `booking.create.requested`. */
  readonly module: string;
  readonly versions: readonly {
    readonly version: number;
    readonly file: string;
    /** The schema as embedded: self-contained (shared types expanded). */
    readonly schema: unknown;
    /** Full names of the shared types it uses, dependencies first. */
    readonly references: readonly string[];
  }[];
  /** Shared type files the event's versions use, sorted (for the header line). */
  readonly sharedFiles: readonly string[];
  /** The current (last) version's root record. */
  readonly root: RecordNode;
  /**
   * Named types of the current version (except the root and shared types), in definition order,
   * with their TypeScript names.
   */
  readonly namedTypes: readonly NamedNode[];
  /** TypeScript names of the module's own named types and of every shared type. */
  readonly typeNames: ReadonlyMap<AvroNode, string>;
  /** Shared types (declared in the shared types module, imported from it). */
  readonly shared: ReadonlySet<AvroNode>;
  /** Records whose publisher-side (`Init`) type differs: a field with a default at any depth. */
  readonly needsInit: ReadonlySet<RecordNode>;
}

export interface TopicModel {
  readonly topic: string;
  /** Descriptor constant name, e.g. `BookingsEventsTopic`. */
  readonly name: string;
  readonly dlqTopic: string | undefined;
  readonly doc: string | undefined;
  readonly events: readonly EventModel[];
  readonly partitioner: PartitionerName | undefined;
  readonly settings: TopicSettings;
  readonly dlqSettings: TopicSettings | undefined;
}

/** The shared types module: every shared named type, declared once. */
export interface SharedModel {
  /** Module file name without extension. */
  readonly module: string;
  /** The shared type files, for the header line. */
  readonly files: readonly string[];
  /** In dependency order (a type after those it uses). */
  readonly namedTypes: readonly NamedNode[];
  readonly typeNames: ReadonlyMap<AvroNode, string>;
  readonly needsInit: ReadonlySet<RecordNode>;
}

export interface ProjectModel {
  readonly events: readonly EventModel[];
  readonly topics: readonly TopicModel[];
  /** Undefined when the project has no shared types. */
  readonly shared: SharedModel | undefined;
}

/** The module shared types are declared in (`types.ts`). */
export const SHARED_MODULE = "types";

export const pascalCase = (text: string): string =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter((s) => s !== "")
    .map((s) => (s[0] as string).toUpperCase() + s.slice(1))
    .join("");

/** The generated list of every topic descriptor, for `ensureTopics(config, allTopics)`. */
export const allTopicsName = "allTopics";

/** Names a generated module declares or imports, which named types must not take. */
const reservedSuffixes = ["Init", "Event"];

/** Global names generated type expressions use; a named type may not shadow them. */
export const reservedTypeNames: readonly string[] = [
  "Array",
  "BigInt",
  "Boolean",
  "Buffer",
  "Date",
  "Error",
  "Map",
  "Number",
  "Object",
  "Partial",
  "Pick",
  "Promise",
  "Record",
  "Set",
  "String",
  "Symbol",
  "Uint8Array",
];

/** Named types reachable from `root` (not `root`), stopping at types in `stop`. */
function collectNamed(root: AvroNode, stop: ReadonlySet<AvroNode> = new Set()): NamedNode[] {
  const out: NamedNode[] = [];
  const seen = new Set<AvroNode>();
  const visit = (node: AvroNode): void => {
    if (seen.has(node) || stop.has(node)) return;
    seen.add(node);
    switch (node.kind) {
      case "record":
        if (node !== root) out.push(node);
        for (const f of node.fields) visit(f.type);
        return;
      case "enum":
      case "fixed":
        out.push(node);
        return;
      case "array":
        visit(node.items);
        return;
      case "map":
        visit(node.values);
        return;
      case "union":
        for (const b of node.branches) visit(b);
        return;
      default:
        return;
    }
  };
  visit(root);
  return out;
}

/** Fixed point: a record needs an `Init` variant if a field has a default or its type reaches such a record. */
function computeNeedsInit(records: readonly RecordNode[], known: ReadonlySet<RecordNode> = new Set()): Set<RecordNode> {
  const needs = new Set<RecordNode>(known);
  const reaches = (node: AvroNode): boolean => {
    switch (node.kind) {
      case "record":
        return needs.has(node);
      case "array":
        return reaches(node.items);
      case "map":
        return reaches(node.values);
      case "union":
        return node.branches.some(reaches);
      default:
        return false;
    }
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const r of records) {
      if (!needs.has(r) && r.fields.some((f) => f.hasDefault || reaches(f.type))) {
        needs.add(r);
        changed = true;
      }
    }
  }
  return needs;
}

/** Gives each named type a TypeScript name not in `used` (nor `<name>Init` for records); adds them to `used`. */
function nameTypes(nodes: readonly NamedNode[], used: Set<string>, typeNames: Map<AvroNode, string>): void {
  for (const node of nodes) {
    let candidate = pascalCase(node.simpleName);
    if (used.has(candidate) || reservedSuffixes.some((s) => used.has(candidate + s) || candidate.endsWith(s))) {
      candidate = pascalCase(node.name);
    }
    let unique = candidate;
    for (let i = 2; used.has(unique) || (node.kind === "record" && used.has(`${unique}Init`)); i++)
      unique = `${candidate}${i}`;
    used.add(unique);
    if (node.kind === "record") used.add(`${unique}Init`);
    typeNames.set(node, unique);
  }
}

const noShared: SharedModel = {
  module: SHARED_MODULE,
  files: [],
  namedTypes: [],
  typeNames: new Map(),
  needsInit: new Set(),
};

export function buildEventModel(
  event: LoadedProject["events"][number],
  taken: ReadonlySet<string>,
  shared: SharedModel = noShared,
  origins: ReadonlyMap<string, { readonly file: string }> = new Map(),
  /** Per topic, the event types the manifest puts on it. */
  onTopic: ReadonlyMap<string, readonly string[]> = new Map(),
): EventModel {
  const current = event.versions.at(-1);
  if (current?.parsed.root.kind !== "record") throw new Error(`event ${event.type} has no record schema`);
  const root = current.parsed.root as RecordNode;
  const sharedNodes = new Set<AvroNode>(shared.typeNames.keys());
  const namedTypes = collectNamed(root, sharedNodes).filter((n) => !isLogicalFixed(n, current.parsed.named));
  const typeNames = new Map<AvroNode, string>([...shared.typeNames, [root, event.name]]);
  const used = new Set<string>([...taken, event.name, `${event.name}Init`, `${event.name}Event`]);
  nameTypes(namedTypes, used, typeNames);
  const records = [root, ...namedTypes.filter((n): n is RecordNode => n.kind === "record")];
  const sharedFiles = new Set<string>();
  for (const v of event.versions) {
    for (const name of v.sharedTypes) {
      const origin = origins.get(name);
      if (origin) sharedFiles.add(origin.file);
    }
  }
  return {
    type: event.type,
    name: event.name,
    topic: event.topic,
    keyField: event.keyField,
    format: event.format,
    compatibility: event.compatibility,
    dlqTopic: event.dlqTopic,
    partitioner: event.partitioner,
    topicEvents: onTopic.get(event.topic) ?? [event.type],
    doc: event.doc,
    module: event.type,
    versions: event.versions.map((v) => ({
      version: v.version,
      file: v.file,
      schema: v.expanded,
      references: v.sharedTypes,
    })),
    sharedFiles: [...sharedFiles].sort(),
    root,
    namedTypes,
    typeNames,
    shared: sharedNodes,
    needsInit: computeNeedsInit(records, shared.needsInit),
  };
}

/** A fixed carrying a valid logical type (decimal) is represented by the logical type, not its own alias. */
function isLogicalFixed(node: NamedNode, named: ReadonlyMap<string, NamedNode | LogicalNode>): boolean {
  return node.kind === "fixed" && named.get(node.name)?.kind === "logical";
}

/** Names the generated code imports from the runtime; named types must not collide with them. */
export function buildProjectModel(project: LoadedProject, runtimeNames: readonly string[]): ProjectModel {
  const taken = new Set([...runtimeNames, ...reservedTypeNames]);
  const shared = buildSharedModel(project, taken);
  for (const name of shared?.typeNames.values() ?? []) taken.add(name).add(`${name}Init`);
  const onTopic = new Map(project.topics.map((t) => [t.name, [...t.events].sort()]));
  const events = project.events.map((e) => buildEventModel(e, taken, shared, project.shared.origins, onTopic));
  const byType = new Map(events.map((e) => [e.type, e]));
  const topicNames = new Set<string>();
  const topics: TopicModel[] = [];
  for (const t of project.topics) {
    let name = `${pascalCase(t.name)}Topic`;
    for (let i = 2; topicNames.has(name); i++) name = `${pascalCase(t.name)}Topic${i}`;
    topicNames.add(name);
    const topicEvents = t.events.map((type) => byType.get(type)).filter((e): e is EventModel => e !== undefined);
    if (topicEvents.length === 0) continue;
    topics.push({
      topic: t.name,
      name,
      dlqTopic: t.dlqTopic,
      doc: t.doc,
      events: topicEvents,
      partitioner: t.partitioner,
      settings: t.settings,
      dlqSettings: t.dlqSettings,
    });
  }
  return { events, topics, shared };
}

function buildSharedModel(project: LoadedProject, taken: ReadonlySet<string>): SharedModel | undefined {
  const { nodes } = project.shared;
  if (nodes.size === 0) return undefined;
  const namedTypes = [...nodes.values()].filter(
    (n): n is NamedNode => n.kind !== "logical" && !isLogicalFixed(n, nodes),
  );
  const typeNames = new Map<AvroNode, string>();
  nameTypes(namedTypes, new Set(taken), typeNames);
  return {
    module: SHARED_MODULE,
    files: project.shared.files,
    namedTypes,
    typeNames,
    needsInit: computeNeedsInit(namedTypes.filter((n): n is RecordNode => n.kind === "record")),
  };
}

/** Names exported by the generated index, with who defines them; more than one owner is a clash. */
export function exportedNames(model: ProjectModel): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  const add = (name: string, owner: string) => owners.set(name, [...(owners.get(name) ?? []), owner]);
  for (const e of model.events) {
    for (const n of [e.name, `${e.name}Init`, `${e.name}Event`, `on${e.name}`, `publish${e.name}`])
      add(n, `event "${e.type}"`);
  }
  for (const t of model.topics) for (const n of [t.name, `${t.name}Event`, `on${t.name}`]) add(n, `topic "${t.topic}"`);
  for (const node of model.shared?.namedTypes ?? []) {
    const name = model.shared?.typeNames.get(node) as string;
    add(name, `shared type "${node.name}"`);
    if (node.kind === "record" && model.shared?.needsInit.has(node)) add(`${name}Init`, `shared type "${node.name}"`);
  }
  return owners;
}
