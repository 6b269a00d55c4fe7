/** Generated publish and handler functions end to end through the real broker. */

import {
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  producerConfigFromEnv,
  silentLogger,
} from "@skeji/kafka";
import { afterAll, describe, expect, it } from "vitest";
import { publishBookingCancelled } from "../../../generated/booking.cancelled.ts";
import {
  type BookingCreateRequested,
  onBookingCreateRequested,
  publishBookingCreateRequested,
} from "../../../generated/booking.create.requested.ts";
import { onBookingsEventsTopic } from "../../../generated/topics.ts";
import { brokers } from "../../infra/env.ts";
import { eventually, Fixture } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

describe("generated code", () => {
  it("publishes with publishXxx and consumes with onXxx and the topic union, with defaults and logical types", async () => {
    const topic = await fx.topic("generated");
    const env = { KAFKA_BROKERS: brokers().join(","), KAFKA_CONSUMER_START_OFFSET: "oldest" };
    const producer = createProducer(
      { ...producerConfigFromEnv(topic, env), batchTimeoutMs: 0 },
      { logger: silentLogger },
    );
    const start = new Date("2025-11-18T15:00:00.000Z");
    await publishBookingCreateRequested(
      producer,
      {
        correlation_id: "corr-1",
        action: "create_booking",
        params: { user_phone: "+972501234567", business_id: "biz-1", start_time: start },
      },
      { topic },
    );
    await publishBookingCancelled(
      producer,
      {
        booking_id: "7d444840-9dc0-11d1-b245-5ffdce74fad2",
        reason: "NO_SHOW",
        cancelled_at: start,
        refund: { amount: "12.50", currency: "ILS" },
      },
      { topic, correlationId: "corr-2" },
    );
    await producer.close();

    const config = { ...consumerConfigFromEnv(topic, `${topic}-group`, env), heartbeatIntervalMs: 500, maxWaitMs: 100 };
    const requests: BookingCreateRequested[] = [];
    const refunds: (string | undefined)[] = [];
    const consumer = createConsumer(config, { logger: silentLogger, topics: [topic] });
    onBookingCreateRequested(consumer, (e) => {
      requests.push(e.payload);
    });
    onBookingsEventsTopic(consumer, (e) => {
      if (e.type === "booking.cancelled") refunds.push(e.payload.refund?.amount);
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;

    expect(requests).toEqual([
      {
        correlation_id: "corr-1",
        action: "create_booking",
        params: {
          user_phone: "+972501234567",
          business_id: "biz-1",
          start_time: start,
          service_id: null,
          duration_minutes: 30,
          party_size: 1,
        },
        channel: "whatsapp",
      },
    ]);
    expect(refunds).toEqual(["12.50"]);
  });
});
