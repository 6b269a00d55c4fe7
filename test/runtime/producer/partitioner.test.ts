/**
 * The partitioner belongs to the topic: a typed event goes where its topic's partitioner (from the
 * manifest, carried by the descriptor) puts its key; plain messages go by the configured one unless
 * the producer is given the topic's descriptor; KAFKA_PRODUCER_PARTITIONER overrides every topic,
 * with one warning per topic it overrides. Against the real broker; the expected partitions are
 * the partitioner functions', which test/interop/go.test.ts checks against kafka-go's balancers.
 */
import type { PartitionerArgs } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { allTopics } from "../../../generated/topics.ts";
import { createPartitioner } from "../../../runtime/client/partitioners.ts";
import {
  createProducer,
  defineEvent,
  defineTopic,
  newMessage,
  type PartitionerName,
  type Producer,
} from "../../../runtime/index.ts";
import { captureLogger } from "../consumer/helpers.ts";
import { booking, bookingEvent, newTopic, readRecords, testConfig } from "./support.ts";

const PARTITIONS = 6;

/** Where a partitioner puts a key on a topic of PARTITIONS partitions. */
function partitionOf(name: PartitionerName, key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return createPartitioner(name)({
    topic: "t",
    partitionMetadata,
    message: { key, value: null },
  } as PartitionerArgs);
}

/** Phones whose partition differs between murmur2 and fnv1a, so each test can tell which was used. */
const phones = Array.from({ length: 40 }, (_, i) => `+9725030${String(i * 7).padStart(5, "0")}`)
  .filter((p) => partitionOf("murmur2", p) !== partitionOf("fnv1a", p))
  .slice(0, 8);

const producers: Producer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close()));
});

function producerFor(topic: string, env: Record<string, string> = {}, topics?: Parameters<typeof defineTopic>[0][]) {
  const { logger, logs } = captureLogger();
  const p = createProducer(
    { ...testConfig(topic, env), batchTimeoutMs: 0 },
    { logger, ...(topics === undefined ? {} : { topics: topics.map((t) => defineTopic(t)) }) },
  );
  producers.push(p);
  const warnings = () => logs.filter((l) => l.level === "warn" && l.msg?.includes("partitioner"));
  return { p, warnings };
}

const withPartitioner = (topic: string, partitioner: PartitionerName | undefined) =>
  defineEvent({ ...bookingEvent(topic), ...(partitioner === undefined ? {} : { partitioner }) });

async function publishAll(p: Producer, event: ReturnType<typeof withPartitioner>) {
  const results = await Promise.all(phones.map((phone, i) => p.publishEvent(event, booking(i, phone))));
  return results.map((r) => r.partition);
}

describe("partitioners per topic", () => {
  it("has keys on which the two partitioners disagree", () => {
    expect(phones).toHaveLength(8);
  });

  it.each([
    ["fnv1a", "fnv1a"],
    ["murmur2", "murmur2"],
    [undefined, "murmur2"],
  ] as const)("a typed event whose topic's partitioner is %s lands where %s puts its key", async (declared, used) => {
    const topic = await newTopic("part-topic", PARTITIONS);
    const { p, warnings } = producerFor(topic);
    const partitions = await publishAll(p, withPartitioner(topic, declared));
    expect(partitions).toEqual(phones.map((k) => partitionOf(used, k)));
    const records = await readRecords(topic, phones.length);
    for (const r of records) expect(r.partition).toBe(partitionOf(used, r.key?.toString() ?? ""));
    expect(warnings()).toEqual([]);
  });

  it("a typed event sent to another topic name keeps its own topic's partitioner", async () => {
    const topic = await newTopic("part-renamed", PARTITIONS);
    const { p } = producerFor(topic);
    const event = withPartitioner("bookings-events", "fnv1a");
    const results = await Promise.all(phones.map((phone, i) => p.publishEvent(event, booking(i, phone), { topic })));
    expect(results.map((r) => r.partition)).toEqual(phones.map((k) => partitionOf("fnv1a", k)));
  });

  it("a plain message goes by the configured partitioner, or by its topic's when the producer is given the topic", async () => {
    const topic = await newTopic("part-raw", PARTITIONS);
    const send = (p: Producer) =>
      Promise.all(phones.map((k) => p.publish(newMessage().withKey(k).withValue("x").build()))).then((rs) =>
        rs.map((r) => r.partition),
      );
    expect(await send(producerFor(topic).p)).toEqual(phones.map((k) => partitionOf("murmur2", k)));
    const known = producerFor(topic, {}, [{ topic, partitioner: "fnv1a", events: [bookingEvent(topic)] }]);
    expect(await send(known.p)).toEqual(phones.map((k) => partitionOf("fnv1a", k)));
  });

  it("KAFKA_PRODUCER_PARTITIONER overrides the topic's, with one warning naming the topic", async () => {
    const topic = await newTopic("part-override", PARTITIONS);
    const { p, warnings } = producerFor(topic, { KAFKA_PRODUCER_PARTITIONER: "murmur2" });
    const event = withPartitioner(topic, "fnv1a");
    expect(await publishAll(p, event)).toEqual(phones.map((k) => partitionOf("murmur2", k)));
    await publishAll(p, event);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.obj).toEqual({ partitioner: "murmur2", topics: { [topic]: "fnv1a" } });
    expect(warnings()[0]?.msg).toContain(`overrides the manifest's for ${topic} (fnv1a)`);
  });

  it("KAFKA_PRODUCER_PARTITIONER that agrees with the topic's says nothing", async () => {
    const topic = await newTopic("part-agree", PARTITIONS);
    const { p, warnings } = producerFor(topic, { KAFKA_PRODUCER_PARTITIONER: "fnv1a" });
    expect(await publishAll(p, withPartitioner(topic, "fnv1a"))).toEqual(phones.map((k) => partitionOf("fnv1a", k)));
    expect(warnings()).toEqual([]);
  });

  it("with the topics given, the override is reported once at creation, every overridden topic in one line", () => {
    const { warnings } = producerFor("part-created", { KAFKA_PRODUCER_PARTITIONER: "murmur2" }, [
      { topic: "bookings-events", partitioner: "fnv1a", events: [] },
      { topic: "audit", partitioner: "murmur2", events: [] },
      { topic: "gateway-inbound-messages", partitioner: "fnv1a", events: [] },
      { topic: "legacy", events: [] },
    ]);
    expect(warnings().map((w) => w.obj)).toEqual([
      { partitioner: "murmur2", topics: { "bookings-events": "fnv1a", "gateway-inbound-messages": "fnv1a" } },
    ]);
  });

  it("takes the generated allTopics: the bundled manifest's topics are all fnv1a", () => {
    const { logger, logs } = captureLogger();
    producers.push(
      createProducer(
        { ...testConfig("part-all", { KAFKA_PRODUCER_PARTITIONER: "murmur2" }) },
        { logger, topics: allTopics },
      ),
    );
    expect(logs.filter((l) => l.level === "warn").map((l) => l.obj)).toEqual([
      { partitioner: "murmur2", topics: Object.fromEntries(allTopics.map((t) => [t.topic, "fnv1a"])) },
    ]);
  });
});
