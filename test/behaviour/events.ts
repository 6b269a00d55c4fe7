/** The event the behaviour tests publish: embedded Avro, keyed by `id`, FNV-1a partitioned, on a topic of the test's own. */
import { defineEvent } from "../../runtime/descriptor.ts";

export interface Slot {
  readonly id: string;
  readonly seq: number;
  readonly note: string;
}

export function slotEvent(topic: string, dlq = true) {
  return defineEvent<Slot, Slot, "test.slot.booked">({
    type: "test.slot.booked",
    name: "SlotBooked",
    topic,
    keyField: "id",
    format: "avro",
    compatibility: "BACKWARD",
    dlqTopic: dlq ? `${topic}-dlq` : undefined,
    partitioner: "fnv1a",
    versions: [
      {
        version: 1,
        schema: {
          type: "record",
          name: "SlotBooked",
          namespace: "test.behaviour",
          fields: [
            { name: "id", type: "string" },
            { name: "seq", type: "int" },
            { name: "note", type: "string" },
          ],
        },
      },
    ],
  });
}
