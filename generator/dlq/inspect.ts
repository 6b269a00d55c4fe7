/** `skeji-gen dlq inspect`: dead letters shown decoded, as text or one JSON object per line. */
import type { Command } from "commander";
import type { CommandIo } from "../check/command.ts";
import { selects } from "./filters.ts";
import { jsonLine, textBlock } from "./format.ts";
import { formatOffsets, readDeadLetters } from "./read.ts";
import { type DlqOptions, decode, type Env, message, prepare } from "./setup.ts";

export async function inspect(
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
          return { status: "done", more: true };
        }
        shown++;
        if (!decoding.ok) undecoded++;
        io.out(json ? `${jsonLine(d, decoding)}\n` : `${shown > 1 ? "\n" : ""}${textBlock(d, decoding)}\n`);
        return { status: "done", more: p.limit === undefined || shown < p.limit };
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
