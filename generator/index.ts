/**
 * `@skeji/kafka-gen` for programs: generate in memory, write or compare the output, load a schema
 * project, and check compatibility - what the `skeji-gen` command does, without the command line.
 */
export {
  type CheckResult,
  checkAgainstRef,
  checkOffline,
  checkRegistry,
  type Finding,
  loadProject as loadCheckedProject,
  type PlacedFinding,
  RegistryClient,
  registerAll,
} from "./check/index.ts";
export {
  diffOutput,
  type GenerateOptions,
  type GenerateResult,
  generate,
  type OutputDiff,
  writeOutput,
} from "./generate.ts";
export * from "./load/index.ts";
