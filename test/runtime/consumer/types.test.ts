/** Type-level checks of the consumer API (compiled by `tsc`; the runtime assertions are trivial on purpose). */

import type { ConsumedEvent, Consumer, EventHandler, TopicHandler } from "@skeji/kafka";
import { describe, expectTypeOf, it } from "vitest";
import type { BookingCreateRequested } from "../../../generated/booking.create.requested.ts";
import { BookingCreateRequestedEvent } from "../../../generated/booking.create.requested.ts";
import { BookingsEventsTopic } from "../../../generated/topics.ts";

declare const consumer: Consumer;

describe("consumer types", () => {
  it("typed handlers receive the descriptor's payload; wrong fields and wrong handlers do not compile", () => {
    const handler: EventHandler<typeof BookingCreateRequestedEvent> = (event) => {
      expectTypeOf(event.payload).toEqualTypeOf<BookingCreateRequested>();
      expectTypeOf(event.payload.params.start_time).toEqualTypeOf<Date>();
      expectTypeOf(event.schemaVersion).toEqualTypeOf<number>();
      // @ts-expect-error: not a field of BookingCreateRequested
      void event.payload.booking_id;
    };
    expectTypeOf(handler).parameter(0).toEqualTypeOf<ConsumedEvent<BookingCreateRequested>>();
    if (Math.random() > 2) {
      consumer.on(BookingCreateRequestedEvent, handler);
      // @ts-expect-error: a handler for another payload type
      consumer.on(BookingCreateRequestedEvent, (e: ConsumedEvent<{ other: string }>) => void e.payload.other);
    }
  });

  it("topic handlers narrow the union on type", () => {
    const handler: TopicHandler<typeof BookingsEventsTopic> = (event) => {
      expectTypeOf(event.type).toEqualTypeOf<"booking.cancelled" | "booking.created">();
      if (event.type === "booking.cancelled") expectTypeOf(event.payload.reason).toBeString();
      else expectTypeOf(event.payload.slot_start).toBeNumber();
    };
    if (Math.random() > 2) consumer.onTopic(BookingsEventsTopic, handler);
  });
});
