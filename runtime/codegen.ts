/**
 * `@skeji/kafka/codegen`: what `@skeji/kafka-gen` shares with the runtime - the Avro schema model
 * the runtime decodes with, the names generated code imports, and how subjects are named. The
 * generator takes these from the runtime so that generated code and the runtime it runs on agree.
 * Meant for the generator; not part of the API services program against.
 */
export * from "./codegen-symbols.ts";
export type { AvroSchema, CompatibilityLevel, PartitionerName, TopicSettings, WireFormat } from "./descriptor.ts";
export { partitionerNames } from "./descriptor.ts";
export * from "./serde/avro/model.ts";
export { type SubjectSource, sharedTypeSubject, subjectFor } from "./serde/subjects.ts";
