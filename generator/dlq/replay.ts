/**
 * `skeji-gen dlq replay`: selected dead letters sent back where they came from, one at a time in
 * offset order, each acknowledged by every in-sync replica before the next is read (see
 * docs/dlq.md). Every record read is accounted for in the output: replayed, skipped with the
 * reason, or not selected; a failed send stops the replay at that record and says where to resume.
 */
import type { ClientConfig } from "@skeji/kafka";
import type { Command } from "commander";
import type { CommandIo } from "../check/command.ts";
import { type DeadLetter, replayHeaders } from "./dead-letter.ts";
import { selects } from "./filters.ts";
import { replayGroupStart } from "./group.ts";
import type { DlqProject } from "./project.ts";
import { formatOffsets, type Outcome, readDeadLetters } from "./read.ts";
import { type DlqOptions, decode, type Env, message, prepare, type Runtime, where } from "./setup.ts";

export async function replay(
  io: CommandIo,
  env: Env,
  signal: AbortSignal,
  topicArg: string | undefined,
  opts: DlqOptions,
  self: Command,
) {
  let run: Awaited<ReturnType<typeof prepare>>;
  let producer: ReturnType<Runtime["createProducer"]>;
  let resumeAt: Map<number, bigint> | undefined;
  try {
    run = await prepare(self, opts, topicArg, env);
    producer = replayProducer(run.kafka, run.project, run.plan.topic, run.config, env);
    if (opts.group !== undefined) resumeAt = await replayGroupStart(run.client, opts.group, run.plan.topic);
  } catch (e) {
    io.err(`skeji-gen: ${message(e)}\n`);
    return io.exit(2);
  }
  const { kafka, plan: p, client, decoder } = run;
  const dry = opts.dryRun === true;
  let replayed = 0;
  let skipped = 0;
  let notSelected = 0;
  let failed: { readonly d: DeadLetter; readonly error: unknown } | undefined;
  let last: DeadLetter | undefined;
  let result: Awaited<ReturnType<typeof readDeadLetters>>;
  const room = () => p.limit === undefined || replayed + skipped < p.limit;
  const done = (): Outcome => ({ status: "done", more: room() });
  try {
    result = await readDeadLetters(
      client,
      {
        topic: p.topic,
        start: p.start,
        resumeAt,
        until: p.until,
        signal,
        parseRetryCount: kafka.parseRetryCount,
        group: opts.group === undefined ? undefined : { id: opts.group, commit: !dry },
      },
      async (d) => {
        const decoding = await decode(kafka, decoder, d);
        const type = d.eventType ?? (decoding.ok ? decoding.type : undefined);
        if (!selects(p.filters, d, type)) {
          notSelected++;
          return { status: "done", more: true };
        }
        const target = opts.to ?? d.original.topic;
        const why =
          target === undefined
            ? "no original-topic header (name the topic with --to)"
            : d.truncated !== undefined
              ? `truncated when dead-lettered (dlq-truncated ${d.truncated}); not replayable as it is`
              : undefined;
        if (target === undefined || why !== undefined) {
          skipped++;
          io.out(`skipped       ${where(d)}: ${why}\n`);
          return done();
        }
        const key = d.key === null ? "(none)" : JSON.stringify(d.key.toString("utf8"));
        const what = `${type ?? "(event type unknown)"}  key ${key}  retry-count ${d.retryCount} -> ${d.retryCount + 1}`;
        if (dry) {
          replayed++;
          io.out(`would replay  ${where(d)} -> ${target}  ${what}\n`);
          return done();
        }
        try {
          const r = await producer.publish({
            topic: target,
            key: d.key ?? undefined,
            value: d.value,
            headers: {},
            rawHeaders: replayHeaders(d),
          });
          replayed++;
          last = d;
          io.out(`replayed      ${where(d)} -> ${target} ${r.partition}:${r.offset}  ${what}\n`);
          return { status: "sent", more: room() };
        } catch (error) {
          failed = { d, error };
          io.out(`failed        ${where(d)} -> ${target}: ${message(error)}\n`);
          return { status: "failed", more: false };
        }
      },
    );
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

  const position = `--from-offset ${formatOffsets(result.next)}`;
  const saving = opts.group !== undefined && !dry;
  const saved = !saving
    ? ""
    : result.commitError === undefined
      ? `; group ${opts.group} continues from there`
      : `; group ${opts.group} could not save the position (${message(result.commitError)})`;
  const verb = dry ? "would be replayed" : "replayed";
  io.out(
    `\ndlq replay: ${replayed} ${verb}, ${skipped} skipped, ${notSelected} not selected by the filters (${p.topic})${dry ? "; dry run, nothing was sent" : ""}\n`,
  );
  if (failed !== undefined) {
    const { d, error } = failed;
    io.out(
      kafka.isSkejiError(error, kafka.ErrorCode.PUBLISH_AMBIGUOUS)
        ? `stopped at ${where(d)}: the broker may or may not have written it. Nothing after it was sent. Check ${opts.to ?? d.original.topic} for it, then resume with ${position} (sends it again) or with its offset + 1 (skips it)${saved}\n`
        : `stopped at ${where(d)}: it was not replayed, nor anything after it. Resume with ${position}${saved}\n`,
    );
    return io.exit(1);
  }
  if (result.commitError !== undefined && last !== undefined) {
    io.out(`the last record replayed was ${where(last)}. Resume with ${position}${saved}\n`);
    return io.exit(1);
  }
  io.out(
    `${signal.aborted ? "interrupted; the send in flight was finished. " : ""}To continue after the records read: ${position}${saved}\n`,
  );
  return io.exit(skipped > 0 || result.commitError !== undefined ? 1 : 0);
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
