/**
 * Poison against a consumer with a small heap: raw records of every hostile kind - count bombs
 * (the 57-byte record claiming 30 million array items, 60 million, a map, items of no bytes),
 * length bombs, an overlong varint, nesting deeper than the stack, a truncated record, garbage,
 * a Confluent-framed record on a consumer without a registry, a non-uuid in a uuid field, an
 * unknown event type, a tombstone, hostile JSON - interleaved with good records, consumed by the
 * real consumer in a process of its own limited to a 64 MB heap.
 *
 * The oracle: the process never dies; every poison record is in the DLQ on its first attempt with
 * its reason; every good record was handled; the group's offset is committed to the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { avroCodec } from "../../runtime/serde/avro.ts";
import { brokers, uniqueName } from "../infra/env.ts";
import { eventually, Fixture } from "../runtime/consumer/helpers.ts";
import { str, varint } from "../runtime/serde/avro-bytes.ts";
import { poisonSchema } from "./poison-event.ts";
import { recordScenario } from "./report.ts";

const HEAP_MB = 64;
const fx = new Fixture();
const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), "skeji-poison-"));
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
});

const codec = avroCodec(poisonSchema);
const UUID = "123e4567-e89b-12d3-a456-426614174000";
const headers = {
  "event-type": "test.faults.poison",
  "schema-version": "v1",
  "schema-fingerprint": codec.fingerprint,
  "content-type": "application/avro",
};
type Field = (typeof poisonSchema.fields)[number]["name"];

/** The bytes of a good record's fields. */
const goodFields = (id: string): Record<Field, number[]> => ({
  id: str(id),
  ref: str(UUID),
  tags: [...varint(1), ...str("a"), 0],
  attrs: [...varint(1), ...str("k"), ...varint(1), 0],
  blob: [...varint(3), 1, 2, 3],
  markers: [0],
  chain: [0],
});
const recordWith = (id: string, fields: Partial<Record<Field, number[]>>): Buffer => {
  const good = goodFields(id);
  return Buffer.from(poisonSchema.fields.flatMap((f) => fields[f.name] ?? good[f.name]));
};
const good = (i: number): Buffer =>
  codec.encode({
    id: `good-${i}`,
    ref: UUID,
    tags: ["a"],
    attrs: { k: i },
    blob: Buffer.from([i]),
    markers: [],
    chain: null,
  });

/** The 57-byte record of the report: an id padded so that the whole record is 57 bytes. */
function bomb57(items: number): Buffer {
  const tags = [...varint(items), ...str("x"), 0];
  const rest = recordWith("", { tags }).length - 1;
  return recordWith("b".repeat(57 - rest - 1), { tags });
}

/** Deterministic garbage (the same bytes every run). */
function garbage(n: number): Buffer {
  let s = 12345;
  return Buffer.from(
    Array.from({ length: n }, () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s % 256;
    }),
  );
}

const jsonHeaders = { ...headers, "content-type": "application/json" };
const jsonGood = { id: "j", ref: UUID, tags: [], attrs: {}, blob: "", markers: [], chain: null };
const deepJson = JSON.stringify({ ...jsonGood, id: "deep" }).replace(
  '"deep"',
  `${"[".repeat(200_000)}${"]".repeat(200_000)}`,
);

interface Poison {
  readonly name: string;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  /** What `dlq-error` must say. */
  readonly reason: RegExp;
  readonly errorType: string;
}
const P = "cannot decode test\\.faults\\.Poison: ";
const poison: Poison[] = [
  {
    name: "a 57-byte record claiming 30 million array items",
    value: bomb57(30_000_000),
    headers,
    reason: new RegExp(`^${P}tags: an array block claims 30000000 items, but only \\d+ bytes are left`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a 57-byte record claiming 60 million array items",
    value: bomb57(60_000_000),
    headers,
    reason: new RegExp(`^${P}tags: an array block claims 60000000 items, but only \\d+ bytes are left`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a map claiming 30 million entries",
    value: recordWith("m", { attrs: [...varint(30_000_000), ...str("k"), ...varint(1), 0] }),
    headers,
    reason: new RegExp(`^${P}attrs: a map block claims 30000000 items, but only \\d+ bytes are left`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a billion array items that take no bytes",
    value: recordWith("e", { markers: [...varint(1_000_000_000), 0] }),
    headers,
    reason: new RegExp(`^${P}markers: an array block claims 1000000000 items that take no bytes`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a string claiming 2^40 bytes",
    value: recordWith("", { id: varint(2 ** 40) }),
    headers,
    reason: new RegExp(`^${P}id: truncated buffer: a string of 1099511627776 bytes, only \\d+ bytes left$`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "bytes claiming a gigabyte",
    value: recordWith("b", { blob: varint(1_000_000_000) }),
    headers,
    reason: new RegExp(`^${P}blob: truncated buffer: a bytes value of 1000000000 bytes, only \\d+ bytes left$`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a long of 11 bytes",
    value: recordWith("v", { attrs: [...varint(1), ...str("k"), ...Array(10).fill(0x80), 0x00, 0] }),
    headers,
    reason: new RegExp(`^${P}attrs\\.k: a long is a varint longer than 10 bytes$`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a record nested 200 000 deep",
    value: recordWith("n", { chain: [...Array(200_000).fill(2), 0] }),
    headers,
    reason: new RegExp(`^${P}the record is nested deeper than the decoder's stack allows$`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a truncated record",
    value: good(-1).subarray(0, 20),
    headers,
    reason: new RegExp(`^${P}\\w+: truncated buffer: `),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "garbage bytes",
    value: garbage(64),
    headers,
    reason: new RegExp(`^${P}`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a non-uuid in a uuid field",
    value: recordWith("u", { ref: str("not-a-uuid") }),
    headers,
    reason: new RegExp(`^${P}ref: string "not-a-uuid" is not a uuid$`),
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "a Confluent-framed record on a consumer without a registry",
    value: Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), good(-2)]),
    headers: { "event-type": "test.faults.poison", "content-type": "application/vnd.confluent.avro" },
    reason:
      /^the record is in the Confluent wire format \(schema id 7\), which needs a schema registry to read, and this reader has none \(SCHEMA_REGISTRY_URL\)$/,
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "an unknown event type",
    value: good(-3),
    headers: { ...headers, "event-type": "test.faults.unknown" },
    reason: /^no handler for event type "test\.faults\.unknown" on topic /,
    errorType: "SkejiError:NO_HANDLER",
  },
  {
    name: "a tombstone",
    value: null,
    headers,
    reason: /^the record has no value \(a tombstone\)$/,
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "JSON nested 200 000 deep",
    value: Buffer.from(deepJson),
    headers: jsonHeaders,
    reason: /^JSON does not match test\.faults\.Poison: id: expected string, got array of 1$/,
    errorType: "SkejiError:DECODE_FAILED",
  },
  {
    name: "JSON with a wrong item in each of 200 000",
    value: Buffer.from(JSON.stringify({ ...jsonGood, tags: Array(200_000).fill(0) })),
    headers: jsonHeaders,
    reason: /^JSON does not match test\.faults\.Poison: tags\[0\]: expected string, got number 0; .* and 199997 more$/,
    errorType: "SkejiError:DECODE_FAILED",
  },
];

/** Starts `poison-child.ts` with its heap limited (see that file). */
function consumerProcess(topic: string, group: string, out: string) {
  const { SCHEMA_REGISTRY_URL: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_MB}`,
      "--conditions=skeji-source",
      "--import",
      "tsx",
      join(import.meta.dirname, "poison-child.ts"),
      topic,
      group,
      out,
    ],
    {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...env, KAFKA_BROKERS: brokers().join(",") },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  /** Throws at once, with the child's stderr, when the child died on its own. */
  const alive = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the consumer process died (${child.exitCode ?? child.signalCode}): ${stderr.slice(-2000)}`);
    }
  };
  return { child, exited, alive, stderr: () => stderr };
}

describe("poison records against a consumer with a 64 MB heap", () => {
  it("dead-letters every poison record on its first attempt, handles every good one, commits to the end, and never crashes", async () => {
    const topic = await fx.topic("poison");
    const group = uniqueName("poison-group");
    const records: { key: string; value: Buffer | null; headers: Record<string, string> }[] = [];
    poison.forEach((p, i) => {
      records.push({ key: `good-${i}`, value: good(i), headers });
      records.push({ key: `poison-${i}`, value: p.value, headers: { ...p.headers, "x-case": p.name } });
    });
    records.push({ key: `good-${poison.length}`, value: good(poison.length), headers });
    const goodIds = records.filter((r) => r.key.startsWith("good-")).map((r) => r.key);
    // One record per request: a batch of all of them would pass the broker's message size limit.
    for (const r of records) await fx.send(topic, [r]);
    const published = records.length;

    const out = join(dir, "handled.txt");
    const consumer = consumerProcess(topic, group, out);
    await eventually(
      async () => {
        consumer.alive();
        return (await fx.committed(group, topic))[0] === published;
      },
      "every offset committed",
      120_000,
    );
    consumer.alive();
    consumer.child.kill("SIGTERM");
    const exit = await consumer.exited;
    expect(exit, consumer.stderr()).toEqual({ code: 0, signal: null });
    expect(consumer.stderr()).not.toMatch(/heap out of memory|RangeError|FATAL/);

    const handled = (existsSync(out) ? readFileSync(out, "utf8") : "")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.slice(l.indexOf(":") + 1));
    const dead = await fx.read(`${topic}-dlq`, poison.length, 30_000);
    const dlqEnd = (await fx.endOffsets(`${topic}-dlq`))[0] ?? 0;
    const deadCases = dead.map((r) => r.headers["x-case"]?.toString());

    const handledOnce = new Set(handled);
    const deadOnce = new Set(deadCases);
    const lost =
      goodIds.filter((id) => !handledOnce.has(id)).length + poison.filter((p) => !deadOnce.has(p.name)).length;
    const duplicated = handled.length - handledOnce.size + (dlqEnd - deadOnce.size);
    recordScenario({
      scenario: `consumer: poison of every kind (${poison.length} kinds), heap limited to ${HEAP_MB} MB`,
      published,
      acknowledged: published,
      lost,
      duplicated,
      deadLettered: deadOnce.size,
      ambiguous: 0,
      notes:
        "count and length bombs, empty-item bomb, overlong varint, 200 000-deep nesting, truncated, garbage, Confluent without registry, non-uuid, unknown type, tombstone, hostile JSON; interleaved with good records; the process never died",
    });

    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(handled).toEqual(goodIds);
    expect(dlqEnd).toBe(poison.length);
    for (const p of poison) {
      const r = dead.find((d) => d.headers["x-case"]?.toString() === p.name);
      expect(r, p.name).toBeDefined();
      expect(r?.headers["dlq-error"]?.toString(), p.name).toMatch(p.reason);
      expect(r?.headers["dlq-error-type"]?.toString(), p.name).toBe(p.errorType);
      expect(r?.headers["dlq-error-class"]?.toString(), p.name).toBe("permanent");
      expect(r?.headers["retry-count"]?.toString(), p.name).toBe("0");
      expect(r?.value ?? null, p.name).toEqual(p.value);
    }
    expect((await fx.committed(group, topic))[0]).toBe(published);
  });
});
