/**
 * A single broker SIGKILLed and restarted on its data, twice, while a producer publishes and while
 * a consumer group consumes. Nothing acknowledged may be missing afterwards, the producer must
 * publish again once the broker is back (not wedged on stale sequence numbers), and the consumer
 * must handle or dead-letter every record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsumer, createProducer, newPermanentError, type Producer, silentLogger } from "../../runtime/index.ts";
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
  type StoredRecord,
  type Told,
} from "./oracle.ts";
import { recordScenario } from "./report.ts";
import {
  consumerConfig,
  eventually,
  judgeGroup,
  onTransport,
  producerConfig,
  publishOne,
  seedRecords,
  sleep,
  transports,
  untilAllCommitted,
} from "./support.ts";

let fc: FaultCluster;
beforeAll(async () => {
  fc = await FaultCluster.start(1, "broker-kill");
});
afterAll(() => fc?.stop());

/**
 * Kills the broker right after it wrote a batch whose answer has not reached the producer yet
 * (the proxy holds that one answer back until the broker is dead): the moment that makes a
 * publish ambiguous. With `topic`, a batch written to that topic.
 */
async function killAfterWrite(topic?: string): Promise<void> {
  const held = fc.proxy().dropProduceResponses({ cut: false, ...(topic === undefined ? {} : { topic }) });
  await held.done;
  await fc.kill();
}

/** Publishes from `workers` loops until `stop` is set; each publish recorded in `ledger`. */
function publishStream(producer: Producer, ledger: Ledger, workers: number, state: { stop: boolean }): Promise<void> {
  let key = 0;
  return Promise.all(
    Array.from({ length: workers }, async () => {
      while (!state.stop) {
        await publishOne(producer, ledger, `k${key++ % 16}`);
        await sleep(Math.random() * 20); // uneven load: batches of every size
      }
    }),
  ).then(() => undefined);
}

describe("broker SIGKILL and restart", () => {
  it.each(transports)(
    "during a publish stream, on %s: nothing acknowledged missing, and the producer publishes again afterwards",
    async (transport) => {
      // Two runs on the default transport; one on the platformatic transport, whose recovery after a
      // lost answer is the same rule (a new producer id) and is also proven by lost-response and cluster.
      const runs = transport === "kafkajs" ? 2 : 1;
      const ledger = new Ledger();
      const topics: { topic: string; dlqTopic: string }[] = [];
      const outcomes: string[] = [];
      let wedged = 0;
      for (let run = 0; run < runs; run++) {
        const topic = await fc.topic("kill-publish", { partitions: 2 });
        const dlqTopic = await fc.topic("kill-publish-dlq");
        topics.push({ topic, dlqTopic });
        const producer = createProducer(
          producerConfig(fc, topic, {
            KAFKA_PRODUCER_MAX_ATTEMPTS: "3",
            KAFKA_PRODUCER_DLQ_TOPIC: dlqTopic,
            KAFKA_TRANSPORT: transport,
          }),
          { logger: silentLogger },
        );
        const state = { stop: false };
        const stream = publishStream(producer, ledger, 8, state);
        await sleep(1000);
        await killAfterWrite();
        await fc.restart();
        await sleep(1000);
        // The second time the stream ends while the broker is down: afterwards come single publishes.
        await killAfterWrite();
        state.stop = true;
        await stream;
        await fc.restart();
        // The broker is back and healthy: publishes must be acknowledged again (time enough for the
        // producer to find the broker; a wedged producer never gets there).
        const probes: Told[] = [];
        const recovered = await eventually(
          async () => {
            probes.push(await publishOne(producer, ledger, "probe"));
            return probes.slice(-5).every((t) => t.kind === "acknowledged") && probes.length >= 5;
          },
          "five acknowledged publishes in a row after the restarts",
          15_000,
          50,
        ).then(
          () => true,
          () => false,
        );
        if (!recovered) wedged++;
        const last = probes.at(-1);
        outcomes.push(
          `run ${run + 1}: ${recovered ? "recovered" : `wedged, last probe ${last?.kind === "failed" ? last.code : last?.kind}`} after ${probes.length} probes`,
        );
        await producer.close();
      }

      const topicRecords: StoredRecord[] = [];
      const dlqRecords: StoredRecord[] = [];
      for (const { topic, dlqTopic } of topics) {
        topicRecords.push(...(await readTopic(fc.kafka(), topic)));
        dlqRecords.push(...(await readTopic(fc.kafka(), dlqTopic)));
      }
      const v = judgePublishes(ledger, topicRecords, dlqRecords);
      recordScenario(
        producerRow(
          onTransport("producer: broker SIGKILL and restart, twice, during a publish stream", transport),
          v,
          `${runs} runs of 8 publishing loops at an uneven pace (2 partitions, max attempts 3, producer DLQ on the same broker); twice per run the broker is killed right after writing a batch whose answer the proxy held back; the stream goes on after the first restart and ends during the second outage, then single publishes follow. Publishes while it is down fail or are ambiguous. Wedged producers: ${wedged} of ${runs}. ${v.ambiguousWritten} of ${v.ambiguous} ambiguous publishes were written. Duplicates: none expected.`,
        ),
      );
      const detail = `${outcomes.join("; ")}\n${JSON.stringify(ledger.summary())}\n${v.examples.join("\n")}`;
      expect(
        { lost: v.lost, misplaced: v.misplaced, misreported: v.misreported, outOfOrder: v.outOfOrder, wedged },
        detail,
      ).toEqual({ lost: 0, misplaced: 0, misreported: 0, outOfOrder: 0, wedged: 0 });
    },
  );

  it("during consumption: every record handled or dead-lettered, nothing committed past a missing one", async () => {
    const topic = await fc.topic("kill-consume", { partitions: 2 });
    const dlqTopic = await fc.topic("kill-consume-dlq");
    const ledger = new Ledger();
    const count = 3000;
    await seedRecords(fc, ledger, topic, count, { partitions: 2 });

    const config = consumerConfig(fc, topic, uniqueName("kill-consume"), { dlqTopic, maxRetries: 0 });
    const deliveries: Delivery[] = [];
    const consumer = createConsumer(config, { logger: silentLogger, retryLaterMs: 500 }).handle(async (_ctx, m) => {
      const id = m.headers[idHeader] ?? "";
      const poison = Number(id.split("-")[1]) % 97 === 0; // on both partitions (a record's partition is its number's parity)
      deliveries.push({ id, key: m.key?.toString(), partition: m.partition, offset: m.offset, handled: !poison });
      if (poison) throw newPermanentError("one record in 97 is dead-lettered");
      await sleep(1);
    });
    const running = consumer.start();
    await eventually(() => deliveries.length > 300, "consumption under way");
    // Once right after a dead-letter write reached the broker (its answer held back), once at any moment.
    await killAfterWrite(dlqTopic);
    await fc.restart();
    await eventually(() => deliveries.length > 1500, "consumption under way again");
    await fc.kill();
    await fc.restart();
    await untilAllCommitted(fc.kafka(), config.groupId, topic, 90_000, 500);
    await consumer.stop();
    await running;

    const { p, c } = await judgeGroup(fc.kafka(), ledger, { topic, groupId: config.groupId, deliveries, dlqTopic });
    recordScenario(
      consumerRow(
        "consumer: broker SIGKILL and restart, twice, during consumption",
        p,
        c,
        `${count} records on 2 partitions, 1 in 97 dead-lettered, consumed through the proxy while the broker is killed twice: right after it wrote a dead-letter record whose answer the proxy held back, and at a random moment. ${c.handled} handled, ${c.deadLettered} dead-lettered. Duplicates expected (at-least-once): records handled after the last commit before a kill are handled again.`,
      ),
    );
    const detail = c.examples.join("\n");
    expect({ lost: c.lost, committedMissing: c.committedMissing, outOfOrder: c.outOfOrder }, detail).toEqual({
      lost: 0,
      committedMissing: 0,
      outOfOrder: 0,
    });
    expect(c.handled + c.deadLettered).toBe(count);
  });
});
