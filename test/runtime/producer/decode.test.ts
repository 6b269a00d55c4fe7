/**
 * The decoder's answers for records it cannot read, and a schema registry that
 * does not answer: each failure has its own error code.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import {
  classifyError,
  createProducer,
  createRegistryClient,
  decodeRecord,
  defineEvent,
  isSkejiError,
  type Producer,
  producerMetrics,
  silentLogger,
} from "../../../runtime/index.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { registryUrl, uniqueName } from "../../infra/env.ts";
import { booking, bookingEvent, bookingV1, bookingV2, endOffsets, newTopic, testConfig } from "./support.ts";

const event = bookingEvent("decode");
const v2 = avroCodec(bookingV2);
const valid = v2.encode(v2.applyDefaults(booking(1)));
const headers = { "event-type": "booking.created", "schema-version": "v2", "schema-fingerprint": v2.fingerprint };

async function codeOf(run: Promise<unknown>): Promise<string | undefined> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isSkejiError(error) ? error.code : `not a SkejiError: ${String(error)}`;
}

describe("decodeRecord", () => {
  it("decodes a valid record", async () => {
    expect(await decodeRecord({ headers, value: valid }, [event])).toMatchObject({
      descriptor: event,
      version: 2,
      payload: { booking_id: "booking-1", seats: 1, channel: "sms" },
    });
  });

  it("reads embedded Avro without content-type or fingerprint by its schema-version, also as a JSON event", async () => {
    const v1 = avroCodec(bookingV1);
    const old = v1.encode(v1.applyDefaults({ ...booking(2), seats: 4 }));
    const bare = { "event-type": "booking.created", "schema-version": "v1" };
    const expected = { version: 1, payload: { booking_id: "booking-2", seats: 4, channel: "sms" } };
    expect(await decodeRecord({ headers: bare, value: old }, [event])).toMatchObject(expected);
    // Written as embedded Avro (no content-type) before the event moved to JSON: still Avro.
    const asJson = bookingEvent("decode", "json");
    expect(await decodeRecord({ headers: bare, value: old }, [asJson])).toMatchObject(expected);
    // JSON of that event, without content-type either (as a Go service writes it), stays JSON.
    const params = { user_phone: "+972500002", start_time: "2025-11-18T15:00:00Z" };
    const json = Buffer.from(JSON.stringify({ booking_id: "go-2", params }));
    expect(await decodeRecord({ headers: { "event-type": "booking.created" }, value: json }, [asJson])).toMatchObject({
      payload: { booking_id: "go-2", seats: 1 },
    });
  });

  it.each([
    ["an unknown event type", "UNKNOWN_EVENT_TYPE", { ...headers, "event-type": "booking.deleted" }, valid],
    ["a schema version newer than the known ones", "UNKNOWN_VERSION", { ...headers, "schema-version": "v9" }, valid],
    [
      "an unknown schema version older than the latest",
      "UNKNOWN_SCHEMA",
      { ...headers, "schema-version": "v0" },
      valid,
    ],
    ["a fingerprint that does not match the version", "UNKNOWN_SCHEMA", { ...headers, "schema-version": "v1" }, valid],
    [
      "an unknown fingerprint without a version",
      "UNKNOWN_SCHEMA",
      { "event-type": "booking.created", "schema-fingerprint": "0000000000000000" },
      valid,
    ],
    ["truncated bytes", "DECODE_FAILED", headers, valid.subarray(0, 5)],
    ["a tombstone", "DECODE_FAILED", headers, null],
    [
      "JSON that does not match",
      "DECODE_FAILED",
      { ...headers, "content-type": "application/json" },
      Buffer.from('{"x":1}'),
    ],
    [
      "a Confluent record for an event read as embedded Avro, without a registry",
      "DECODE_FAILED",
      { ...headers, "content-type": "application/vnd.confluent.avro" },
      Buffer.from([0, 0, 0, 0, 1, 2]),
    ],
  ] as const)("%s: %s", async (_what, code, h, value) => {
    expect(await codeOf(decodeRecord({ headers: h, value }, [event]))).toBe(code);
  });

  it("a Confluent record without a registry: permanent unless its event is declared Confluent (a misconfigured reader)", async () => {
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), valid]);
    const h = { ...headers, "content-type": "application/vnd.confluent.avro" };
    const foreign = await decodeRecord({ headers: h, value }, [event]).catch((e: unknown) => e);
    expect(foreign).toMatchObject({
      code: "DECODE_FAILED",
      message:
        "the record is in the Confluent wire format (schema id 42), which needs a schema registry to read, and this reader has none (SCHEMA_REGISTRY_URL)",
      details: { schemaId: 42, registryRequired: true },
    });
    expect(classifyError(foreign)).toBe("permanent");
    const declared = await decodeRecord({ headers: h, value }, [bookingEvent("x", "confluent")]).catch(
      (e: unknown) => e,
    );
    expect(declared).toMatchObject({
      code: "REGISTRY_ERROR",
      message:
        "booking.created uses the confluent wire format (schema id 42) but no schema registry is configured; set SCHEMA_REGISTRY_URL",
    });
  });

  it("with one descriptor and no event-type header, reads the record as that event", async () => {
    const { "event-type": _, ...rest } = headers;
    expect((await decodeRecord({ headers: rest, value: valid }, [event])).version).toBe(2);
  });

  it("a Confluent record whose schema id the registry does not know: UNKNOWN_SCHEMA", async () => {
    const registry = createRegistryClient({ url: registryUrl() });
    const value = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), valid]);
    expect(await codeOf(decodeRecord({ headers: {}, value }, [bookingEvent("x", "confluent")], { registry }))).toBe(
      "UNKNOWN_SCHEMA",
    );
  });

  it("a Confluent record without event-type is matched by the writer schema's name", async () => {
    const registry = createRegistryClient({ url: registryUrl() });
    const id = await registry.register(`${uniqueName("decode")}-value`, bookingV1);
    const body = avroCodec(bookingV1).encode({ ...booking(3), seats: 4 });
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    value.writeUInt32BE(id, 1);
    const other = defineEvent({
      ...bookingEvent("x"),
      type: "other",
      versions: [{ version: 1, schema: { type: "record", name: "Other", fields: [] } }],
    });
    const decoded = await decodeRecord({ headers: {}, value }, [other, bookingEvent("x", "confluent")], { registry });
    expect(decoded).toMatchObject({ version: 1, payload: { booking_id: "booking-3", seats: 4, channel: "sms" } });
  });
});

describe("a schema registry that does not answer", () => {
  const dead = { url: "http://127.0.0.1:9/apis/ccompat/v7" };
  const producers: Producer[] = [];
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.close()));
  });

  it("decoding fails with REGISTRY_UNAVAILABLE (transient), distinct from an unknown schema", async () => {
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), valid]);
    const registry = createRegistryClient(dead);
    expect(await codeOf(decodeRecord({ headers: {}, value }, [bookingEvent("x", "confluent")], { registry }))).toBe(
      "REGISTRY_UNAVAILABLE",
    );
  });

  it("publishing in Confluent format fails with REGISTRY_UNAVAILABLE and writes nothing", async () => {
    const topic = await newTopic("dead-registry");
    const config = { ...testConfig(topic), schemaRegistry: dead };
    const producer = createProducer(config, { logger: silentLogger, metrics: producerMetrics(new Registry()) });
    producers.push(producer);
    expect(await codeOf(producer.publishEvent(bookingEvent(topic, "confluent"), booking(1)))).toBe(
      "REGISTRY_UNAVAILABLE",
    );
    expect(await endOffsets(topic)).toEqual(["0"]);
  });
});
