/**
 * `publish({ rawHeaders })` against the real broker: header bytes, repeated headers and Uint8Array
 * values arrive exactly as given, the producer fills in nothing, and raw headers win over
 * same-named ones from `headers` or middleware.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createProducer, type Producer, producerMetrics, silentLogger } from "../../../runtime/index.ts";
import { newTopic, readRecords, testConfig } from "./support.ts";

const open: Producer[] = [];
function producer(topic: string, env: Record<string, string> = {}): Producer {
  const p = createProducer(testConfig(topic, env), { logger: silentLogger, metrics: producerMetrics(new Registry()) });
  open.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

/** Bytes that are not valid UTF-8 (a lone continuation byte, 0xff, a NUL). */
const binary = Buffer.from([0x00, 0x80, 0xff, 0xfe, 0xc3]);

describe("publish with rawHeaders", () => {
  it("writes header bytes, Uint8Arrays and repeated headers exactly, and fills in no standard header", async () => {
    const topic = await newTopic("raw-headers");
    const p = producer(topic, { KAFKA_SOURCE: "bookings-service" });
    const view = new Uint8Array([9, 8, 7, 6, 5, 4]).subarray(1, 4); // a view with an offset into its buffer
    const result = await p.publish({
      key: Buffer.from([0xff, 0x01]),
      value: Buffer.from([0, 1, 2, 255]),
      headers: {},
      rawHeaders: {
        "trace-bin": binary,
        view,
        tags: ["a", Buffer.from([0xff]), new Uint8Array([0x61, 0x62])],
        "event-id": Buffer.from("e-1"),
        missing: undefined,
      },
    });
    expect(result.eventId).toBe("e-1");
    expect(result.acknowledged).toBe(true);

    const [r] = await readRecords(topic, 1);
    expect(r?.key).toEqual(Buffer.from([0xff, 0x01]));
    expect(r?.value).toEqual(Buffer.from([0, 1, 2, 255]));
    // kafkajs hands every value back as bytes, a repeated header as an array in written order.
    expect(r?.headers).toEqual({
      "trace-bin": binary,
      view: Buffer.from([8, 7, 6]),
      tags: [Buffer.from("a"), Buffer.from([0xff]), Buffer.from("ab")],
      "event-id": Buffer.from("e-1"),
    });
  });

  it("raw headers win over same-named headers from the message and from middleware; other headers are added", async () => {
    const topic = await newTopic("raw-headers-win");
    const p = producer(topic).use(async (ctx, next) => {
      ctx.headers.traceparent = "00-from-middleware";
      ctx.headers["x-added"] = "by-middleware";
      return next(ctx);
    });
    await p.publish({
      key: "k",
      value: "v",
      headers: { "event-type": "from-headers", "x-text": "kept" },
      rawHeaders: { traceparent: binary, "event-type": Buffer.from("booking.created") },
    });

    const [r] = await readRecords(topic, 1);
    expect(r?.headers).toEqual({
      "event-type": Buffer.from("booking.created"),
      "x-text": Buffer.from("kept"),
      traceparent: binary,
      "x-added": Buffer.from("by-middleware"),
    });
  });

  it("without rawHeaders a plain publish still gets event-id, timestamp, retry-count and source", async () => {
    const topic = await newTopic("raw-headers-none");
    await producer(topic, { KAFKA_SOURCE: "bookings-service" }).publish({
      key: "k",
      value: "v",
      headers: {},
    });
    const [r] = await readRecords(topic, 1);
    expect(Object.keys(r?.headers ?? {}).sort()).toEqual(["event-id", "retry-count", "source", "timestamp"]);
    expect(r?.headers.source).toEqual(Buffer.from("bookings-service"));
  });
});
