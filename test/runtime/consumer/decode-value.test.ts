/**
 * decodeValue: a raw record's value decoded by hand, in every shape the consumer reads, and the
 * reasons it gives when it cannot. Confluent records go through the real schema registry.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { decodeValue, valueDecoder } from "../../../runtime/consumer/decode-value.ts";
import { toConsumedMessage } from "../../../runtime/consumer/message.ts";
import { defineEvent, defineTopic } from "../../../runtime/descriptor.ts";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { otherByteOrder } from "../../../runtime/serde/avro/fingerprint.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { createRegistryClient } from "../../../runtime/serde/registry.ts";
import { createEncoder } from "../../../runtime/serde/serde.ts";
import { registryUrl, uniqueName } from "../../infra/env.ts";

interface Created {
  readonly id: string;
  readonly seq: number;
  readonly note: string;
}
interface Cancelled {
  readonly id: string;
  readonly reason: string;
}

const createdV1 = {
  type: "record",
  name: "Created",
  namespace: "test.dv",
  fields: [
    { name: "id", type: "string" },
    { name: "seq", type: "int" },
  ],
} as const;
const createdV2 = {
  ...createdV1,
  fields: [...createdV1.fields, { name: "note", type: "string", default: "-" }],
} as const;
const cancelledV1 = {
  type: "record",
  name: "Cancelled",
  namespace: "test.dv",
  fields: [
    { name: "id", type: "string" },
    { name: "reason", type: "string" },
  ],
} as const;

function events(topic: string, format: "avro" | "json" | "confluent" = "avro") {
  const created = defineEvent<Created, Created, "test.dv.created">({
    type: "test.dv.created",
    name: "Created",
    topic,
    keyField: "id",
    format,
    compatibility: "BACKWARD",
    versions: [
      { version: 1, schema: createdV1 },
      { version: 2, schema: createdV2 },
    ],
  });
  const cancelled = defineEvent<Cancelled, Cancelled, "test.dv.cancelled">({
    type: "test.dv.cancelled",
    name: "Cancelled",
    topic,
    keyField: "id",
    format,
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema: cancelledV1 }],
  });
  return { created, cancelled, topic: defineTopic({ topic, dlqTopic: `${topic}-dlq`, events: [created, cancelled] }) };
}

async function reason(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isSkejiError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("decoded, but a failure was expected");
}

describe("decodeValue", () => {
  it("decodes embedded Avro from a kafkajs message and a consumed message, typed by event type", async () => {
    const { created, topic } = events("dv-orders");
    const { value, headers } = await createEncoder(created).encode({ id: "a", seq: 1, note: "n" }, "dv-orders");
    const kafkajsMessage = {
      key: Buffer.from("a"),
      value,
      headers: { ...headers, "event-type": "test.dv.created" },
      offset: "0",
      timestamp: "0",
      attributes: 0,
    };
    const decoded = await decodeValue(kafkajsMessage, [topic]);
    expect(decoded).toMatchObject({ type: "test.dv.created", version: 2, payload: { id: "a", seq: 1, note: "n" } });
    if (decoded.type === "test.dv.created") expectTypeOf(decoded.payload).toEqualTypeOf<Created>();
    else expectTypeOf(decoded.payload).toEqualTypeOf<Cancelled>();

    const consumed = toConsumedMessage("dv-orders", 0, {
      ...kafkajsMessage,
      headers: Object.fromEntries(Object.entries(kafkajsMessage.headers).map(([k, v]) => [k, Buffer.from(v)])),
    });
    expect((await decodeValue(consumed, [created])).payload).toEqual({ id: "a", seq: 1, note: "n" });
  });

  it("resolves an older version to the latest shape, and reads a dead letter as the record it holds", async () => {
    const { topic } = events("dv-orders");
    const v1 = avroCodec(createdV1);
    const deadLetter = {
      topic: "dv-orders-dlq",
      value: v1.encode({ id: "b", seq: 2 }),
      headers: {
        // no event-type: the original topic's events are the candidates, the fingerprint says which
        "schema-version": "v1",
        "schema-fingerprint": otherByteOrder(v1.fingerprint),
        "original-topic": "dv-orders",
        "dlq-error": "boom",
      },
    };
    expect(await decodeValue(deadLetter, [topic])).toMatchObject({
      type: "test.dv.created",
      version: 1,
      payload: { id: "b", seq: 2, note: "-" },
    });
  });

  it("reads JSON without any schema header (a Go service's record) as the latest version", async () => {
    const { created } = events("dv-go", "json");
    const record = { topic: "dv-go", value: Buffer.from(JSON.stringify({ id: "c", seq: 3, note: "x" })) };
    expect(await decodeValue(record, [created])).toMatchObject({ version: 2, payload: { id: "c", seq: 3, note: "x" } });
  });

  it("reads the Confluent wire format through the registry, and names an id the registry does not hold", async () => {
    const topicName = uniqueName("dv-confluent");
    const { created, topic } = events(topicName, "confluent");
    const registry = createRegistryClient({ url: registryUrl() });
    const { value } = await createEncoder(created, registry).encode({ id: "d", seq: 4, note: "y" }, topicName);
    const decoder = valueDecoder([topic], { registry });
    // No headers at all: the magic byte and the schema id say everything.
    expect(await decoder.decode({ topic: topicName, value })).toMatchObject({
      type: "test.dv.created",
      payload: { id: "d", seq: 4, note: "y" },
    });
    const unknownId = Buffer.from(value);
    unknownId.writeUInt32BE(2_000_000_000, 1);
    expect(await reason(decoder.decode({ topic: topicName, value: unknownId }))).toEqual({
      code: "UNKNOWN_SCHEMA",
      message: "schema id 2000000000 is not in the schema registry",
    });
    expect(await reason(decodeValue({ topic: topicName, value }, [topic]))).toMatchObject({
      code: "REGISTRY_ERROR",
      message: expect.stringContaining("no schema registry is configured"),
    });
    await decoder.close();
  });

  it("says why it cannot decode: unknown event type, unknown fingerprint, untyped, bad bytes, tombstone", async () => {
    const { created, topic } = events("dv-orders");
    const good = await createEncoder(created).encode({ id: "e", seq: 5, note: "" }, "dv-orders");
    const typed = { ...good.headers, "event-type": "test.dv.created" };

    expect(await reason(decodeValue({ value: good.value, headers: { "event-type": "other" } }, [topic]))).toEqual({
      code: "UNKNOWN_EVENT_TYPE",
      message: 'unknown event type "other"',
    });
    const strangerFingerprint = { ...typed, "schema-fingerprint": "0123456789abcdef", "schema-version": "" };
    expect(await reason(decodeValue({ value: good.value, headers: strangerFingerprint }, [topic]))).toEqual({
      code: "UNKNOWN_SCHEMA",
      message: "test.dv.created: unknown schema-fingerprint 0123456789abcdef",
    });
    const untyped = { "schema-fingerprint": "0123456789abcdef" };
    expect(await reason(decodeValue({ topic: "dv-orders", value: good.value, headers: untyped }, [topic]))).toEqual({
      code: "UNKNOWN_EVENT_TYPE",
      message:
        "the record has no event-type header, and nothing in it says which of the 2 events of topic dv-orders it is (test.dv.created, test.dv.cancelled): its schema-fingerprint (or schema id) matches none of them",
    });
    const bad = await reason(decodeValue({ value: good.value.subarray(0, 3), headers: typed }, [topic]));
    expect(bad.code).toBe("DECODE_FAILED");
    expect(bad.message).toMatch(/^cannot decode test\.dv\.Created: .+/);
    expect(await reason(decodeValue({ value: null, headers: typed }, [topic]))).toEqual({
      code: "DECODE_FAILED",
      message: "the record has no value (a tombstone)",
    });
  });
});
