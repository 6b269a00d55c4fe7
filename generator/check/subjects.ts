/** Subject naming is the runtime's (its Confluent wire format registers under the same names). */
export { type SubjectSource, subjectFor } from "@skeji/kafka/codegen";
