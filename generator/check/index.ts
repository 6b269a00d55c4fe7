/**
 * `skeji-gen check` / `skeji-gen register`: schema compatibility for pull requests.
 */
export { type CommandIo, checkCommand, registerCommand } from "./command.ts";
export { type CheckError, type CheckErrorCode, isCheckError } from "./errors.ts";
export { checkAgainstRef, loadProjectAtRef } from "./git.ts";
export {
  type CompatibilityLevel,
  checkAgainst,
  checkChain,
  type Direction,
  defaultLevel,
  type Finding,
  isLevel,
  levels,
} from "./levels.ts";
export { checkOffline } from "./offline.ts";
export { type CheckedEvent, type CheckedVersion, loadProject, type Project } from "./project.ts";
export { checkRegistry, registerAll } from "./registry.ts";
export { RegistryClient } from "./registry-client.ts";
export { type Format, format, formatGithub, formatJson, formatText } from "./report.ts";
export type { CheckResult, PlacedFinding, Problem } from "./result.ts";
export { checkCompatibility, type Incompatibility, type IncompatibilityType } from "./rules.ts";
export { parseSchema, resolveSchema, type SchemaNode } from "./schema.ts";
export { subjectFor } from "./subjects.ts";
