/**
 * A service's handler, written as a service would write it: it takes its consumer, producer and
 * dependencies, so that production wires it to Kafka and a unit test to the test kit
 * (bookings-service.test.ts next to it, docs/testing.md).
 */
import { type Consumer, newBusinessError, newTransientError, type Producer } from "@skeji/kafka";
import { onBookingCreateRequested } from "../../generated/booking.create.requested.ts";
import { publishBookingCreated } from "../../generated/booking.created.ts";

/** The calendar the service books in (an HTTP client in production, a fake in tests). */
export interface Calendar {
  /** Reserves a slot; rejects when the calendar cannot be reached. */
  reserve(businessId: string, start: Date, minutes: number): Promise<{ bookingId: string; price: string }>;
}

export function bookingsService(consumer: Consumer, producer: Producer, calendar: Calendar): void {
  onBookingCreateRequested(consumer, async (event) => {
    const { params } = event.payload;
    // Not a failure of the message: answered, committed, never retried or dead-lettered.
    if (params.party_size > 20) throw newBusinessError(`no table for ${params.party_size}`);
    const slot = await calendar.reserve(params.business_id, params.start_time, params.duration_minutes).catch((e) => {
      // Worth another try: retried with backoff, dead-lettered when the retries run out.
      throw newTransientError("calendar service unavailable", e);
    });
    await publishBookingCreated(
      producer,
      {
        booking_id: slot.bookingId,
        business_id: params.business_id,
        user_phone: params.user_phone,
        slot_date: new Date(
          Date.UTC(params.start_time.getUTCFullYear(), params.start_time.getUTCMonth(), params.start_time.getUTCDate()),
        ),
        slot_start: params.start_time.getTime() % 86_400_000,
        start_time: params.start_time,
        end_time: new Date(params.start_time.getTime() + params.duration_minutes * 60_000),
        service: {
          id: params.service_id ?? "haircut",
          name: "Haircut",
          price: slot.price,
          currency: Buffer.from("ILS"),
        },
        status: "CONFIRMED",
        created_at: new Date(),
        correlation_id: event.payload.correlation_id,
      },
      { correlationId: event.payload.correlation_id },
    );
  });
}
