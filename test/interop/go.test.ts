/**
 * Interoperability with Skeji's Go services (segmentio/kafka-go), against the real broker: the
 * same key lands on the same partition whichever side writes it, what the SDK writes is what a Go
 * consumer reads (its headers included), and what a Go service writes reaches the SDK's typed
 * handlers. The Go side is test/interop/go/ (see go-program.ts; SDK's side: generated code).
 */
import type { PartitionerArgs } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayMessageReceived } from "../../generated/gateway.message.received.ts";
import { GatewayInboundMessagesTopic } from "../../generated/topics.ts";
import { createPartitioner, fnv1aIndex } from "../../runtime/client/partitioners.ts";
import { type ConsumedEvent, createProducer, producerConfigFromEnv, silentLogger } from "../../runtime/index.ts";
import { brokers } from "../infra/env.ts";
import { Fixture } from "../runtime/consumer/helpers.ts";
import { goConsume, goPartitions, goProduce, goProgram, skipGo } from "./go-program.ts";
import { consumeAll, gatewayJson, messageId } from "./sdk.ts";

/** A deterministic pseudo-random sequence (LCG), so every run checks the same keys. */
function sequence(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** 300 keys of the shapes Skeji's services use, plus unicode, binary, empty and long ones. */
function referenceKeys(): Uint8Array[] {
  const next = sequence(12);
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
  const keys: Uint8Array[] = [utf8("")];
  for (let i = 0; i < 60; i++) keys.push(utf8(`booking-${i}`), utf8(`corr-${next().toString(36)}`));
  for (let i = 0; i < 50; i++) keys.push(utf8(`+9725${String(next() % 100_000_000).padStart(8, "0")}`));
  for (let i = 0; i < 40; i++) {
    const hex = Array.from({ length: 4 }, () => next().toString(16).padStart(8, "0")).join("");
    keys.push(
      utf8(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`),
    );
  }
  for (let i = 0; i < 30; i++) keys.push(utf8(`הזמנה-${i}-☕-${next() % 1000}`));
  while (keys.length < 290) keys.push(Uint8Array.from({ length: 1 + (next() % 40) }, () => next() & 0xff));
  while (keys.length < 300) keys.push(utf8(`conversation-${"x".repeat(next() % 2000)}`));
  return keys;
}

/** The producer's own partitioner function, as kafkajs calls it for a topic of `count` partitions. */
function partitionWith(name: "murmur2" | "fnv1a", key: Uint8Array, count: number): number {
  const partitioner = createPartitioner(name);
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({
    topic: "t",
    partitionMetadata,
    message: { key: Buffer.from(key), value: null },
  } as PartitionerArgs);
}

const counts = [1, 3, 6, 12, 100];

describe.skipIf(skipGo)("Go services (kafka-go) and the SDK", () => {
  const fx = new Fixture();
  beforeAll(async () => {
    await goProgram(); // the build (first run: module download and compile) is not a test's time
  });
  afterAll(() => fx.close());

  describe("partitions: the same key, the same partition", () => {
    const keys = referenceKeys();

    it("fnv1a picks what kafka-go's Hash balancer picks, for 300 keys and 1, 3, 6, 12 and 100 partitions", async () => {
      const go = await goPartitions("hash", keys, counts);
      for (const n of counts) {
        const expected = go.get(n);
        expect(expected).toHaveLength(keys.length);
        expect(keys.map((k) => fnv1aIndex(k, n))).toEqual(expected);
        expect(keys.map((k) => partitionWith("fnv1a", k, n))).toEqual(expected);
      }
    });

    it("murmur2 picks what the Java client picks (kafka-go's Murmur2Balancer), and mostly not what Hash picks", async () => {
      const murmur = await goPartitions("murmur2", keys, counts);
      const hash = await goPartitions("hash", keys, [12]);
      for (const n of counts) expect(keys.map((k) => partitionWith("murmur2", k, n))).toEqual(murmur.get(n));
      // Why the partitioner has to match: over 12 partitions most keys would move.
      const same = keys.filter((_, i) => murmur.get(12)?.[i] === hash.get(12)?.[i]).length;
      expect(same).toBeLessThan(keys.length / 4);
    });
  });

  it("a typed event the SDK publishes on an fnv1a topic lands where kafka-go puts its key, and a Go consumer reads it with the Go headers", async () => {
    expect(GatewayInboundMessagesTopic.partitioner).toBe("fnv1a");
    expect(gatewayJson.partitioner).toBe("fnv1a");
    const topic = await fx.topic("go-reads", 12, false);
    const producer = createProducer(
      {
        ...producerConfigFromEnv(topic, { KAFKA_BROKERS: brokers().join(","), KAFKA_SOURCE: "gateway-ts" }),
        batchTimeoutMs: 0,
      },
      { logger: silentLogger },
    );
    const phones = Array.from({ length: 24 }, (_, i) => `+97250${String(1_234_567 + i * 7919).padStart(7, "0")}`);
    const at = new Date("2025-11-18T15:00:00.250Z");
    const results = await Promise.all(
      phones.map((phone, i) =>
        producer.publishEvent(
          gatewayJson,
          {
            message_id: messageId(i),
            user_phone: phone,
            channel: "WHATSAPP",
            text: `hello ${i}`,
            attachments: [{ url: `https://files.skeji.dev/${i}`, mime_type: "image/png", size_bytes: 100 + i }],
            received_at: at,
          },
          { topic, correlationId: `corr-${i}`, conversationId: `conv-${i}`, timestamp: at },
        ),
      ),
    );
    await producer.close();

    const go = await goPartitions(
      "hash",
      phones.map((p) => Buffer.from(p)),
      [12],
    );
    const expected = go.get(12) ?? [];
    expect(results.map((r) => r.partition)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(3);

    const records = await goConsume(brokers(), topic, phones.length);
    expect(records).toHaveLength(phones.length);
    for (const r of records) {
      const i = phones.indexOf(r.key ?? "");
      expect(i).toBeGreaterThanOrEqual(0);
      expect(r.partition).toBe(expected[i]);
      // What the Go package's consumers read: its header names, byte for byte, and their values.
      expect(r.headers).toEqual({
        "event-id": results[i]?.eventId,
        "event-type": "gateway.message.received",
        "schema-version": "v1",
        timestamp: "2025-11-18T15:00:00Z", // RFC 3339 in whole seconds, as Go's time.RFC3339 writes it
        "retry-count": "0",
        source: "gateway-ts",
        "correlation-id": `corr-${i}`,
        "conversation-id": `conv-${i}`,
        "content-type": "application/json",
        "schema-fingerprint": expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      expect(r.headers["event-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.timestampMs).toBe(Date.parse("2025-11-18T15:00:00Z"));
      // The value as a Go service's msg.DecodeValue(&v) (encoding/json) sees it.
      expect(JSON.parse(r.value)).toEqual({
        message_id: messageId(i),
        user_phone: phones[i],
        channel: "WHATSAPP",
        text: `hello ${i}`,
        attachments: [
          { url: `https://files.skeji.dev/${i}`, mime_type: "image/png", size_bytes: 100 + i, sha256: null },
        ],
        received_at: "2025-11-18T15:00:00.250Z",
        locale: "he-IL",
      });
    }
  });

  it("records a Go service writes (standard headers, event-type, JSON values) reach the SDK's typed handler", async () => {
    const topic = await fx.topic("go-writes", 6);
    const phones = Array.from({ length: 12 }, (_, i) => `+97252${String(7_654_321 - i * 104_729).padStart(7, "0")}`);
    await goProduce(
      brokers(),
      topic,
      phones.map((phone, i) => ({
        key: phone,
        eventType: "gateway.message.received",
        eventId: `go-evt-${i}`,
        correlationId: `go-corr-${i}`,
        schemaVersion: "v1",
        source: "gateway",
        time: "2025-11-18T15:00:00Z",
        value: {
          message_id: messageId(100 + i),
          user_phone: phone,
          channel: "SMS",
          text: i % 2 === 0 ? `hi ${i}` : null,
          attachments: [
            { url: `https://files.skeji.dev/go/${i}`, mime_type: "text/plain", size_bytes: i, sha256: null },
          ],
          received_at: "2025-11-18T15:00:00.5Z",
          locale: "en-US",
        },
      })),
    );
    const go =
      (
        await goPartitions(
          "hash",
          phones.map((p) => Buffer.from(p)),
          [6],
        )
      ).get(6) ?? [];

    const handled: ConsumedEvent<GatewayMessageReceived>[] = [];
    await consumeAll(fx, topic, phones.length, (consumer) =>
      consumer.on(gatewayJson, (e) => {
        handled.push(e);
      }),
    );

    expect(handled).toHaveLength(phones.length);
    for (const e of handled) {
      const i = phones.indexOf(e.key ?? "");
      expect(e.partition).toBe(go[i]);
      expect(e).toMatchObject({
        type: "gateway.message.received",
        eventId: `go-evt-${i}`,
        correlationId: `go-corr-${i}`,
        source: "gateway",
        schemaVersion: 1,
      });
      expect(e.payload).toEqual({
        message_id: messageId(100 + i),
        user_phone: phones[i],
        channel: "SMS",
        text: i % 2 === 0 ? `hi ${i}` : null,
        attachments: [{ url: `https://files.skeji.dev/go/${i}`, mime_type: "text/plain", size_bytes: i, sha256: null }],
        received_at: new Date("2025-11-18T15:00:00.500Z"),
        locale: "en-US",
      });
    }
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
  });

  it("a timestamp header (and timestamp values) in local time, +02:00 as Go writes it", async () => {
    const topic = await fx.topic("go-offset", 3);
    const phone = "+972531234567";
    await goProduce(brokers(), topic, [
      {
        key: phone,
        eventType: "gateway.message.received",
        schemaVersion: "v1",
        source: "gateway",
        time: "2025-11-18T15:00:00Z",
        timeOffset: "+02:00",
        value: {
          message_id: messageId(200),
          user_phone: phone,
          channel: "WHATSAPP",
          text: null,
          attachments: [],
          received_at: "2025-11-18T17:00:00.5+02:00",
          locale: "he-IL",
        },
      },
    ]);
    const handled: ConsumedEvent<GatewayMessageReceived>[] = [];
    await consumeAll(fx, topic, 1, (consumer) =>
      consumer.on(gatewayJson, (e) => {
        handled.push(e);
      }),
    );
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
    expect(handled).toHaveLength(1);
    expect(handled[0]?.headers.timestamp).toBe("2025-11-18T17:00:00+02:00");
    expect(handled[0]?.payload.received_at).toEqual(new Date("2025-11-18T15:00:00.500Z"));
  });
});
