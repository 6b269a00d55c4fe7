/**
 * The kafkajs transport's record encoder choice against the real broker: with the SDK's encoder
 * (the default) and with kafkajs's own, the broker takes the same records (it checks every batch's
 * CRC and framing) and a plain kafkajs consumer reads back exactly what was published: keys,
 * values, repeated and binary headers, on several partitions, compressed, some records with
 * timestamps of their own.
 */
import Broker from "kafkajs/src/broker/index.js";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createProducer, type Producer, producerMetrics, silentLogger } from "../../../runtime/index.ts";
import { newTopic, readRecords, testConfig, transport } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

const encoders = ["sdk", "kafkajs"] as const;

describe.runIf(transport === "kafkajs").each(encoders)("the kafkajs transport with recordEncoder %s", (encoder) => {
  it("publishes records that read back exactly", async () => {
    const topic = await newTopic(`record-encoder-${encoder}`, 3);
    const p = createProducer(testConfig(topic, { KAFKA_PRODUCER_RECORD_ENCODER: encoder }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    open.push(p);
    const sent = Array.from({ length: 30 }, (_, i) => ({
      key: i % 5 === 0 ? Buffer.alloc(0) : `key-ü-${i}`,
      value: Buffer.from(`value-${"🚀".repeat(i)}`),
      headers: {},
      rawHeaders: {
        "trace-bin": Buffer.from([0x00, 0x80, 0xff, i]),
        tags: ["a", Buffer.from([0xff]), `t-${i}`],
        "event-id": `e-${i}`,
      },
      ...(i % 2 === 0 ? { timestamp: new Date(1_700_000_000_000 + i * 1000) } : {}),
    }));
    await Promise.all(sent.map((r) => p.publish(r)));
    if (encoder === "sdk") expect(Broker.prototype.produce.name).toBe("produceWithSdkEncoder");

    const read = await readRecords(topic, sent.length);
    const byId = new Map(read.map((r) => [String(r.headers["event-id"]), r]));
    for (const [i, r] of sent.entries()) {
      const got = byId.get(`e-${i}`);
      expect(got, `record ${i}`).toBeDefined();
      expect(got?.key).toEqual(Buffer.from(r.key));
      expect(got?.value).toEqual(r.value);
      expect(got?.headers["trace-bin"]).toEqual(r.rawHeaders["trace-bin"]);
      expect(got?.headers.tags).toEqual([Buffer.from("a"), Buffer.from([0xff]), Buffer.from(`t-${i}`)]);
    }
  });
});
