/**
 * Entry point of `skeji-gen` (launched by bin/skeji-gen.js): the generator command plus
 * the subcommands other parts of the generator contribute.
 */
import { checkCommand, registerCommand } from "./check/index.ts";
import { createProgram, processIo } from "./program.ts";

const program = createProgram(processIo);

// --- Subcommands ------------------------------------------------------------------------------------
// `skeji-gen check` and `skeji-gen register` (schema compatibility) are built in generator/check/.
// Root options only before a subcommand, so `skeji-gen check --schemas x` reaches `check`.
program.enablePositionalOptions();
program.addCommand(checkCommand());
program.addCommand(registerCommand());
// -----------------------------------------------------------------------------------------------------

try {
  await program.parseAsync(process.argv);
} catch {
  // Commander already reported the error and set the exit code through exitOverride.
}
