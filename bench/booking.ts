/** The event both Kafka benchmarks publish and consume, so their numbers describe the same work. */
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
