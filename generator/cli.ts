/**
 * Entry point of `skeji-gen` (bin/skeji-gen.js runs its compiled form, dist/cli.js): the generator command
 * plus the subcommands other parts of the generator contribute.
 */
import { Command } from "commander";
import { checkCommand, registerCommand } from "./check/index.ts";
import { dlqCommand } from "./dlq/command.ts";
import { initCommand } from "./init/command.ts";
import { createProgram, processIo } from "./program.ts";
import { topicsCommand } from "./topics/command.ts";

const program = createProgram(processIo);

// --- Subcommands ------------------------------------------------------------------------------------
// `skeji-gen check` and `skeji-gen register` (schema compatibility) are built in generator/check/,
// `skeji-gen topics plan|apply` (create the manifest's topics) in generator/topics/.
// Root options only before a subcommand, so `skeji-gen check --schemas x` reaches `check`.
program.enablePositionalOptions();
program.addCommand(checkCommand());
program.addCommand(registerCommand());
// `skeji-gen init` (a service's first setup) is built in generator/init/.
program.addCommand(initCommand(processIo));
// `skeji-gen kafka up|down|status`, `skeji-gen kafka cluster ...`: the local broker and registry the
// project's own tests use (generator/infra/). Loaded on use: it is the only part that needs kafkajs.
program.addCommand(
  new Command("kafka")
    .description("start, stop or show a local Kafka broker and schema registry (Java 17+ and Maven)")
    .argument("[args...]", "up|down|status [kafka|registry], or cluster up|down|status")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      const { runInfra } = await import("./infra/cli.ts");
      process.exitCode = await runInfra(args);
    }),
);
program.addCommand(topicsCommand());
// `skeji-gen dlq inspect|replay` (dead letters decoded, and sent back) in generator/dlq/.
program.addCommand(dlqCommand());
// -----------------------------------------------------------------------------------------------------

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Usage errors were reported by commander (exitOverride ends the process). Anything else, such as
  // a file that cannot be written, is reported in one line; SKEJI_DEBUG=1 adds the stack trace.
  process.stderr.write(`skeji-gen: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env.SKEJI_DEBUG === "1" && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
}
