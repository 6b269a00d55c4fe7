/**
 * `skeji-gen dlq inspect` and `skeji-gen dlq replay`: dead letters decoded with the project's
 * schemas, and sent back to the topic they came from. The cluster (and registry) come from the
 * same variables a service reads (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_SSL_*, SCHEMA_REGISTRY_URL, ...).
 * Reading commits nothing and joins no group of the service's (read.ts).
 *
 * Exit codes: inspect 0 (records shown, decoded or not); replay 0 when every selected record was
 * replayed, 1 when one was skipped (nowhere to send it, truncated) or a send failed (the replay
 * stops there and says how to resume); 2 the command could not run (usage, schemas, connection).
 */
import type { ClientConfig, RawRecord, ValueDecoder } from "@skeji/kafka";
import { Command, Option } from "commander";
import { Kafka } from "kafkajs";
import { type CommandIo, type CommonOptions, locate, withUsageExit } from "../check/command.ts";
import { isCheckError, optionError } from "../check/errors.ts";
import { type DeadLetter, replayHeaders } from "./dead-letter.ts";
import { type Filters, parseTime, selects } from "./filters.ts";
import { type Decoding, jsonLine, textBlock } from "./format.ts";
import { type DlqProject, loadDlqProject } from "./project.ts";
import { formatOffsets, type OffsetSpec, parseOffsets, readDeadLetters, type Start } from "./read.ts";

/** Environment variables, as `process.env` holds them. */
type Env = Readonly<Record<string, string | undefined>>;
type Runtime = typeof import("@skeji/kafka");

const processIo: CommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

interface DlqOptions extends Omit<CommonOptions, "format"> {
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
}

/** What a run reads and selects, from the options. */
interface Plan {
  readonly topic: string;
  readonly start: Start;
  readonly until: OffsetSpec | undefined;
  readonly filters: Filters;
  readonly limit: number | undefined;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
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
  const topic = topicArg ?? env.KAFKA_CONSUMER_DLQ_TOPIC?.trim() ?? onlyDlqTopic(project);
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

async function decode(kafka: Runtime, decoder: ValueDecoder<never>, d: DeadLetter): Promise<Decoding> {
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
async function prepare(self: Command, opts: DlqOptions, topicArg: string | undefined, env: Env) {
  const { schemasDir, manifestPath } = locate(self, { ...opts, format: "text" });
  // The runtime is loaded here, not at start: generating code never needs kafkajs.
  const kafka = await import("@skeji/kafka");
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

const where = (d: DeadLetter) => `${d.topic} ${d.partition}:${d.offset}`;
const message = (e: unknown) => (isCheckError(e) || e instanceof Error ? e.message : String(e));

async function inspect(
  io: CommandIo,
  env: Env,
  signal: AbortSignal,
  topicArg: string | undefined,
  opts: DlqOptions,
  self: Command,
) {
  let run: Awaited<ReturnType<typeof prepare>>;
  try {
    run = await prepare(self, opts, topicArg, env);
  } catch (e) {
    io.err(`skeji-gen: ${message(e)}\n`);
    return io.exit(2);
  }
  const { kafka, plan: p, client, decoder } = run;
  const json = opts.format === "json";
  let shown = 0;
  let undecoded = 0;
  let notSelected = 0;
  let next: ReadonlyMap<number, bigint>;
  try {
    ({ next } = await readDeadLetters(
      client,
      {
        topic: p.topic,
        start: p.start,
        until: p.until,
        follow: opts.follow,
        signal,
        parseRetryCount: kafka.parseRetryCount,
      },
      async (d) => {
        const decoding = await decode(kafka, decoder, d);
        if (!selects(p.filters, d, d.eventType ?? (decoding.ok ? decoding.type : undefined))) {
          notSelected++;
          return true;
        }
        shown++;
        if (!decoding.ok) undecoded++;
        io.out(json ? `${jsonLine(d, decoding)}\n` : `${shown > 1 ? "\n" : ""}${textBlock(d, decoding)}\n`);
        return p.limit === undefined || shown < p.limit;
      },
    ));
  } catch (e) {
    io.err(`skeji-gen: reading ${p.topic}: ${message(e)}\n`);
    return io.exit(2);
  } finally {
    await decoder.close().catch(() => {});
  }
  const summary = `dlq inspect: ${shown} record${shown === 1 ? "" : "s"} of ${p.topic} shown (${undecoded} not decoded), ${notSelected} not selected by the filters; to continue after them: --from-offset ${formatOffsets(next)}\n`;
  if (json) io.err(summary);
  else io.out(`${shown > 0 ? "\n" : ""}${summary}`);
  return io.exit(0);
}

async function replay(
  io: CommandIo,
  env: Env,
  signal: AbortSignal,
  topicArg: string | undefined,
  opts: DlqOptions,
  self: Command,
) {
  let run: Awaited<ReturnType<typeof prepare>>;
  try {
    run = await prepare(self, opts, topicArg, env);
  } catch (e) {
    io.err(`skeji-gen: ${message(e)}\n`);
    return io.exit(2);
  }
  const { kafka, project, plan: p, config, client, decoder } = run;
  let producer: ReturnType<Runtime["createProducer"]>;
  try {
    producer = replayProducer(kafka, project, p.topic, config, env);
  } catch (e) {
    io.err(`skeji-gen: ${message(e)}\n`);
    return io.exit(2);
  }
  const dry = opts.dryRun === true;
  let replayed = 0;
  let skipped = 0;
  let notSelected = 0;
  let failed: { d: DeadLetter; error: unknown } | undefined;
  let next: ReadonlyMap<number, bigint> = new Map();
  try {
    ({ next } = await readDeadLetters(
      client,
      { topic: p.topic, start: p.start, until: p.until, signal, parseRetryCount: kafka.parseRetryCount },
      async (d) => {
        const decoding = await decode(kafka, decoder, d);
        const type = d.eventType ?? (decoding.ok ? decoding.type : undefined);
        if (!selects(p.filters, d, type)) {
          notSelected++;
          return true;
        }
        const target = opts.to ?? d.original.topic;
        const why =
          target === undefined
            ? "no original-topic header (name the topic with --to)"
            : d.truncated !== undefined
              ? `truncated when dead-lettered (dlq-truncated ${d.truncated}); not replayable as it is`
              : undefined;
        if (why !== undefined) {
          skipped++;
          io.out(`skipped       ${where(d)}: ${why}\n`);
          return p.limit === undefined || replayed + skipped < p.limit;
        }
        const what = `${type ?? "(event type unknown)"}  key ${d.key === null ? "(none)" : JSON.stringify(d.key.toString("utf8"))}  retry-count ${d.retryCount} -> ${d.retryCount + 1}`;
        if (dry) {
          replayed++;
          io.out(`would replay  ${where(d)} -> ${target}  ${what}\n`);
        } else {
          try {
            const r = await producer.publish({
              topic: target,
              key: d.key ?? undefined,
              value: d.value,
              headers: {},
              rawHeaders: replayHeaders(d),
            });
            replayed++;
            io.out(`replayed      ${where(d)} -> ${target} ${r.partition}:${r.offset}  ${what}\n`);
          } catch (error) {
            failed = { d, error };
            io.out(`failed        ${where(d)} -> ${target}: ${message(error)}\n`);
            return false;
          }
        }
        return p.limit === undefined || replayed + skipped < p.limit;
      },
    ));
  } catch (e) {
    io.err(`skeji-gen: reading ${p.topic}: ${message(e)}\n`);
    io.err(
      `skeji-gen: ${replayed} record${replayed === 1 ? "" : "s"} ${dry ? "would have been" : "were"} replayed before that (listed above); resume after the last one listed with --from-offset <partition>:<offset + 1>\n`,
    );
    return io.exit(2);
  } finally {
    await decoder.close().catch(() => {});
    await producer.close().catch(() => {});
  }
  const resume = new Map(next);
  if (failed !== undefined) resume.set(failed.d.partition, BigInt(failed.d.offset));
  const verb = dry ? "would be replayed" : "replayed";
  io.out(
    `\ndlq replay: ${replayed} ${verb}, ${skipped} skipped, ${notSelected} not selected by the filters (${p.topic})${dry ? "; dry run, nothing was sent" : ""}\n`,
  );
  if (failed !== undefined) {
    const ambiguous = kafka.isSkejiError(failed.error, kafka.ErrorCode.PUBLISH_AMBIGUOUS);
    io.out(
      ambiguous
        ? `stopped at ${where(failed.d)}: the broker may or may not have written it. Nothing after it was sent. Check ${opts.to ?? failed.d.original.topic} for it, then resume with --from-offset ${formatOffsets(resume)} (sends it again) or with its offset + 1 (skips it)\n`
        : `stopped at ${where(failed.d)}: it was not replayed, nor anything after it. Resume with --from-offset ${formatOffsets(resume)}\n`,
    );
    return io.exit(1);
  }
  io.out(
    `${signal.aborted ? "interrupted; the send in flight was finished. " : ""}To continue after the records read: --from-offset ${formatOffsets(resume)}\n`,
  );
  return io.exit(skipped > 0 ? 1 : 0);
}

/**
 * Idempotent, acks=all, one request at a time: a send resolves only once every in-sync replica has
 * the record, and a retried send is not written twice. No DLQ of its own: a failed send stops the
 * replay. Keys are partitioned by each topic's partitioner from the manifest, as new records are.
 */
function replayProducer(kafka: Runtime, project: DlqProject, topic: string, config: ClientConfig, env: Env) {
  return kafka.createProducer(
    {
      ...kafka.producerConfigFromEnv(topic, env),
      ...config,
      requiredAcks: -1,
      idempotent: true,
      async: false,
      batchTimeoutMs: 0,
      dlqTopic: undefined,
      allowAutoTopicCreation: false,
    },
    { topics: project.topics, logger: kafka.silentLogger },
  );
}

function withReadOptions(cmd: Command): Command {
  return cmd
    .argument("[topic]", "the DLQ topic (default: KAFKA_CONSUMER_DLQ_TOPIC, else the manifest's only DLQ topic)")
    .addOption(new Option("--schemas <dir>", "the schemas folder").default("schemas"))
    .addOption(new Option("--manifest <file>", "the manifest (default: <schemas>/manifest.json)"))
    .option(
      "--registry [url]",
      "schema registry for Confluent records and newer versions (default: SCHEMA_REGISTRY_URL)",
    )
    .option("--from-beginning", "read from the oldest record (the default)")
    .option("--from-offset <offsets>", "start at an offset: 12 (every partition) or 0:12,1:7")
    .option("--from-time <time>", "start at the first record written at or after an RFC 3339 time (or epoch ms)")
    .option("--to-offset <offsets>", "stop after this offset (inclusive): 12 or 0:12,1:7")
    .option("--to-time <time>", "only records written at or before this time")
    .option("--limit <n>", "stop after n selected records")
    .option("--event-type <type>", "only this event type (repeatable)", collect)
    .option(
      "--error-code <code>",
      "only this error code of dlq-error-type, e.g. DECODE_FAILED (repeatable)",
      collect,
      [],
    )
    .option("--error-contains <text>", "only records whose dlq-error contains this text (case-insensitive)")
    .option("--original-topic <topic>", "only records dead-lettered from this topic (repeatable)", collect)
    .option("--key <key>", "only records with this key (repeatable)", collect);
}

/** Until the command ends, SIGINT and SIGTERM stop it after the record in hand (for a real process). */
function interruptible(given: AbortSignal | undefined): { signal: AbortSignal; done: () => void } {
  if (given !== undefined) return { signal: given, done: () => {} };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    signal: controller.signal,
    done: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

export function dlqCommand(io: CommandIo = processIo, env: Env = process.env, signal?: AbortSignal): Command {
  const action =
    (work: typeof inspect) =>
    async (topic: string | undefined, opts: DlqOptions, self: Command): Promise<void> => {
      const s = interruptible(signal);
      try {
        await work(io, env, s.signal, topic, opts, self);
      } finally {
        s.done();
      }
    };
  const inspectCmd = withReadOptions(
    new Command("inspect").description(
      "show dead letters decoded with the project's schemas: payload, reason, error code, retries, where they came from (commits nothing)",
    ),
  )
    .option("--follow", "keep waiting for new dead letters (Ctrl-C to stop)")
    .addOption(
      new Option("--format <format>", "text, or json (one object per line)").choices(["text", "json"]).default("text"),
    )
    .action(action(inspect));
  const replayCmd = withReadOptions(
    new Command("replay").description(
      "send selected dead letters back to their original topic with their original headers and retry-count + 1",
    ),
  )
    .option("--to <topic>", "send to this topic instead of each record's original-topic")
    .option("--dry-run", "list what would be sent; send nothing")
    .action(action(replay));
  const cmd = new Command("dlq")
    .description("inspect and replay dead-letter topics (broker from KAFKA_BROKERS, as services read it)")
    .addCommand(withUsageExit(inspectCmd, io))
    .addCommand(withUsageExit(replayCmd, io));
  return withUsageExit(cmd, io);
}
