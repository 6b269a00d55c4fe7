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
import { checkAgainst, type VersionedSchema } from "./levels.ts";
import { place } from "./locate.ts";
import type { CheckedEvent, Project, SharedTypeSource } from "./project.ts";
import type { RegistryClient } from "./registry-client.ts";
import type { CheckResult, PlacedFinding, Problem } from "./result.ts";
import { canonical, parseSchema } from "./schema.ts";
import { subjectFor } from "./subjects.ts";

/** Registered versions of a subject, numbered by the local version whose schema they equal when one does. */
async function registered(client: RegistryClient, subject: string, event: CheckedEvent, versions: number[]) {
  const local = new Map(event.versions.map((v) => [canonical(v.text), v.version]));
  const out: VersionedSchema[] = [];
  const unmatched: number[] = [];
  for (const n of versions) {
    const { schema } = await client.schema(subject, n);
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
  const same = await client.lookup(subject, latest.text);
  if (same) {
    result.notes.push(`${event.type} v${latest.version} is already registered as ${subject} version ${same.version}`);
    return;
  }
  const verdict = await client.compatible(subject, latest.text, level?.endsWith("_TRANSITIVE") ?? false);
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
  if (!verdict && findings.length === 0) {
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
  problems: Problem[];
  notes: string[];
}

export async function checkRegistry(project: Project, client: RegistryClient): Promise<CheckResult> {
  const result: Mutable = { pairs: 0, findings: [], problems: [], notes: [] };
  for (const event of project.events) await checkEvent(client, event, result, project.shared);
  return { mode: "registry", events: project.events.length, ...result };
}

/** Registers every version of every event, oldest first; versions already registered are skipped. */
export async function registerAll(project: Project, client: RegistryClient): Promise<CheckResult> {
  const result: Mutable = { pairs: 0, findings: [], problems: [], notes: [] };
  for (const event of project.events) {
    const subject = subjectFor(event);
    await client.setLevel(subject, event.compatibility);
    for (const v of event.versions) {
      const same = await client.lookup(subject, v.text);
      if (same) {
        result.notes.push(`${event.type} v${v.version}: already ${subject} version ${same.version} (id ${same.id})`);
        continue;
      }
      const answer = await client.register(subject, v.text);
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
