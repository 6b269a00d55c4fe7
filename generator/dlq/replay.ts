/** `skeji-gen dlq replay`: selected dead letters sent back where they came from (see docs/dlq.md). */
import type { ClientConfig } from "@skeji/kafka";
import type { Command } from "commander";
import type { CommandIo } from "../check/command.ts";
import { type DeadLetter, replayHeaders } from "./dead-letter.ts";
import { selects } from "./filters.ts";
import type { DlqProject } from "./project.ts";
import { formatOffsets, readDeadLetters } from "./read.ts";
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
