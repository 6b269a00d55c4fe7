/**
 * The SDK's encoder of kafkajs's Produce requests (runtime/client/kafkajs-produce.ts) against
 * kafkajs's own request module (`requests.Produce.protocol({ version })(input).request.encode()`),
 * byte for byte, for the same input: versions 3 to 7, random messages (seeded) with null, missing,
 * empty, text and long keys; null, empty, text and large values; 0 to 20 headers with text and
 * byte values, arrays of values (repeated headers, an empty array for none), names kafkajs orders
 * first (integer-like); timestamps absent, as numbers or text, of different lengths and zero;
 * producer ids as kafkajs holds them (-1, text, its Long), epochs and sequences; acks, timeouts,
 * several topics and partitions; every compression through kafkajs's codec registry.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerCompressionCodecs } from "../../../runtime/client/compression.ts";
import {
  encodeKafkajsProduce,
  type KafkajsProduceInput,
  type KafkajsProduceMessage,
} from "../../../runtime/client/kafkajs-produce.ts";

// kafkajs's real request module and Long, as its producer uses them.
const Produce = (await import("kafkajs/src/protocol/requests/produce/index.js" as string)).default;
const Long = (await import("kafkajs/src/utils/long.js" as string)).default;

registerCompressionCodecs();

afterEach(() => {
  vi.restoreAllMocks();
});

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const names = ["event-type", "content-type", "ü-名前-🚀", "x", "trace-id", "", "2", "10", "retry-count"];
const texts = ["", "0", "2f6c1f5e-4a51-4d0f-9a6e-0c3b7a1d9e42", "ünïcödé", "🚀".repeat(40), "a".repeat(65), "x\ud800y"];
const now = 1_764_000_000_000;

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

function bytes(rnd: () => number, large: boolean): Buffer {
  const size = large ? 200 + Math.floor(rnd() * 20_000) : Math.floor(rnd() * 40);
  const b = Buffer.allocUnsafe(size);
  // Half repetitive (compressible), half noise.
  for (let i = 0; i < size; i++) b[i] = rnd() < 0.5 ? 97 : Math.floor(rnd() * 256);
  return b;
}

function data(rnd: () => number): unknown {
  switch (Math.floor(rnd() * 7)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return Buffer.alloc(0);
    case 3:
      return pick(rnd, texts);
    case 4:
      return bytes(rnd, true);
    default:
      return bytes(rnd, false);
  }
}

function headerValue(rnd: () => number): string | Buffer {
  return rnd() < 0.5 ? pick(rnd, texts) : bytes(rnd, rnd() < 0.1);
}

function headers(rnd: () => number): Record<string, unknown> | undefined {
  if (rnd() < 0.1) return undefined;
  const out: Record<string, unknown> = {};
  const count = Math.floor(rnd() * 21);
  for (let i = 0; i < count; i++) {
    const name = rnd() < 0.5 ? pick(rnd, names) : `h-${Math.floor(rnd() * 1000)}`;
    const r = rnd();
    out[name] = r < 0.15 ? Array.from({ length: Math.floor(rnd() * 4) }, () => headerValue(rnd)) : headerValue(rnd);
  }
  return out;
}

/** Timestamps: mostly none (as the SDK sends most records); otherwise numbers or text, some odd. */
function timestamp(rnd: () => number, style: number): unknown {
  if (style === 0) return undefined;
  const r = rnd();
  if (r < 0.2) return undefined;
  if (r < 0.25) return rnd() < 0.5 ? 0 : "0";
  if (r < 0.3) return Math.floor(rnd() * 100_000); // fewer digits: kafkajs's text sort puts it elsewhere
  const t = now - Math.floor(rnd() * 86_400_000 * 40);
  return style === 1 ? t : String(t);
}

function messages(rnd: () => number): KafkajsProduceMessage[] {
  const count = 1 + Math.floor(rnd() * (rnd() < 0.2 ? 300 : 12));
  const style = Math.floor(rnd() * 3);
  return Array.from({ length: count }, () => {
    const m: Record<string, unknown> = { key: data(rnd), value: data(rnd) };
    const h = headers(rnd);
    if (h !== undefined) m.headers = h;
    const t = timestamp(rnd, style);
    if (t !== undefined) m.timestamp = t;
    return m;
  });
}

function input(rnd: () => number, compression: number): KafkajsProduceInput {
  const producerIds = [undefined, -1, "4242", "9007199254740993", new Long(BigInt(7) << 40n)];
  return {
    acks: pick(rnd, [-1, 0, 1]),
    timeout: Math.floor(rnd() * 60_000),
    compression,
    producerId: pick(rnd, producerIds),
    producerEpoch: pick(rnd, [undefined, 0, Math.floor(rnd() * 32_767)]),
    topicData: Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, t) => ({
      topic: t === 0 ? "bookings" : `topic-ü-${t}`,
      partitions: Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, p) => ({
        partition: p * 3 + Math.floor(rnd() * 3),
        firstSequence: pick(rnd, [undefined, 0, Math.floor(rnd() * 2 ** 31)]),
        messages: messages(rnd),
      })),
    })),
  };
}

/** kafkajs's bytes for the request body. */
async function kafkajsBytes(version: number, request: KafkajsProduceInput): Promise<Buffer> {
  return (await Produce.protocol({ version })(request).request.encode()).buffer;
}

/** Where two byte strings first differ, for a failure worth reading. */
function firstDifference(a: Buffer, b: Buffer): string {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return `byte ${i}: ${a[i]} vs ${b[i]}`;
  return `lengths ${a.length} vs ${b.length}`;
}

describe("kafkajs's Produce request, encoded by the SDK", () => {
  for (const [name, compression] of [
    ["none", 0],
    ["gzip", 1],
    ["snappy", 2],
    ["lz4", 3],
    ["zstd", 4],
  ] as const) {
    it(`writes kafkajs's bytes with compression ${name}, versions 3 to 7, over random input`, async () => {
      // Both encoders stamp records without a timestamp with the time of encoding.
      vi.spyOn(Date, "now").mockReturnValue(now);
      for (let round = 0; round < 24; round++) {
        const rnd = random(1000 * compression + round);
        const request = input(rnd, compression);
        const version = 3 + (round % 5);
        const ours = await encodeKafkajsProduce(version, request);
        const theirs = await kafkajsBytes(version, request);
        expect(ours, `round ${round}: not reproduced`).toBeInstanceOf(Buffer);
        const same = (ours as Buffer).equals(theirs);
        expect(same, `round ${round}, version ${version}: ${same ? "" : firstDifference(ours as Buffer, theirs)}`).toBe(
          true,
        );
      }
    });
  }

  it("writes kafkajs's bytes for the SDK's own records: text keys, text headers, no timestamps", async () => {
    vi.spyOn(Date, "now").mockReturnValue(now);
    const record = (i: number) => ({
      key: `booking-${i}`,
      value: Buffer.from([0, 0, 0, 0, 7, i & 0xff]),
      headers: {
        "event-type": "BookingCreated",
        "event-id": `0193a1f2-${String(i).padStart(4, "0")}-7abc-8def-0123456789ab`,
        "event-time": "2026-12-01T22:00:00.000Z",
        source: "bookings",
        "schema-fingerprint": "9f86d081884c7d65",
        "retry-count": "0",
      },
    });
    const request: KafkajsProduceInput = {
      acks: -1,
      timeout: 30_000,
      compression: 2,
      producerId: "1000",
      producerEpoch: 0,
      topicData: [
        { topic: "bookings", partitions: [{ partition: 0, firstSequence: 17, messages: [0, 1, 2].map(record) }] },
      ],
    };
    const ours = (await encodeKafkajsProduce(7, request)) as Buffer;
    expect(ours.equals(await kafkajsBytes(7, request))).toBe(true);
  });

  it.each([
    ["a transactional producer's request", { transactionalId: "tx" }, {}],
    ["a null header value (kafkajs fails on it)", {}, { headers: { a: null } }],
    ["a key that is neither text nor a Buffer", {}, { key: new Uint8Array([1]) }],
    ["a number as a value", {}, { value: 5 }],
    ["a timestamp that is not an integer", {}, { timestamp: "soon" }],
    ["a compression kafkajs does not know", { compression: 5 }, {}],
    ["a producer id out of range", { producerId: "99999999999999999999" }, {}],
  ])("leaves %s to kafkajs", async (_, change, message) => {
    const request = {
      acks: -1,
      timeout: 1000,
      topicData: [{ topic: "t", partitions: [{ partition: 0, messages: [{ key: "k", value: "v", ...message }] }] }],
      ...change,
    } as KafkajsProduceInput;
    expect(await encodeKafkajsProduce(7, request)).toBeUndefined();
  });

  it("leaves versions without record batches (magic 0 and 1) to kafkajs", async () => {
    const request: KafkajsProduceInput = {
      acks: -1,
      timeout: 1000,
      topicData: [{ topic: "t", partitions: [{ partition: 0, messages: [{ key: "k", value: "v" }] }] }],
    };
    for (const version of [0, 1, 2, 8]) expect(await encodeKafkajsProduce(version, request)).toBeUndefined();
  });
});
