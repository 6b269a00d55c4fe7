/**
 * How messages get to the broker: compression codecs, batching of concurrent
 * publishes, middleware, async mode, and the failure path (typed errors, DLQ).
 */

import kafkajs, { CompressionTypes } from "kafkajs";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { registerCompressionCodecs } from "../../../runtime/client/compression.ts";
import { platformaticHasZstd } from "../../../runtime/client/platformatic.ts";
import { createClient } from "../../../runtime/client/transport.ts";
import type { KafkaClient } from "../../../runtime/client/types.ts";
import {
  createProducer,
  decodeRecord,
  isSkejiError,
  newMessage,
  type Producer,
  type ProducerOptions,
  producerMetrics,
  type SkejiError,
  silentLogger,
} from "../../../runtime/index.ts";
import { uniqueName } from "../../infra/env.ts";
import {
  booking,
  bookingEvent,
  defined,
  endOffsets,
  header,
  kafka,
  newTopic,
  readRecords,
  testConfig,
  transport,
} from "./support.ts";

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

interface Counted {
  readonly producer: Producer;
  /** One entry per produce request sent (the size of the broker's answer). */
  readonly requests: number[];
  readonly metrics: Registry;
}

function countedProducer(topic: string, env: Record<string, string> = {}, options: ProducerOptions = {}): Counted {
  const config = testConfig(topic, env);
  const base = createClient(config, { logger: silentLogger });
  const requests: number[] = [];
  const client: KafkaClient = {
    producer(o) {
      const p = base.producer(o);
      p.onProduceRequest((e) => requests.push(e.size));
      return p;
    },
  };
  const metrics = new Registry();
  const producer = createProducer(config, {
    logger: silentLogger,
    metrics: producerMetrics(metrics),
    client,
    ...options,
  });
  open.push(producer);
  return { producer, requests, metrics };
}

/** A payload that compresses well (repetitive text), so compression shows in request sizes. */
const compressible = (i: number) => ({ ...booking(i), booking_id: `booking-${i}-${"abcdefgh".repeat(250)}` });

/** @platformatic/kafka compresses zstd with node:zlib, which has it from Node 22.15 only. */
const noZstd = transport === "platformatic" && !platformaticHasZstd;

/** Where the transport cannot write zstd, the producer says so at creation, naming the way out. */
function expectNoZstd(topic: string): void {
  expect(() => countedProducer(topic, { KAFKA_PRODUCER_COMPRESSION: "zstd" })).toThrow(
    /compression "zstd" is not available with transport "platformatic".*KAFKA_PRODUCER_COMPRESSION/,
  );
}

describe("compression", () => {
  /** Counts calls of kafkajs's codec for a compression type, in this process (producer and consumer side). */
  function countCodec(type: CompressionTypes): { compress: number; decompress: number } {
    registerCompressionCodecs();
    const codecs = kafkajs.CompressionCodecs as Record<number, () => KafkajsCodec>;
    const original = codecs[type] as () => KafkajsCodec;
    const counts = { compress: 0, decompress: 0 };
    codecs[type] = () => {
      const codec = original();
      return {
        compress: (encoder) => {
          counts.compress++;
          return codec.compress(encoder);
        },
        decompress: (buffer) => {
          counts.decompress++;
          return codec.decompress(buffer);
        },
      };
    };
    return counts;
  }

  it.each([
    ["gzip", CompressionTypes.GZIP],
    ["snappy", CompressionTypes.Snappy],
    ["lz4", CompressionTypes.LZ4],
    ["zstd", CompressionTypes.ZSTD],
  ] as const)("%s: written compressed, accepted by the broker, and read back", async (compression, type) => {
    const counts = countCodec(type);
    const topic = await newTopic(`comp-${compression}`);
    const event = bookingEvent(topic);
    if (compression === "zstd" && noZstd) return expectNoZstd(topic);
    const { producer } = countedProducer(topic, { KAFKA_PRODUCER_COMPRESSION: compression });
    await Promise.all(Array.from({ length: 20 }, (_, i) => producer.publishEvent(event, compressible(i))));
    // kafkajs compresses with the codecs registered here; @platformatic/kafka with its own.
    if (transport === "kafkajs") expect(counts.compress).toBeGreaterThan(0);
    const records = await readRecords(topic, 20);
    // The broker kept the batch compressed: reading it back ran the same codec's decompression.
    expect(counts.decompress).toBeGreaterThan(0);
    const decoded = await Promise.all(records.map((r) => decodeRecord(r, [event])));
    expect(decoded.map((d) => (d.payload as { booking_id: string }).booking_id).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => compressible(i).booking_id).sort(),
    );
  });

  it.each([
    ["gzip", CompressionTypes.GZIP, "zstd", CompressionTypes.ZSTD],
    ["snappy", CompressionTypes.Snappy, "gzip", CompressionTypes.GZIP],
    ["lz4", CompressionTypes.LZ4, "gzip", CompressionTypes.GZIP],
    ["zstd", CompressionTypes.ZSTD, "gzip", CompressionTypes.GZIP],
  ] as const)(
    "%s: the broker's own (Java) codec reads what we wrote, recompressing it as the topic's %s",
    async (compression, ours, topicCompression, theirs) => {
      const written = countCodec(ours);
      const read = countCodec(theirs);
      const topic = await newTopic(`recomp-${compression}`, 1, { "compression.type": topicCompression });
      const event = bookingEvent(topic);
      if (compression === "zstd" && noZstd) return expectNoZstd(topic);
      const { producer } = countedProducer(topic, { KAFKA_PRODUCER_COMPRESSION: compression });
      await Promise.all(Array.from({ length: 10 }, (_, i) => producer.publishEvent(event, compressible(i))));
      if (transport === "kafkajs") expect(written.compress).toBeGreaterThan(0);
      const records = await readRecords(topic, 10);
      // The batch came back in the topic's codec: the broker had to decompress ours to recompress it.
      expect(read.decompress).toBeGreaterThan(0);
      expect(written.decompress).toBe(0);
      const ids = await Promise.all(records.map(async (r) => (await decodeRecord(r, [event])).payload));
      expect(ids.map((p) => (p as { booking_id: string }).booking_id).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => compressible(i).booking_id).sort(),
      );
    },
  );

  it.each([
    ["snappy", CompressionTypes.Snappy],
    ["lz4", CompressionTypes.LZ4],
    ["zstd", CompressionTypes.ZSTD],
  ] as const)("%s written by the broker's Java codec is read by ours", async (topicCompression, theirs) => {
    const read = countCodec(theirs);
    const topic = await newTopic(`java-${topicCompression}`, 1, { "compression.type": topicCompression });
    const event = bookingEvent(topic);
    const { producer } = countedProducer(topic, { KAFKA_PRODUCER_COMPRESSION: "gzip" });
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.publishEvent(event, compressible(i))));
    const records = await readRecords(topic, 10);
    expect(read.decompress).toBeGreaterThan(0);
    const decoded = await Promise.all(records.map(async (r) => (await decodeRecord(r, [event])).payload));
    expect(decoded.map((p) => (p as { booking_id: string }).booking_id).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => compressible(i).booking_id).sort(),
    );
  });

  it("none: no codec runs on either side", async () => {
    const counts = [CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD].map(
      countCodec,
    );
    const topic = await newTopic("comp-none");
    const event = bookingEvent(topic);
    const { producer } = countedProducer(topic, { KAFKA_PRODUCER_COMPRESSION: "none" });
    await producer.publishEvent(event, compressible(1));
    const [record] = await readRecords(topic, 1);
    expect((await decodeRecord(defined(record), [event])).payload).toMatchObject({
      booking_id: compressible(1).booking_id,
    });
    expect(counts.every((c) => c.compress === 0 && c.decompress === 0)).toBe(true);
  });
});

describe("batching", () => {
  it("concurrent publishes share one produce request, and each caller gets its own offset", async () => {
    const topic = await newTopic("batch", 2);
    const event = bookingEvent(topic);
    const { producer, requests } = countedProducer(topic, { KAFKA_PRODUCER_BATCH_TIMEOUT: "50ms" });
    await producer.publishEvent(event, booking(0)); // connects and warms the encoder
    requests.length = 0;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => producer.publishEvent(event, booking(i))));
    expect(requests).toHaveLength(1);
    const offsets = results.map((r) => `${r.partition}:${r.offset}`);
    expect(new Set(offsets).size).toBe(100);
    // Each result names the record the caller published.
    const records = await readRecords(topic, 101);
    for (const [i, r] of results.entries()) {
      const record = records.find((x) => x.partition === r.partition && x.offset === r.offset);
      const found = defined(record, `record at ${r.partition}:${r.offset}`);
      expect(header(found, "event-id")).toBe(r.eventId);
      const decoded = await decodeRecord(found, [event]);
      expect((decoded.payload as { booking_id: string }).booking_id).toBe(`booking-${i}`);
    }
  });

  it("a full batch leaves at once: KAFKA_PRODUCER_BATCH_SIZE splits the requests", async () => {
    const topic = await newTopic("batch-size");
    const event = bookingEvent(topic);
    const { producer, requests } = countedProducer(topic, {
      KAFKA_PRODUCER_BATCH_SIZE: "10",
      KAFKA_PRODUCER_BATCH_TIMEOUT: "1h",
    });
    await producer.connect();
    // With an hour of linger, only the size limit can send these 30 messages.
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => producer.publishEvent(event, booking(i))));
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    expect(requests).toHaveLength(3);
  });
});

describe("acks", () => {
  it.each([
    ["1", true],
    ["0", false],
  ] as const)(
    "KAFKA_PRODUCER_REQUIRE_ACKS=%s is honoured (offsets only when the broker answers)",
    async (acks, answered) => {
      const topic = await newTopic(`acks-${acks}`);
      const { producer } = countedProducer(topic, { KAFKA_PRODUCER_REQUIRE_ACKS: acks });
      expect(producer.config).toMatchObject({ requiredAcks: Number(acks), idempotent: false });
      const results = await Promise.all([1, 2, 3].map((i) => producer.publishEvent(bookingEvent(topic), booking(i))));
      expect(results.map((r) => r.offset)).toEqual(answered ? ["0", "1", "2"] : [undefined, undefined, undefined]);
      expect(results.map((r) => [r.partition, r.acknowledged])).toEqual([1, 2, 3].map(() => [0, answered]));
      expect(await readRecords(topic, 3)).toHaveLength(3);
    },
  );
});

describe("config objects", () => {
  it("a program's bad override fails at creation, naming the option", () => {
    const config = { ...testConfig("t"), maxAttempts: 0, compression: "brotli" as never, brokers: [] };
    let error: unknown;
    try {
      createProducer(config, { logger: silentLogger });
    } catch (e) {
      error = e;
    }
    expect(isSkejiError(error, "INVALID_CONFIG")).toBe(true);
    expect((error as Error).message).toBe(
      'invalid option "brokers": expected a list of at least one host:port (port 1-65535), e.g. broker1:9092 (the list is empty); invalid option "maxAttempts": expected an integer from 1 to 100, got 0; invalid option "compression": expected one of none, gzip, snappy, lz4, zstd, got "brotli"',
    );
  });
});

describe("middleware", () => {
  it("runs as an onion around every publish and can add headers", async () => {
    const topic = await newTopic("mw");
    const { producer } = countedProducer(topic);
    const calls: string[] = [];
    producer
      .use(async (ctx, next) => {
        calls.push("outer-before");
        ctx.headers["x-trace"] = "t-1";
        const r = await next(ctx);
        calls.push(`outer-after:${r.offset}`);
        return r;
      })
      .use(async (ctx, next) => {
        calls.push(`inner-before:${ctx.descriptor?.type}`);
        return next(ctx);
      });
    await producer.publishEvent(bookingEvent(topic), booking(1));
    expect(calls).toEqual(["outer-before", "inner-before:booking.created", "outer-after:0"]);
    const [record] = await readRecords(topic, 1);
    expect(header(defined(record), "x-trace")).toBe("t-1");
  });
});

describe("failures", () => {
  it("without a DLQ, a missing topic fails with PUBLISH_FAILED that names it and says nothing was written", async () => {
    const missing = uniqueName("missing");
    const { producer, metrics } = countedProducer(missing);
    const error = await producer.publishEvent(bookingEvent(missing), booking(1)).catch((e: unknown) => e);
    expect(isSkejiError(error, "PUBLISH_FAILED")).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`topic ${missing} does not exist`);
    // ...and how to create it.
    expect((error as Error).message).toContain("`npx skeji-gen topics apply`");
    expect((error as Error).message).toContain("`ensureTopics(config, allTopics)`");
    expect((error as SkejiError).details).toMatchObject({ missingTopics: [missing], written: false });
    expect(await metrics.metrics()).toMatch(
      new RegExp(
        `skeji_kafka_producer_messages_total\\{topic="${missing}",outcome="failed",code="PUBLISH_FAILED"\\} 1`,
      ),
    );
    // Auto-creation is off: the typo did not create a topic.
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(missing);
    await admin.disconnect();
  });

  it("with a DLQ, the message is written there with error headers and the caller gets PUBLISHED_TO_DLQ", async () => {
    const dlq = await newTopic("dlq");
    const missing = uniqueName("missing");
    const event = bookingEvent(missing);
    const { producer } = countedProducer(missing, { KAFKA_PRODUCER_DLQ_TOPIC: dlq });
    const error = await producer
      .publishEvent(event, booking(7), { correlationId: "corr-7" })
      .catch((e: unknown) => e as SkejiError);
    expect(isSkejiError(error, "PUBLISHED_TO_DLQ")).toBe(true);
    expect(isSkejiError((error as SkejiError).cause, "PUBLISH_FAILED")).toBe(true);
    expect((error as SkejiError).details).toMatchObject({ topic: missing, dlqTopic: dlq, dlqOffset: "0" });

    const [record] = await readRecords(dlq, 1);
    expect(header(defined(record), "original-topic")).toBe(missing);
    expect(header(defined(record), "dlq-error-type")).toBe("SkejiError:PUBLISH_FAILED");
    expect(header(defined(record), "dlq-error")).toContain(`topic ${missing} does not exist`);
    expect(header(defined(record), "dlq-timestamp")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The original record is intact: its headers, key and value decode as the event.
    expect(header(defined(record), "correlation-id")).toBe("corr-7");
    expect(record?.key?.toString()).toBe("+972500007");
    const decoded = await decodeRecord(defined(record), [event]);
    expect((decoded.payload as { booking_id: string }).booking_id).toBe("booking-7");
  });

  it("when the DLQ write fails as well, the caller gets DLQ_FAILED", async () => {
    const missing = uniqueName("missing");
    const { producer } = countedProducer(missing, { KAFKA_PRODUCER_DLQ_TOPIC: uniqueName("missing-dlq") });
    const error = await producer.publishEvent(bookingEvent(missing), booking(1)).catch((e: unknown) => e);
    expect(isSkejiError(error, "DLQ_FAILED")).toBe(true);
  });

  it("an unreachable broker fails with CONNECTION_FAILED; with a DLQ (also unreachable) with DLQ_FAILED", async () => {
    const config = { ...testConfig("t"), brokers: ["127.0.0.1:9"] };
    const options = { logger: silentLogger, metrics: producerMetrics(new Registry()) };
    const plain = createProducer(config, options);
    const withDlq = createProducer({ ...config, dlqTopic: "dlq" }, options);
    open.push(plain, withDlq);
    const message = newMessage().withKey("k").withValue("v").build();
    const error = await plain.publish(message).catch((e: unknown) => e);
    expect(isSkejiError(error, "CONNECTION_FAILED")).toBe(true);
    expect((error as Error).message).toContain("127.0.0.1:9");
    expect(isSkejiError(await withDlq.publish(message).catch((e: unknown) => e), "DLQ_FAILED")).toBe(true);
  });

  it("async mode resolves at once and reports failures through the error hook and metrics", async () => {
    const good = await newTopic("async");
    const missing = uniqueName("missing");
    const errors: SkejiError[] = [];
    let reported: () => void = () => {};
    const failed = new Promise<void>((resolve) => {
      reported = resolve;
    });
    const { producer, metrics } = countedProducer(
      good,
      { KAFKA_PRODUCER_ASYNC: "true" },
      {
        onError: (e) => {
          errors.push(e);
          reported();
        },
      },
    );
    const ok = await producer.publishEvent(bookingEvent(good), booking(1));
    expect(ok).toMatchObject({ acknowledged: false, offset: undefined, topic: good });
    const bad = await producer.publishEvent(bookingEvent(missing), booking(2));
    expect(bad.acknowledged).toBe(false);
    await failed;
    await producer.flush();
    expect(errors.map((e) => e.code)).toEqual(["PUBLISH_FAILED"]);
    expect(await endOffsets(good)).toEqual(["1"]);
    expect(await metrics.metrics()).toMatch(
      new RegExp(
        `skeji_kafka_producer_messages_total\\{topic="${missing}",outcome="failed",code="PUBLISH_FAILED"\\} 1`,
      ),
    );
  });
});
