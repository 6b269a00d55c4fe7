/**
 * Async mode reports each failure once: a publish that rejects (an invalid payload, a missing key)
 * is reported by its promise only; a delivery failure, which happens after the publish resolved,
 * reaches `onError` once. Against the real broker.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProducer,
  type Producer,
  producerMetrics,
  type SkejiError,
  silentLogger,
} from "../../../runtime/index.ts";
import { uniqueName } from "../../infra/env.ts";
import { booking, bookingEvent, endOffsets, newTopic, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

describe("async mode", () => {
  it("rejects an invalid payload without also calling onError; a later delivery failure reaches onError once", async () => {
    const topic = await newTopic("async-once");
    const reported: SkejiError[] = [];
    const producer = createProducer(testConfig(topic, { KAFKA_PRODUCER_ASYNC: "true" }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
      onError: (e) => reported.push(e),
    });
    open.push(producer);
    const event = bookingEvent(topic);
    const invalid = { ...booking(1), params: { user_phone: "+972500000001", start_time: 42 } } as never;
    await expect(producer.publishEvent(event, invalid)).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    const keyless = { booking_id: "b", params: { start_time: "x" } } as never;
    await expect(producer.publishEvent(event, keyless)).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    await producer.publishEvent(event, booking(2));
    await producer.flush();
    expect(reported).toEqual([]);
    expect(await endOffsets(topic)).toEqual(["1"]);

    const missing = bookingEvent(uniqueName("async-missing"));
    expect((await producer.publishEvent(missing, booking(3))).acknowledged).toBe(false);
    await producer.flush();
    expect(reported.map((e) => e.code)).toEqual(["PUBLISH_FAILED"]);
  });
});
