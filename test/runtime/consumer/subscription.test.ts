/**
 * What a consumer subscribes to: by default its config's topic plus every registered handler's
 * topic (a service's consumer), with `subscribe: "config-topic"` its config's topic only (a
 * replay or test consumer registering the service's handlers), and it says which at start.
 * The group's own member metadata, read from the broker, is the proof of what was subscribed.
 */
import { AssignerProtocol } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { createConsumer } from "../../../runtime/consumer/consumer.ts";
import { captureLogger, eventually, Fixture, testConfig, testEvents } from "./helpers.ts";

const fx = new Fixture();
afterAll(() => fx.close());

/** The topics the group's member asked the broker for, as the coordinator holds them. */
async function memberTopics(groupId: string): Promise<string[]> {
  const { groups } = await fx.admin.describeGroups([groupId]);
  const member = groups[0]?.members[0];
  if (member === undefined) throw new Error(`group ${groupId} has no member`);
  return [...(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics ?? [])].sort();
}

/** A live topic with its events, and a replay topic holding a copy of one of them. */
async function liveAndReplay() {
  const live = await fx.topic("subscribe-live", 1, false);
  const replay = await fx.topic("subscribe-replay", 1, false);
  const events = testEvents(live);
  await fx.sendEvents(live, events.created.type, [{ id: "live-1", seq: 1 } as { id: string }]);
  await fx.sendEvents(replay, events.created.type, [
    { id: "replay-1", seq: 1 } as { id: string },
    { id: "replay-2", seq: 2 } as { id: string },
  ]);
  return { live, replay, events };
}

describe("subscription", () => {
  it("by default reads the config's topic and every handler's topic, and logs what and why", async () => {
    const { live, replay, events } = await liveAndReplay();
    const { logs, logger } = captureLogger();
    const config = testConfig(replay, { dlqTopic: undefined });
    const consumer = createConsumer(config, { logger });
    const seen: string[] = [];
    consumer.on(events.created, (e) => {
      seen.push(e.payload.id);
    });
    const running = consumer.start();
    try {
      await consumer.ready();
      await eventually(() => seen.length === 3, "three records handled");
      expect(await memberTopics(config.groupId)).toEqual([live, replay].sort());
    } finally {
      await consumer.stop();
      await running;
    }
    expect(seen.sort()).toEqual(["live-1", "replay-1", "replay-2"]);
    const line = logs.find((l) => l.level === "info" && l.msg?.startsWith("subscribed to"));
    expect(line?.obj).toMatchObject({
      topics: [replay, live],
      events: { [replay]: [], [live]: [events.created.type] },
      elsewhere: [],
      untyped: false,
      fromBeginning: true,
    });
    expect(line?.msg).toContain(`${live} (${events.created.type})`);
    expect(line?.msg).toContain("from the config's topic and the handlers' topics");
    expect(line?.msg).toContain("starts at the oldest record");
  });

  it('with subscribe: "config-topic" handlers subscribe to nothing: only the config\'s topic is read', async () => {
    const { live, replay, events } = await liveAndReplay();
    const { logs, logger } = captureLogger();
    const config = testConfig(replay, { dlqTopic: undefined, startOffset: "newest" });
    const consumer = createConsumer(config, { logger, subscribe: "config-topic" });
    const seen: string[] = [];
    consumer.on(events.created, (e) => {
      seen.push(e.payload.id);
    });
    const running = consumer.start();
    try {
      await consumer.ready();
      expect(await memberTopics(config.groupId)).toEqual([replay]);
      // Started at the newest offset: what is replayed from now on is handled.
      await fx.sendEvents(replay, events.created.type, [{ id: "replay-3", seq: 3 } as { id: string }]);
      await eventually(() => seen.length === 1, "the replayed record handled");
    } finally {
      await consumer.stop();
      await running;
    }
    expect(seen).toEqual(["replay-3"]);
    const line = logs.find((l) => l.level === "info" && l.msg?.startsWith("subscribed to"));
    expect(line?.obj).toMatchObject({
      topics: [replay],
      events: { [replay]: [] },
      elsewhere: [events.created.type],
      fromBeginning: false,
    });
    expect(line?.msg).toContain(`also handles ${events.created.type} when they arrive on these topics`);
    expect(line?.msg).toContain("starts at the newest record");
    expect(line?.msg).not.toContain(live);
  });

  it("explicit topics are read exactly; an empty list, or topics with subscribe, is refused", async () => {
    const { live, replay, events } = await liveAndReplay();
    const config = testConfig(replay, { dlqTopic: undefined });
    const consumer = createConsumer(config, { logger: captureLogger().logger, topics: [live] }).on(
      events.created,
      () => {},
    );
    const running = consumer.start();
    try {
      await consumer.ready();
      expect(await memberTopics(config.groupId)).toEqual([live]);
    } finally {
      await consumer.stop();
      await running;
    }

    expect(() => createConsumer(config, { topics: [live], subscribe: "config-topic" })).toThrow(
      /invalid option "subscribe": expected no value when topics is given/,
    );
    expect(() => createConsumer(config, { subscribe: "handlers" as never })).toThrow(
      /invalid option "subscribe": expected "config-and-handlers" or "config-topic"/,
    );
    const empty = createConsumer(config, { logger: captureLogger().logger, topics: [] }).on(events.created, () => {});
    await expect(empty.start()).rejects.toMatchObject({
      code: "CONSUMER_START_FAILED",
      message: expect.stringContaining('invalid option "topics": expected at least one topic'),
    });
  });
});
