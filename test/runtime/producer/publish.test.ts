/**
 * The producer against the real broker and registry: headers, wire formats,
 * validation before sending, keys and partitions, and publishBatch.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProducer,
  createRegistryClient,
  decodeRecord,
  isSkejiError,
  newMessage,
  type Producer,
  producerMetrics,
  rfc3339,
  silentLogger,
} from "../../../runtime/index.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { subjectFor } from "../../../runtime/serde/subjects.ts";
import { registryUrl } from "../../infra/env.ts";
import {
  booking,
  bookingEvent,
  bookingV2,
  endOffsets,
  header,
  newTopic,
  type ReadRecord,
  readRecords,
  testConfig,
} from "./support.ts";

const open: Producer[] = [];
function producer(topic: string, env: Record<string, string> = {}): Producer {
  const p = createProducer(testConfig(topic, env), { logger: silentLogger, metrics: producerMetrics(new Registry()) });
  open.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function headersOf(r: ReadRecord): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(r.headers).map((k) => [k, header(r, k)]));
}

describe("typed publish", () => {
  it("writes every standard header with the Go services' names and forms", async () => {
    const topic = await newTopic("pub-headers");
    const event = bookingEvent(topic);
    const before = rfc3339(new Date(Date.now() - 1000));
    const result = await producer(topic, { KAFKA_SOURCE: "bookings-service" }).publishEvent(event, booking(1), {
      correlationId: "corr-abc-123",
      conversationId: "conv-7",
      headers: { tenant: "acme" },
    });
    const [record] = await readRecords(topic, 1);
    if (record === undefined) throw new Error("no record");
    const h = headersOf(record);
    expect(h).toMatchObject({
      "event-type": "booking.created",
      "correlation-id": "corr-abc-123",
      "conversation-id": "conv-7",
      "schema-version": "v2",
      source: "bookings-service",
      "retry-count": "0",
      "schema-fingerprint": avroCodec(bookingV2).fingerprint,
      tenant: "acme",
    });
    // Embedded Avro needs no content-type: readers take the format from their generated code.
    expect(h["content-type"]).toBeUndefined();
    expect(h["event-id"]).toMatch(uuid);
    expect(h["event-id"]).toBe(result.eventId);
    expect(h.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(h.timestamp && h.timestamp >= before).toBe(true);
    // The key comes from the descriptor's key field; the result says where the record is.
    expect(record.key?.toString()).toBe("+972500001");
    expect(result).toMatchObject({ topic, partition: record.partition, offset: record.offset, acknowledged: true });
  });

  it("caller headers: event-id and retry-count are taken, the other standard headers stay the producer's", async () => {
    const topic = await newTopic("pub-header-precedence");
    const result = await producer(topic).publishEvent(bookingEvent(topic), booking(2), {
      headers: {
        "event-id": "caller-id",
        "retry-count": "3",
        "event-type": "forged",
        "schema-version": "v9",
        timestamp: "yesterday",
        "content-type": "text/plain",
        tenant: "acme",
      },
    });
    const [record] = await readRecords(topic, 1);
    if (record === undefined) throw new Error("no record");
    expect(headersOf(record)).toMatchObject({
      "event-id": "caller-id",
      "retry-count": "3",
      "event-type": "booking.created",
      "schema-version": "v2",
      tenant: "acme",
    });
    // A caller's content-type would tell readers another format than the one written: dropped.
    expect(header(record, "content-type")).toBeUndefined();
    expect(header(record, "timestamp")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(result.eventId).toBe("caller-id");
  });

  it.each([
    ["content-type,schema-fingerprint,retry-count", ["content-type", "schema-fingerprint", "retry-count"]],
    ["none", []],
  ] as const)(
    "KAFKA_PRODUCER_OPTIONAL_HEADERS=%s writes those optional headers and no others; the record reads the same",
    async (env, written) => {
      const topic = await newTopic("pub-optional-headers");
      const event = bookingEvent(topic);
      await producer(topic, { KAFKA_PRODUCER_OPTIONAL_HEADERS: env }).publishEvent(event, booking(6));
      const [record] = await readRecords(topic, 1);
      if (record === undefined) throw new Error("no record");
      const h = headersOf(record);
      for (const name of ["content-type", "schema-fingerprint", "retry-count"]) {
        expect(h[name] !== undefined, name).toBe((written as readonly string[]).includes(name));
      }
      // The headers the Go services read are there either way.
      expect(Object.keys(h)).toEqual(expect.arrayContaining(["event-id", "event-type", "schema-version", "timestamp"]));
      expect(await decodeRecord(record, [event])).toMatchObject({ version: 2, payload: { booking_id: "booking-6" } });
    },
  );

  it("the builder writes the same headers, and retry-count in decimal past 9", async () => {
    const topic = await newTopic("pub-builder");
    const message = newMessage()
      .withKey("booking-12345")
      .withValue({ action: "create_booking", params: { user_phone: "+972501234567" } })
      .withEventType("booking.create.requested")
      .withCorrelationId("corr-1")
      .withConversationId("conv-1")
      .withSource("pipeline-executor")
      .withSchemaVersion(1)
      .withRetryCount(12)
      .withHeader("x-custom", "yes")
      .build();
    await producer(topic).publish(message);
    const [record] = await readRecords(topic, 1);
    if (record === undefined) throw new Error("no record");
    expect(headersOf(record)).toEqual({
      "event-id": message.headers["event-id"],
      "event-type": "booking.create.requested",
      "correlation-id": "corr-1",
      "conversation-id": "conv-1",
      source: "pipeline-executor",
      "schema-version": "v1",
      "retry-count": "12",
      timestamp: message.headers.timestamp,
      "x-custom": "yes",
    });
    expect(message.headers["event-id"]).toMatch(uuid);
    // A plain value is JSON, as the Go package writes it.
    expect(JSON.parse(record.value?.toString() ?? "")).toEqual({
      action: "create_booking",
      params: { user_phone: "+972501234567" },
    });
  });
});

describe("wire formats", () => {
  it.each(["avro", "json"] as const)("%s round-trips with defaults filled, through the decoder", async (format) => {
    const topic = await newTopic(`pub-${format}`);
    const event = bookingEvent(topic, format);
    await producer(topic).publishEvent(event, { ...booking(2), seats: 3 });
    const [record] = await readRecords(topic, 1);
    if (record === undefined) throw new Error("no record");
    if (format === "json") {
      expect(JSON.parse(record.value?.toString() ?? "")).toEqual({
        booking_id: "booking-2",
        params: { user_phone: "+972500002", start_time: "2025-11-18T15:00:00Z" },
        seats: 3,
        channel: "sms",
      });
    } else {
      expect(avroCodec(bookingV2).decode(record.value ?? Buffer.alloc(0))).toMatchObject({ seats: 3, channel: "sms" });
    }
    const decoded = await decodeRecord(record, [event]);
    expect(decoded.descriptor).toBe(event);
    expect(decoded.version).toBe(2);
    expect(decoded.payload).toEqual({
      booking_id: "booking-2",
      params: { user_phone: "+972500002", start_time: "2025-11-18T15:00:00Z" },
      seats: 3,
      channel: "sms",
    });
  });

  it("confluent format: magic byte, the registry's id for the <topic>-<event-type> subject, readable with the registry's schema", async () => {
    const topic = await newTopic("pub-confluent");
    const event = bookingEvent(topic, "confluent");
    const p = producer(topic);
    await p.publishEvent(event, booking(3));
    await p.publishEvent(event, booking(4));
    const records = await readRecords(topic, 2);
    const ids = records.map((r) => {
      expect(r.value?.[0]).toBe(0);
      return r.value?.readUInt32BE(1);
    });
    expect(new Set(ids).size).toBe(1);
    // What the registry says about the subject: the same id, our schema.
    const latest = (await (
      await fetch(`${registryUrl()}/subjects/${subjectFor({ topic, type: event.type })}/versions/latest`)
    ).json()) as {
      id: number;
      schema: string;
    };
    expect(latest.id).toBe(ids[0]);
    const bySchemaId = (await (await fetch(`${registryUrl()}/schemas/ids/${latest.id}`)).json()) as { schema: string };
    const registrySchema = JSON.parse(bySchemaId.schema);
    expect(avroCodec(registrySchema).fingerprint).toBe(avroCodec(bookingV2).fingerprint);
    // Decoded with the registry's schema (not the embedded one).
    const body = records[0]?.value?.subarray(5) ?? Buffer.alloc(0);
    expect(avroCodec(registrySchema).decode(body)).toMatchObject({ booking_id: "booking-3", channel: "sms" });
    const decoded = await decodeRecord(records[1] as ReadRecord, [event], {
      registry: createRegistryClient({ url: registryUrl() }),
    });
    expect(decoded).toMatchObject({ version: 2, payload: { booking_id: "booking-4", seats: 1 } });
  });

  it("JSON written like a Go service (builder, no schema headers) decodes as the latest version", async () => {
    const topic = await newTopic("pub-go-json");
    const event = bookingEvent(topic, "json");
    await producer(topic).publish(
      newMessage()
        .withKey("+972501234567")
        .withValue({ booking_id: "go-1", params: { user_phone: "+972501234567", start_time: "2025-11-18T15:00:00Z" } })
        .withEventType("booking.created")
        .withSource("go-service")
        .build(),
    );
    const [record] = await readRecords(topic, 1);
    expect(header(record as ReadRecord, "schema-version")).toBeUndefined();
    expect(await decodeRecord(record as ReadRecord, [event])).toMatchObject({
      version: 2,
      payload: { booking_id: "go-1", seats: 1, channel: "sms" },
    });
  });

  it("an older writer version is read as the latest, defaults filled", async () => {
    const topic = await newTopic("pub-v1");
    const event = bookingEvent(topic);
    const v1Bytes = avroCodec(event.versions[0]?.schema ?? "null").encode({ ...booking(5), seats: 2 });
    await producer(topic).publish(
      newMessage()
        .withKey("k")
        .withValue(v1Bytes)
        .withEventType("booking.created")
        .withSchemaVersion(1)
        .withHeader("schema-fingerprint", avroCodec(event.versions[0]?.schema ?? "null").fingerprint)
        .build(),
    );
    const [record] = await readRecords(topic, 1);
    const decoded = await decodeRecord(record as ReadRecord, [event]);
    expect(decoded).toMatchObject({ version: 1, payload: { booking_id: "booking-5", seats: 2, channel: "sms" } });
  });
});

describe("validation", () => {
  it.each(["avro", "confluent", "json"] as const)(
    "%s: an invalid payload is rejected with its path and expected type, and nothing is written",
    async (format) => {
      const topic = await newTopic(`pub-invalid-${format}`);
      const event = bookingEvent(topic, format);
      const bad = { booking_id: "b", params: { user_phone: "+97250", start_time: 42 } };
      const error = await producer(topic)
        .publishEvent(event, bad as never /* a wrong payload on purpose */)
        .catch((e: unknown) => e);
      expect(isSkejiError(error, "INVALID_PAYLOAD")).toBe(true);
      const details = (error as { details: { path: string; expected: string } }).details;
      expect(details.path).toBe("params.start_time");
      expect(details.expected).toBe("string");
      expect(await endOffsets(topic)).toEqual(["0"]);
    },
  );

  it("a payload without its key field is rejected, not sent unkeyed", async () => {
    const topic = await newTopic("pub-nokey");
    const event = bookingEvent(topic);
    const error = await producer(topic)
      .publishEvent(event, { booking_id: "b", params: {} } as never /* no key field on purpose */)
      .catch((e: unknown) => e);
    expect(isSkejiError(error, "INVALID_PAYLOAD")).toBe(true);
    expect((error as { details: { path: string } }).details.path).toBe("params.user_phone");
    expect(await endOffsets(topic)).toEqual(["0"]);
  });
});

describe("keys and batches", () => {
  it("the same key always lands on the same partition, in publish order", async () => {
    const topic = await newTopic("pub-keys", 3);
    const event = bookingEvent(topic);
    const p = producer(topic);
    const phones = ["+1", "+2", "+3", "+4", "+5", "+6"];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => p.publishEvent(event, booking(i, phones[i % phones.length]))),
    );
    const partitionOf = new Map<string, number>();
    results.forEach((r, i) => {
      const phone = phones[i % phones.length] as string;
      expect(r.partition).toBe(partitionOf.get(phone) ?? r.partition);
      partitionOf.set(phone, r.partition as number);
    });
    expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
    const records = await readRecords(topic, 30);
    for (const phone of phones) {
      const mine = records.filter((r) => r.key?.toString() === phone);
      expect(mine.map((r) => r.partition)).toEqual(mine.map(() => partitionOf.get(phone)));
      const ids = mine.map((r) => avroCodec(bookingV2).decode(r.value ?? Buffer.alloc(0)) as { booking_id: string });
      const expected = results.flatMap((_, i) => (phones[i % phones.length] === phone ? [`booking-${i}`] : []));
      expect(ids.map((x) => x.booking_id)).toEqual(expected);
    }
  });

  it("KAFKA_PRODUCER_PARTITIONER=fnv1a puts each key where kafka-go's Hash balancer would", async () => {
    const topic = await newTopic("pub-fnv1a", 3);
    const event = bookingEvent(topic);
    const p = producer(topic, { KAFKA_PRODUCER_PARTITIONER: "fnv1a" });
    // |int32(fnv1a32(key)) % 3|, computed outside this code base (FNV-1a 32-bit, Go's int32 remainder).
    const expected: Record<string, number> = {
      "+972501234567": 1,
      "booking-1": 0,
      "booking-2": 2,
      "booking-3": 1,
      "corr-abc-123": 2,
      "conv-42": 1,
    };
    const keys = Object.keys(expected);
    const results = await Promise.all(keys.map((key, i) => p.publishEvent(event, booking(i, key))));
    expect(results.map((r) => r.partition)).toEqual(keys.map((k) => expected[k]));
    const records = await readRecords(topic, keys.length);
    for (const r of records) expect(r.partition).toBe(expected[r.key?.toString() ?? ""]);
  });

  it("publishBatch sends every message, including those without a key", async () => {
    const topic = await newTopic("pub-batch");
    const messages = [
      newMessage().withKey("a").withValue("one").build(),
      newMessage().withValue("two (no key)").build(),
      newMessage().withKey("").withValue("three (empty key)").build(),
      newMessage().withKey("d").withValue(Buffer.from("four")).build(),
    ];
    const results = await producer(topic).publishBatch(messages);
    expect(results.map((r) => r.offset)).toEqual(["0", "1", "2", "3"]);
    const records = await readRecords(topic, 4);
    expect(records.map((r) => r.value?.toString())).toEqual(["one", "two (no key)", "three (empty key)", "four"]);
    expect(records.map((r) => r.key?.toString() ?? null)).toEqual(["a", null, "", "d"]);
  });

  it("publishBatch rejects as a whole, naming the failed message, when one message is invalid", async () => {
    const topic = await newTopic("pub-batch-bad");
    const error = await producer(topic)
      .publishBatch([newMessage().withKey("a").withValue("ok").build(), newMessage().withKey("b").build()])
      .catch((e: unknown) => e);
    expect(isSkejiError(error, "PUBLISH_FAILED")).toBe(true);
    expect((error as { details: { failed: number[] } }).details.failed).toEqual([1]);
  });

  it("rejects publishes after close with PRODUCER_CLOSED", async () => {
    const topic = await newTopic("pub-closed");
    const p = producer(topic);
    await p.publish(newMessage().withKey("a").withValue("x").build());
    await p.close();
    const error = await p.publishEvent(bookingEvent(topic), booking(1)).catch((e: unknown) => e);
    expect(isSkejiError(error, "PRODUCER_CLOSED")).toBe(true);
  });
});
