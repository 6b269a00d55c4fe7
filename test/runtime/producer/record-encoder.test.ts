/**
 * The kafkajs transport's record encoder choice against the real broker: with the SDK's encoder
 * (the default) and with kafkajs's own, the broker takes the same records (it checks every batch's
 * CRC and framing) and a plain kafkajs consumer reads back exactly what was published: keys,
 * values, repeated and binary headers, on several partitions, compressed, some records with
 * timestamps of their own. And the SDK's encoder writes the requests of the SDK's producers only:
 * not those of a producer set to kafkajs's, nor those of another kafkajs client in the process.
 */
import Broker from "kafkajs/src/broker/index.js";
import { Registry } from "prom-client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createProducer, type Producer, producerMetrics, silentLogger } from "../../../runtime/index.ts";
import { kafka, newTopic, readRecords, testConfig, transport } from "./support.ts";

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

/**
 * Which encoder wrote each Produce request a broker sent: kafkajs's brokers send every request
 * through one private method, watched here (the SDK's `encode` is the one that calls its encoder).
 */
function watchProduceEncoders(): { encoders: string[]; stop: () => void } {
  const send = Object.getOwnPropertySymbols(Broker.prototype).find(
    (s) => s.description === "private:Broker:sendRequest",
  );
  if (send === undefined) throw new Error("kafkajs's broker has no private send method");
  const proto = Broker.prototype as unknown as Record<
    symbol,
    (request: { request: Record<string, unknown> }) => unknown
  >;
  const original = proto[send] as (request: { request: Record<string, unknown> }) => unknown;
  const encoders: string[] = [];
  proto[send] = function (this: unknown, request) {
    if (request.request.apiName === "Produce")
      encoders.push(String(request.request.encode).includes("encodeKafkajsProduce") ? "sdk" : "kafkajs");
    return original.call(this, request);
  };
  return { encoders, stop: () => (proto[send] = original) };
}

describe.runIf(transport === "kafkajs")("the SDK's record encoder on kafkajs", () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it("writes the SDK's producers' requests only: not another kafkajs client's, not with recordEncoder kafkajs", async () => {
    const topic = await newTopic("record-encoder-whose");
    const watch = watchProduceEncoders();
    stop = watch.stop;
    const producers = encoders.map((encoder) => {
      const p = createProducer(testConfig(topic, { KAFKA_PRODUCER_RECORD_ENCODER: encoder }), {
        logger: silentLogger,
        metrics: producerMetrics(new Registry()),
      });
      open.push(p);
      return p;
    });
    const record = { key: "k", value: Buffer.from("v"), headers: {}, rawHeaders: { h: "1" } };

    await producers[0]?.publish(record);
    expect(watch.encoders.splice(0)).toEqual(["sdk"]);
    await producers[1]?.publish(record);
    expect(watch.encoders.splice(0)).toEqual(["kafkajs"]);
    const raw = kafka.producer();
    await raw.connect();
    try {
      await raw.send({ topic, messages: [{ key: "k", value: "v" }] });
    } finally {
      await raw.disconnect();
    }
    expect(watch.encoders.splice(0)).toEqual(["kafkajs"]);
  });
});
