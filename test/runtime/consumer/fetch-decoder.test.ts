/**
 * The consumer's own Fetch v11 decoder against kafkajs's, on responses of the real broker: every
 * response it decodes must come out deep-equal to kafkajs's decoding (Buffer contents included),
 * whatever the compression, transactions, keys, values, headers and offsets; a response it does not
 * decode goes to kafkajs's decoder; and only the SDK's consumers use it.
 */
import { deepStrictEqual } from "node:assert/strict";
import { CompressionTypes, type IHeaders, Kafka, logLevel, type Producer } from "kafkajs";
import kafkajsFetchV11 from "kafkajs/src/protocol/requests/fetch/v11/response.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerCompressionCodecs } from "../../../runtime/client/compression.ts";
import { brokerSocketFactory } from "../../../runtime/client/connection.ts";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { sdkFetchV11, useSdkFetchDecoder } from "../../../runtime/consumer/fetch-hook.ts";
import { decodeFetchResponse, type FetchedPartition } from "../../../runtime/consumer/fetch-response.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { brokers, uniqueName } from "../../infra/env.ts";
import {
  type BrokerConnection,
  brokerConnection,
  fetchResponse,
  fetchV11,
  recordBatches,
  recordBatchPositions,
  type WireRecord,
} from "./fetch-capture.ts";
import { eventually, Fixture, testConfig, testEvents } from "./helpers.ts";

registerCompressionCodecs();

const kafka = new Kafka({ brokers: brokers(), clientId: "fetch-decoder-test", logLevel: logLevel.NOTHING });
const topic = uniqueName("fetch-decoder");
const appendTimeTopic = uniqueName("fetch-decoder-append");
const codecs = [
  CompressionTypes.None,
  CompressionTypes.GZIP,
  CompressionTypes.Snappy,
  CompressionTypes.LZ4,
  CompressionTypes.ZSTD,
];

/** A header name that is also the name of a method every object inherits. */
const objectMethod = "toString";

/** Records with every shape a fetch can carry: null and empty keys and values, 0..20 headers. */
function records(round: number, count: number): { key: string | null; value: Buffer | null; headers: IHeaders }[] {
  return Array.from({ length: count }, (_, i) => {
    const headers: IHeaders = {};
    for (let h = 0; h < (i * 7 + round) % 21; h++) headers[`h-${h}`] = `v${h}-${"x".repeat(h)}`;
    if (i % 3 === 0) headers.repeated = ["one", "two", "three"];
    if (i % 4 === 1) headers["grüße-ключ-名前"] = Buffer.from([0, 255, 1, 254]);
    if (i % 5 === 2) headers[objectMethod] = "named like an Object method";
    if (i % 6 === 3) headers.empty = "";
    return {
      key: i % 4 === 0 ? null : i % 4 === 1 ? "" : `key-${round}-${i}`,
      value: i % 5 === 0 ? null : i % 5 === 1 ? Buffer.alloc(0) : Buffer.from(`value ${round}.${i} ${"é".repeat(i)}`),
      headers,
    };
  });
}

let producer: Producer;
let transactional: Producer;
let connection: BrokerConnection;
/** Responses captured from the broker, with what was asked. */
const captured: { what: string; data: Buffer }[] = [];

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: 2 },
      {
        topic: appendTimeTopic,
        numPartitions: 1,
        configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }],
      },
    ],
  });
  await admin.disconnect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  transactional = kafka.producer({ transactionalId: uniqueName("tx"), idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([producer.connect(), transactional.connect()]);
  for (const [round, compression] of codecs.entries()) {
    for (const partition of [0, 1]) {
      await producer.send({
        topic,
        compression,
        messages: records(round, 12 + round).map((r, i) => ({
          ...r,
          partition,
          ...(i % 2 === 0 ? { timestamp: String(1_000 + i) } : {}),
        })),
      });
    }
    // Committed and aborted transactions: control batches, aborted records, the aborted list.
    for (const commit of [true, false]) {
      const tx = await transactional.transaction();
      await tx.send({ topic, compression, messages: records(round + 10, 5).map((r) => ({ ...r, partition: 0 })) });
      await (commit ? tx.commit() : tx.abort());
    }
  }
  await producer.send({ topic: appendTimeTopic, compression: CompressionTypes.Snappy, messages: records(3, 9) });
  await producer.send({ topic: appendTimeTopic, messages: records(4, 9) });

  connection = await brokerConnection(brokers()[0] as string);
  const whole = { maxBytes: 10 * 1024 * 1024 };
  for (const isolationLevel of [0, 1] as const) {
    captured.push({
      what: `everything, isolation ${isolationLevel}`,
      data: await connection.raw({
        isolationLevel,
        topics: [
          {
            topic,
            partitions: [
              { partition: 0, fetchOffset: "0", ...whole },
              { partition: 1, fetchOffset: "0", ...whole },
            ],
          },
          { topic: appendTimeTopic, partitions: [{ partition: 0, fetchOffset: "0", ...whole }] },
        ],
      }),
    });
  }
  // Small maxBytes cut a batch short at the end; offsets inside a batch fetch it from its start.
  for (const maxBytes of [100, 700, 1500, 4000]) {
    for (const fetchOffset of [0, 3, 17, 40]) {
      captured.push({
        what: `maxBytes ${maxBytes} from ${fetchOffset}`,
        data: await connection.raw({
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(fetchOffset), maxBytes }] }],
        }),
      });
    }
  }
  // Past the end: no records, and an unknown topic's error code.
  captured.push({
    what: "past the end and an unknown topic",
    data: await connection.raw({
      topics: [
        { topic, partitions: [{ partition: 1, fetchOffset: "100000", maxBytes: 1000 }] },
        { topic: uniqueName("missing"), partitions: [{ partition: 0, fetchOffset: "0", maxBytes: 1000 }] },
      ],
    }),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([producer?.disconnect(), transactional?.disconnect(), connection?.disconnect()]);
});

/** kafkajs's decoding, or the error it throws. */
async function kafkajsDecode(data: Buffer): Promise<{ value: unknown } | { error: unknown }> {
  try {
    return { value: await kafkajsFetchV11.decode(data) };
  } catch (error) {
    return { error };
  }
}

describe("the SDK's Fetch v11 decoder", () => {
  it("decodes what the broker sends exactly as kafkajs does", async () => {
    expect(captured.length).toBe(19);
    let messages = 0;
    let cut = 0;
    for (const { what, data } of captured) {
      const ours = await decodeFetchResponse(data);
      expect(ours, what).toStrictEqual(await kafkajsFetchV11.decode(data));
      for (const t of ours.responses) for (const p of t.partitions) messages += p.messages.length;
      // A response whose records end in a batch cut short (maxBytes): both dropped it.
      cut += recordBatches(data).cut;
    }
    // The captures did cover what they are meant to.
    const all: FetchedPartition[] = [];
    for (const { data } of captured)
      all.push(...(await decodeFetchResponse(data)).responses.flatMap((t) => t.partitions));
    const batches = all.flatMap((p) => p.messages.map((m) => m.batchContext));
    expect(new Set(batches.map((b) => b.magicByte))).toStrictEqual(new Set([2]));
    expect(batches.some((b) => b.isControlBatch)).toBe(true);
    expect(batches.some((b) => b.inTransaction && !b.isControlBatch)).toBe(true);
    expect(batches.some((b) => b.timestampType === 1)).toBe(true);
    expect(all.some((p) => p.abortedTransactions.length > 0)).toBe(true);
    expect(all.some((p) => p.messages.some((m) => m.key === null && m.value === null))).toBe(true);
    expect(all.some((p) => p.messages.some((m) => Array.isArray(m.headers.repeated)))).toBe(true);
    expect(all.some((p) => p.messages.some((m) => Object.keys(m.headers).length >= 20))).toBe(true);
    expect(messages).toBeGreaterThan(200);
    expect(cut).toBeGreaterThan(0);
  });

  it("decodes offsets and timestamps past 2^31 and 2^53 as kafkajs does", async () => {
    const source = captured[0]?.data as Buffer;
    const positions = recordBatchPositions(source);
    expect(positions.length).toBeGreaterThan(10);
    const values = [
      2n ** 31n + 5n,
      2n ** 32n,
      2n ** 52n - 3n,
      2n ** 53n - 1n,
      2n ** 53n + 7n,
      2n ** 62n,
      -1n,
      -(2n ** 40n),
    ];
    for (const value of values) {
      const data = Buffer.from(source);
      for (const [i, pos] of positions.entries()) {
        data.writeBigInt64BE(value + BigInt(i), pos); // first offset
        data.writeBigInt64BE(value - BigInt(i), pos + 27); // first timestamp
        data.writeBigInt64BE(value, pos + 35); // max timestamp
      }
      const ours = await decodeFetchResponse(data);
      expect(ours, String(value)).toStrictEqual(await kafkajsFetchV11.decode(data));
      const first = ours.responses[0]?.partitions[0]?.messages[0];
      expect([first?.offset, first?.batchContext.maxTimestamp]).toStrictEqual([String(value), String(value)]);
    }
  });

  it("decodes every field value the wire allows as kafkajs does: 64-bit deltas, null names and values, odd header names", async () => {
    const b = (text: string) => Buffer.from(text);
    const deltas = [
      0n,
      -1n,
      1n,
      2n ** 48n,
      -(2n ** 48n),
      2n ** 49n,
      2n ** 56n + 3n,
      2n ** 62n,
      -(2n ** 63n),
      2n ** 63n - 1n,
    ];
    const offsets = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 300];
    const records: WireRecord[] = deltas.map((timestampDelta, i) => ({
      attributes: i % 3,
      timestampDelta,
      offsetDelta: offsets[i % offsets.length] as number,
      key: i % 3 === 0 ? null : i % 3 === 1 ? Buffer.alloc(0) : b(`k${i}`),
      value: i % 4 === 0 ? null : b("v".repeat(i * 20)),
      headers: [
        [null, b("a header without a name")],
        ["no-value", null],
        ["twice", b("1")],
        ["twice", null],
        ["twice", b("3")],
        ["constructor", b("c")],
        ["hasOwnProperty", b("h")],
        ["valueOf", b("v")],
        ["", b("empty name")],
        [`grüße-${i}`, Buffer.alloc(0)],
      ],
    }));
    records.push({ timestampDelta: 5n, offsetDelta: 7, key: null, value: null, headers: [], headerCount: -1 });
    const cases = [
      { firstOffset: 0n, firstTimestamp: 1_700_000_000_000n, maxTimestamp: 1_700_000_000_999n },
      { firstOffset: 2n ** 53n - 2n, firstTimestamp: -1n, maxTimestamp: -1n },
      { firstOffset: 2n ** 62n, firstTimestamp: 2n ** 62n, maxTimestamp: 2n ** 62n + 1n },
      // Log-append time: every record's timestamp is the batch's max timestamp.
      { firstOffset: 10n, firstTimestamp: 5n, maxTimestamp: 1_700_000_000_000n, attributes: 0x8 },
    ];
    for (const batch of cases) {
      const data = fetchResponse({ ...batch, records });
      const ours = await decodeFetchResponse(data);
      // Node's deep equality: vitest's takes an own `constructor` property (the header named so)
      // for the object's class, and two equal arrays there for different classes.
      deepStrictEqual(ours, await kafkajsFetchV11.decode(data));
      expect(ours.responses[0]?.partitions[0]?.messages).toHaveLength(records.length);
    }
    // A header named __proto__ is left to kafkajs's decoder, which gives its own result.
    const proto = fetchResponse({
      ...(cases[0] as (typeof cases)[number]),
      records: [{ timestampDelta: 0n, offsetDelta: 0, key: null, value: null, headers: [["__proto__", b("x")]] }],
    });
    await expect(decodeFetchResponse(proto)).rejects.toThrow();
    expect(await sdkFetchV11.decode(proto)).toStrictEqual(await kafkajsFetchV11.decode(proto));
  });

  it("never decodes a corrupt response differently from kafkajs: it decodes it the same or leaves it to kafkajs", async () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let decoded = 0;
    let left = 0;
    for (let round = 0; round < 600; round++) {
      const source = captured[random(captured.length)]?.data as Buffer;
      const data = mutate(Buffer.from(source), random);
      let ours: unknown;
      try {
        ours = await decodeFetchResponse(data);
      } catch {
        left++;
        continue; // kafkajs's decoder decodes it, as before (below)
      }
      decoded++;
      const theirs = await kafkajsDecode(data);
      expect(theirs, `round ${round}`).toStrictEqual({ value: ours });
    }
    expect(decoded).toBeGreaterThan(60);
    expect(left).toBeGreaterThan(60);
  });

  it("hands what it does not decode to kafkajs's decoder, whose result or error stands", async () => {
    const source = captured[0]?.data as Buffer;
    const [first] = recordBatchPositions(source);
    const legacy = Buffer.from(source);
    legacy.writeInt8(1, (first as number) + 16); // the magic byte of a legacy message set
    const pastTheEnd = Buffer.from(source);
    pastTheEnd.writeInt32BE(1_000_000, 10); // a topic count that runs past the end
    const cutShort = source.subarray(0, source.length - 7);
    for (const data of [legacy, pastTheEnd, cutShort]) {
      await expect(decodeFetchResponse(data)).rejects.toThrow();
      let ours: { value: unknown } | { error: unknown };
      try {
        ours = { value: await sdkFetchV11.decode(data) };
      } catch (error) {
        ours = { error };
      }
      expect(ours).toStrictEqual(await kafkajsDecode(data));
    }
  });
});

describe("where the SDK's decoder is used", () => {
  it("reads the fetches of connections the SDK marked; a plain kafkajs client's stay with kafkajs's decoder", async () => {
    const factory = brokerSocketFactory(3_000);
    expect(useSdkFetchDecoder(factory)).toBe(true);
    const marked = await brokerConnection(brokers()[0] as string, factory);
    const plain = await brokerConnection(brokers()[0] as string);
    const calls = countKafkajsDecodes();
    try {
      const args = { topics: [{ topic, partitions: [{ partition: 1, fetchOffset: "0", maxBytes: 1_000_000 }] }] };
      const viaPlain = await plain.send(fetchV11(args));
      expect(calls.count()).toBe(1);
      const viaMarked = await marked.send(fetchV11(args));
      expect(calls.count()).toBe(1); // not kafkajs's
      expect(viaMarked).toStrictEqual(viaPlain);
    } finally {
      calls.restore();
      await Promise.all([marked.disconnect(), plain.disconnect()]);
    }
  });

  it("is the consumer's by default; fetchDecoder: kafkajs gives it kafkajs's", async () => {
    const fx = new Fixture();
    try {
      for (const fetchDecoder of ["sdk", "kafkajs"] as const) {
        const eventTopic = await fx.topic(`fetch-decoder-${fetchDecoder}`);
        const ev = testEvents(eventTopic);
        await fx.send(
          eventTopic,
          ["b-1", "b-2"].map((id, seq) => ({
            key: id,
            value: JSON.stringify({ id, seq }),
            headers: { "event-type": ev.created.type, extra: "x" },
          })),
        );
        const seen: { id: string; extra: string | undefined; offset: string }[] = [];
        const calls = countKafkajsDecodes();
        const config = testConfig(eventTopic, { fetchDecoder });
        const consumer = createConsumer(config, { logger: silentLogger }).on(ev.created, (e) => {
          seen.push({ id: e.payload.id, extra: e.headers.extra, offset: e.offset });
        });
        const running = consumer.start();
        try {
          await eventually(async () => (await fx.committed(config.groupId, eventTopic))[0] === 2, "both committed");
        } finally {
          await consumer.stop();
          await running;
          calls.restore();
        }
        expect(seen).toStrictEqual([
          { id: "b-1", extra: "x", offset: "0" },
          { id: "b-2", extra: "x", offset: "1" },
        ]);
        if (fetchDecoder === "sdk") expect(calls.count()).toBe(0);
        else expect(calls.count()).toBeGreaterThan(0);
      }
    } finally {
      await fx.close();
    }
  });
});

/** Counts calls of kafkajs's own Fetch v11 decoder from now on. */
function countKafkajsDecodes(): { count(): number; restore(): void } {
  const decode = kafkajsFetchV11.decode;
  let n = 0;
  kafkajsFetchV11.decode = (data: Buffer) => {
    n++;
    return decode(data);
  };
  return {
    count: () => n,
    restore: () => {
      kafkajsFetchV11.decode = decode;
    },
  };
}

/** One to three random corruptions: a flipped byte, a field set to an odd value, a cut. */
function mutate(data: Buffer, random: (n: number) => number): Buffer {
  let out = data;
  for (let i = 0, n = 1 + random(3); i < n; i++) {
    const at = random(out.length);
    switch (random(5)) {
      case 0:
        out[at] = random(256);
        break;
      case 1:
        out[at] = (out[at] as number) ^ (1 << random(8));
        break;
      case 2:
        if (at + 4 <= out.length) out.writeInt32BE([-1, -2, 0, 1, 0x7fffffff, random(1000)][random(6)] as number, at);
        break;
      case 3:
        out = out.subarray(0, at);
        break;
      default:
        out[at] = [0x7f, 0x80, 0xff, 0x01, 0x00][random(5)] as number;
    }
  }
  return out;
}
