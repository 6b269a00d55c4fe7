/**
 * `skeji-gen dlq inspect|replay` as an operator runs them, against the real broker: dead letters
 * written by the SDK's consumer (a handler's permanent failure, poison bytes) and shaped like the
 * Go services' (fewer headers, JSON, no event-type, a one-character retry-count), inspected,
 * and replayed to typed handlers that see retry-count + 1.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dlqCommand } from "../../generator/dlq/command.ts";
import { type DlqProject, loadDlqProject } from "../../generator/dlq/project.ts";
import * as runtime from "../../runtime/index.ts";
import { runCommand } from "../check/helpers.ts";
import { brokers, registryUrl, uniqueName } from "../infra/env.ts";
import { eventually } from "../runtime/consumer/helpers.ts";

const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true });

const bookings = uniqueName("dlqt-bookings");
const gateway = uniqueName("dlqt-gateway");
const dlq = uniqueName("dlqt-domain");
const payments = uniqueName("dlqt-payments");
const paymentsDlq = uniqueName("dlqt-payments-dlq");
const group = uniqueName("dlqt-service");
const env = { KAFKA_BROKERS: brokers().join(","), KAFKA_SCHEMA_TOPIC: "none" };
const record = (name: string, fields: unknown[]) => ({ type: "record", name, namespace: "test.dlqt", fields });

/** A service's project: an Avro topic with two events and a JSON topic of the Go gateway, one DLQ for both. */
function writeProject(): string {
  const root = mkdtempSync(join(tmpdir(), "skeji-dlq-"));
  const schemas = {
    "test.dlqt.created": record("Created", [
      { name: "id", type: "string" },
      { name: "seq", type: "int" },
    ]),
    "test.dlqt.cancelled": record("Cancelled", [
      { name: "id", type: "string" },
      { name: "reason", type: "string" },
    ]),
    "test.dlqt.message": record("Message", [
      { name: "user", type: "string" },
      { name: "text", type: "string" },
      { name: "tags", type: { type: "array", items: "string" } },
    ]),
    "test.dlqt.paid": record("Paid", [
      { name: "id", type: "string" },
      { name: "cents", type: "long" },
    ]),
  };
  for (const [type, schema] of Object.entries(schemas)) {
    mkdirSync(join(root, "schemas", type), { recursive: true });
    writeFileSync(join(root, "schemas", type, "v1.avsc"), JSON.stringify(schema));
  }
  const manifest = {
    defaults: { partitions: 1, replicationFactor: 1 },
    topics: {
      [bookings]: { dlq, events: { "test.dlqt.created": { key: "id" }, "test.dlqt.cancelled": { key: "id" } } },
      [gateway]: { dlq, format: "json", events: { "test.dlqt.message": { key: "user" } } },
      [payments]: { dlq: paymentsDlq, format: "confluent", events: { "test.dlqt.paid": { key: "id" } } },
    },
  };
  writeFileSync(join(root, "schemas", "manifest.json"), JSON.stringify(manifest));
  return root;
}

let root: string;
let project: DlqProject;
const event = (type: string) => project.events.find((e) => e.type === type) as runtime.AnyEventDescriptor;

const cli = (args: string[], signal?: AbortSignal) => runCommand((io) => dlqCommand(io, env, signal), args, root);
const lines = (text: string) => text.trim().split("\n");
const endOffset = async (topic: string) => Number((await admin.fetchTopicOffsets(topic))[0]?.high);

/** Runs the service's consumer (typed handlers on both topics, DLQ from the manifest) until `done`. */
async function runService(
  groupId: string,
  handler: (event: runtime.ConsumedEvent<unknown>) => void,
  done: () => Promise<boolean>,
): Promise<void> {
  const consumer = runtime.createConsumer(
    { ...runtime.consumerConfigFromEnv(bookings, groupId, env), startOffset: "oldest", maxWaitMs: 100 },
    { logger: runtime.silentLogger, retry: { initialDelayMs: 5, maxDelayMs: 20 } },
  );
  consumer.on(event("test.dlqt.created"), handler).on(event("test.dlqt.message"), handler);
  const running = consumer.start();
  try {
    await eventually(done, "the service consumer to get through its records", 30_000);
  } finally {
    await consumer.stop();
    await running;
  }
}

beforeAll(async () => {
  root = writeProject();
  project = loadDlqProject(runtime, join(root, "schemas"), undefined, root);
  await admin.connect();
  await producer.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [bookings, gateway, dlq, paymentsDlq].map((topic) => ({ topic, numPartitions: 1 })),
  });
  const created = runtime.createEncoder(event("test.dlqt.created"));
  const ok = await created.encode({ id: "ok-1", seq: 1 }, bookings);
  const bad = await created.encode({ id: "bad-1", seq: -1 }, bookings);
  const typed = (h: Readonly<Record<string, string>>) => ({ ...h, "event-type": "test.dlqt.created", "event-id": "e" });
  await producer.send({
    topic: bookings,
    acks: -1,
    messages: [
      { key: "ok-1", value: ok.value, headers: typed(ok.headers) },
      { key: "bad-1", value: bad.value, headers: typed(bad.headers) },
      // Poison: Avro headers over bytes that are not the record.
      { key: "poison-1", value: Buffer.from([0x02, 0xff, 0xff, 0xff]), headers: typed(ok.headers) },
    ],
  });
  // The SDK's consumer: the handler refuses a negative seq for good; the poison cannot be decoded.
  await runService(
    group,
    (e) => {
      if ((e.payload as { seq: number }).seq < 0) throw runtime.newPermanentError("seq must be positive");
    },
    async () => (await endOffset(dlq)) === 2,
  );
  // What a Go service writes to the same DLQ: JSON with nil slices, no event-type on its
  // single-event topic, the retry count as one character, and only these DLQ headers.
  await producer.send({
    topic: dlq,
    acks: -1,
    messages: [
      {
        key: "+972501234567",
        value: JSON.stringify({ user: "+972501234567", text: "book tomorrow 3pm", tags: null }),
        headers: {
          "event-id": "go-1",
          "correlation-id": "corr-go-1",
          source: "gateway",
          timestamp: "2025-11-18T17:00:00+02:00",
          "retry-count": "3",
          "original-topic": gateway,
          "dlq-error": "invalid message format: downstream refused",
          "dlq-timestamp": "2025-11-18T15:00:01Z",
          "dlq-consumer-group": "gateway-consumer-group",
        },
      },
      // Written by hand, by someone: no headers at all.
      { key: null, value: Buffer.from("not an event") },
    ],
  });
}, 60_000);

afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

describe("skeji-gen dlq inspect", () => {
  it("shows every dead letter decoded, with what each writer recorded, and commits nothing", async () => {
    const groupsBefore = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const run = await cli(["inspect", dlq, "--format", "json"]);
    expect(run.code).toBe(0);
    const [handlerFailure, poison, go, byHand, ...rest] = lines(run.out).map((l) => JSON.parse(l));
    expect(rest).toEqual([]);
    expect(handlerFailure).toMatchObject({
      dlq: { topic: dlq, partition: 0, offset: "0" },
      key: "bad-1",
      original: { topic: bookings, partition: 0, offset: "1" },
      error: "seq must be positive",
      errorType: "PermanentError:PERMANENT",
      errorCode: "PERMANENT",
      errorClass: "permanent",
      retryCount: 0,
      consumerGroup: group,
      eventType: "test.dlqt.created",
      schemaVersion: 1,
      payload: { id: "bad-1", seq: -1 },
    });
    expect(poison).toMatchObject({
      key: "poison-1",
      original: { topic: bookings, offset: "2" },
      errorCode: "DECODE_FAILED",
      eventType: "test.dlqt.created",
      undecodable: { code: "DECODE_FAILED", bytes: 4, hex: "02ffffff", base64: "Av///w==" },
    });
    expect(poison.payload).toBeUndefined();
    expect(go).toEqual({
      dlq: expect.objectContaining({ offset: "2" }),
      key: "+972501234567",
      original: { topic: gateway },
      error: "invalid message format: downstream refused",
      retryCount: 3,
      consumerGroup: "gateway-consumer-group",
      deadLetteredAt: "2025-11-18T15:00:01Z",
      eventType: "test.dlqt.message",
      schemaVersion: 1,
      payload: { user: "+972501234567", text: "book tomorrow 3pm", tags: [] },
      headers: expect.objectContaining({ "correlation-id": "corr-go-1", "retry-count": "3" }),
    });
    expect(byHand).toMatchObject({
      original: {},
      undecodable: { code: "UNKNOWN_EVENT_TYPE", bytes: 12 },
    });
    expect(run.err).toBe(
      `dlq inspect: 4 records of ${dlq} shown (2 not decoded), 0 not selected by the filters; to continue after them: --from-offset 0:4\n`,
    );
    // The reader's group is gone, and the service's group still stands where its consumer left it.
    const groupsAfter = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groupsAfter.filter((g) => !groupsBefore.has(g) && g.startsWith("skeji-dlq-reader-"))).toEqual([]);
    const [service] = await admin.fetchOffsets({ groupId: group, topics: [bookings] });
    expect(service?.partitions.map((p) => p.offset)).toEqual(["3"]);
  });

  it("reads as text, selected by filters and from an offset, and says where to continue", async () => {
    const poison = await cli(["inspect", dlq, "--error-code", "DECODE_FAILED"]);
    expect(poison.code).toBe(0);
    expect(lines(poison.out)).toEqual([
      expect.stringMatching(new RegExp(`^${dlq} 0:1  \\d{4}-\\d\\d-\\d\\dT\\S+Z  key "poison-1"$`)),
      expect.stringMatching(new RegExp(`^ {2}from {6}${bookings} 0:2, written \\d{4}-\\S+Z$`)),
      `  error     SkejiError:DECODE_FAILED, permanent, retry-count 0, group ${group}`,
      expect.stringMatching(/^ {2}reason {4}cannot decode test\.dlqt\.Created: /),
      "  event     test.dlqt.created",
      expect.stringMatching(/^ {2}value {5}not decoded: DECODE_FAILED: cannot decode test\.dlqt\.Created: /),
      "  bytes     4 bytes: hex 02ffffff",
      "            base64 Av///w==",
      expect.stringMatching(/^ {2}headers {3}.*event-type="test\.dlqt\.created"/),
      "",
      `dlq inspect: 1 record of ${dlq} shown (1 not decoded), 3 not selected by the filters; to continue after them: --from-offset 0:4`,
    ]);

    const go = await cli(["inspect", dlq, "--from-offset", "2", "--limit", "1"]);
    expect(lines(go.out)).toEqual([
      `${dlq} 0:2  2025-11-18T15:00:01Z  key "+972501234567"`,
      `  from      ${gateway} (partition and offset not recorded)`,
      "  error     (error type not recorded), retry-count 3, group gateway-consumer-group",
      "  reason    invalid message format: downstream refused",
      "  event     test.dlqt.message v1",
      "  payload   {",
      '              "user": "+972501234567",',
      '              "text": "book tomorrow 3pm",',
      '              "tags": []',
      "            }",
      '  headers   event-id="go-1" correlation-id="corr-go-1" source="gateway" timestamp="2025-11-18T17:00:00+02:00" retry-count="3"',
      "",
      `dlq inspect: 1 record of ${dlq} shown (0 not decoded), 0 not selected by the filters; to continue after them: --from-offset 0:3`,
    ]);
  });

  it("decodes Confluent records through the registry, and says when it has none", async () => {
    const registry = runtime.createRegistryClient({ url: registryUrl() });
    const paid = await runtime
      .createEncoder(event("test.dlqt.paid"), registry)
      .encode({ id: "p-1", cents: 123_456_789_012 }, payments);
    await producer.send({
      topic: paymentsDlq,
      acks: -1,
      messages: [
        {
          key: "p-1",
          value: paid.value,
          headers: { ...paid.headers, "event-type": "test.dlqt.paid", "original-topic": payments },
        },
      ],
    });
    const withRegistry = await cli(["inspect", paymentsDlq, "--registry", registryUrl(), "--format", "json"]);
    expect(withRegistry.code).toBe(0);
    expect(JSON.parse(withRegistry.out)).toMatchObject({
      eventType: "test.dlqt.paid",
      payload: { id: "p-1", cents: 123_456_789_012 },
    });
    const without = await cli(["inspect", paymentsDlq, "--format", "json"]);
    expect(JSON.parse(without.out)).toMatchObject({
      undecodable: { code: "REGISTRY_ERROR", reason: expect.stringContaining("no schema registry is configured") },
    });
  });

  it("--from-time starts at the first dead letter written at or after it; --follow waits for more until stopped", async () => {
    const future = await cli(["inspect", dlq, "--from-time", "2999-01-01T00:00:00Z"]);
    expect(lines(future.out)).toEqual([
      `dlq inspect: 0 records of ${dlq} shown (0 not decoded), 0 not selected by the filters; to continue after them: --from-offset 0:4`,
    ]);

    // Following a topic nothing is written to yet (past its one record): the record written
    // meanwhile is shown, then Ctrl-C.
    const stop = new AbortController();
    let out = "";
    let err = "";
    let code: number | undefined;
    const io = {
      out: (t: string) => {
        out += t;
        if (t.includes('"key":"late-1"')) stop.abort();
      },
      err: (t: string) => {
        err += t;
      },
      exit: (c: number): never => {
        code = c;
        throw new Error("exit");
      },
    };
    const args = ["inspect", paymentsDlq, "--from-offset", "1", "--follow", "--format", "json"];
    const following = dlqCommand(io, env, stop.signal)
      .parseAsync([...args, "--schemas", join(root, "schemas")], { from: "user" })
      .catch((e: unknown) => {
        if (code === undefined) throw e;
      });
    // Written only once the reader is waiting: it is seen because --follow keeps reading.
    await new Promise((r) => setTimeout(r, 1000));
    const late = { key: "late-1", value: "late", headers: { "original-topic": payments } };
    await producer.send({ topic: paymentsDlq, acks: -1, messages: [late] });
    await following;
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ dlq: { offset: "1" }, key: "late-1" });
    expect(err).toBe(
      `dlq inspect: 1 record of ${paymentsDlq} shown (1 not decoded), 0 not selected by the filters; to continue after them: --from-offset 0:2\n`,
    );
  });

  it("names what is wrong with an option", async () => {
    const bad = await cli(["inspect", dlq, "--from-offset", "0-3"]);
    expect(bad).toMatchObject({
      code: 2,
      err: 'skeji-gen: invalid option "--from-offset": "0-3" is not an offset (12) or a list of partition:offset (0:12,1:7)\n',
    });
  });
});

describe("skeji-gen dlq replay", () => {
  it("--dry-run lists what would be sent, skips what has nowhere to go, and sends nothing", async () => {
    const before = [await endOffset(bookings), await endOffset(gateway)];
    const run = await cli(["replay", dlq, "--dry-run"]);
    expect(run.code).toBe(1); // one record could not be replayed
    expect(lines(run.out)).toEqual([
      `would replay  ${dlq} 0:0 -> ${bookings}  test.dlqt.created  key "bad-1"  retry-count 0 -> 1`,
      `would replay  ${dlq} 0:1 -> ${bookings}  test.dlqt.created  key "poison-1"  retry-count 0 -> 1`,
      `would replay  ${dlq} 0:2 -> ${gateway}  test.dlqt.message  key "+972501234567"  retry-count 3 -> 4`,
      `skipped       ${dlq} 0:3: no original-topic header (name the topic with --to)`,
      "",
      `dlq replay: 3 would be replayed, 1 skipped, 0 not selected by the filters (${dlq}); dry run, nothing was sent`,
      "To continue after the records read: --from-offset 0:4",
    ]);
    expect([await endOffset(bookings), await endOffset(gateway)]).toEqual(before);
  });

  it("sends the selected records back with their original headers and retry-count + 1, to typed handlers", async () => {
    const handlerFailure = await cli(["replay", dlq, "--event-type", "test.dlqt.created", "--error-code", "PERMANENT"]);
    expect(handlerFailure.code).toBe(0);
    expect(lines(handlerFailure.out)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^replayed {6}${dlq} 0:0 -> ${bookings} 0:3 {2}test\\.dlqt\\.created {2}key "bad-1" {2}retry-count 0 -> 1$`,
        ),
      ),
      "",
      `dlq replay: 1 replayed, 0 skipped, 3 not selected by the filters (${dlq})`,
      "To continue after the records read: --from-offset 0:4",
    ]);
    const goRecord = await cli(["replay", dlq, "--original-topic", gateway]);
    expect(goRecord.code).toBe(0);
    expect(goRecord.out).toContain(`replayed      ${dlq} 0:2 -> ${gateway} 0:0  test.dlqt.message`);

    // The service, fixed, under a new group: the replayed records reach its typed handlers.
    const seen: runtime.ConsumedEvent<unknown>[] = [];
    await runService(
      uniqueName("dlqt-fixed"),
      (e) => {
        if (e.offset === "3" || e.topic === gateway) seen.push(e);
      },
      async () => seen.length === 2,
    );
    const byTopic = new Map(seen.map((e) => [e.topic, e]));
    expect(byTopic.get(bookings)).toMatchObject({
      type: "test.dlqt.created",
      key: "bad-1",
      payload: { id: "bad-1", seq: -1 },
      eventId: "e",
    });
    expect(byTopic.get(bookings)?.headers["retry-count"]).toBe("1");
    expect(Object.keys(byTopic.get(bookings)?.headers ?? {}).filter((h) => /^(dlq-|original-)/.test(h))).toEqual([]);
    expect(byTopic.get(gateway)).toMatchObject({
      type: "test.dlqt.message",
      key: "+972501234567",
      payload: { user: "+972501234567", text: "book tomorrow 3pm", tags: [] },
      correlationId: "corr-go-1",
      source: "gateway",
    });
    expect(byTopic.get(gateway)?.headers["retry-count"]).toBe("4");
  }, 60_000);

  it("stops at a record it cannot send and says where to resume", async () => {
    // A topic that refuses the Go record as too large: definitely not written.
    const small = uniqueName("dlqt-small");
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: small, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "200" }] }],
    });
    const run = await cli(["replay", dlq, "--from-offset", "2", "--to", small]);
    expect(run.code).toBe(1);
    expect(lines(run.out)).toEqual([
      expect.stringMatching(new RegExp(`^failed {8}${dlq} 0:2 -> ${small}: .+`)),
      "",
      `dlq replay: 0 replayed, 0 skipped, 0 not selected by the filters (${dlq})`,
      `stopped at ${dlq} 0:2: it was not replayed, nor anything after it. Resume with --from-offset 0:2`,
    ]);
    expect(await endOffset(small)).toBe(0);
  });

  it("skips a dead letter that was truncated to fit the DLQ: it no longer holds the original bytes", async () => {
    const cut = uniqueName("dlqt-cut");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: cut, numPartitions: 1 }] });
    const truncated = '{"record":2097305,"value":1048576}';
    await producer.send({
      topic: cut,
      acks: -1,
      messages: [{ key: "big-1", value: "{...", headers: { "original-topic": gateway, "dlq-truncated": truncated } }],
    });
    const before = await endOffset(gateway);
    const run = await cli(["replay", cut]);
    expect(run.code).toBe(1);
    expect(lines(run.out)[0]).toBe(
      `skipped       ${cut} 0:0: truncated when dead-lettered (dlq-truncated ${truncated}); not replayable as it is`,
    );
    expect(await endOffset(gateway)).toBe(before);
  });

  it("stops after the record in flight when interrupted, and says where to continue", async () => {
    const target = uniqueName("dlqt-interrupted");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: target, numPartitions: 1 }] });
    const interrupt = new AbortController();
    let out = "";
    let code: number | undefined;
    const io = {
      out: (t: string) => {
        out += t;
        if (t.startsWith("replayed")) interrupt.abort(); // Ctrl-C while the first record is acknowledged
      },
      err: (t: string) => {
        out += t;
      },
      exit: (c: number): never => {
        code = c;
        throw new Error("exit");
      },
    };
    const before = process.cwd();
    process.chdir(root);
    try {
      await dlqCommand(io, env, interrupt.signal).parseAsync(["replay", dlq, "--to", target], { from: "user" });
    } catch (e) {
      if (code === undefined) throw e;
    } finally {
      process.chdir(before);
    }
    expect(code).toBe(0);
    expect(lines(out)).toEqual([
      expect.stringMatching(new RegExp(`^replayed {6}${dlq} 0:0 -> ${target} 0:0 `)),
      "",
      `dlq replay: 1 replayed, 0 skipped, 0 not selected by the filters (${dlq})`,
      "interrupted; the send in flight was finished. To continue after the records read: --from-offset 0:1",
    ]);
    expect(await endOffset(target)).toBe(1);
  });

  it("--group remembers where the last run stopped, and refuses a group in use", async () => {
    const target = uniqueName("dlqt-grouped");
    const replayGroupId = uniqueName("dlqt-replayer");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: target, numPartitions: 1 }] });
    const first = await cli(["replay", dlq, "--to", target, "--group", replayGroupId, "--limit", "1"]);
    expect(first.code).toBe(0);
    expect(lines(first.out)).toEqual([
      expect.stringMatching(new RegExp(`^replayed {6}${dlq} 0:0 -> ${target} 0:0 .*key "bad-1"`)),
      "",
      `dlq replay: 1 replayed, 0 skipped, 0 not selected by the filters (${dlq})`,
      `To continue after the records read: --from-offset 0:1; group ${replayGroupId} continues from there`,
    ]);
    const second = await cli(["replay", dlq, "--to", target, "--group", replayGroupId, "--limit", "1"]);
    expect(lines(second.out)[0]).toMatch(new RegExp(`^replayed {6}${dlq} 0:1 -> ${target} 0:1 .*key "poison-1"`));
    expect(await endOffset(target)).toBe(2);
    const [saved] = await admin.fetchOffsets({ groupId: replayGroupId, topics: [dlq] });
    expect(saved?.partitions).toEqual([{ partition: 0, offset: "2", metadata: null }]);

    // A group with members (here: a service's consumer) is refused before anything is read.
    const member = kafka.consumer({ groupId: uniqueName("dlqt-busy"), maxWaitTimeInMs: 100 });
    await member.connect();
    await member.subscribe({ topics: [target], fromBeginning: true });
    const joined = new Promise<void>((resolve) => member.on(member.events.GROUP_JOIN, () => resolve()));
    await member.run({ eachMessage: async () => {} });
    await joined;
    try {
      const busyGroup = (await member.describeGroup()).groupId;
      const refused = await cli(["replay", dlq, "--to", target, "--group", busyGroup]);
      expect(refused).toMatchObject({
        code: 2,
        err: `skeji-gen: group ${busyGroup} has 1 active member: a replay's group must be its own and not in use (a service's group is not one)\n`,
      });
    } finally {
      await member.disconnect();
    }
    expect(await endOffset(target)).toBe(2);
  });
});
