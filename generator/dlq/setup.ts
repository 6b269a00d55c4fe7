/**
 * What `dlq inspect` and `dlq replay` share: the options, the plan of what to read and select,
 * the cluster and registry from the environment, and decoding with the project's schemas.
 */
import type { ClientConfig, RawRecord, ValueDecoder } from "@skeji/kafka";
import type { Command } from "commander";
import { type CommonOptions, locate } from "../check/command.ts";
import { isCheckError, optionError } from "../check/errors.ts";
import type { DeadLetter } from "./dead-letter.ts";
import { type Filters, parseTime } from "./filters.ts";
import type { Decoding } from "./format.ts";
import { type DlqProject, loadDlqProject } from "./project.ts";
import { type OffsetSpec, parseOffsets, type Start } from "./read.ts";

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;
export type Runtime = typeof import("@skeji/kafka");

export interface DlqOptions extends Omit<CommonOptions, "format"> {
  readonly registry?: string | true;
  readonly fromOffset?: string;
  readonly fromTime?: string;
  readonly toOffset?: string;
  readonly toTime?: string;
  readonly limit?: string;
  readonly eventType?: string[];
  readonly errorCode?: string[];
  readonly errorContains?: string;
  readonly originalTopic?: string[];
  readonly key?: string[];
  // inspect
  readonly follow?: boolean;
  readonly format?: "text" | "json";
  // replay
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly group?: string;
}

/** What a run reads and selects, from the options. */
export interface Plan {
  readonly topic: string;
  readonly start: Start;
  readonly until: OffsetSpec | undefined;
  readonly filters: Filters;
  readonly limit: number | undefined;
}

const setOf = (values: string[] | undefined): ReadonlySet<string> | undefined =>
  values === undefined || values.length === 0 ? undefined : new Set(values);

function offsets(name: string, text: string | undefined): OffsetSpec | undefined {
  if (text === undefined) return undefined;
  const spec = parseOffsets(text);
  if ("problem" in spec) throw optionError(name, spec.problem);
  return spec;
}

function time(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseTime(text);
  if (ms === undefined) {
    throw optionError(name, `"${text}" is not an RFC 3339 date-time (2025-11-18T15:00:00Z) or milliseconds`);
  }
  return ms;
}

function plan(opts: DlqOptions, topicArg: string | undefined, project: DlqProject, env: Env): Plan {
  if (opts.fromOffset !== undefined && opts.fromTime !== undefined) {
    throw optionError("--from-offset", "give --from-offset or --from-time, not both");
  }
  const fromOffsets = offsets("--from-offset", opts.fromOffset);
  const fromTime = time("--from-time", opts.fromTime);
  let limit: number | undefined;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit <= 0) {
      throw optionError("--limit", `"${opts.limit}" is not a positive whole number`);
    }
  }
  const fromEnv = env.KAFKA_CONSUMER_DLQ_TOPIC?.trim();
  const topic = topicArg ?? (fromEnv === undefined || fromEnv === "" ? onlyDlqTopic(project) : fromEnv);
  const start: Start =
    fromOffsets !== undefined
      ? { from: "offsets", offsets: fromOffsets }
      : fromTime !== undefined
        ? { from: "time", at: fromTime }
        : { from: "beginning" };
  return {
    topic,
    start,
    until: offsets("--to-offset", opts.toOffset),
    limit,
    filters: {
      eventTypes: setOf(opts.eventType),
      errorCodes: setOf(opts.errorCode),
      errorContains: opts.errorContains,
      originalTopics: setOf(opts.originalTopic),
      keys: setOf(opts.key),
      fromTime,
      toTime: time("--to-time", opts.toTime),
    },
  };
}

function onlyDlqTopic(project: DlqProject): string {
  const [only, ...others] = project.dlqTopics;
  if (only !== undefined && others.length === 0) return only;
  throw optionError(
    "topic",
    only === undefined
      ? "name the DLQ topic to read (the manifest declares none, and KAFKA_CONSUMER_DLQ_TOPIC is not set)"
      : `name the DLQ topic to read: the manifest declares ${project.dlqTopics.length} (${project.dlqTopics.join(", ")})`,
  );
}

/** The cluster config from the environment, with `--registry` over SCHEMA_REGISTRY_URL. */
function clientConfig(kafka: Runtime, env: Env, registry: string | true | undefined): ClientConfig {
  if (registry === true && (env.SCHEMA_REGISTRY_URL ?? "").trim() === "") {
    throw optionError("--registry", "no URL given and SCHEMA_REGISTRY_URL is not set");
  }
  return kafka.clientConfigFromEnv(typeof registry === "string" ? { ...env, SCHEMA_REGISTRY_URL: registry } : env);
}

/** Decodes with the project's events; writer schemas newer than the schemas come from the registry or the schema topic. */
function decoderFor(kafka: Runtime, config: ClientConfig, project: DlqProject) {
  const st = config.schemaTopic;
  const schemas =
    config.schemaRegistry !== undefined || st === false || st === undefined
      ? undefined
      : kafka.schemaTopicStore(config, { topic: st.topic, create: false, logger: kafka.silentLogger });
  return kafka.valueDecoder([...project.topics, ...project.events], { registry: config.schemaRegistry, schemas });
}

export async function decode(kafka: Runtime, decoder: ValueDecoder<never>, d: DeadLetter): Promise<Decoding> {
  const record: RawRecord = { topic: d.topic, value: d.value, headers: d.rawHeaders };
  try {
    const r: { type: string; version: number; payload: unknown } = await decoder.decode(record);
    return { ok: true, type: r.type, version: r.version, payload: r.payload };
  } catch (e) {
    return {
      ok: false,
      code: kafka.isSkejiError(e) ? e.code : e instanceof Error ? e.name : "ERROR",
      reason: e instanceof Error ? e.message : String(e),
    };
  }
}

/** Everything a run needs, or the reason it cannot start (exit 2). */
export async function prepare(self: Command, opts: DlqOptions, topicArg: string | undefined, env: Env) {
  const { schemasDir, manifestPath } = locate(self, { ...opts, format: "text" });
  // The runtime and kafkajs are loaded here, not at start: generating code never needs them.
  const kafka = await import("@skeji/kafka");
  const { Kafka } = await import("kafkajs");
  const project = loadDlqProject(kafka, schemasDir, manifestPath);
  const p = plan(opts, topicArg, project, env);
  const config = clientConfig(kafka, env, opts.registry);
  const client = new Kafka({ ...kafka.kafkajsConfig(config, kafka.silentLogger), retry: { retries: 2 } });
  return {
    kafka,
    project,
    plan: p,
    config,
    client,
    decoder: decoderFor(kafka, config, project) as ValueDecoder<never>,
  };
}

export const where = (d: DeadLetter) => `${d.topic} ${d.partition}:${d.offset}`;
export const message = (e: unknown) => (isCheckError(e) || e instanceof Error ? e.message : String(e));
