/** Proves the test registry is a real Confluent-compatible schema registry. */
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { describe, expect, it } from "vitest";
import { registryUrl, uniqueName } from "../infra/env.ts";

const schema = {
  type: "record",
  name: "BookingCreated",
  namespace: "dev.skeji.smoke",
  fields: [
    { name: "booking_id", type: "string" },
    { name: "party_size", type: "int" },
  ],
};

describe("local schema registry", () => {
  it("registers an Avro schema, encodes and decodes with it, and serves the subject over REST", async () => {
    const registry = new SchemaRegistry({ host: registryUrl() });
    const subject = `${uniqueName("smoke")}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    expect(id).toBeGreaterThan(0);

    const payload = { booking_id: "booking-12345", party_size: 4 };
    const encoded = await registry.encode(id, payload);
    // Confluent wire format: magic byte 0, then the schema id as a big-endian int32.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual(payload);

    const versions = await fetch(`${registryUrl()}/subjects/${subject}/versions`).then((r) => r.json());
    expect(versions).toEqual([1]);
    const latest = (await fetch(`${registryUrl()}/subjects/${subject}/versions/latest`).then((r) => r.json())) as {
      id: number;
      schema: string;
    };
    expect(latest.id).toBe(id);
    expect(JSON.parse(latest.schema)).toMatchObject({ name: "BookingCreated", fields: schema.fields });
  });
});
