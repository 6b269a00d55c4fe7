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
import { Command, Option } from "commander";
import { type CommandIo, withUsageExit } from "../check/command.ts";
import { inspect } from "./inspect.ts";
import { replay } from "./replay.ts";
import type { DlqOptions, Env } from "./setup.ts";

const processIo: CommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

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
    .option(
      "--group <id>",
      "a consumer group of the replay's own: start where its last run stopped, save the position after each record (never a service's group)",
    )
    .action(action(replay));
  const cmd = new Command("dlq")
    .description("inspect and replay dead-letter topics (broker from KAFKA_BROKERS, as services read it)")
    .addCommand(withUsageExit(inspectCmd, io))
    .addCommand(withUsageExit(replayCmd, io));
  return withUsageExit(cmd, io);
}
