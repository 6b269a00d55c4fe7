/**
 * The fault proxy against a real broker: it frames requests and responses correctly (every
 * request answered once, Produce topics read), clients stay behind it after metadata, and each
 * fault does what it says - the broker writes what the client never hears of, a stalled request
 * does not reach the broker until the stall ends, a refused connection is refused.
 */
import { connect } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultCluster } from "./cluster.ts";
import { ApiKey, FrameReader, type KafkaProxy, parseRequest, type RequestFrame, type ResponseFrame } from "./proxy.ts";

let fc: FaultCluster;
let proxy: KafkaProxy;
beforeAll(async () => {
  fc = await FaultCluster.start(1, "proxy");
  proxy = fc.proxy(1);
});
afterAll(() => fc?.stop());

/** A kafkajs client that bootstraps from the proxy; no retries, so each fault shows. */
function client(options: { requestTimeout?: number } = {}): Kafka {
  return new Kafka({
    brokers: fc.brokers,
    clientId: "proxy-test",
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: options.requestTimeout ?? 5000,
    retry: { retries: 0 },
  });
}

async function endOffset(topic: string): Promise<number> {
  const admin = fc.kafka().admin();
  await admin.connect();
  try {
    const [p] = await admin.fetchTopicOffsets(topic);
    return Number(p?.high);
  } finally {
    await admin.disconnect();
  }
}

function watch(): { requests: RequestFrame[]; responses: ResponseFrame[]; stop: () => void } {
  const requests: RequestFrame[] = [];
  const responses: ResponseFrame[] = [];
  const a = proxy.onRequest((r) => requests.push(r));
  const b = proxy.onResponse((r) => responses.push(r));
  return {
    requests,
    responses,
    stop: () => {
      a();
      b();
    },
  };
}

describe("framing", () => {
  it("forwards every request and its one response, reads Produce topics, and keeps clients behind it", async () => {
    const [a, b] = [await fc.topic("frame-a"), await fc.topic("frame-b")];
    const seen = watch();
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    // Metadata through the proxy advertises the proxy: the client's next connections come here too.
    const { brokers } = await admin.describeCluster();
    expect(brokers.map((x) => x.port)).toEqual([proxy.port]);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, retry: { retries: 1 } });
    await producer.connect();
    const big = Buffer.alloc(300_000, 7); // a frame that arrives in many TCP chunks
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: a, messages: [{ key: "k", value: "one" }, { value: big }] },
        { topic: b, messages: [{ key: "k", value: "two" }] },
      ],
    });
    await producer.disconnect();
    seen.stop();

    const produce = seen.requests.filter((r) => r.apiKey === ApiKey.Produce);
    expect(produce).toHaveLength(1);
    expect(produce[0]?.topics).toEqual([a, b]);
    expect(produce[0]?.acks).toBe(-1);
    // kafkajs 2.2.4 speaks Produce v7 to Kafka 4 (the newest it knows; the broker takes v3-v12).
    expect(produce[0]?.apiVersion).toBe(7);
    // Each request answered exactly once, on its own connection, by correlation id.
    const key = (x: { connection: number; correlationId: number }) => `${x.connection}/${x.correlationId}`;
    expect(seen.responses.map(key).sort()).toEqual(seen.requests.map(key).sort());
    expect(seen.responses.every((r) => !r.dropped)).toBe(true);
    expect(proxy.inFlight()).toBe(0);
    expect([await endOffset(a), await endOffset(b)]).toEqual([2, 1]);
  });

  it("splits a byte stream into frames however it is chunked", () => {
    const frame = (n: number) => {
      const f = Buffer.alloc(4 + n, n);
      f.writeInt32BE(n, 0);
      return f;
    };
    const stream = Buffer.concat([frame(5), frame(9), frame(4)]);
    const reader = new FrameReader();
    const out = [...stream].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(out.map((f) => f.length)).toEqual([9, 13, 8]);
    expect(() => new FrameReader().push(Buffer.from([0, 0, 0, 1, 0]))).toThrow(/frame size/);
  });

  it("reads the topics of a flexible (v9+) Produce request", () => {
    // Header v2 (client id, tagged fields), then compact strings and arrays, tagged fields per level.
    const parts = [
      [0, 0, 0, 9, 0, 0, 0, 42], // api key 0, version 9, correlation id 42
      [0, 2, ...Buffer.from("me")], // client id
      [0], // header tagged fields
      [0], // transactional id: null
      [0xff, 0xff, 0, 0, 0x75, 0x30], // acks -1, timeout 30000
      [3], // two topics
      [4, ...Buffer.from("abc"), 2, 0, 0, 0, 1, 4, 9, 9, 9, 0, 0], // "abc", one partition with 3 bytes
      [3, ...Buffer.from("xy"), 1, 0], // "xy", no partitions
      [0], // body tagged fields
    ].flat();
    const body = Buffer.from(parts);
    const frame = Buffer.concat([Buffer.alloc(4), body]);
    frame.writeInt32BE(body.length, 0);
    expect(parseRequest(frame)).toMatchObject({
      apiKey: 0,
      apiVersion: 9,
      correlationId: 42,
      clientId: "me",
      acks: -1,
      topics: ["abc", "xy"],
    });
    expect(() => parseRequest(frame.subarray(0, frame.length - 6))).toThrow();
  });
});

describe("faults", () => {
  it("loses the response of a Produce request to one topic after the broker wrote the batch", async () => {
    const [lost, other] = [await fc.topic("lost"), await fc.topic("other")];
    const producer = client().producer({ retry: { retries: 0 } });
    await producer.connect();
    const drop = proxy.dropProduceResponses({ topic: lost });
    await producer.send({ topic: other, acks: -1, messages: [{ value: "passes" }] });
    await expect(producer.send({ topic: lost, acks: -1, messages: [{ value: "unheard" }] })).rejects.toThrow();
    await drop.done;
    expect(drop.dropped).toBe(1);
    // Written all the same: the client was never told.
    expect([await endOffset(lost), await endOffset(other)]).toEqual([1, 1]);
    // One lost response only: the next one is heard.
    await producer.send({ topic: lost, acks: -1, messages: [{ value: "heard" }] });
    await producer.disconnect();
    expect(await endOffset(lost)).toBe(2);
  });

  it("loses a Produce request on its way: the broker never sees it", async () => {
    const topic = await fc.topic("lost-request");
    const producer = client().producer({ retry: { retries: 0 } });
    await producer.connect();
    const drop = proxy.dropProduceRequests({ topic });
    await expect(producer.send({ topic, acks: -1, messages: [{ value: "never arrives" }] })).rejects.toThrow();
    await drop.done;
    expect(await endOffset(topic)).toBe(0);
    await producer.send({ topic, acks: -1, messages: [{ value: "arrives" }] });
    await producer.disconnect();
    expect(await endOffset(topic)).toBe(1);
  });

  it("cuts every connection; clients connect again", async () => {
    const topic = await fc.topic("cut");
    const producer = client().producer({ retry: { retries: 2, initialRetryTime: 50 } });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: "1" }] });
    expect(proxy.connections).toBeGreaterThan(0);
    const connected = new Set<number>();
    const stop = proxy.onRequest((r) => connected.add(r.connection));
    proxy.cutAll();
    expect(proxy.connections).toBe(0);
    await producer.send({ topic, acks: -1, messages: [{ value: "2" }] });
    stop();
    await producer.disconnect();
    expect(connected.size).toBeGreaterThan(0); // new connections
    expect(await endOffset(topic)).toBe(2);
  });

  it("stalls: a request does not reach the broker until the stall ends", async () => {
    const topic = await fc.topic("stall");
    const producer = client({ requestTimeout: 10_000 }).producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: "first" }] }); // metadata known: the next send is one Produce
    const received = new Promise<void>((resolve) => {
      const stop = proxy.onRequest((r) => {
        if (r.apiKey === ApiKey.Produce) {
          stop();
          resolve();
        }
      });
    });
    const stall = proxy.stall(1500);
    const sent = producer.send({ topic, acks: -1, messages: [{ value: "held" }] });
    await received;
    expect(await endOffset(topic)).toBe(1); // the proxy has it, the broker does not
    await stall;
    await sent;
    expect(await endOffset(topic)).toBe(2);
    await producer.disconnect();
  });

  it("refuses new connections, then accepts them again", async () => {
    const attempt = () =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port: proxy.port });
        socket.once("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    await proxy.refuse();
    expect(await attempt()).toBe("ECONNREFUSED");
    await proxy.accept();
    expect(await attempt()).toBe("connected");
  });

  it("blackholes: connections are accepted and never answered, until healed", async () => {
    const apiVersions = () =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port: proxy.port });
        const frame = Buffer.from([0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 1, 0, 1, 116]); // ApiVersions v0, client "t"
        socket.once("connect", () => socket.write(frame));
        socket.once("data", () => {
          socket.destroy();
          resolve("answered");
        });
        socket.once("error", (e) => resolve(e.message));
        socket.setTimeout(1500, () => {
          socket.destroy();
          resolve("no answer");
        });
      });
    expect(await apiVersions()).toBe("answered");
    proxy.blackhole();
    expect(await apiVersions()).toBe("no answer");
    await proxy.heal();
    expect(await apiVersions()).toBe("answered");
  });
});
