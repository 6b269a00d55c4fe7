/**
 * The record batch encoder (runtime/client/wire/record-batch.ts) against two references: the bytes
 * @platformatic/kafka's own `createRecordsBatch` writes for the same records, producer state and
 * compression (byte for byte: every codec it uses is deterministic), and kafkajs's record batch
 * decoder, which must give the records back. Inputs are random (seeded): null, empty and long keys,
 * null, empty and large values, 0 to 20 headers with unicode and repeated names, null header values,
 * names and values given as text (written as UTF-8: ASCII, multi-byte, long) or as bytes.
 */
import { compressionsAlgorithms, createRecordsBatch } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { registerCompressionCodecs } from "../../../runtime/client/compression.ts";
import { crc32c } from "../../../runtime/client/wire/crc32c.ts";
import {
  type BatchRecord,
  codecIds,
  encodeRecordBatch,
  type HeaderBytes,
} from "../../../runtime/client/wire/record-batch.ts";

// kafkajs's own decoders, as its consumer reads a fetched batch.
const Decoder = (await import("kafkajs/src/protocol/decoder.js" as string)).default;
const decodeBatch = (await import("kafkajs/src/protocol/recordBatch/v0/decoder.js" as string)).default;

registerCompressionCodecs();

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

const names = ["event-type", "content-type", "ü-名前-🚀", "x", "trace-id", ""];
const texts = [
  "",
  "0",
  "2f6c1f5e-4a51-4d0f-9a6e-0c3b7a1d9e42",
  "ünïcödé",
  "🚀".repeat(40),
  "a".repeat(65),
  "b".repeat(64),
  "x\ud800y",
];
/** Text as the encoder writes it: UTF-8 (a lone surrogate as U+FFFD, as Buffer.from writes it). */
const asBytes = (b: HeaderBytes): Buffer | null => (typeof b === "string" ? Buffer.from(b, "utf8") : b);

function bytes(rnd: () => number, kind: number): Buffer | null {
  if (kind === 0) return null;
  if (kind === 1) return Buffer.alloc(0);
  const size = kind === 2 ? Math.floor(rnd() * 40) : 200 + Math.floor(rnd() * 20_000);
  const b = Buffer.allocUnsafe(size);
  // Half repetitive (compressible), half noise.
  for (let i = 0; i < size; i++) b[i] = rnd() < 0.5 ? 97 : Math.floor(rnd() * 256);
  return b;
}

function records(rnd: () => number, count: number, timestamps: "all" | "none" | "some", now: number): BatchRecord[] {
  return Array.from({ length: count }, () => {
    const headers: HeaderBytes[] = [];
    const n = Math.floor(rnd() * 21);
    for (let h = 0; h < n; h++) {
      const name = names[Math.floor(rnd() * names.length)] as string;
      const r = rnd();
      const value =
        r < 0.1 ? null : r < 0.4 ? texts[Math.floor(rnd() * texts.length)] : bytes(rnd, 1 + Math.floor(rnd() * 2));
      headers.push(rnd() < 0.5 ? name : Buffer.from(name), value ?? null);
    }
    const stamped = timestamps === "all" || (timestamps === "some" && rnd() < 0.5);
    return {
      key: bytes(rnd, Math.floor(rnd() * 4)),
      value: bytes(rnd, Math.floor(rnd() * 4)),
      headers,
      // Out of order on purpose: deltas may be negative, and large (within 2^31 ms, see below).
      timestamp: stamped ? now + Math.floor((rnd() - 0.5) * 2e9) : undefined,
    };
  });
}

/** The same records in the client's message shape (header Map keyed by Buffer identity). */
function clientMessages(list: readonly BatchRecord[], now: number) {
  return list.map((r) => {
    const headers = new Map<Buffer, Buffer | null>();
    for (let h = 0; h < r.headers.length; h += 2)
      headers.set(Buffer.from(asBytes(r.headers[h] ?? null) as Buffer), asBytes(r.headers[h + 1] ?? null));
    return {
      topic: "t",
      partition: 0,
      key: r.key ?? undefined,
      value: r.value,
      headers,
      timestamp: BigInt(r.timestamp ?? now),
    };
  });
}

const producer = { producerId: 4242n, producerEpoch: 3, baseSequence: 17 };

describe("record batch encoding", () => {
  it("computes the CRC-32C check value of the standard vector and of all-zero and all-one blocks", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from("xx123456789yy"), 2, 11)).toBe(0xe3069283);
  });

  for (const compression of ["none", "gzip", "snappy", "lz4"] as const) {
    it(`writes the client's bytes with compression ${compression}, over random records`, () => {
      const rnd = random(7 + compression.length);
      const algorithm = compressionsAlgorithms[compression];
      for (let round = 0; round < 40; round++) {
        const now = 1_750_000_000_000 + round;
        const count = 1 + Math.floor(rnd() * (round % 5 === 0 ? 300 : 12));
        const list = records(rnd, count, (["all", "none", "some"] as const)[round % 3] ?? "all", now);
        const ours = encodeRecordBatch(list, {
          ...producer,
          codec: codecIds[compression],
          compress: (b) => algorithm.compressSync(b) as Buffer,
          now,
        });
        const theirs = createRecordsBatch(clientMessages(list, now) as never, {
          compression,
          producerId: producer.producerId,
          producerEpoch: producer.producerEpoch,
          sequences: { getWithDefault: () => producer.baseSequence } as never,
        }).buffer;
        expect(ours.equals(theirs), `round ${round}: ${count} records`).toBe(true);
      }
    });
  }

  it("is read back by kafkajs's record batch decoder, compressed or not", async () => {
    const rnd = random(99);
    for (const compression of ["none", "snappy", "gzip", "lz4"] as const) {
      const now = 1_760_000_000_000;
      const list = records(rnd, 50, "some", now);
      const algorithm = compressionsAlgorithms[compression];
      const ours = encodeRecordBatch(list, {
        ...producer,
        codec: codecIds[compression],
        compress: (b) => algorithm.compressSync(b) as Buffer,
        now,
      });
      // The CRC kafkajs does not check: over attributes..end, at offset 17.
      expect(ours.readUInt32BE(17)).toBe(crc32c(ours, 21));
      const batch = await decodeBatch(new Decoder(ours));
      expect(batch.producerId).toBe("4242");
      expect(batch.producerEpoch).toBe(3);
      expect(batch.firstSequence).toBe(17);
      expect(batch.records.length).toBe(list.length);
      batch.records.forEach(
        (
          got: {
            key: Buffer | null;
            value: Buffer | null;
            timestamp: string;
            offset: string;
            headers: Record<string, Buffer | Buffer[] | null>;
          },
          i: number,
        ) => {
          const want = list[i] as BatchRecord;
          expect(got.offset).toBe(String(i));
          expect(got.timestamp).toBe(String(want.timestamp ?? now));
          expect(got.key).toEqual(want.key);
          expect(got.value).toEqual(want.value);
          // kafkajs folds repeated names into an array, in order.
          const expected: Record<string, (Buffer | null)[]> = {};
          for (let h = 0; h < want.headers.length; h += 2) {
            const name = (asBytes(want.headers[h] ?? null) as Buffer).toString();
            expected[name] ??= [];
            expected[name].push(asBytes(want.headers[h + 1] ?? null));
          }
          const actual = Object.fromEntries(
            Object.entries(got.headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
          );
          expect(actual).toEqual(expected);
        },
      );
    }
  });

  it("writes timestamp deltas of 2^31 ms (about 25 days) and beyond as 64-bit zigzag varints", async () => {
    // The client writes these wrong (it zigzags a 64-bit delta with a 32-bit shift); kafkajs reads
    // them as the protocol defines them.
    const first = 1_700_000_000_000;
    const deltas = [2 ** 31, -(2 ** 31) - 1, 3e9, -3e9, 2 ** 40, -(2 ** 40), 2 ** 31 - 1, -(2 ** 31)];
    const list: BatchRecord[] = [first, ...deltas.map((d) => first + d)].map((timestamp) => ({
      key: null,
      value: Buffer.from("v"),
      headers: [],
      timestamp,
    }));
    const batch = await decodeBatch(new Decoder(encodeRecordBatch(list, { ...producer, codec: 0 })));
    expect(batch.records.map((r: { timestamp: string }) => Number(r.timestamp))).toEqual(list.map((r) => r.timestamp));
    expect(batch.maxTimestamp).toBe(String(first + 2 ** 40));
  });

  it("writes a compressed batch larger than the scratch buffer it keeps (4 MiB) like any other", () => {
    const value = Buffer.alloc(20_000, "v");
    const list: BatchRecord[] = Array.from({ length: 300 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value,
      headers: ["n", String(i)],
      timestamp: 1_760_000_000_000 + i,
    }));
    const algorithm = compressionsAlgorithms.lz4;
    const ours = encodeRecordBatch(list, {
      ...producer,
      codec: codecIds.lz4,
      compress: (b) => algorithm.compressSync(b) as Buffer,
    });
    const theirs = createRecordsBatch(clientMessages(list, 0) as never, {
      compression: "lz4",
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      sequences: { getWithDefault: () => producer.baseSequence } as never,
    }).buffer;
    expect(ours.equals(theirs)).toBe(true);
  });

  it("writes the same bytes with the native CRC-32C the platformatic transport loads when it can", async () => {
    const { nativeCrc32c } = await import("../../../runtime/client/platformatic-produce.ts");
    const native = await nativeCrc32c();
    expect(native, "@node-rs/crc32 comes with @platformatic/kafka here").toBeTypeOf("function");
    const rnd = random(5);
    for (const codec of [0, 2] as const) {
      const list = records(rnd, 40, "all", 1_760_000_000_000);
      const options = {
        ...producer,
        codec,
        compress: (b: Buffer) => compressionsAlgorithms.snappy.compressSync(b) as Buffer,
      };
      expect(encodeRecordBatch(list, { ...options, crc32c: native }).equals(encodeRecordBatch(list, options))).toBe(
        true,
      );
    }
  });

  it("refuses an empty batch", () => {
    expect(() => encodeRecordBatch([], { ...producer, codec: 0 })).toThrow(RangeError);
  });
});
