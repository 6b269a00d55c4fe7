/**
 * The generated publish functions through the producer, with a schema that uses
 * every kind of Avro type (decimal, fixed, dates, times, micros, map, nullable
 * union, nested record, enum), in each wire format, read back from the broker.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { BookingCreatedEvent, type BookingCreatedInit, publishBookingCreated } from "../../../generated/index.ts";
import {
  createProducer,
  createRegistryClient,
  decodeRecord,
  defineEvent,
  type Producer,
  type PublishResult,
  producerMetrics,
  silentLogger,
} from "../../../runtime/index.ts";
import { registryUrl } from "../../infra/env.ts";
import { defined, header, newTopic, readRecords, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

const booking: BookingCreatedInit = {
  booking_id: "6f1c2a3e-8d4b-4c1a-9e2f-0a1b2c3d4e5f",
  business_id: "biz-1",
  user_phone: "+972501234567",
  slot_date: new Date("2025-11-18T00:00:00Z"),
  slot_start: 15 * 3600 * 1000,
  start_time: new Date("2025-11-18T15:00:00Z"),
  end_time: new Date("2025-11-18T16:00:00Z"),
  service: { id: "svc-1", name: "Haircut", price: "120.50", currency: new TextEncoder().encode("ILS") },
  status: "CONFIRMED",
  created_at: new Date("2025-11-17T10:00:00.123Z"),
};

describe("generated publish functions", () => {
  it.each(["avro", "confluent", "json"] as const)(
    "%s: publishBookingCreated round-trips every field through the broker",
    async (format) => {
      const topic = await newTopic(`gen-${format}`);
      const event = defineEvent({ ...BookingCreatedEvent, topic, format });
      const producer = createProducer(testConfig(topic), {
        logger: silentLogger,
        metrics: producerMetrics(new Registry()),
      });
      open.push(producer);
      const result = await producer.publishEvent(event, booking, { correlationId: "corr-1" });
      const [record] = await readRecords(topic, 1);
      const found = defined(record, "record");
      expect(found.key?.toString()).toBe(booking.booking_id);
      expect(header(found, "event-type")).toBe("booking.created");
      expect(header(found, "schema-version")).toBe("v1");
      expect(result.offset).toBe(found.offset);
      const decoded = await decodeRecord(found, [event], { registry: createRegistryClient({ url: registryUrl() }) });
      const payload = decoded.payload as typeof booking;
      expect(payload.service.currency).toBeInstanceOf(Uint8Array);
      expect(new TextDecoder().decode(payload.service.currency)).toBe("ILS");
      expect(payload).toEqual({
        ...booking,
        service: { ...booking.service, currency: expect.any(Uint8Array) },
        correlation_id: null,
        metadata: {},
      });
    },
  );

  it("the generated function calls the producer with its descriptor", async () => {
    const topic = await newTopic("gen-fn");
    const producer = createProducer(testConfig(topic), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    open.push(producer);
    const result = await publishBookingCreated(producer, booking, { topic });
    expectTypeOf(result).toEqualTypeOf<PublishResult>();
    const [record] = await readRecords(topic, 1);
    expect((await decodeRecord(defined(record), [BookingCreatedEvent])).descriptor).toBe(BookingCreatedEvent);
  });

  it("a wrong payload does not compile", () => {
    const producer = undefined as unknown as Producer;
    const typeOnly = () => {
      // @ts-expect-error status is an enum of PENDING | CONFIRMED
      void publishBookingCreated(producer, { ...booking, status: "CANCELLED" });
      // @ts-expect-error booking_id is required
      void publishBookingCreated(producer, { ...booking, booking_id: undefined });
      // @ts-expect-error slot_date is a Date, not a string
      void publishBookingCreated(producer, { ...booking, slot_date: "2025-11-18" });
      // Fields with defaults may be left out.
      void publishBookingCreated(producer, booking);
    };
    expect(typeof typeOnly).toBe("function");
  });
});
