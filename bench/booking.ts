/** The event the Kafka benchmarks publish and consume, so their numbers describe the same work. */
import { defineEvent } from "../runtime/index.ts";

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

/** The consume benchmarks' event on `topic` (embedded Avro, keyed by booking id). */
export function bookingCreated(topic: string) {
  return defineEvent<Booking, Booking, "bench.booking.created">({
    type: "bench.booking.created",
    name: "BookingCreated",
    topic,
    keyField: "booking_id",
    format: "avro",
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema }],
  });
}

/** The `i`-th booking the consume benchmarks publish. */
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
