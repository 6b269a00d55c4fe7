/** The event the Kafka benchmarks publish and consume, so their numbers describe the same work. */
import { defineEvent } from "@skeji/kafka";

export const schema = {
  type: "record",
  name: "BookingCreated",
  namespace: "skeji.bench",
  fields: [
    { name: "booking_id", type: "string" },
    { name: "user_phone", type: "string" },
    { name: "start_time", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "seats", type: "int", default: 1 },
    { name: "notes", type: "string", default: "" },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["PENDING", "CONFIRMED"] }, default: "PENDING" },
  ],
} as const;

export interface Booking {
  booking_id: string;
  user_phone: string;
  start_time: Date;
  seats: number;
  notes: string;
  status: "PENDING" | "CONFIRMED";
}

/** The benchmarks' event on `topic` (embedded Avro, keyed by the 13-byte phone number). */
export function bookingCreated(topic: string) {
  return defineEvent<Booking, Booking, "bench.booking.created">({
    type: "bench.booking.created",
    name: "BookingCreated",
    topic,
    keyField: "user_phone",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema }],
  });
}

/** The `i`-th booking: every field set, so every contender encodes the same object. */
export function booking(i: number): Booking {
  return {
    booking_id: `booking-${i % 997}`,
    user_phone: `+97250${String(i % 1000).padStart(7, "0")}`,
    start_time: new Date(1_763_478_000_000 + i * 60_000),
    seats: 2,
    notes: "window seat",
    status: "CONFIRMED",
  };
}
