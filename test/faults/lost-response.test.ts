/**
 * Lost produce responses: the broker writes a batch, the answer never reaches the client, and
 * the client's retries run out the same way. Whoever wrote - the producer, its dead-letter
 * writer, the consumer's dead-letter writer - must neither acknowledge later data that was not
 * written nor wedge: the lost publishes are ambiguous, everything acknowledged afterwards is
 * where its caller was told, and later publishes succeed.
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
  type Told,
} from "./oracle.ts";
import { recordScenario } from "./report.ts";
import {
  consumerConfig,
  judgeGroup,
  onTransport,
  producerConfig,
  publishBatch,
  publishOne,
  seedRecords,
  transports,
  untilAllCommitted,
} from "./support.ts";

let fc: FaultCluster;
const open: Producer[] = [];
beforeAll(async () => {
  fc = await FaultCluster.start(1, "lost-response");
});
afterAll(async () => {
  await Promise.all(open.map((p) => p.close().catch(() => {})));
  await fc?.stop();
});

const kinds = (told: readonly Told[]) => told.map((t) => (t.kind === "failed" ? t.code : t.kind));

describe.each(transports)("a produce response lost until retries run out, on %s", (transport) => {
  it("producer: the lost batch is ambiguous; later batches of any size are acknowledged where they are", async () => {
    const topic = await fc.topic("lost-producer");
    const producer = createProducer(
      producerConfig(fc, topic, {
        KAFKA_PRODUCER_MAX_ATTEMPTS: "2",
        KAFKA_PRODUCER_COMPRESSION: "none",
        KAFKA_TRANSPORT: transport,
      }),
      { logger: silentLogger },
    );
    open.push(producer);
    const ledger = new Ledger();
    await publishBatch(producer, ledger, 3);
    const lost: Told[] = [];
    // After each lost batch of 3: a batch of the same size (which a broker still expecting the
    // lost sequence numbers would take for a retry of it) first, or only after other sizes.
    for (const sizes of [
      [3, 2, 5, 1],
      [2, 3, 5, 1],
      [1, 5, 3, 2],
    ]) {
      // Every attempt of the next batch is written by the broker and its answer lost.
      const drop = fc.proxy().dropProduceResponses({ topic, count: Number.POSITIVE_INFINITY });
      lost.push(...(await publishBatch(producer, ledger, 3)));
      drop.stop();
      for (const size of sizes) await publishBatch(producer, ledger, size);
    }
    // Not wedged: one at a time, each acknowledged.
    const after: Told[] = [];
    for (let i = 0; i < 10; i++) after.push(await publishOne(producer, ledger, "k0"));

    const v = judgePublishes(ledger, await readTopic(fc.kafka(), topic));
    recordScenario(
      producerRow(
        onTransport("producer: lost produce response, retries exhausted", transport),
        v,
        `Proxy drops every answer to 3 batches of 3 (2 attempts each) and cuts the connection; each followed by batches of 3, 2, 5, 1 / 2, 3, 5, 1 / 1, 5, 3, 2, then 10 single publishes. ${v.ambiguousWritten} of ${v.ambiguous} ambiguous publishes were written (either is allowed). Duplicates: none expected (the producer does not retry an ambiguous publish by itself).`,
      ),
    );
    const detail = `${JSON.stringify(ledger.summary())}\n${v.examples.join("\n")}`;
    expect(
      { lost: v.lost, misplaced: v.misplaced, misreported: v.misreported, outOfOrder: v.outOfOrder },
      detail,
    ).toEqual({ lost: 0, misplaced: 0, misreported: 0, outOfOrder: 0 });
    expect(kinds(lost), detail).toEqual(lost.map(() => "ambiguous"));
    expect(kinds(after), detail).toEqual(after.map(() => "acknowledged"));
  });

  it("producer DLQ: a dead-letter write whose answer is lost; later dead letters are in the DLQ where acknowledged", async () => {
    // The topic refuses records over 1 KB for good, so big publishes fail and go to the DLQ.
    const topic = await fc.topic("lost-pdlq", { config: { "max.message.bytes": "1024" } });
    const dlqTopic = await fc.topic("lost-pdlq-dlq");
    const producer = createProducer(
      producerConfig(fc, topic, {
        KAFKA_PRODUCER_MAX_ATTEMPTS: "2",
        KAFKA_PRODUCER_COMPRESSION: "none",
        KAFKA_PRODUCER_DLQ_TOPIC: dlqTopic,
        KAFKA_TRANSPORT: transport,
      }),
      { logger: silentLogger },
    );
    open.push(producer);
    const ledger = new Ledger();
    const big = { bytes: 2000 };
    const warm = await publishBatch(producer, ledger, 2, big);
    expect(kinds(warm)).toEqual(["dead-lettered", "dead-lettered"]);
    const lostDlq: Told[] = [];
    for (const sizes of [
      [2, 1, 3],
      [1, 3, 2],
    ]) {
      const drop = fc.proxy().dropProduceResponses({ topic: dlqTopic, count: Number.POSITIVE_INFINITY });
      lostDlq.push(...(await publishBatch(producer, ledger, 2, big)));
      drop.stop();
      for (const size of sizes) await publishBatch(producer, ledger, size, big);
      await publishBatch(producer, ledger, 3);
    }
    const bigAfter: Told[] = [];
    const smallAfter: Told[] = [];
    for (let i = 0; i < 5; i++) {
      bigAfter.push(await publishOne(producer, ledger, "k0", big));
      smallAfter.push(await publishOne(producer, ledger, "k1"));
    }

    const v = judgePublishes(ledger, await readTopic(fc.kafka(), topic), await readTopic(fc.kafka(), dlqTopic));
    recordScenario(
      producerRow(
        onTransport("producer DLQ: lost dead-letter write response, retries exhausted", transport),
        v,
        `Records over the topic's 1 KB limit are refused for good and dead-lettered; the proxy drops every answer to 2 dead-letter writes of 2 records and cuts the connection; each followed by dead-letter writes of 2, 1, 3 / 1, 3, 2 records and normal publishes; then 5 + 5 single ones. ${v.ambiguousWritten} of ${v.ambiguous} ambiguous publishes were written. Duplicates: none expected.`,
      ),
    );
    const detail = `${JSON.stringify(ledger.summary())}\n${v.examples.join("\n")}`;
    expect(
      { lost: v.lost, misplaced: v.misplaced, misreported: v.misreported, outOfOrder: v.outOfOrder },
      detail,
    ).toEqual({ lost: 0, misplaced: 0, misreported: 0, outOfOrder: 0 });
    // Nobody was told "dead-lettered" for a write whose answer never came.
    expect(
      lostDlq.filter((t) => t.kind === "dead-lettered" || t.kind === "acknowledged"),
      detail,
    ).toEqual([]);
    expect(kinds(bigAfter), detail).toEqual(bigAfter.map(() => "dead-lettered"));
    expect(kinds(smallAfter), detail).toEqual(smallAfter.map(() => "acknowledged"));
  });
});

describe("a dead-letter write's response lost until retries run out (consumer, on kafkajs)", () => {
  it("consumer DLQ: a dead-letter write whose answer is lost; no source offset committed past a record that is nowhere", async () => {
    const topic = await fc.topic("lost-cdlq", { partitions: 2 });
    const dlqTopic = await fc.topic("lost-cdlq-dlq");
    // The records to dead-letter, 10 on each partition.
    const ledger = new Ledger();
    await seedRecords(fc, ledger, topic, 20, { partitions: 2, keys: 2 });

    const config = consumerConfig(fc, topic, uniqueName("lost-cdlq"), { dlqTopic, maxRetries: 0 });
    const deliveries: Delivery[] = [];
    // The first dead-letter write loses every answer until the consumer gives up on it.
    const drop = fc.proxy().dropProduceResponses({ topic: dlqTopic, count: Number.POSITIVE_INFINITY });
    let dlqFailures = 0;
    const consumer = createConsumer(config, {
      logger: silentLogger,
      retryLaterMs: 300,
      observer: {
        onDlqWriteFailed: () => {
          dlqFailures++;
          drop.stop();
        },
      },
    }).handle((_ctx, m) => {
      deliveries.push({
        id: m.headers[idHeader] ?? "",
        key: m.key?.toString(),
        partition: m.partition,
        offset: m.offset,
        handled: false,
      });
      throw newPermanentError("every record of this topic is dead-lettered");
    });
    const running = consumer.start();
    await untilAllCommitted(fc.kafka(), config.groupId, topic);
    await consumer.stop();
    await running;

    const { p, c } = await judgeGroup(fc.kafka(), ledger, { topic, groupId: config.groupId, deliveries, dlqTopic });
    recordScenario(
      consumerRow(
        "consumer DLQ: lost dead-letter write response, retries exhausted",
        p,
        c,
        `20 records on 2 partitions, each failing for good; the proxy drops every answer to the first dead-letter write (3 attempts) and cuts the connection. ${drop.dropped} answers dropped, ${dlqFailures} failed dead-letter write(s). Duplicates expected: the record whose write was lost is written again when retried (at-least-once).`,
      ),
    );
    const detail = c.examples.join("\n");
    expect(dlqFailures).toBeGreaterThan(0);
    expect({ lost: c.lost, committedMissing: c.committedMissing, outOfOrder: c.outOfOrder }, detail).toEqual({
      lost: 0,
      committedMissing: 0,
      outOfOrder: 0,
    });
    expect(c.deadLettered).toBe(20);
  });
});
