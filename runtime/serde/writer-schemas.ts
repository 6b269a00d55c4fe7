/**
 * Where writer schemas travel with the data, so that a producer may be deployed before its
 * consumers: before a producer first publishes a version it makes that version's schema
 * available (`publish`), and a consumer that meets a version its generated code does not have
 * fetches the writer schema by fingerprint (`find`) and resolves it against its own.
 *
 * Two stores: the schema registry (this module), or, without one, a compacted topic on the same
 * cluster (schema-topic.ts).
 */
import type { AnyEventDescriptor, AvroSchema, EventVersion } from "../descriptor.ts";
import { type RegistryClient, schemaIdWithReferences } from "./registry.ts";
import { subjectFor } from "./subjects.ts";

export interface WriterSchemaStore {
  /** Makes `version` of `descriptor`, published on `topic`, available to consumers. Idempotent. */
  publish(descriptor: AnyEventDescriptor, version: EventVersion, topic: string): Promise<void>;
  /** The writer schema with this fingerprint (16 hex digits), or undefined when the store does not have it. */
  find(descriptor: AnyEventDescriptor, topic: string, fingerprint: string): Promise<AvroSchema | undefined>;
  /** Where a schema was looked for, for messages: `the schema registry, under subject ...`. */
  where(descriptor: AnyEventDescriptor, topic: string): string;
  /** Releases connections; the store is not used afterwards. */
  close(): Promise<void>;
}

/**
 * The registry as a store: schemas registered under `<topic>-<event-type>` (`subjectFor`), as
 * `skeji-gen register` does; shared named types as references. With `autoRegister` false the
 * schema is only looked up, and a schema that is not registered fails with UNKNOWN_SCHEMA.
 */
export function registryStore(registry: RegistryClient, autoRegister: boolean): WriterSchemaStore {
  return {
    async publish(descriptor, version, topic) {
      const subject = subjectFor({ topic, type: descriptor.type });
      const references = version.references ?? [];
      if (references.length > 0) {
        await schemaIdWithReferences(registry, subject, version.schema, references, autoRegister);
      } else if (autoRegister) {
        await registry.register(subject, version.schema);
      } else {
        await registry.lookup(subject, version.schema);
      }
    },
    async find(descriptor, topic, fingerprint) {
      const subject = subjectFor({ topic, type: descriptor.type });
      // A header in the other byte order names the same schema: the registry's listing is keyed by this one.
      return (
        (await registry.schemaByFingerprint(subject, fingerprint)) ??
        (await registry.schemaByFingerprint(subject, swappedFingerprint(fingerprint)))
      );
    },
    where: (descriptor, topic) => `the schema registry, under subject ${subjectFor({ topic, type: descriptor.type })}`,
    close: async () => {},
  };
}

/** The other byte order of a 16-hex-digit fingerprint (some Avro libraries write it little-endian). */
export function swappedFingerprint(fingerprint: string): string {
  return (fingerprint.match(/../g) ?? []).reverse().join("");
}
