/** Request-response against the real broker: typed replies matched by correlation id, timeouts, close. */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { producerConfigFromEnv } from "../../../runtime/config/env.ts";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { isSkejiError } from "../../../runtime/errors/base.ts";
import { consumerMetrics } from "../../../runtime/observability/consumer-metrics.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { createProducer } from "../../../runtime/producer/producer.ts";
import { createRequester, reply } from "../../../runtime/request-reply/request-reply.ts";
import { brokers } from "../../infra/env.ts";
import { eventually, Fixture, testConfig } from "./helpers.ts";
import { killableKafka } from "./killable.ts";

const fx = new Fixture();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await fx.close();
});

interface Quote {
  readonly requestId: string;
  readonly slots: number;
}
interface Quoted {
  readonly requestId: string;
  readonly price: number;
}

describe("request-response", () => {
  it("resolves with the typed reply carrying the same correlation id, for concurrent requests; times out and closes cleanly", async () => {
    const requests = await fx.topic("rr-requests", 2, false);
    const replies = await fx.topic("rr-replies", 2, false);
    const schema = (name: string, field: string) => ({
      type: "record",
      name,
      fields: [
        { name: "requestId", type: "string" },
        { name: field, type: "int" },
      ],
    });
    const QuoteRequested = defineEvent<Quote, Quote, "test.quote.requested">({
      type: "test.quote.requested",
      name: "QuoteRequested",
      topic: requests,
      keyField: "requestId",
      format: "avro",
      compatibility: "BACKWARD",
      versions: [{ version: 1, schema: schema("QuoteRequested", "slots") }],
    });
    const QuoteReplied = defineEvent<Quoted, Quoted, "test.quote.replied">({
      type: "test.quote.replied",
      name: "QuoteReplied",
      topic: replies,
      keyField: "requestId",
      format: "avro",
      compatibility: "BACKWARD",
      versions: [{ version: 1, schema: schema("QuoteReplied", "price") }],
    });
    const producer = createProducer(
      { ...producerConfigFromEnv(requests, { KAFKA_BROKERS: brokers().join(",") }), batchTimeoutMs: 0 },
      { logger: silentLogger },
    );
    cleanups.push(() => producer.close());

    // The responder: answers every request except "ignore-me".
    const responder = createConsumer(testConfig(requests, { dlqTopic: undefined }), { logger: silentLogger }).on(
      QuoteRequested,
      async (e) => {
        if (e.payload.requestId === "ignore-me") return;
        await reply(producer, e, QuoteReplied, { requestId: e.payload.requestId, price: e.payload.slots * 10 });
      },
    );
    const responding = responder.start();
    cleanups.push(async () => {
      await responder.stop();
      await responding;
    });
    await responder.ready();

    const requester = await createRequester(testConfig(replies), {
      producer,
      replies: [QuoteReplied],
      consumer: { logger: silentLogger },
    });
    cleanups.push(() => requester.close());

    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        requester.request(
          QuoteRequested,
          { requestId: `r-${n}`, slots: n },
          { reply: QuoteReplied, timeoutMs: 20_000 },
        ),
      ),
    );
    expect(answers.map((a) => a.payload)).toEqual([1, 2, 3, 4, 5].map((n) => ({ requestId: `r-${n}`, price: n * 10 })));
    expect(answers.every((a) => a.type === "test.quote.replied" && a.topic === replies)).toBe(true);
    expect(new Set(answers.map((a) => a.correlationId)).size).toBe(5);

    const explicit = await requester.request(
      QuoteRequested,
      { requestId: "r-x", slots: 7 },
      { reply: QuoteReplied, correlationId: "corr-fixed-1", timeoutMs: 20_000 },
    );
    expect(explicit.correlationId).toBe("corr-fixed-1");
    expect(explicit.payload.price).toBe(70);

    const timedOut = await requester
      .request(QuoteRequested, { requestId: "ignore-me", slots: 1 }, { reply: QuoteReplied, timeoutMs: 1_000 })
      .then(
        () => "resolved",
        (e: unknown) => e,
      );
    expect(isSkejiError(timedOut, "REQUEST_TIMEOUT")).toBe(true);
    expect(requester.pending()).toBe(0);

    const stillWaiting = requester.request(
      QuoteRequested,
      { requestId: "ignore-me", slots: 2 },
      { reply: QuoteReplied, timeoutMs: 60_000 },
    );
    const outcome = stillWaiting.then(
      () => "resolved",
      (e: unknown) => e,
    );
    while (requester.pending() === 0) await new Promise((r) => setTimeout(r, 10));
    await requester.close();
    expect(isSkejiError(await outcome, "CONSUMER_CLOSED")).toBe(true);
    expect(requester.pending()).toBe(0);
  });
});

describe("requester lifecycle", () => {
  const plain = (topic: string) =>
    defineEvent<Quoted, Quoted, "test.plain.replied">({
      type: "test.plain.replied",
      name: "PlainReplied",
      topic,
      keyField: "requestId",
      format: "json",
      compatibility: "BACKWARD",
      versions: [
        {
          version: 1,
          schema: {
            type: "record",
            name: "PlainReplied",
            fields: [
              { name: "requestId", type: "string" },
              { name: "price", type: "int" },
            ],
          },
        },
      ],
    });
  const requestProducer = (topic: string) => {
    const producer = createProducer(
      { ...producerConfigFromEnv(topic, { KAFKA_BROKERS: brokers().join(",") }), batchTimeoutMs: 0 },
      { logger: silentLogger },
    );
    cleanups.push(() => producer.close());
    return producer;
  };
  const groupsOf = async (prefix: string): Promise<string[]> =>
    (await fx.admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));

  it("close() deletes the requester's consumer group, so restarts do not pile up groups", async () => {
    const replies = await fx.topic("rr-group", 1, false);
    const Replied = plain(replies);
    const config = testConfig(replies);
    const producer = requestProducer(replies);
    for (let i = 0; i < 2; i++) {
      const requester = await createRequester(config, {
        producer,
        replies: [Replied],
        consumer: { logger: silentLogger },
      });
      expect(await groupsOf(`${config.groupId}-replies-`)).toHaveLength(1);
      await requester.close();
      expect(await groupsOf(`${config.groupId}-replies-`)).toEqual([]);
    }
  });

  it("commits no offset, so a requester that dies without close() leaves an empty group with no offsets", async () => {
    const replies = await fx.topic("rr-no-commit", 1, false);
    const Replied = plain(replies);
    const config = testConfig(replies);
    const producer = requestProducer(replies);
    const { kafka, kill } = killableKafka();
    const requester = await createRequester(config, {
      producer,
      replies: [Replied],
      consumer: { logger: silentLogger, kafka, shutdownTimeoutMs: 500 },
    });
    cleanups.push(() => requester.close());
    // The request is itself a reply event on the reply topic: the requester reads it back as its answer.
    // Two round trips: the batch of the first ended before the second was fetched, and a consumer
    // that commits would have committed its offset by then.
    for (const requestId of ["first", "second"]) {
      const echoed = await requester.request(Replied, { requestId, price: 1 }, { reply: Replied, timeoutMs: 20_000 });
      expect(echoed.payload.requestId).toBe(requestId);
    }
    const [groupId, ...others] = await groupsOf(`${config.groupId}-replies-`);
    expect(groupId).toBeDefined();
    expect(others).toEqual([]);
    const group = groupId as string;
    expect(await fx.committed(group, replies)).toEqual([-1]);

    kill(); // the process "dies": no close(), no leave-group, no final commit
    await eventually(async () => {
      const [described] = (await fx.admin.describeGroups([group])).groups;
      return described?.state === "Empty" && described.members.length === 0;
    }, "the broker evicted the dead requester");
    expect(await fx.committed(group, replies)).toEqual([-1]);
  }, 40_000);

  it("after losing the cluster past its session timeout, resumes where it was and gets a reply published meanwhile", async () => {
    const replies = await fx.topic("rr-rejoin", 1, false);
    const Replied = plain(replies);
    const config = testConfig(replies);
    const producer = requestProducer(replies);
    const { kafka, kill, revive } = killableKafka();
    const requester = await createRequester(config, {
      producer,
      replies: [Replied],
      consumer: { logger: silentLogger, kafka, shutdownTimeoutMs: 500 },
    });
    cleanups.push(() => requester.close());
    const before = await requester.request(Replied, { requestId: "before", price: 1 }, { reply: Replied });
    expect(before.payload.requestId).toBe("before");
    const [group = ""] = await groupsOf(`${config.groupId}-replies-`);

    kill();
    await eventually(
      async () => (await fx.admin.describeGroups([group])).groups[0]?.members.length === 0,
      "the broker evicted the cut-off requester",
    );
    // The request (here its own reply) is published while the requester cannot read.
    const during = requester.request(Replied, { requestId: "during", price: 2 }, { reply: Replied, timeoutMs: 30_000 });
    await eventually(async () => (await fx.endOffsets(replies))[0] === 2, "the second request published");
    revive();
    // The member joins anew; with no committed offset it would start at the newest one and miss the reply.
    expect((await during).payload.requestId).toBe("during");
    expect(await fx.committed(group, replies)).toEqual([-1]);
  }, 60_000);

  it("rejects every pending request at once when the reply consumer fails, and later requests too", async () => {
    const replies = await fx.topic("rr-crash", 1, false);
    const Replied = plain(replies);
    const producer = requestProducer(replies);
    let sabotage = false;
    const failing = consumerMetrics(new Registry());
    const requester = await createRequester(testConfig(replies), {
      producer,
      replies: [Replied],
      consumer: {
        logger: silentLogger,
        metrics: {
          ...failing,
          lag: (...args) => {
            // An error kafkajs does not retry or restart on: the reply consumer crashes for good.
            if (sabotage) throw Object.assign(new Error("reply consumer broke"), { retriable: false });
            failing.lag(...args);
          },
        },
      },
    });
    cleanups.push(() => requester.close());
    const waiting = [1, 2, 3].map((n) =>
      requester.request(Replied, { requestId: `c-${n}`, price: n }, { reply: Replied, timeoutMs: 600_000 }).then(
        () => "resolved",
        (e: unknown) => e,
      ),
    );
    while (requester.pending() < 3) await new Promise((r) => setTimeout(r, 10));
    sabotage = true;
    await fx.send(replies, [{ key: "x", value: "anything" }]);
    const outcomes = await Promise.all(waiting);
    for (const o of outcomes) {
      expect(isSkejiError(o, "CONSUMER_CLOSED")).toBe(true);
      expect(String((o as Error).message)).toMatch(/reply consumer (failed|stopped)/);
    }
    expect(requester.pending()).toBe(0);
    await expect(requester.request(Replied, { requestId: "late", price: 0 }, { reply: Replied })).rejects.toMatchObject(
      {
        code: "CONSUMER_CLOSED",
      },
    );
  });

  it("aborting a request whose publish is still queued takes the publish back: nothing is sent", async () => {
    const replies = await fx.topic("rr-abort", 1, false);
    const Replied = plain(replies);
    // Batches that wait a minute: the request's publish is still queued when it is aborted.
    const producer = createProducer(
      { ...producerConfigFromEnv(replies, { KAFKA_BROKERS: brokers().join(",") }), batchTimeoutMs: 60_000 },
      { logger: silentLogger },
    );
    cleanups.push(() => producer.close());
    const requester = await createRequester(testConfig(replies), {
      producer,
      replies: [Replied],
      consumer: { logger: silentLogger },
    });
    cleanups.push(() => requester.close());
    const controller = new AbortController();
    const request = requester.request(
      Replied,
      { requestId: "r-1", price: 1 },
      { reply: Replied, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(request).rejects.toMatchObject({ code: "ABORTED", details: { sent: false } });
    await producer.flush();
    expect(await fx.endOffsets(replies)).toEqual([0]);
    expect(requester.pending()).toBe(0);
  });
});
