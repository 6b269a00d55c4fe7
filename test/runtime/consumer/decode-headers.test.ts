/**
 * The consumer's decoder reads a record the same way whichever optional headers its producer
 * wrote (`optionalHeaders`): with or without `content-type` and `schema-fingerprint`, whether
 * the record takes the fast path or the full decoder.
 */
import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { serdeDecoder } from "../../../runtime/consumer/decode.ts";
import { toConsumedMessage } from "../../../runtime/consumer/message.ts";
import { isSkejiError } from "../../../runtime/index.ts";
import { avroCodec } from "../../../runtime/serde/avro.ts";
import { createSerde } from "../../../runtime/serde/serde.ts";
import { booking, bookingEvent, bookingV1, bookingV2 } from "../producer/support.ts";

const event = bookingEvent("decode-headers");
const v1 = avroCodec(bookingV1);
const v2 = avroCodec(bookingV2);
const decode = serdeDecoder(createSerde());

function message(headers: Record<string, string>, value: Buffer) {
  const raw: KafkaMessage = {
    key: null,
    value,
    timestamp: "0",
    attributes: 0,
    offset: "0",
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  };
  return toConsumedMessage("decode-headers", 0, raw);
}

const latest = v2.encodeWithDefaults({ ...booking(1), seats: 3 });
const older = v1.encodeWithDefaults({ ...booking(2), seats: 4 });
const base = { "event-type": "booking.created" };

describe("the consumer's decoder and the optional headers", () => {
  it.each([
    ["every optional header", { "content-type": "application/avro", "schema-fingerprint": v2.fingerprint }],
    ["no content-type (the default)", { "schema-fingerprint": v2.fingerprint }],
    ["neither content-type nor schema-fingerprint", {}],
  ])("the latest version with %s", async (_name, optional) => {
    const decoded = await decode(message({ ...base, "schema-version": "v2", ...optional }, latest), [event]);
    expect(decoded).toMatchObject({ version: 2, payload: { booking_id: "booking-1", seats: 3, channel: "sms" } });
  });

  it.each([
    ["with its fingerprint", { "schema-fingerprint": v1.fingerprint }],
    ["without", {}],
  ])("an older version %s is resolved to the latest", async (_name, optional) => {
    const decoded = await decode(message({ ...base, "schema-version": "v1", ...optional }, older), [event]);
    expect(decoded).toMatchObject({ version: 1, payload: { booking_id: "booking-2", seats: 4, channel: "sms" } });
  });

  it("a fingerprint that names another schema is refused, with or without content-type", async () => {
    for (const optional of [{}, { "content-type": "application/avro" }]) {
      const record = message(
        { ...base, "schema-version": "v2", "schema-fingerprint": v1.fingerprint, ...optional },
        latest,
      );
      const error = await Promise.resolve()
        .then(() => decode(record, [event]))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isSkejiError(error) ? error.code : error).toBe("UNKNOWN_SCHEMA");
    }
  });
});
