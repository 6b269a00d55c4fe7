/** Typed handlers, each error class's path, DLQ records and middleware, against the real broker. */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import type { ConsumedEvent, MessageOutcome } from "../../../runtime/consumer/types.ts";
import { defineEvent } from "../../../runtime/descriptor.ts";
import { newBusinessError, newPermanentError, newTransientError } from "../../../runtime/errors/processing.ts";
import { loggingConsumerMiddleware, metricsConsumerMiddleware } from "../../../runtime/middleware/consumer.ts";
import { consumerMetrics } from "../../../runtime/observability/consumer-metrics.ts";
import { silentLogger } from "../../../runtime/observability/logger.ts";
import { type BookingCreated, captureLogger, eventually, Fixture, testConfig, testEvents } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

const fast = { retry: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentLogger } as const;

describe("typed handlers", () => {
  it("deliver decoded payloads with metadata; onTopic narrows the union; unknown event types are skipped and committed", async () => {
    const topic = await fx.topic("typed");
    const ev = testEvents(topic);
    await fx.send(topic, [
      {
        key: "b-1",
        value: JSON.stringify({ id: "b-1", seq: 1 }),
        headers: {
          "event-type": ev.created.type,
          "event-id": "e-1",
          "correlation-id": "c-1",
          "schema-version": "v1",
          source: "svc",
        },
      },
      {
        key: "b-1",
        value: JSON.stringify({ id: "b-1", reason: "rain" }),
        headers: { "event-type": ev.cancelled.type },
      },
      { key: "b-2", value: JSON.stringify({ x: 1 }), headers: { "event-type": "test.somebody.else" } },
      { key: "b-2", value: JSON.stringify({ id: "b-2", seq: 2 }), headers: { "event-type": ev.created.type } },
    ]);
    const config = testConfig(topic);
    const created: ConsumedEvent<BookingCreated>[] = [];
    const abortedDuringHandler: boolean[] = [];
    const reasons: string[] = [];
    const outcomes: MessageOutcome[] = [];
    const consumer = createConsumer(config, { ...fast, observer: { onOutcome: (o) => outcomes.push(o.outcome) } })
      .on(ev.created, (e) => {
        created.push(e);
        abortedDuringHandler.push(e.signal.aborted);
      })
      .onTopic(ev.topic, (e) => {
        // @ts-expect-error: before narrowing on `type`, the payload is the union of both events
        void e.payload.reason;
        if (e.type === "test.booking.cancelled") reasons.push(e.payload.reason);
        else throw new Error("the on() handler should have taken this");
      });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 4, "all four committed");
    await consumer.stop();
    await running;

    expect(created.map((e) => e.payload)).toEqual([
      { id: "b-1", seq: 1 },
      { id: "b-2", seq: 2 },
    ]);
    const first = created[0];
    expect(first).toMatchObject({
      type: ev.created.type,
      key: "b-1",
      eventId: "e-1",
      correlationId: "c-1",
      source: "svc",
      topic,
      partition: 0,
      offset: "0",
      schemaVersion: 1,
      attempt: 1,
      groupId: config.groupId,
    });
    expect(abortedDuringHandler).toEqual([false, false]);
    // A plain copy for logs keeps the header-derived fields.
    expect(JSON.parse(JSON.stringify(first))).toMatchObject({ eventId: "e-1", correlationId: "c-1", key: "b-1" });
    expect(reasons).toEqual(["rain"]);
    expect(outcomes).toEqual(["handled", "handled", "skipped", "handled"]);
  });
});

describe("error classes", () => {
  it("retries transient errors, dead-letters permanent and exhausted ones with full headers, and commits business errors", async () => {
    const topic = await fx.topic("classes");
    const ev = testEvents(topic);
    const ids = ["ok", "transient-once", "transient-always", "permanent", "business", "plain", "econnrefused"];
    await fx.send(
      topic,
      ids.map((id) => ({
        key: `key-${id}`,
        value: JSON.stringify({ id, seq: 0 }),
        headers: { "event-type": ev.created.type, "event-id": `evt-${id}`, "x-note": "שלום ✓" },
      })),
    );
    const calls = new Map<string, number>();
    const config = testConfig(topic, { maxRetries: 2 });
    const consumer = createConsumer(config, fast).on(ev.created, ({ payload }) => {
      const n = (calls.get(payload.id) ?? 0) + 1;
      calls.set(payload.id, n);
      switch (payload.id) {
        case "transient-once":
          if (n === 1) throw newTransientError("database connection failed");
          return;
        case "transient-always":
          throw newTransientError("database connection failed", new Error("pool exhausted"));
        case "permanent":
          throw newPermanentError("invalid booking");
        case "business":
          throw newBusinessError("booking conflict");
        case "plain":
          throw new Error("something odd");
        case "econnrefused":
          throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.9:5432"), { code: "ECONNREFUSED" });
      }
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === ids.length, "all committed");
    await consumer.stop();
    await running;

    expect(Object.fromEntries(calls)).toEqual({
      ok: 1,
      "transient-once": 2,
      "transient-always": 3,
      permanent: 1,
      business: 1,
      plain: 1,
      econnrefused: 3,
    });
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([4]);
    const dlq = await fx.read(`${topic}-dlq`, 4);
    const byId = new Map(dlq.map((r) => [JSON.parse(String(r.value)).id as string, r]));
    expect([...byId.keys()]).toEqual(["transient-always", "permanent", "plain", "econnrefused"]);

    const h = (id: string, name: string): string | undefined => byId.get(id)?.headers[name]?.toString();
    expect(h("transient-always", "dlq-error-class")).toBe("transient");
    expect(h("transient-always", "retry-count")).toBe("2");
    expect(h("transient-always", "dlq-error")).toBe("database connection failed: pool exhausted");
    expect(h("transient-always", "dlq-error-type")).toBe("TransientError:TRANSIENT");
    expect(h("permanent", "dlq-error-class")).toBe("permanent");
    expect(h("permanent", "retry-count")).toBe("0");
    expect(h("plain", "dlq-error-class")).toBe("permanent");
    expect(h("plain", "dlq-error")).toBe("something odd");
    expect(h("econnrefused", "dlq-error-class")).toBe("transient");
    expect(h("econnrefused", "dlq-error-type")).toBe("Error:ECONNREFUSED");

    const original = await fx.read(topic, ids.length);
    const permanentOriginal = original.find((r) => JSON.parse(String(r.value)).id === "permanent");
    const dead = byId.get("permanent");
    expect(dead?.key?.equals(Buffer.from("key-permanent"))).toBe(true);
    expect(dead?.value?.equals(permanentOriginal?.value ?? Buffer.alloc(0))).toBe(true);
    expect(dead?.headers["x-note"]).toEqual(Buffer.from("שלום ✓"));
    expect(h("permanent", "event-id")).toBe("evt-permanent");
    expect(h("permanent", "event-type")).toBe(ev.created.type);
    expect(h("permanent", "original-topic")).toBe(topic);
    expect(h("permanent", "original-partition")).toBe("0");
    expect(h("permanent", "original-offset")).toBe("3");
    expect(h("permanent", "original-timestamp")).toBe(permanentOriginal?.timestamp);
    expect(h("permanent", "dlq-consumer-group")).toBe(config.groupId);
    expect(h("permanent", "dlq-timestamp")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe("middleware", () => {
  it("runs as an onion in use order around the untyped handler, and sees the handler's error", async () => {
    const topic = await fx.topic("mw");
    await fx.send(topic, [
      { key: "k", value: "one" },
      { key: "k", value: "two" },
    ]);
    const log: string[] = [];
    const config = testConfig(topic, { maxRetries: 0 });
    const consumer = createConsumer(config, fast)
      .use(async (ctx, msg, next) => {
        log.push(`a>${msg.value}`);
        try {
          await next(ctx, msg);
        } catch (e) {
          log.push(`a!${(e as Error).message}`);
          throw e;
        }
        log.push(`a<${msg.value}`);
      })
      .use(async (ctx, msg, next) => {
        log.push(`b>${msg.value}`);
        await next(ctx, msg);
        log.push(`b<${msg.value}`);
      })
      .handle((_ctx, msg) => {
        log.push(`handler ${msg.value}`);
        if (String(msg.value) === "two") throw newPermanentError("bad two");
      });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(log).toEqual([
      "a>one",
      "b>one",
      "handler one",
      "b<one",
      "a<one",
      "a>two",
      "b>two",
      "handler two",
      "a!bad two",
    ]);
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([1]);
  });
});

describe("middleware without async", () => {
  it("a synchronous throw fails the attempt, next() is a promise to chain on, and typed handlers' throws and skips pass through", async () => {
    const topic = await fx.topic("mw-sync");
    const ev = testEvents(topic);
    await fx.send(topic, [
      { key: "b-1", value: JSON.stringify({ id: "b-1", seq: 1 }), headers: { "event-type": ev.created.type } },
      { key: "boom", value: JSON.stringify({ id: "boom", seq: 2 }), headers: { "event-type": ev.created.type } },
      { key: "b-3", value: JSON.stringify({ id: "b-3", seq: 3 }), headers: { "event-type": ev.created.type } },
      { key: "b-4", value: JSON.stringify({ id: "b-4", reason: "x" }), headers: { "event-type": ev.cancelled.type } },
      { key: "b-5", value: JSON.stringify({ id: "b-5", seq: 5 }), headers: { "event-type": ev.created.type } },
    ]);
    const log: string[] = [];
    const outcomes: string[] = [];
    const config = testConfig(topic, { maxRetries: 0 });
    const consumer = createConsumer(config, { ...fast, observer: { onOutcome: (o) => outcomes.push(o.outcome) } })
      // Not async: throws synchronously for one key, otherwise chains on the promise next() returns.
      .use((ctx, msg, next) => {
        if (msg.key?.toString() === "boom") throw newPermanentError("sync boom");
        const after = next(ctx, msg);
        expect(after).toBeInstanceOf(Promise);
        return after.then(
          () => void log.push(`ok ${msg.key}`),
          (e: unknown) => {
            log.push(`failed ${msg.key}: ${(e as Error).message}`);
            throw e;
          },
        );
      })
      .on(ev.created, (e) => {
        // A synchronous throw from a typed handler.
        if (e.payload.seq === 3) throw newPermanentError("seq 3 refused");
        log.push(`handled ${e.payload.seq}`);
      });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 5, "all five committed");
    await consumer.stop();
    await running;
    expect(log).toEqual(["handled 1", "ok b-1", "failed b-3: seq 3 refused", "ok b-4", "handled 5", "ok b-5"]);
    expect(outcomes).toEqual(["handled", "dead-lettered", "dead-lettered", "skipped", "handled"]);
    const dlq = await fx.read(`${topic}-dlq`, 2);
    expect(dlq.map((r) => [r.key?.toString(), r.headers["dlq-error"]?.toString()])).toEqual([
      ["boom", "sync boom"],
      ["b-3", "seq 3 refused"],
    ]);
  });
});

describe("observability", () => {
  it("counts outcomes and failed attempts, records handler durations and lag, and logs through the logging middleware", async () => {
    const topic = await fx.topic("metrics");
    await fx.send(topic, [
      { key: "k", value: "a" },
      { key: "k", value: "bad" },
      { key: "k", value: "b" },
    ]);
    const registry = new Registry();
    const metrics = consumerMetrics(registry);
    const { logs, logger } = captureLogger();
    const config = testConfig(topic, { maxRetries: 0 });
    const consumer = createConsumer(config, { ...fast, metrics })
      .use(loggingConsumerMiddleware(logger))
      .use(metricsConsumerMiddleware(metrics))
      .handle((_ctx, m) => {
        if (String(m.value) === "bad") throw newPermanentError("bad value");
      });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 3, "all committed");
    await consumer.stop();
    await running;

    const value = async (name: string, labels: Record<string, string>) =>
      (await registry.getSingleMetric(name)?.get())?.values.find((v) =>
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
      )?.value;
    expect(await value("skeji_kafka_consumer_messages_total", { topic, outcome: "handled" })).toBe(2);
    expect(await value("skeji_kafka_consumer_messages_total", { topic, outcome: "dead-lettered" })).toBe(1);
    expect(await value("skeji_kafka_consumer_failed_attempts_total", { topic, class: "permanent" })).toBe(1);
    expect(
      await value("skeji_kafka_consumer_handler_duration_seconds", { topic, status: "ok", le: "+Inf" } as never),
    ).toBe(2);
    expect(await value("skeji_kafka_consumer_lag", { topic, partition: "0" })).toBe(0);
    expect(logs.filter((l) => l.msg === "handled").map((l) => l.obj.offset)).toEqual(["0", "2"]);
    const failed = logs.find((l) => l.msg === "handler failed");
    expect(failed?.obj).toMatchObject({ offset: "1", errorClass: "permanent", err: "bad value", attempt: 1 });
  });
});

describe("logging middleware with debug off", () => {
  it("writes no entry for a handled attempt and still warns about a failed one", async () => {
    const topic = await fx.topic("log-level");
    await fx.send(topic, [
      { key: "k", value: "a", headers: { "event-type": "x.y", "event-id": "e-1" } },
      { key: "k", value: "bad", headers: { "event-type": "x.y", "event-id": "e-2" } },
    ]);
    const { logs, logger } = captureLogger((level) => level !== "debug");
    const config = testConfig(topic, { maxRetries: 0 });
    const consumer = createConsumer(config, fast)
      .use(loggingConsumerMiddleware(logger))
      .handle((_ctx, m) => {
        if (String(m.value) === "bad") throw newPermanentError("bad value");
      });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(logs.filter((l) => l.level === "debug")).toEqual([]);
    expect(logs.filter((l) => l.level === "warn").map((l) => l.obj)).toEqual([
      expect.objectContaining({ offset: "1", eventType: "x.y", eventId: "e-2", errorClass: "permanent" }),
    ]);
  });
});

describe("unknown event types", () => {
  it("are dead-lettered with NO_HANDLER when the consumer is told to", async () => {
    const topic = await fx.topic("unknown");
    const ev = testEvents(topic);
    await fx.send(topic, [
      { key: "k", value: JSON.stringify({ x: 1 }), headers: { "event-type": "test.somebody.else" } },
      { key: "k", value: JSON.stringify({ id: "b-1", seq: 1 }), headers: { "event-type": ev.created.type } },
    ]);
    const config = testConfig(topic);
    const seen: string[] = [];
    const consumer = createConsumer(config, { ...fast, unknownEvents: "dead-letter" }).on(ev.created, (e) => {
      seen.push(e.payload.id);
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(seen).toEqual(["b-1"]);
    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(dead?.headers["event-type"]?.toString()).toBe("test.somebody.else");
    expect(dead?.headers["dlq-error-type"]?.toString()).toBe("SkejiError:NO_HANDLER");
    expect(dead?.headers["retry-count"]?.toString()).toBe("0");
  });
});

describe("lifecycle", () => {
  it("a consumer stopped before start() starts nothing: start resolves, ready rejects, registration after start throws", async () => {
    const topic = await fx.topic("lifecycle");
    const consumer = createConsumer(testConfig(topic), fast).handle(() => {});
    await consumer.stop();
    await consumer.start();
    await expect(consumer.ready()).rejects.toMatchObject({ code: "CONSUMER_CLOSED" });
    expect(() => consumer.use(async (c, m, next) => next(c, m))).toThrow(/before start/);
  });
});

describe("handler timeout", () => {
  it("fails an attempt past handlerTimeoutMs as transient, aborts its signal, retries, then dead-letters", async () => {
    const topic = await fx.topic("timeout");
    await fx.send(topic, [
      { key: "k", value: "hangs" },
      { key: "k", value: "quick" },
    ]);
    const config = testConfig(topic, { maxRetries: 1 });
    const abortedAttempts: number[] = [];
    const handled: string[] = [];
    const consumer = createConsumer(config, { ...fast, handlerTimeoutMs: 300 }).handle(
      (ctx, m) =>
        new Promise<void>((resolve) => {
          if (String(m.value) === "quick") {
            handled.push("quick");
            return resolve();
          }
          ctx.signal.addEventListener("abort", () => {
            abortedAttempts.push(ctx.attempt);
            resolve();
          });
        }),
    );
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 2, "both committed");
    await consumer.stop();
    await running;
    expect(abortedAttempts).toEqual([1, 2]);
    expect(handled).toEqual(["quick"]);
    const [dead] = await fx.read(`${topic}-dlq`, 1);
    expect(String(dead?.value)).toBe("hangs");
    expect(dead?.headers["dlq-error-type"]?.toString()).toBe("SkejiError:HANDLER_TIMEOUT");
    expect(dead?.headers["dlq-error-class"]?.toString()).toBe("transient");
    expect(dead?.headers["retry-count"]?.toString()).toBe("1");
  });
});

describe("DLQ topic from the descriptor", () => {
  it("dead-letters to the event descriptor's dlqTopic when the config names none", async () => {
    const topic = await fx.topic("descdlq");
    const base = testEvents(topic).created;
    const created = defineEvent<BookingCreated, BookingCreated, "test.booking.created">({
      ...base,
      type: "test.booking.created",
      dlqTopic: `${topic}-dlq`,
    });
    await fx.send(topic, [
      { key: "k", value: JSON.stringify({ id: "x", seq: 1 }), headers: { "event-type": created.type } },
    ]);
    const config = testConfig(topic, { dlqTopic: undefined });
    const consumer = createConsumer(config, fast).on(created, () => {
      throw newPermanentError("no");
    });
    const running = consumer.start();
    await eventually(async () => (await fx.committed(config.groupId, topic))[0] === 1, "committed");
    await consumer.stop();
    await running;
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([1]);
  });
});
