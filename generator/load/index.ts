/** Loading schema projects: the stable API `skeji-gen` and `skeji-gen check` build on. */
export { compatibilityLevels, DEFAULT_COMPATIBILITY, DEFAULT_FORMAT, wireFormats } from "./manifest.ts";
export { formatProblem, formatWarning, type Problem } from "./problems.ts";
export {
  eventTypeName,
  type LoadedEvent,
  type LoadedProject,
  type LoadedTopic,
  type LoadedVersion,
  type LoadOptions,
  loadProject,
  resolveKeyPath,
} from "./project.ts";
