/**
 * Registry mode (`--registry URL`) and `skeji-gen register`.
 *
 * check: each event's latest version is tested against its subject by the registry's own
 * compatibility API, at the level the registry applies to the subject. The registry answers only yes or no, so the registered versions are also
 * fetched and compared by the local rules at the manifest's level, which says where and why.
 * Either saying "incompatible" fails the check: the registry may apply another level than the
 * manifest (Apicurio's global default is NONE, which accepts everything).
 *
 * register: sets each subject's level from the manifest, then registers the versions in order.
 */
import { expandReferences, sharedTypeSubject, splitReferences } from "@skeji/kafka/codegen";
import { type Change, changeOf, checkAgainst, type VersionedSchema } from "./levels.ts";
import { place } from "./locate.ts";
import type { CheckedEvent, CheckedVersion, Project, SharedTypeSource } from "./project.ts";
import type { Reference, RegistryClient } from "./registry-client.ts";
import type { CheckResult, PlacedFinding, Problem } from "./result.ts";
import { canonical, parseSchema } from "./schema.ts";
import { subjectFor } from "./subjects.ts";

/**
 * What is registered for a version: the file as written, or, when it uses shared types, the schema
 * with each shared type as a reference (the same text the runtime's Confluent format registers).
 */
function registeredForm(v: CheckedVersion): { text: string; split: ReturnType<typeof splitReferences> | undefined } {
  if (v.sharedTypes.length === 0) return { text: v.text, split: undefined };
  const split = splitReferences(v.expanded, new Set(v.sharedTypes));
  return { text: JSON.stringify(split.schema), split };
}

/**
 * The references of a version's registered form: each shared type registered (when `register`)
 * or looked up under its own subject, dependencies first. Undefined when one is not registered.
 */
async function referencesFor(
  client: RegistryClient,
  split: ReturnType<typeof splitReferences>,
  register: boolean,
): Promise<Reference[] | { refused: string }> {
  const versions = new Map<string, number>();
  const refs = (names: readonly string[]): Reference[] =>
    names.map((name) => ({ name, subject: sharedTypeSubject(name), version: versions.get(name) as number }));
  for (const type of split.types) {
    const subject = sharedTypeSubject(type.name);
    const text = JSON.stringify(type.schema);
    let found = await client.lookup(subject, text, refs(type.references));
    if (found === undefined && register) {
      const answer = await client.register(subject, text, refs(type.references));
      if ("refused" in answer) return { refused: `shared type ${type.name} under ${subject}: ${answer.refused}` };
      found = await client.lookup(subject, text, refs(type.references));
    }
    if (found === undefined) return { refused: `shared type ${type.name} is not registered under ${subject}` };
    versions.set(type.name, found.version);
  }
  return refs(split.references);
}

/** A registered schema with the shared types it references expanded into it, as JSON text. */
async function expandedText(client: RegistryClient, schema: string, references: readonly Reference[]): Promise<string> {
  if (references.length === 0) return schema;
  const types = new Map<string, unknown>();
  const fetchAll = async (refs: readonly Reference[]): Promise<void> => {
    for (const ref of refs) {
      if (types.has(ref.name)) continue;
      const got = await client.schema(ref.subject, ref.version);
      types.set(ref.name, JSON.parse(got.schema));
      await fetchAll(got.references);
    }
  };
  await fetchAll(references);
  return JSON.stringify(expandReferences(JSON.parse(schema), types as Map<string, never>));
}

/** Registered versions of a subject, numbered by the local version whose schema they equal when one does. */
async function registered(client: RegistryClient, subject: string, event: CheckedEvent, versions: number[]) {
  const local = new Map(event.versions.map((v) => [canonical(JSON.stringify(v.expanded)), v.version]));
  const out: VersionedSchema[] = [];
  const unmatched: number[] = [];
  for (const n of versions) {
    const answer = await client.schema(subject, n);
    const schema = await expandedText(client, answer.schema, answer.references);
    const version = local.get(canonical(schema));
    if (version === undefined) unmatched.push(n);
    out.push({ version: version ?? n, schema: parseSchema(schema, `${subject} version ${n}`) });
  }
  return { schemas: out, unmatched };
}

async function checkEvent(
  client: RegistryClient,
  event: CheckedEvent,
  result: Mutable,
  shared: ReadonlyMap<string, SharedTypeSource> | undefined,
): Promise<void> {
  const subject = subjectFor(event);
  const latest = event.versions.at(-1);
  if (!latest) return;
  const versions = await client.versions(subject);
  if (!versions || versions.length === 0) {
    result.notes.push(`${event.type}: subject ${subject} is not registered yet; nothing to check against`);
    return;
  }
  const level = await client.level(subject);
  if (level !== event.compatibility) {
    result.notes.push(
      `${event.type}: the registry applies ${level ?? "an unknown level"} to ${subject}, the manifest says ${event.compatibility}; \`skeji-gen register\` sets it`,
    );
  }
  const form = registeredForm(latest);
  const refs = form.split === undefined ? [] : await referencesFor(client, form.split, false);
  const same = Array.isArray(refs) ? await client.lookup(subject, form.text, refs) : undefined;
  if (same) {
    result.notes.push(`${event.type} v${latest.version} is already registered as ${subject} version ${same.version}`);
    return;
  }
  // With references the registry's rule runs on the expanded schema when the shared types are not
  // registered yet; Apicurio cannot judge schemas with references at all (see compatible()).
  const verdict = Array.isArray(refs)
    ? await client.compatible(subject, form.text, level?.endsWith("_TRANSITIVE") ?? false, refs)
    : await client.compatible(subject, JSON.stringify(latest.expanded), level?.endsWith("_TRANSITIVE") ?? false);
  if (verdict === "cannot judge") {
    result.notes.push(
      `${event.type}: the registry could not judge v${latest.version} against ${subject} (its compatibility API does not resolve schema references); judged by the local rules alone`,
    );
  }
  const { schemas, unmatched } = await registered(client, subject, event, versions);
  if (unmatched.length > 0) {
    result.notes.push(
      `${event.type}: ${subject} versions ${unmatched.join(", ")} match no file in schemas/ (numbered by subject version below)`,
    );
  }
  const earlier = schemas.filter((s) => s.version < latest.version);
  const findings = checkAgainst(event.type, event.compatibility, latest, earlier);
  result.pairs += event.compatibility.endsWith("_TRANSITIVE") ? earlier.length : Math.min(1, earlier.length);
  result.findings.push(...place(findings, latest, shared));
  const change =
    event.compatibility === "NONE" ? undefined : changeOf(event.type, event.compatibility, latest, earlier);
  if (change !== undefined) result.changes.push(change);
  if (verdict === false && findings.length === 0) {
    result.problems.push({
      rule: "registry-incompatible",
      event: event.type,
      version: latest.version,
      file: latest.file,
      line: 1,
      message: `the registry rejects ${event.type} v${latest.version} for ${subject} at its level ${level ?? "(unknown)"}`,
      hint: `the local rules at ${event.compatibility} found nothing: align the registry's level with the manifest (\`skeji-gen register\`), or check the registered versions`,
    });
  }
}

interface Mutable {
  pairs: number;
  findings: PlacedFinding[];
  changes: Change[];
  problems: Problem[];
  notes: string[];
}

export async function checkRegistry(project: Project, client: RegistryClient): Promise<CheckResult> {
  const result: Mutable = { pairs: 0, findings: [], changes: [], problems: [], notes: [] };
  for (const event of project.events) await checkEvent(client, event, result, project.shared);
  return { mode: "registry", events: project.events.length, ...result };
}

/** Registers every version of every event, oldest first; versions already registered are skipped. */
export async function registerAll(project: Project, client: RegistryClient): Promise<CheckResult> {
  const result: Mutable = { pairs: 0, findings: [], changes: [], problems: [], notes: [] };
  for (const event of project.events) {
    const subject = subjectFor(event);
    await client.setLevel(subject, event.compatibility);
    for (const v of event.versions) {
      const form = registeredForm(v);
      const refs = form.split === undefined ? [] : await referencesFor(client, form.split, true);
      if (!Array.isArray(refs)) {
        result.problems.push({
          rule: "registry-rejected",
          event: event.type,
          version: v.version,
          file: v.file,
          line: 1,
          message: `the registry refused ${refs.refused}`,
          hint: `a shared type changed incompatibly with its registered versions; keep its published shape`,
        });
        break;
      }
      const same = await client.lookup(subject, form.text, refs);
      if (same) {
        result.notes.push(`${event.type} v${v.version}: already ${subject} version ${same.version} (id ${same.id})`);
        continue;
      }
      const answer = await client.register(subject, form.text, refs);
      if ("refused" in answer) {
        result.problems.push({
          rule: "registry-rejected",
          event: event.type,
          version: v.version,
          file: v.file,
          line: 1,
          message: `the registry refused ${event.type} v${v.version} under ${subject}: ${answer.refused}`,
          hint: `run \`skeji-gen check --registry ${client.url}\` for the fields at fault`,
        });
        break;
      }
      result.pairs++;
      result.notes.push(`${event.type} v${v.version}: registered as ${subject} (id ${answer.id})`);
    }
  }
  return { mode: "register", events: project.events.length, ...result };
}
