/**
 * What the DLQ tool reads from each writer's dead letters, what a replay sends, and how filters and
 * positions are read - table-driven, on records built by the runtime's own DLQ writers.
 */
import type { IHeaders, KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { deadLetter, replayHeaders } from "../../generator/dlq/dead-letter.ts";
import { parseTime, selects } from "../../generator/dlq/filters.ts";
import { formatOffsets, parseOffsets } from "../../generator/dlq/read.ts";
import { toConsumedMessage } from "../../runtime/consumer/message.ts";
import { buildDlqRecord } from "../../runtime/dlq/record.ts";
import { newPermanentError } from "../../runtime/errors/processing.ts";
import { parseRetryCount } from "../../runtime/message/headers.ts";
import { producerDlqRecord } from "../../runtime/producer/dlq.ts";

const message = (headers: IHeaders, key: string | null = "k"): KafkaMessage => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from("v"),
  headers,
  offset: "7",
  timestamp: "1763478000000",
  attributes: 0,
});

const read = (headers: IHeaders, key?: string | null) => deadLetter("dlq", 0, message(headers, key), parseRetryCount);

describe("dead letters of every writer", () => {
  const consumed = toConsumedMessage("orders", 2, {
    ...message({
      "event-type": Buffer.from("order.placed"),
      "retry-count": Buffer.from("5"),
      tag: [Buffer.from("a"), Buffer.from("b")],
    }),
    offset: "41",
  });
  const sdkConsumer = buildDlqRecord({
    message: consumed,
    error: "no stock",
    errorType: "TransientError:TRANSIENT",
    errorClass: "transient",
    retryCount: 3,
    groupId: "svc",
    now: new Date("2025-11-18T15:00:00Z"),
  });
  const sdkProducer = producerDlqRecord(
    { key: "k", value: Buffer.from("v"), headers: { "event-type": "order.placed", "retry-count": "0" } },
    "orders",
    newPermanentError("refused"),
    new Date("2025-11-18T15:00:00Z"),
  );
  const go = {
    "event-type": "order.placed",
    "retry-count": ":", // the Go services' '0' + 10
    "original-topic": "orders",
    "dlq-error": "invalid message: boom",
    "dlq-timestamp": "2025-11-18T15:00:00Z",
    "dlq-consumer-group": "go-svc",
  };

  it.each([
    [
      "the SDK's consumer",
      sdkConsumer.headers,
      {
        original: { topic: "orders", partition: 2, offset: "41", timestamp: 1763478000000 },
        errorType: "TransientError:TRANSIENT",
        errorCode: "TRANSIENT",
        errorClass: "transient",
        consumerGroup: "svc",
        retryCount: 3,
      },
    ],
    [
      "the SDK's producer",
      sdkProducer.headers as IHeaders,
      {
        original: { topic: "orders", partition: undefined, offset: undefined, timestamp: undefined },
        errorType: "PermanentError:PERMANENT",
        errorCode: "PERMANENT",
        errorClass: undefined,
        consumerGroup: undefined,
        retryCount: 0,
      },
    ],
    [
      "a Go service",
      go,
      {
        original: { topic: "orders", partition: undefined, offset: undefined, timestamp: undefined },
        errorType: undefined,
        errorCode: undefined,
        errorClass: undefined,
        consumerGroup: "go-svc",
        retryCount: 10,
      },
    ],
  ])("from %s: what it recorded, nothing made up", (_, headers, expected) => {
    expect(read(headers)).toMatchObject({
      ...expected,
      eventType: "order.placed",
      deadLetteredAt: "2025-11-18T15:00:00Z",
    });
  });

  it("replays the original headers exactly, without the dead-letter ones, retry-count + 1", () => {
    const replayed = replayHeaders(read(sdkConsumer.headers));
    expect(replayed).toEqual({
      "event-type": Buffer.from("order.placed"),
      tag: [Buffer.from("a"), Buffer.from("b")],
      "retry-count": "4",
    });
    expect(replayHeaders(read(go))).toEqual({ "event-type": "order.placed", "retry-count": "11" });
    expect(replayHeaders(read({}))["retry-count"]).toBe("1");
  });
});

describe("filters", () => {
  const d = read({
    "dlq-error-type": "SkejiError:DECODE_FAILED",
    "dlq-error": "Cannot decode X",
    "original-topic": "orders",
  });
  it.each([
    [{}, true],
    [{ eventTypes: new Set(["a.b"]) }, true],
    [{ eventTypes: new Set(["other"]) }, false],
    [{ errorCodes: new Set(["DECODE_FAILED"]) }, true],
    [{ errorCodes: new Set(["SkejiError:DECODE_FAILED"]) }, true],
    [{ errorCodes: new Set(["PERMANENT", "DECODE_FAILED"]) }, true],
    [{ errorCodes: new Set(["PERMANENT"]) }, false],
    [{ errorContains: "cannot DECODE" }, true],
    [{ errorContains: "timeout" }, false],
    [{ originalTopics: new Set(["orders"]) }, true],
    [{ originalTopics: new Set(["payments"]) }, false],
    [{ keys: new Set(["k"]) }, true],
    [{ keys: new Set(["j"]) }, false],
    [{ fromTime: 1763478000000, toTime: 1763478000000 }, true],
    [{ fromTime: 1763478000001 }, false],
    [{ toTime: 1763477999999 }, false],
  ])("%o selects: %s", (filters, expected) => {
    expect(selects(filters, d, "a.b")).toBe(expected);
  });

  it("a record without what a filter looks at does not match it", () => {
    const bare = read({}, null);
    expect(selects({ errorCodes: new Set(["PERMANENT"]) }, bare, undefined)).toBe(false);
    expect(selects({ eventTypes: new Set(["a.b"]) }, bare, undefined)).toBe(false);
    expect(selects({ keys: new Set([""]) }, bare, undefined)).toBe(false);
    expect(selects({ originalTopics: new Set(["orders"]) }, bare, undefined)).toBe(false);
  });
});

describe("positions and times", () => {
  it.each([
    ["12", { all: 12n, partitions: new Map() }],
    [
      "0:12,1:7",
      {
        all: undefined,
        partitions: new Map([
          [0, 12n],
          [1, 7n],
        ]),
      },
    ],
    [" 3 : 9 ", { all: undefined, partitions: new Map([[3, 9n]]) }],
  ])("%s", (text, expected) => {
    expect(parseOffsets(text)).toEqual(expected);
  });
  it.each(["", "-1", "0-3", "0:", "a:1", "0:1,"])("%j is refused", (text) => {
    expect(parseOffsets(text)).toHaveProperty("problem");
  });
  it("prints positions as --from-offset reads them", () => {
    expect(
      formatOffsets(
        new Map([
          [1, 7n],
          [0, 12n],
        ]),
      ),
    ).toBe("0:12,1:7");
  });
  it.each([
    ["2025-11-18T15:00:00Z", 1763478000000],
    ["2025-11-18T17:00:00.5+02:00", 1763478000500],
    ["1763478000000", 1763478000000],
    ["2025-11-18", undefined],
    ["yesterday", undefined],
  ])("time %s", (text, expected) => {
    expect(parseTime(text)).toBe(expected);
  });
});
