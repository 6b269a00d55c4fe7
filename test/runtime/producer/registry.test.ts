/**
 * The schema registry against the real Apicurio registry: which answers mean "unknown schema",
 * decoding a version newer than the reader's generated code (through the registry, or JSON),
 * and producers that may only look schemas up.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProducer,
  createRegistryClient,
  decodeRecord,
  defineEvent,
  isSkejiError,
  type Producer,
  producerMetrics,
  silentLogger,
  subjectFor,
} from "../../../runtime/index.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { registryUrl, uniqueName } from "../../infra/env.ts";
import {
  type BookingCreated,
  type BookingCreatedInit,
  booking,
  bookingEvent,
  bookingV1,
  bookingV2,
  defined,
  endOffsets,
  newTopic,
  type ReadRecord,
  readRecords,
  testConfig,
} from "./support.ts";

/** v3 adds a field with a default: what a newer producer writes. */
const bookingV3 = {
  ...bookingV2,
  fields: [...bookingV2.fields, { name: "referrer", type: "string", default: "" }],
} as const;

/** The newer producer's descriptor: versions 1..3 (the reader's `bookingEvent` has 1..2). */
function bookingEventV3(topic: string, format: "avro" | "json" = "avro") {
  const base = bookingEvent(topic, format);
  return defineEvent<
    BookingCreated & { referrer: string },
    BookingCreatedInit & { referrer?: string },
    "booking.created"
  >({ ...base, versions: [...base.versions, { version: 3, schema: bookingV3 }] });
}

async function failure(run: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSkejiError(error)) throw new Error(`expected a SkejiError, got ${String(error)}`);
  return { code: error.code, message: error.message, details: error.details };
}

const toDecode = (r: ReadRecord) => ({ topic: r.topic, headers: r.headers, value: r.value });

const producers: Producer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close()));
});

function producerFor(topic: string, env: Record<string, string> = {}): Producer {
  const producer = createProducer(testConfig(topic, env), {
    logger: silentLogger,
    metrics: producerMetrics(new Registry()),
  });
  producers.push(producer);
  return producer;
}

describe("registry answers", () => {
  const withoutApiPath = () => registryUrl().replace(/\/apis\/ccompat\/v7$/, "");

  it("a schema id the registry does not have (40403) is UNKNOWN_SCHEMA", async () => {
    const registry = createRegistryClient({ url: registryUrl() });
    expect((await failure(registry.schemaById(2_147_483_000))).code).toBe("UNKNOWN_SCHEMA");
  });

  it("a wrong base path (a 404 that is not the registry's) is REGISTRY_ERROR naming the likely cause, not UNKNOWN_SCHEMA", async () => {
    expect(withoutApiPath()).not.toBe(registryUrl());
    const registry = createRegistryClient({ url: withoutApiPath() });
    const byId = await failure(registry.schemaById(1));
    expect(byId.code).toBe("REGISTRY_ERROR");
    expect(byId.message).toContain("SCHEMA_REGISTRY_URL");
    expect(byId.details).toMatchObject({ status: 404 });

    // What a consumer sees for a Confluent record: an infrastructure error, not a poison record.
    const value = Buffer.from([0, 0, 0, 0, 1, 2]);
    const decoded = await failure(decodeRecord({ headers: {}, value }, [bookingEvent("x", "confluent")], { registry }));
    expect(decoded.code).toBe("REGISTRY_ERROR");
  });

  it("a wrong base path when registering is REGISTRY_ERROR", async () => {
    const registry = createRegistryClient({ url: withoutApiPath() });
    expect((await failure(registry.register(uniqueName("subject"), bookingV1))).code).toBe("REGISTRY_ERROR");
  });
});

describe("a version newer than the reader knows", () => {
  it("embedded Avro: the writer schema is found in the registry by fingerprint and read in the reader's shape", async () => {
    const topic = await newTopic("newer-avro");
    const writer = bookingEventV3(topic);
    const registry = createRegistryClient({ url: registryUrl() });
    const subject = subjectFor(writer);
    // What `skeji-gen register` does for the newer producer's code: every version under the subject.
    for (const v of writer.versions) await registry.register(subject, v.schema);

    await producerFor(topic).publishEvent(writer, { ...booking(7), seats: 3, referrer: "ad" });
    const [record] = await readRecords(topic, 1);
    const r = defined(record, "record");
    expect(r.headers["schema-version"]?.toString()).toBe("v3");

    const reader = bookingEvent(topic);
    const decoded = await decodeRecord(toDecode(r), [reader], { registry });
    expect(decoded.version).toBe(3);
    expect(decoded.payload).toEqual({ ...booking(7), seats: 3, channel: "sms" }); // no referrer: not in v2
  });

  it("embedded Avro without a registry: UNKNOWN_VERSION with the versions the reader knows", async () => {
    const topic = await newTopic("newer-none");
    await producerFor(topic, { SCHEMA_REGISTRY_URL: "", KAFKA_SCHEMA_TOPIC: "none" }).publishEvent(
      bookingEventV3(topic),
      booking(8),
    );
    const [record] = await readRecords(topic, 1);
    const got = await failure(decodeRecord(toDecode(defined(record)), [bookingEvent(topic)]));
    expect(got.code).toBe("UNKNOWN_VERSION");
    expect(got.details).toMatchObject({ eventType: "booking.created", version: 3, known: [1, 2] });
    expect(got.message).toMatch(/upgrade the consumer/);
    expect(got.message).toMatch(/SCHEMA_REGISTRY_URL/);
  });

  it("embedded Avro whose version is not registered: UNKNOWN_VERSION naming the subject; the miss is cached, then retried", async () => {
    const topic = await newTopic("newer-unregistered");
    const writer = bookingEventV3(topic);
    // A producer that makes its schemas available nowhere (no registry, no schema topic).
    await producerFor(topic, { SCHEMA_REGISTRY_URL: "", KAFKA_SCHEMA_TOPIC: "none" }).publishEvent(writer, booking(9));
    const [record] = await readRecords(topic, 1);
    let clock = 0;
    const registry = createRegistryClient({ url: registryUrl() }, { missTtlMs: 60_000, now: () => clock });
    const reader = bookingEvent(topic);
    const subject = subjectFor(writer);

    const got = await failure(decodeRecord(toDecode(defined(record)), [reader], { registry }));
    expect(got.code).toBe("UNKNOWN_VERSION");
    expect(got.message).toContain(subject);

    await registry.register(subject, bookingV3);
    // Within the miss TTL the registry is not asked again...
    expect((await failure(decodeRecord(toDecode(defined(record)), [reader], { registry }))).code).toBe(
      "UNKNOWN_VERSION",
    );
    // ...after it, it is, and the newly registered version is found.
    clock += 60_000;
    const decoded = await decodeRecord(toDecode(defined(record)), [reader], { registry });
    expect(decoded).toMatchObject({ version: 3, payload: { booking_id: "booking-9", channel: "sms" } });
  });

  it("JSON: read with the latest known schema (extra fields dropped, defaults filled), still validated", async () => {
    const topic = await newTopic("newer-json");
    const writer = bookingEventV3(topic, "json");
    await producerFor(topic).publishEvent(writer, { ...booking(10), referrer: "mail" });
    const [record] = await readRecords(topic, 1);
    const r = defined(record);
    expect(JSON.parse(r.value?.toString() ?? "")).toMatchObject({ referrer: "mail" });

    const reader = bookingEvent(topic, "json");
    const decoded = await decodeRecord(toDecode(r), [reader]);
    expect(decoded).toEqual({
      descriptor: reader,
      version: 3,
      payload: { ...booking(10), seats: 1, channel: "sms" },
    });

    const invalid = Buffer.from(JSON.stringify({ booking_id: 5, referrer: "x" }));
    const got = await failure(decodeRecord({ ...toDecode(r), value: invalid }, [reader]));
    expect(got.code).toBe("DECODE_FAILED");
    expect(got.message).toMatch(/booking_id/);
  });
});

describe("lookup-only registration", () => {
  it("a schema that is not registered fails the publish with an error naming the subject, and nothing is written", async () => {
    const topic = await newTopic("lookup-missing");
    const event = bookingEvent(topic, "confluent");
    const got = await failure(
      producerFor(topic, { SCHEMA_REGISTRY_AUTO_REGISTER: "false" }).publishEvent(event, booking(1)),
    );
    expect(got.code).toBe("UNKNOWN_SCHEMA");
    expect(got.message).toContain(subjectFor(event));
    expect(got.message).toContain("SCHEMA_REGISTRY_AUTO_REGISTER");
    expect(await endOffsets(topic)).toEqual(["0"]);
    // Nothing was registered on the producer's behalf.
    const registry = createRegistryClient({ url: registryUrl() });
    expect((await failure(registry.lookup(subjectFor(event), bookingV2))).code).toBe("UNKNOWN_SCHEMA");
  });

  it("a subject holding only other versions does not match either", async () => {
    const topic = await newTopic("lookup-other");
    const event = bookingEvent(topic, "confluent");
    const registry = createRegistryClient({ url: registryUrl() });
    await registry.register(subjectFor(event), bookingV1);
    const got = await failure(registry.lookup(subjectFor(event), bookingV2));
    expect(got.code).toBe("UNKNOWN_SCHEMA");
    expect(got.details).toMatchObject({ subject: subjectFor(event) });
  });

  it("a registered schema is looked up and the record carries its id", async () => {
    const topic = await newTopic("lookup-found");
    const event = bookingEvent(topic, "confluent");
    const registry = createRegistryClient({ url: registryUrl() });
    const id = await registry.register(subjectFor(event), bookingV2);

    await producerFor(topic, { SCHEMA_REGISTRY_AUTO_REGISTER: "false" }).publishEvent(event, booking(2));
    const [record] = await readRecords(topic, 1);
    const value = defined(defined(record).value ?? undefined, "value");
    expect(value.readUInt32BE(1)).toBe(id);
    const decoded = await decodeRecord(toDecode(defined(record)), [event], { registry });
    expect(decoded.payload).toEqual({ ...booking(2), seats: 1, channel: "sms" });
    expect(avroCodec(bookingV2).fingerprint).toBe(avroCodec(await registry.schemaById(id)).fingerprint);
  });
});
