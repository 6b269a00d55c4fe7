/**
 * Shared named types in the Confluent wire format, against the real broker and Apicurio registry:
 * each shared type is registered under its own subject, the event's schema with references to
 * them; a consumer decodes by id with the references expanded; a lookup-only producer finds the
 * same id; `skeji-gen register` registers the same schemas.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { loadProject } from "../../../generator/load/index.ts";
import {
  createProducer,
  createRegistryClient,
  decodeRecord,
  defineEvent,
  type Producer,
  producerMetrics,
  silentLogger,
} from "../../../runtime/index.ts";
import { runCli } from "../../check/helpers.ts";
import { manifestFor, record, writeProject } from "../../generator/helpers.ts";
import { registryUrl } from "../../infra/env.ts";
import { defined, newTopic, readRecords, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

/** A project whose shared types live in a namespace no other run uses (subjects are global). */
function sharedProject(topic: string) {
  const ns = `test.shared${randomUUID().slice(0, 8)}`;
  const root = writeProject({
    "schemas/manifest.json": { types: "_types", ...manifestFor({ "order.placed": "id" }, topic) },
    "schemas/_types/currency.avsc": { type: "enum", name: "Currency", namespace: ns, symbols: ["ILS", "USD"] },
    "schemas/_types/money.avsc": record(
      "Money",
      [
        { name: "amount_minor", type: "long" },
        { name: "currency", type: "Currency", default: "ILS" },
      ],
      { namespace: ns },
    ),
    "schemas/order.placed/v1.avsc": record(
      "OrderPlaced",
      [
        { name: "id", type: "string" },
        { name: "total", type: `${ns}.Money` },
        { name: "tip", type: ["null", `${ns}.Money`], default: null },
      ],
      { namespace: "test.orders" },
    ),
  });
  const loaded = loadProject({ schemasDir: join(root, "schemas"), cwd: root });
  expect(loaded.problems).toEqual([]);
  const event = defined(loaded.events[0], "event");
  // What the generated descriptor holds: the expanded schema and the shared types it references.
  const descriptor = defineEvent({
    type: event.type,
    name: event.name,
    topic,
    keyField: event.keyField,
    format: "confluent",
    compatibility: event.compatibility,
    versions: event.versions.map((v) => ({ version: v.version, schema: v.expanded, references: v.sharedTypes })),
  });
  return { ns, root, descriptor };
}

interface RegistryAnswer {
  readonly schema: string;
  readonly references: unknown[];
  readonly pairs: number;
}
const getJson = async (path: string) => (await (await fetch(`${registryUrl()}${path}`)).json()) as RegistryAnswer;

describe("shared types as Confluent schema references", () => {
  it("a produced record is registered with references and decodes by id", async () => {
    const topic = await newTopic("shared-refs");
    const { ns, descriptor } = sharedProject(topic);
    const producer = createProducer(testConfig(topic), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    open.push(producer);
    const payload = { id: "o-1", total: { amount_minor: 12_050, currency: "USD" }, tip: { amount_minor: 500 } };
    await producer.publishEvent(descriptor, payload);
    const [found] = await readRecords(topic, 1);
    const value = defined(found, "record").value as Buffer;
    const id = value.readUInt32BE(1);

    // The registry holds the event's schema with references, and each shared type under its name.
    const registered = await getJson(`/schemas/ids/${id}`);
    expect(registered.references).toEqual([{ name: `${ns}.Money`, subject: `${ns}.Money`, version: 1 }]);
    expect(JSON.parse(registered.schema).fields[1].type).toBe(`${ns}.Money`);
    const money = await getJson(`/subjects/${ns}.Money/versions/1`);
    expect(money.references).toEqual([{ name: `${ns}.Currency`, subject: `${ns}.Currency`, version: 1 }]);
    expect(await getJson(`/subjects/${ns}.Currency/versions`)).toEqual([1]);

    // A consumer with a fresh client expands the references and reads the payload.
    const decoded = await decodeRecord(defined(found, "record"), [descriptor], {
      registry: createRegistryClient({ url: registryUrl() }),
    });
    expect(decoded.version).toBe(1);
    expect(decoded.payload).toEqual({ ...payload, tip: { amount_minor: 500, currency: "ILS" } });

    // A producer that may only look schemas up finds the same id.
    const lookupOnly = createProducer(testConfig(topic, { SCHEMA_REGISTRY_AUTO_REGISTER: "false" }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    open.push(lookupOnly);
    await lookupOnly.publishEvent(descriptor, payload);
    const [, second] = await readRecords(topic, 2);
    expect((defined(second, "second record").value as Buffer).readUInt32BE(1)).toBe(id);
  });

  it("skeji-gen register registers the same schemas a producer then only looks up", async () => {
    const topic = await newTopic("shared-register");
    const { ns, root, descriptor } = sharedProject(topic);
    const run = await runCli("register", ["--registry", registryUrl(), "--format", "json"], root);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    expect(await getJson(`/subjects/${ns}.Money/versions`)).toEqual([1]);
    const lookupOnly = createProducer(testConfig(topic, { SCHEMA_REGISTRY_AUTO_REGISTER: "false" }), {
      logger: silentLogger,
      metrics: producerMetrics(new Registry()),
    });
    open.push(lookupOnly);
    await lookupOnly.publishEvent(descriptor, { id: "o-2", total: { amount_minor: 1 } });
    const [found] = await readRecords(topic, 1);
    const id = (defined(found, "record").value as Buffer).readUInt32BE(1);
    expect((await getJson(`/schemas/ids/${id}`)).references).toHaveLength(1);
    // Run again: nothing new to register.
    const again = await runCli("register", ["--registry", registryUrl(), "--format", "json"], root);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.out) as RegistryAnswer).pairs).toBe(0);
  });
});
