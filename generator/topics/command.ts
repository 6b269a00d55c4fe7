/**
 * `skeji-gen topics plan` and `skeji-gen topics apply`: the manifest's topics (DLQ topics included)
 * against a cluster, through the runtime's `planTopics()` / `ensureTopics()`. The broker connection
 * comes from the same variables a service reads (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_SSL_*, ...).
 *
 * Exit codes:
 * - plan: 0 the cluster matches the manifest; 1 something to create, drift, or a topic that cannot
 *   be created; 2 the command could not run (usage, manifest problems, configuration, connection).
 * - apply: 0 every topic exists as described (created now or before); 1 drift remains (reported,
 *   never changed) or a topic could not be created; 2 as for plan.
 */
import type { ClientConfig } from "@skeji/kafka";
import { Command, Option } from "commander";
import { type CommandIo, type CommonOptions, locate, withUsageExit } from "../check/command.ts";
import { isCheckError, optionError } from "../check/errors.ts";
import { data, type Format, formats } from "../check/report.ts";
import { annotationPaths } from "../check/repository-root.ts";
import { type ManifestTopics, readManifestTopics } from "./manifest.ts";
import { format, inSync, type TopicsMode } from "./report.ts";

/** Environment variables, as `process.env` holds them. */
type Env = Readonly<Record<string, string | undefined>>;

const processIo: CommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

interface TopicsOptions extends CommonOptions {
  readonly capReplicationFactor?: boolean;
  readonly timeout?: string;
}

const isCoded = (e: unknown): e is Error & { code: string } =>
  e instanceof Error && typeof (e as { code?: unknown }).code === "string";

function fail(io: CommandIo, as: Format, message: string, code: number): never {
  io.err(as === "github" ? `::error::${data(message)}\n` : `skeji-gen: ${message}\n`);
  return io.exit(code);
}

async function run(io: CommandIo, env: Env, mode: TopicsMode, self: Command, opts: TopicsOptions): Promise<void> {
  let manifest: ManifestTopics;
  let timeoutMs: number | undefined;
  // The runtime is loaded here, not at start: generating code never needs kafkajs.
  let kafka: typeof import("@skeji/kafka");
  try {
    if (opts.timeout !== undefined) {
      timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        throw optionError("--timeout", `"${opts.timeout}" is not a positive whole number of milliseconds`);
      }
    }
    const { schemasDir, manifestPath } = locate(self, opts);
    manifest = readManifestTopics(schemasDir, manifestPath);
    kafka = await import("@skeji/kafka");
  } catch (e) {
    return fail(io, opts.format, isCheckError(e) ? e.message : String(e), 2);
  }
  const topics = manifest.topics.map((t) =>
    kafka.defineTopic({
      topic: t.topic,
      dlqTopic: t.dlqTopic,
      settings: t.settings,
      dlqSettings: t.dlqSettings,
      events: [],
    }),
  );
  const options = {
    logger: kafka.silentLogger,
    capReplicationFactor: opts.capReplicationFactor === true,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  try {
    const config = kafka.clientConfigFromEnv(env);
    const sources = [...topics, ...schemaTopic(config, manifest, kafka.schemaTopicSettings)];
    const plan =
      mode === "plan"
        ? await kafka.planTopics(config, sources, options)
        : await kafka.ensureTopics(config, sources, options);
    io.out(format(plan, mode, opts.format, manifest, annotationPaths(process.cwd(), env.GITHUB_WORKSPACE)));
    return io.exit(inSync(plan) ? 0 : 1);
  } catch (e) {
    if (isCoded(e) && e.code === "TOPIC_CREATE_FAILED") return fail(io, opts.format, e.message, 1);
    if (isCoded(e)) return fail(io, opts.format, e.message, 2);
    throw e;
  }
}

/**
 * Without a schema registry, producers put each writer schema on the schema topic before its first
 * record (`_skeji-schemas`, `KAFKA_SCHEMA_TOPIC`; `none` turns it off). It is planned and created
 * with the manifest's topics, so a cluster where producers may not create topics has it too: one
 * partition, compacted, with the highest replication factor the manifest asks of any topic.
 */
function schemaTopic(
  config: ClientConfig,
  manifest: ManifestTopics,
  settings: { readonly partitions: number; readonly config: Readonly<Record<string, string>> },
): { topic: string; partitions: number; replicationFactor?: number; config: Record<string, string> }[] {
  if (config.schemaRegistry !== undefined || config.schemaTopic === false || config.schemaTopic === undefined) {
    return [];
  }
  const factors = manifest.topics.flatMap((t) => [t.settings.replicationFactor, t.dlqSettings?.replicationFactor]);
  const replicationFactor = Math.max(0, ...factors.filter((f): f is number => f !== undefined));
  return [
    {
      topic: config.schemaTopic.topic,
      partitions: settings.partitions,
      ...(replicationFactor > 0 ? { replicationFactor } : {}),
      config: { ...settings.config },
    },
  ];
}

function subcommand(io: CommandIo, env: Env, mode: TopicsMode): Command {
  const cmd = new Command(mode)
    .description(
      mode === "plan"
        ? "show how the cluster differs from the manifest: topics to create, in sync, drifted (changes nothing)"
        : "create the manifest's missing topics and DLQ topics; report drift (never deletes, shrinks or reconfigures)",
    )
    .addOption(new Option("--schemas <dir>", "the schemas folder").default("schemas"))
    .addOption(new Option("--manifest <file>", "the manifest (default: <schemas>/manifest.json)"))
    .addOption(
      new Option("--format <format>", "how to report: text, json or github (workflow annotations)")
        .choices(formats)
        .default("text"),
    )
    .option(
      "--cap-replication-factor",
      "lower a replication factor above the broker count to the broker count (a local one-broker cluster)",
    );
  if (mode === "apply") {
    cmd.option("--timeout <ms>", "how long creating a topic and waiting for its leaders may take", "30000");
  }
  cmd.action((opts: TopicsOptions, self: Command) => run(io, env, mode, self, opts));
  return withUsageExit(cmd, io);
}

export function topicsCommand(io: CommandIo = processIo, env: Env = process.env): Command {
  const cmd = new Command("topics")
    .description("create the manifest's topics on a cluster (broker from KAFKA_BROKERS, as services read it)")
    .addCommand(subcommand(io, env, "plan"))
    .addCommand(subcommand(io, env, "apply"));
  return withUsageExit(cmd, io);
}
