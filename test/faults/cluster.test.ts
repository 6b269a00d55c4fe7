/**
 * The way past one machine: a three-broker cluster (replication factor 3, min.insync.replicas 2,
 * acks=all, no unclean leader election). Under a publish and consume load the leader of a
 * partition is SIGKILLed and later brought back, twice. A write acknowledged by acks=all is on at
 * least two replicas, so the new leader has it: nothing acknowledged may be lost, and the consumer
 * group must handle every record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsumer, createProducer, type Producer, silentLogger } from "../../runtime/index.ts";
import { uniqueName } from "../infra/env.ts";
import { FaultCluster } from "./cluster.ts";
import {
  consumerRow,
  type Delivery,
  idHeader,
  judgePublishes,
  Ledger,
  producerRow,
  readTopic,
  type Told,
} from "./oracle.ts";
import { recordScenario } from "./report.ts";
import {
  consumerConfig,
  eventually,
  judgeGroup,
  onTransport,
  producerConfig,
  publishBatch,
  publishOne,
  sleep,
  transports,
  untilAllCommitted,
} from "./support.ts";

let fc: FaultCluster;
beforeAll(async () => {
  fc = await FaultCluster.start(3, "cluster");
});
afterAll(() => fc?.stop());

function publishStream(producer: Producer, ledger: Ledger, workers: number, state: { stop: boolean }): Promise<void> {
  let key = 0;
  return Promise.all(
    Array.from({ length: workers }, async () => {
      while (!state.stop) {
        await publishOne(producer, ledger, `k${key++ % 24}`);
        await sleep(Math.random() * 10);
      }
    }),
  ).then(() => undefined);
}

describe("three-broker cluster", () => {
  it.each(transports)(
    "the partition leader SIGKILLed under load and brought back, twice, producing on %s: nothing acknowledged lost, everything handled",
    async (transport) => {
      const topic = await fc.topic("leader-kill", { partitions: 3 });
      const ledger = new Ledger();
      const producer = createProducer(
        producerConfig(fc, topic, { KAFKA_PRODUCER_MAX_ATTEMPTS: "8", KAFKA_TRANSPORT: transport }),
        { logger: silentLogger },
      );
      const config = consumerConfig(fc, topic, uniqueName("leader-kill"));
      const deliveries: Delivery[] = [];
      const consumer = createConsumer(config, { logger: silentLogger }).handle((_ctx, m) => {
        deliveries.push({
          id: m.headers[idHeader] ?? "",
          key: m.key?.toString(),
          partition: m.partition,
          offset: m.offset,
          handled: true,
        });
      });
      const consuming = consumer.start();
      await consumer.ready();

      const state = { stop: false };
      const stream = publishStream(producer, ledger, 6, state);
      await sleep(1500);
      // Killed twice: right after it wrote a batch (and replicated it, acks=all) whose answer the
      // proxy holds back; then - the next leader - with a batch on its way that it never receives.
      const leaders: { old: number; new: number }[] = [];
      for (const lose of ["response", "request"] as const) {
        const leader = await fc.leaderOf(topic, 0);
        const proxy = fc.proxy(leader);
        const lost =
          lose === "response"
            ? proxy.dropProduceResponses({ topic, cut: false })
            : proxy.dropProduceRequests({ topic, cut: false });
        await lost.done;
        await fc.kill(leader);
        // The controller fences the dead node and elects a leader from the in-sync replicas.
        let next = leader;
        await eventually(
          async () => {
            next = await fc.leaderOf(topic, 0).catch(() => leader);
            return next !== leader;
          },
          "a new leader for partition 0",
          30_000,
          200,
        );
        leaders.push({ old: leader, new: next });
        await sleep(1500);
        await fc.restart(leader);
        await fc.waitInSync([topic]);
        await sleep(1000);
      }
      state.stop = true;
      await stream;
      // Every partition takes publishes again (a producer wedged on one partition never gets there).
      let rounds = 0;
      const recovered = await eventually(
        async () => {
          const round = await Promise.all(
            [0, 1, 2].map((partition) => publishOne(producer, ledger, `probe-${partition}`, { partition })),
          );
          rounds = round.every((t) => t.kind === "acknowledged") ? rounds + 1 : 0;
          return rounds >= 3;
        },
        "three rounds of publishes to every partition acknowledged",
        15_000,
        50,
      ).then(
        () => true,
        () => false,
      );
      await producer.close();

      await untilAllCommitted(fc.kafka(), config.groupId, topic);
      await consumer.stop();
      await consuming;

      const { p, c } = await judgeGroup(fc.kafka(), ledger, { topic, groupId: config.groupId, deliveries });
      recordScenario(
        consumerRow(
          onTransport(
            "cluster: partition leader SIGKILLed under load, twice, brought back (RF 3, min ISR 2, acks=all)",
            transport,
          ),
          p,
          c,
          `Three brokers; 6 publishing loops on 3 partitions and a consumer group; the leader of partition 0 is killed right after writing a batch whose answer the proxy held back (node ${leaders[0]?.old}, node ${leaders[0]?.new} takes over), brought back, then the new leader is killed with a batch on its way that it never receives (node ${leaders[1]?.old}, node ${leaders[1]?.new} takes over) and brought back; then every partition must take publishes again (${recovered ? "it did" : "it did not: wedged"}). ${c.handled} of ${c.expected} records handled; ${p.ambiguous} ambiguous publishes (${p.ambiguousWritten} written). Duplicates expected (at-least-once): records handled again after the group rebalanced.`,
        ),
      );
      const detail = `${JSON.stringify(ledger.summary())}\n${[...p.examples, ...c.examples].join("\n")}`;
      expect(
        {
          lost: p.lost + c.lost,
          misplaced: p.misplaced,
          misreported: p.misreported,
          publishOrder: p.outOfOrder,
          deliveryOrder: c.outOfOrder,
          committedMissing: c.committedMissing,
          recovered,
        },
        detail,
      ).toEqual({
        lost: 0,
        misplaced: 0,
        misreported: 0,
        publishOrder: 0,
        deliveryOrder: 0,
        committedMissing: 0,
        recovered: true,
      });
      expect(c.handled, detail).toBe(c.expected);
      expect(p.acknowledged).toBeGreaterThan(0);
    },
  );

  it.each(transports)(
    "one send to three leaders, one answer lost, on %s: the send is ambiguous, the written partitions are not acknowledged twice, later sends are acknowledged",
    async (transport) => {
      const topic = await fc.topic("multi-leader", { partitions: 3 });
      const leaders = await Promise.all([0, 1, 2].map((partition) => fc.leaderOf(topic, partition)));
      const ledger = new Ledger();
      const producer = createProducer(
        producerConfig(fc, topic, {
          KAFKA_PRODUCER_MAX_ATTEMPTS: "2",
          KAFKA_PRODUCER_COMPRESSION: "none",
          KAFKA_TRANSPORT: transport,
        }),
        { logger: silentLogger },
      );
      /** Two records per partition, published at once: one send, one request per leader. */
      const everyPartition = () =>
        Promise.all([0, 1, 2, 0, 1, 2].map((partition, i) => publishOne(producer, ledger, `k${i}`, { partition })));
      try {
        await everyPartition();
        /** What the publishes of the sends that lost an answer were told: to that leader's partition, and to the others. */
        const toLost: Told[] = [];
        const toOthers: Told[] = [];
        for (const partition of [0, 1]) {
          // Only the leader of `partition` loses its answers (every attempt); the others answer.
          const drop = fc.proxy(leaders[partition]).dropProduceResponses({ topic, count: Number.POSITIVE_INFINITY });
          const told = await everyPartition();
          drop.stop();
          for (const [i, t] of told.entries()) (i % 3 === partition ? toLost : toOthers).push(t);
          // Sizes that a broker still counting the lost sequences would misread.
          for (const size of [2, 6, 1]) await publishBatch(producer, ledger, size);
          await everyPartition();
        }
        const after: Told[] = [];
        for (let i = 0; i < 6; i++) after.push(await publishOne(producer, ledger, `k${i}`, { partition: i % 3 }));

        const v = judgePublishes(ledger, await readTopic(fc.kafka(), topic));
        recordScenario(
          producerRow(
            onTransport("cluster: one send to three leaders, one leader's answer lost", transport),
            v,
            `Three brokers, a topic of 3 partitions led by nodes ${leaders.join(", ")}; twice a send of 2 records per partition (one request per leader) whose answer from one leader is lost on every attempt (the other leaders answer), each followed by sends of 2, 6, 1 records and another to every partition, then 6 single publishes. ${v.ambiguousWritten} of ${v.ambiguous} ambiguous publishes were written. Duplicates: none expected.`,
          ),
        );
        const detail = `${JSON.stringify(ledger.summary())}\n${v.examples.join("\n")}`;
        expect(
          { lost: v.lost, misplaced: v.misplaced, misreported: v.misreported, outOfOrder: v.outOfOrder },
          detail,
        ).toEqual({ lost: 0, misplaced: 0, misreported: 0, outOfOrder: 0 });
        const kind = (t: Told) => (t.kind === "failed" ? t.code : t.kind);
        expect(toLost.map(kind), detail).toEqual(toLost.map(() => "ambiguous"));
        // Sent with them (one send) they are ambiguous too; sent apart, acknowledged. Never failed.
        expect(toOthers.map(kind).filter((k) => k !== "ambiguous" && k !== "acknowledged")).toEqual([]);
        expect(
          after.map((t) => t.kind),
          detail,
        ).toEqual(after.map(() => "acknowledged"));
      } finally {
        await producer.close();
      }
    },
  );
});
