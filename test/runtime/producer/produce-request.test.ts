/**
 * The Produce request framing and answer parsing (runtime/client/wire/produce.ts): the request is
 * byte-equal to @platformatic/kafka's own for every version the client frames (7 to 11; 3 to 6 have
 * the body of 7, 12 that of 11), and answers written by hand in both encodings (classic and
 * flexible, with a tagged field the parser must skip) are read back field by field.
 */
import { createRecordsBatch, produceV7, produceV8, produceV9, produceV10, produceV11 } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { encodeProduceRequest, parseProduceResponse } from "../../../runtime/client/wire/produce.ts";
import { encodeRecordBatch } from "../../../runtime/client/wire/record-batch.ts";

const versions = { 7: produceV7, 8: produceV8, 9: produceV9, 10: produceV10, 11: produceV11 } as const;

const now = 1_760_000_000_000;
const producer = { producerId: 77n, producerEpoch: 1, baseSequence: 5 };
const layout = [
  { topic: "orders", partitions: [0, 2] },
  { topic: "ünïcode-topic", partitions: [1] },
];

function messages(topic: string, partition: number) {
  return [1, 2, 3].map((n) => ({
    topic,
    partition,
    key: Buffer.from(`k${n}`),
    value: Buffer.from(`value ${n} of ${topic}/${partition}`),
    headers: new Map([[Buffer.from("h"), Buffer.from(String(n))]]),
    timestamp: BigInt(now + n),
  }));
}

describe("Produce request framing", () => {
  for (const [version, api] of Object.entries(versions)) {
    it(`writes the client's bytes for version ${version}`, () => {
      const all = layout.flatMap((t) => t.partitions.flatMap((p) => messages(t.topic, p)));
      const theirs = api.createRequest(
        -1,
        30_000,
        all as never,
        {
          producerId: producer.producerId,
          producerEpoch: producer.producerEpoch,
          sequences: { getWithDefault: () => producer.baseSequence } as never,
        } as never,
      ).buffer;
      const ours = encodeProduceRequest(
        Number(version),
        -1,
        30_000,
        layout.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((partition) => ({
            partition,
            batch: encodeRecordBatch(
              messages(t.topic, partition).map((m) => ({
                key: m.key,
                value: m.value,
                headers: [...m.headers].flat(),
                timestamp: Number(m.timestamp),
              })),
              { ...producer, codec: 0 },
            ),
          })),
        })),
      );
      expect(Buffer.concat(ours).equals(theirs)).toBe(true);
      // The records are those of the client's own batch encoder.
      expect(
        Buffer.concat(ours).includes(
          createRecordsBatch(messages("orders", 2) as never, {
            ...producer,
            sequences: { getWithDefault: () => producer.baseSequence } as never,
          }).buffer,
        ),
      ).toBe(true);
    });
  }

  it("refuses versions it does not frame", () => {
    expect(() => encodeProduceRequest(13, -1, 1000, [])).toThrow(RangeError);
    expect(() => encodeProduceRequest(2, -1, 1000, [])).toThrow(RangeError);
  });
});

/** A writer for answers, in either encoding. */
function answer(flexible: boolean) {
  const bytes: number[] = [];
  const w = {
    int16: (v: number) => {
      bytes.push((v >> 8) & 0xff, v & 0xff);
      return w;
    },
    int32: (v: number) => {
      bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
      return w;
    },
    int64: (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v);
      bytes.push(...b);
      return w;
    },
    uvarint: (v: number) => {
      while (v >= 0x80) {
        bytes.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      bytes.push(v);
      return w;
    },
    length: (n: number) => (flexible ? w.uvarint(n + 1) : w.int32(n)),
    string: (s: string | null) => {
      if (s === null) return flexible ? w.uvarint(0) : w.int16(-1);
      const b = Buffer.from(s);
      if (flexible) w.uvarint(b.length + 1);
      else w.int16(b.length);
      bytes.push(...b);
      return w;
    },
    tags: (extra = false) => {
      if (!flexible) return w;
      if (!extra) return w.uvarint(0);
      // One tagged field (tag 0, 6 bytes): e.g. a current leader the parser does not use.
      w.uvarint(1).uvarint(0).uvarint(6);
      bytes.push(1, 2, 3, 4, 5, 6);
      return w;
    },
    done: () => Buffer.from(bytes),
  };
  return w;
}

describe("Produce answer parsing", () => {
  for (const version of [3, 5, 8, 9, 12]) {
    it(`reads every partition's error, offset and record errors, version ${version}`, () => {
      const flexible = version >= 9;
      const w = answer(flexible);
      w.length(2);
      w.string("orders").length(2);
      w.int32(0).int16(0).int64(1234567890123n).int64(-1n);
      if (version >= 5) w.int64(0n);
      if (version >= 8) w.length(0).string(null);
      w.tags(true);
      w.int32(2).int16(10).int64(-1n).int64(-1n);
      if (version >= 5) w.int64(-1n);
      if (version >= 8) w.length(1).int32(3).string("too big").tags().string("batch too large");
      w.tags();
      w.tags();
      w.string("other").length(1);
      w.int32(1).int16(6).int64(-1n).int64(-1n);
      if (version >= 5) w.int64(-1n);
      if (version >= 8) w.length(0).string(null);
      w.tags().tags();
      w.int32(0).tags(true);
      const prefix = Buffer.from([9, 9, 9]);
      const parsed = parseProduceResponse(version, Buffer.concat([prefix, w.done()]), prefix.length);
      expect(parsed).toEqual([
        {
          topic: "orders",
          partition: 0,
          errorCode: 0,
          baseOffset: 1234567890123n,
          errorMessage: null,
          recordErrors: [],
        },
        {
          topic: "orders",
          partition: 2,
          errorCode: 10,
          baseOffset: -1n,
          errorMessage: version >= 8 ? "batch too large" : null,
          recordErrors: version >= 8 ? [{ index: 3, message: "too big" }] : [],
        },
        { topic: "other", partition: 1, errorCode: 6, baseOffset: -1n, errorMessage: null, recordErrors: [] },
      ]);
    });
  }

  it("refuses an answer cut short", () => {
    const w = answer(true).length(1).string("orders").length(1).int32(0).int16(0);
    expect(() => parseProduceResponse(11, w.done())).toThrow(RangeError);
  });
});
