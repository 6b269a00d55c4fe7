/**
 * The benchmarks' bookkeeping (no broker, no timing): the order of interleaved rounds, ratios
 * paired within each round, and the JSON shape bench:report reads.
 */
import { describe, expect, it } from "vitest";
import {
  type Contender,
  pairedRatio,
  type Round,
  runRounds,
  type Sample,
  spread,
  summarize,
} from "../../bench/harness.ts";
import { headerFactory } from "../../bench/kafka.ts";

const sample = (msgsPerSec: number, cpuMicrosPerMsg = 10): Sample => ({ msgsPerSec, cpuMicrosPerMsg });

function fake(name: string, order: string[], rates: number[]): Contender {
  let n = 0;
  return {
    name,
    label: `${name} label`,
    async run() {
      order.push(name);
      return sample(rates[n++] ?? 1);
    },
    close: async () => {},
  };
}

describe("bench harness", () => {
  it("takes the median, lowest and highest value", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it("rotates the order every round and leaves the warm-up rounds out", async () => {
    const order: string[] = [];
    const contenders = [fake("a", order, [9, 1, 2, 3]), fake("b", order, [9, 1, 2, 3]), fake("c", order, [9, 1, 2, 3])];
    const rounds = await runRounds(contenders, 3, 1, () => {});
    expect(order).toEqual(["c", "a", "b", "a", "b", "c", "b", "c", "a", "c", "a", "b"]);
    expect(rounds.map((r) => r.a?.msgsPerSec)).toEqual([1, 2, 3]);
  });

  it("pairs ratios within each round, so a slow round does not move them", () => {
    // Round 2 ran at half speed for both: the ratio is 2 in every round.
    const rounds: Round[] = [
      { sdk: sample(200, 5), raw: sample(100, 10) },
      { sdk: sample(100, 5), raw: sample(50, 10) },
      { sdk: sample(300, 5), raw: sample(150, 20) },
    ];
    const ratio = pairedRatio(rounds, "sdk", "raw");
    expect(ratio.throughput).toEqual({ median: 2, min: 2, max: 2 });
    expect(ratio.cpu).toEqual({ median: 0.5, min: 0.25, max: 0.5 });
  });

  it("names the SDK's ratio over every other contender, plus the extra pairs, in JSON", () => {
    const contenders = ["sdk", "kafkajs", "platformatic"].map((name) => fake(name, [], []));
    const rounds: Round[] = [{ sdk: sample(2), kafkajs: sample(1), platformatic: sample(4) }];
    const shape = { keyBytes: 13, valueBytes: 44, headers: 1, headerBytes: 10, headerNames: ["event-id"] };
    const result = summarize(
      "produce",
      { messages: 1 },
      shape,
      contenders,
      rounds,
      [0, 0, 0],
      [
        ["platformatic", "kafkajs"],
        ["missing", "sdk"],
      ],
    );
    const json = JSON.parse(JSON.stringify(result));
    expect(Object.keys(json.ratios)).toEqual(["sdk/kafkajs", "sdk/platformatic", "platformatic/kafkajs"]);
    expect(json.ratios["sdk/platformatic"].throughput.median).toBe(0.5);
    expect(json.summary.kafkajs.msgsPerSec).toEqual({ median: 1, min: 1, max: 1 });
    expect(json.contenders).toEqual(contenders.map((c) => ({ name: c.name, label: c.label })));
    expect(json.record).toEqual(shape);
  });

  it("builds headers with the SDK's names and sizes, a fresh event id each time", () => {
    const next = headerFactory({
      "event-id": "5f0b6f7e-1d2c-4b8a-9c3d-2e1f0a9b8c7d",
      "event-type": "booking.created",
      timestamp: "2026-01-01T00:00:00Z",
      "retry-count": "0",
    });
    const a = next();
    const b = next();
    expect(Object.keys(a)).toEqual(["event-id", "event-type", "timestamp", "retry-count"]);
    expect(a["event-id"]).not.toBe(b["event-id"]);
    expect(a["event-id"]).toHaveLength(36);
    expect(a.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(a["event-type"]).toBe("booking.created");
  });
});
