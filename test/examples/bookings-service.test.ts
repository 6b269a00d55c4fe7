/**
 * A unit test of a service's handler with `@skeji/kafka/testing`: published with the generated
 * functions, handled by the real consumer (serde, validation, routing, retries, DLQ) on an
 * in-memory broker, backoff on a clock that does not wait. No Kafka; a few milliseconds a test.
 */
import { createTestKit, type TestKit } from "@skeji/kafka/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bookingsService, type Calendar } from "../../examples/testing/bookings-service.ts";
import {
  BookingCreateRequestedEvent,
  publishBookingCreateRequested,
} from "../../generated/booking.create.requested.ts";
import { BookingCreatedEvent } from "../../generated/booking.created.ts";
import { allTopics } from "../../generated/index.ts";

const request = (phone: string, partySize = 2) => ({
  correlation_id: `req-${phone}`,
  action: "create_booking" as const,
  params: {
    user_phone: phone,
    business_id: "salon-1",
    start_time: new Date("2026-03-02T09:00:00Z"),
    party_size: partySize,
  },
});

describe("bookings service", () => {
  let kit: TestKit;
  let calendarDownFor: number;
  const calendar: Calendar = {
    async reserve() {
      if (calendarDownFor > 0) {
        calendarDownFor--;
        throw new Error("connect ECONNREFUSED 10.0.0.7:443");
      }
      return { bookingId: "0b6f2a7e-4b1c-4d7e-9a51-3f1c2d4e5f60", price: "85.50" };
    },
  };

  beforeEach(async () => {
    calendarDownFor = 0;
    kit = createTestKit({ topics: allTopics });
    const consumer = kit.consumer({ groupId: "bookings-service", maxRetries: 3 });
    bookingsService(consumer, kit.producer(), calendar);
    await kit.start(consumer);
  });
  afterEach(() => kit.close());

  it("confirms a requested booking with a booking.created event", async () => {
    await publishBookingCreateRequested(kit.producer(), request("+972501234567"));
    await kit.drain();

    const [created] = await kit.events(BookingCreatedEvent);
    expect(created?.payload).toMatchObject({ user_phone: "+972501234567", status: "CONFIRMED" });
    expect(created?.payload.service.price).toBe("85.50");
    expect(created?.record.headerText["correlation-id"]).toBe("req-+972501234567");
    expect(kit.committed("bookings-service", "pipeline-executor-to-bookings")).toContain(1);
  });

  it("retries while the calendar is down, without waiting out the backoff", async () => {
    calendarDownFor = 2;
    await publishBookingCreateRequested(kit.producer(), request("+972506789012"));
    await kit.drain();

    expect(await kit.events(BookingCreatedEvent)).toHaveLength(1);
    expect(kit.clock.sleeps).toHaveLength(2); // two backoffs, on the kit's clock
    expect(kit.dlq("dlq-domain-services")).toEqual([]);
  });

  it("dead-letters the request when the calendar stays down", async () => {
    calendarDownFor = Number.POSITIVE_INFINITY;
    await publishBookingCreateRequested(kit.producer(), request("+972509999999"));
    await kit.drain();

    const [letter] = kit.dlq("dlq-domain-services");
    expect(letter).toMatchObject({
      originalTopic: "pipeline-executor-to-bookings",
      errorClass: "transient",
      retryCount: 3,
      error: "calendar service unavailable: connect ECONNREFUSED 10.0.0.7:443",
    });
    // A dead letter keeps the original value and headers: it decodes as the event it was.
    const [dead] = await kit.events(BookingCreateRequestedEvent, "dlq-domain-services");
    expect(dead?.payload.params.user_phone).toBe("+972509999999");
    expect(await kit.events(BookingCreatedEvent)).toEqual([]);
  });

  it("turns down a party that is too large: no booking, no dead letter", async () => {
    await publishBookingCreateRequested(kit.producer(), request("+972501111111", 40));
    await kit.drain();

    expect(await kit.events(BookingCreatedEvent)).toEqual([]);
    expect(kit.dlq("dlq-domain-services")).toEqual([]);
  });

  it("rejects an invalid payload at publish: nothing reaches the topic", async () => {
    const invalid = { ...request("+972502222222"), params: { ...request("x").params, user_phone: 42 } };
    // @ts-expect-error a number where the schema says string
    await expect(publishBookingCreateRequested(kit.producer(), invalid)).rejects.toMatchObject({
      code: "INVALID_PAYLOAD",
    });
    expect(kit.records("pipeline-executor-to-bookings")).toEqual([]);
  });
});
