/**
 * Lost answers to auto-registration. A producer with a schema registry registers each event's
 * schema under `<topic>-<event-type>` before its first record; an HTTP proxy of the test's own
 * between the producer and the registry lets the registry carry out the registration and resets
 * the connection instead of answering (or cuts the request before the registry sees it). Claims:
 * the registration is sent again and gets the same id (registering an identical schema is
 * idempotent: one version under the subject), the publishes waiting on it wait; when every attempt
 * is lost they fail with REGISTRY_UNAVAILABLE and none of their records is sent, and the next
 * publish registers again; every record carries an id, or a fingerprint, that the registry holds
 * under its subject. The registry is the shared one (no state but the test's own subjects).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer, defineEvent, type Producer, silentLogger } from "../../runtime/index.ts";
import { avroCodec } from "../../runtime/serde/avro.ts";
import { registryUrl } from "../infra/env.ts";
import { FaultCluster } from "./cluster.ts";
import { HttpFaultProxy } from "./http-proxy.ts";
import { judgePublishes, Ledger, producerRow, readTopic, type Told } from "./oracle.ts";
import { recordScenario } from "./report.ts";
import { producerConfig } from "./support.ts";

let fc: FaultCluster;
let proxy: HttpFaultProxy;
const open: Producer[] = [];
beforeAll(async () => {
  proxy = await HttpFaultProxy.start(new URL(registryUrl()).origin);
  fc = await FaultCluster.start(1, "registry");
});
afterAll(async () => {
  await Promise.all(open.map((p) => p.close().catch(() => {})));
  await proxy?.close();
  await fc?.stop();
});

/** The registry's API (Confluent-compatible) through the proxy, and straight. */
const throughProxy = () => `${proxy.origin}${new URL(registryUrl()).pathname}`;

async function registryGet(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${registryUrl()}${path}`);
  return { status: response.status, body: await response.json() };
}

type Format = "confluent" | "avro";

function event(topic: string, format: Format) {
  const schema = {
    type: "record",
    name: "Registered",
    namespace: "test.faults.registry",
    fields: [
      { name: "id", type: "string" },
      { name: "note", type: "string", default: "" },
    ],
  } as const;
  return defineEvent<{ id: string; note: string }, { id: string; note?: string }, "test.faults.registered">({
    type: "test.faults.registered",
    name: "Registered",
    topic,
    keyField: "id",
    format,
    compatibility: "BACKWARD",
    versions: [{ version: 1, schema }],
  });
}

/** Every record of `topic` with its value and headers, read straight from the broker. */
async function records(topic: string, count: number): Promise<{ value: Buffer; fingerprint: string | undefined }[]> {
  const out: { value: Buffer; fingerprint: string | undefined }[] = [];
  if (count === 0) return out;
  const consumer = fc.kafka().consumer({ groupId: `faults-registry-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const fp = message.headers?.["schema-fingerprint"];
          out.push({ value: message.value ?? Buffer.alloc(0), fingerprint: fp === undefined ? undefined : String(fp) });
          if (out.length >= count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

const kinds = (told: readonly Told[]) => told.map((t) => (t.kind === "failed" ? t.code.split("<")[0] : t.kind));

describe("a lost answer to auto-registration", () => {
  const cases: { format: Format; fault: "response-lost" | "request-lost"; every: boolean }[] = [
    { format: "confluent", fault: "response-lost", every: false },
    { format: "avro", fault: "response-lost", every: false },
    { format: "confluent", fault: "request-lost", every: false },
    { format: "confluent", fault: "response-lost", every: true },
  ];
  for (const { format, fault, every } of cases) {
    const what = `${fault === "response-lost" ? "registered and its answer lost" : "the request lost"}${every ? " on every attempt" : " once"}`;
    const claim = every
      ? "the waiting publishes fail, none sent; the next registers again, the same id"
      : "sent again, the same id; the waiting publishes succeed";
    it(`${format} framing, ${what}: ${claim}`, async () => {
      const topic = await fc.topic(`registry-${format}`);
      const e = event(topic, format);
      const subject = `${topic}-${e.type}`;
      const producer = createProducer(producerConfig(fc, topic, { SCHEMA_REGISTRY_URL: throughProxy() }), {
        logger: silentLogger,
      });
      open.push(producer);
      const ledger = new Ledger();
      const publish = (count: number) =>
        Promise.all(
          Array.from({ length: count }, (_, i) =>
            ledger.track(`k${i}`, (entry) => producer.publishEvent(e, { id: entry.id }, { eventId: entry.id })),
          ),
        );
      const registration = `/subjects/${encodeURIComponent(subject)}/versions`;
      const isRegistration = (method: string, path: string) => method === "POST" && path.endsWith(registration);
      proxy.breakNext(isRegistration, fault, every ? Number.POSITIVE_INFINITY : 1);
      const first = await publish(5);
      proxy.heal();
      const afterwards = await publish(5);
      await producer.flush();

      const registrations = proxy.exchanges.filter((x) => isRegistration(x.method, x.path));
      const v = judgePublishes(ledger, await readTopic(fc.kafka(), topic));
      const versions = await registryGet(`/subjects/${encodeURIComponent(subject)}/versions`);
      const latest = await registryGet(`/subjects/${encodeURIComponent(subject)}/versions/1`);
      const registeredId = (latest.body as { id: number }).id;
      const registeredFingerprint = avroCodec(JSON.parse((latest.body as { schema: string }).schema)).fingerprint;
      const stored = await records(topic, v.acknowledged);
      const ids = new Set(stored.map((r) => (format === "confluent" ? r.value.readUInt32BE(1) : undefined)));
      const fingerprints = new Set(stored.map((r) => r.fingerprint));

      recordScenario(
        producerRow(
          `registry: ${fault === "response-lost" ? "lost answer to auto-registration" : "auto-registration request lost"}${every ? " on every attempt" : ", once"} (${format === "confluent" ? "Confluent framing" : "embedded Avro"})`,
          v,
          `An HTTP proxy between the producer and the registry ${fault === "response-lost" ? "lets the registry register the schema and resets the connection instead of answering" : "resets the registration request before the registry sees it"}${every ? ", every time until healed" : ", once"}, while 5 first publishes wait on it; then 5 more. ${every ? "All 5 failed with REGISTRY_UNAVAILABLE, none of them sent" : "All 5 acknowledged"}; ${registrations.length} registration requests in all, ${registrations.filter((x) => x.status !== undefined).length} carried out by the registry; the subject holds ${(versions.body as unknown[]).length} version, id ${registeredId}, and every record carries ${format === "confluent" ? "that id" : "that schema's fingerprint"}. Duplicates: none expected.`,
        ),
      );
      const detail = `${JSON.stringify(ledger.summary())} ${JSON.stringify(registrations)}\n${v.examples.join("\n")}`;
      // One lost answer: the registration is sent again within the call. Every one lost: the
      // waiting publishes fail, saying the registry did not answer.
      expect(kinds(first), detail).toEqual(first.map(() => (every ? "REGISTRY_UNAVAILABLE" : "acknowledged")));
      expect(registrations.length, detail).toBe(every ? 4 : 2);
      expect(kinds(afterwards), detail).toEqual(afterwards.map(() => "acknowledged"));
      expect(
        { lost: v.lost, misplaced: v.misplaced, misreported: v.misreported, duplicated: v.duplicated },
        detail,
      ).toEqual({ lost: 0, misplaced: 0, misreported: 0, duplicated: 0 });
      // Registered once: one version, whose id (Confluent) or fingerprint (embedded) every record carries.
      expect(versions.body, detail).toEqual([1]);
      if (format === "confluent") expect([...ids], detail).toEqual([registeredId]);
      else expect([...fingerprints], detail).toEqual([registeredFingerprint]);
      expect(stored.length).toBe(v.acknowledged);
    });
  }
});
