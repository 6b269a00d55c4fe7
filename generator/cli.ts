/**
 * Entry point of `skeji-gen` (launched by bin/skeji-gen.js): the generator command plus
 * the subcommands other parts of the generator contribute.
 */
import { checkCommand, registerCommand } from "./check/index.ts";
import { initCommand } from "./init/command.ts";
import { createProgram, processIo } from "./program.ts";

const program = createProgram(processIo);

// --- Subcommands ------------------------------------------------------------------------------------
// `skeji-gen check` and `skeji-gen register` (schema compatibility) are built in generator/check/.
// Root options only before a subcommand, so `skeji-gen check --schemas x` reaches `check`.
program.enablePositionalOptions();
program.addCommand(checkCommand());
program.addCommand(registerCommand());
// `skeji-gen init` (a service's first setup) is built in generator/init/.
program.addCommand(initCommand(processIo));
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
