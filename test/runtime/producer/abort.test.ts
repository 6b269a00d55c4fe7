/**
 * Publishing with a signal or a timeout (the Go package's `ctx`), against the real broker: aborted
 * before its record is handed to the client, a publish writes nothing; aborted after, it rejects
 * saying the record may still be written - and it is.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { type BookingCreatedInit, publishBookingCreated } from "../../../generated/index.ts";
import { createKafkajsClient } from "../../../runtime/client/kafkajs.ts";
import type { KafkaClient } from "../../../runtime/client/types.ts";
import {
  createProducer,
  isSkejiError,
  newMessage,
  type Producer,
  type ProducerOptions,
  type PublishOptions,
  producerMetrics,
  type SkejiErrorLike,
  silentLogger,
} from "../../../runtime/index.ts";
import { booking, bookingEvent, endOffsets, header, newTopic, readRecords, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

/** A producer whose batches wait `KAFKA_PRODUCER_BATCH_TIMEOUT` (1 minute unless flushed): a publish stays queued. */
function lingering(topic: string, options: ProducerOptions = {}): Producer {
  const p = createProducer(testConfig(topic, { KAFKA_PRODUCER_BATCH_TIMEOUT: "1m" }), {
    logger: silentLogger,
    metrics: producerMetrics(new Registry()),
    ...options,
  });
  open.push(p);
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<SkejiErrorLike> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSkejiError(error)) throw new Error(`expected a SkejiError, got ${String(error)}`);
  return error;
}

describe("publish with a signal", () => {
  it("already aborted: rejects with ABORTED (sent: false) without running middleware or writing", async () => {
    const topic = await newTopic("abort-before");
    const seen: string[] = [];
    const errors: unknown[] = [];
    const producer = lingering(topic, { onError: (e) => errors.push(e) }).use(async (ctx, next) => {
      seen.push(ctx.topic);
      return next(ctx);
    });
    const error = await rejection(
      producer.publishEvent(bookingEvent(topic), booking(1), { signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ code: "ABORTED", details: { topic, sent: false, reason: "signal" } });
    expect(error.message).toContain("before its record was sent: nothing was written");
    await producer.flush();
    expect(seen).toEqual([]);
    expect(errors).toEqual([]);
    expect(await endOffsets(topic)).toEqual(["0"]);
  });

  it("aborted while queued: the record is taken out and never sent; the others are", async () => {
    const topic = await newTopic("abort-queued");
    const producer = lingering(topic);
    const controller = new AbortController();
    // Plain messages are queued at once (no schema to make available first): both wait in the batcher.
    const message = (key: string) => newMessage().withKey(key).withValue(key).build();
    const aborted = rejection(producer.publish(message("aborted"), { signal: controller.signal }));
    const kept = producer.publish(message("kept"), { signal: new AbortController().signal });
    controller.abort();
    expect(await aborted).toMatchObject({ code: "ABORTED", details: { sent: false } });
    await producer.flush();
    expect((await kept).acknowledged).toBe(true);
    const records = await readRecords(topic, 1);
    expect(records.map((r) => r.key?.toString())).toEqual(["kept"]);
    expect(await endOffsets(topic)).toEqual(["1"]);
  });

  it("aborted after its record was handed to the client: rejects saying it may still be written, and it is", async () => {
    const topic = await newTopic("abort-in-flight");
    const config = testConfig(topic);
    const base = createKafkajsClient(config, { logger: silentLogger });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handedOver: () => void = () => {};
    const sending = new Promise<void>((resolve) => {
      handedOver = resolve;
    });
    // The real client, whose send waits for the test: the record is with the client, not answered yet.
    const client: KafkaClient = {
      producer(o) {
        const p = base.producer(o);
        return {
          ...p,
          connect: () => p.connect(),
          disconnect: () => p.disconnect(),
          onProduceRequest: (l) => p.onProduceRequest(l),
          send: async (batch) => {
            handedOver();
            await gate;
            return p.send(batch);
          },
        };
      },
    };
    const registry = new Registry();
    const producer = createProducer(config, { logger: silentLogger, metrics: producerMetrics(registry), client });
    open.push(producer);
    const controller = new AbortController();
    const publishing = rejection(producer.publishEvent(bookingEvent(topic), booking(1), { signal: controller.signal }));
    await sending;
    controller.abort();
    const error = await publishing;
    expect(error).toMatchObject({ code: "ABORTED", details: { sent: true, reason: "signal" } });
    expect(error.message).toContain("after its record was sent: it may still be written");
    release();
    await producer.flush();
    const [record] = await readRecords(topic, 1);
    expect(header(record ?? ({ headers: {} } as never), "event-id")).toBe(error.details?.eventId);
    expect(await registry.metrics()).toMatch(/skeji_kafka_producer_messages_total\{[^}]*outcome="published"[^}]*\} 1/);
  });
});

describe("publish with timeoutMs", () => {
  it("past the timeout before its record was sent: ABORTED with reason timeout, nothing written", async () => {
    const topic = await newTopic("timeout-queued");
    const producer = lingering(topic);
    const error = await rejection(producer.publishEvent(bookingEvent(topic), booking(1), { timeoutMs: 20 }));
    expect(error).toMatchObject({ code: "ABORTED", details: { sent: false, reason: "timeout", timeoutMs: 20 } });
    expect(error.message).toContain("its timeout of 20ms passed");
    await producer.flush();
    expect(await endOffsets(topic)).toEqual(["0"]);
  });

  it("middleware sees the deadline as ctx.signal and can stop waiting on it", async () => {
    const topic = await newTopic("timeout-middleware");
    let stopped: unknown;
    const producer = lingering(topic).use(async (ctx, next) => {
      await new Promise<void>((resolve) => ctx.signal?.addEventListener("abort", () => resolve(), { once: true }));
      stopped = ctx.signal?.reason;
      return next(ctx);
    });
    const error = await rejection(
      producer.publish(newMessage().withKey("k").withValue("v").build(), { timeoutMs: 20 }),
    );
    expect(error).toMatchObject({ code: "ABORTED", details: { sent: false, reason: "timeout" } });
    expect(stopped).toBe(error);
    await producer.flush();
    expect(await endOffsets(topic)).toEqual(["0"]);
  });

  it("a publish that finishes in time resolves as usual, and a bad timeout names the option", async () => {
    const topic = await newTopic("timeout-ok");
    const producer = createProducer(testConfig(topic), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    open.push(producer);
    const result = await producer.publish(newMessage().withKey("k").withValue("v").build(), { timeoutMs: 60_000 });
    expect(result.acknowledged).toBe(true);
    const bad = await rejection(producer.publish(newMessage().withValue("v").build(), { timeoutMs: 0 }));
    expect(bad.message).toContain('invalid option "timeoutMs": expected a number of milliseconds from 1');
    expect(await endOffsets(topic)).toEqual(["1"]);
  });
});

describe("generated publish functions", () => {
  it("take the signal and timeout in their options", async () => {
    const topic = await newTopic("abort-generated");
    expectTypeOf<PublishOptions>().toHaveProperty("signal").toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<PublishOptions>().toHaveProperty("timeoutMs").toEqualTypeOf<number | undefined>();
    const producer = lingering(topic);
    const payload: BookingCreatedInit = {
      booking_id: "6f1c2a3e-8d4b-4c1a-9e2f-0a1b2c3d4e5f",
      business_id: "biz-1",
      user_phone: "+972501234567",
      slot_date: new Date("2025-11-18T00:00:00Z"),
      slot_start: 0,
      start_time: new Date("2025-11-18T15:00:00Z"),
      end_time: new Date("2025-11-18T16:00:00Z"),
      service: { id: "s", name: "Haircut", price: "120.50", currency: new TextEncoder().encode("ILS") },
      status: "CONFIRMED",
      created_at: new Date("2025-11-17T10:00:00Z"),
    };
    const error = await rejection(publishBookingCreated(producer, payload, { topic, timeoutMs: 20 }));
    expect(error).toMatchObject({ code: "ABORTED", details: { topic, sent: false, reason: "timeout" } });
    await producer.flush();
    expect(await endOffsets(topic)).toEqual(["0"]);
  });
});
