/**
 * What each of the Avro codec's fast paths saves over the path it stands in for (not a timed test).
 *
 * The codec has one fast path per job, each backed by the full path it must agree with (the
 * differential tests hold them to that):
 * - encode:    `fast.ts` (fill defaults, validate and convert in one walk) in front of
 *              `fillDefaults` + `toRaw`, the full path that reports every issue with its path;
 * - decode:    `fast-read.ts` (bytes straight to the value) in front of the bounds check, avsc's
 *              read and the conversion of avsc's value (`decodeRaw`);
 * - convert:   `fast-decode.ts` (avsc's value to the TypeScript value) in front of `fromRaw`; it is
 *              what reads records of an older version (schema resolution goes through avsc), and
 *              schemas the binary reader does not compile (decimals, `long: "bigint"`).
 * Prints the CPU time per payload of each, fast and full, the median and minimum over rounds.
 *
 *   node --conditions=skeji-source --import tsx bench/serde-paths.ts -- [--payloads 20000] [--rounds 15]
 */
import { parseArgs } from "node:util";
import avro from "avsc";
import { fillDefaults } from "../runtime/serde/avro/defaults.ts";
import { compileFastDecode } from "../runtime/serde/avro/fast-decode.ts";
import { parseSchema } from "../runtime/serde/avro/model.ts";
import { fromRaw, toRaw } from "../runtime/serde/avro/values.ts";
import { avroCodec, resolvingCodec } from "../runtime/serde/avro.ts";

const { values: args } = parseArgs({
  options: { payloads: { type: "string", default: "20000" }, rounds: { type: "string", default: "15" } },
});
const n = Number(args.payloads);
const rounds = Number(args.rounds);

const item = {
  type: "record",
  name: "Item",
  fields: [
    { name: "sku", type: "string" },
    { name: "qty", type: "int" },
  ],
};
const v1 = {
  type: "record",
  name: "BookingCreated",
  namespace: "skeji.bench",
  fields: [
    { name: "booking_id", type: "string" },
    { name: "user_phone", type: "string" },
    { name: "start_time", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "seats", type: "int", default: 1 },
    { name: "notes", type: ["null", "string"], default: null },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["PENDING", "CONFIRMED"] }, default: "PENDING" },
    { name: "items", type: { type: "array", items: item }, default: [] },
  ],
};
const v2 = { ...v1, fields: [...v1.fields, { name: "channel", type: "string", default: "sms" }] };
const c1 = avroCodec(v1);
const c2 = avroCodec(v2);
const opts = { long: "number" as const };
const root = parseSchema(v2).root;

const inits = Array.from({ length: n }, (_, i) => ({
  booking_id: `booking-${i}`,
  user_phone: `+97250${String(i % 1000).padStart(7, "0")}`,
  start_time: new Date(1_763_478_000_000 + i * 60_000),
  seats: 2,
  notes: i % 2 === 0 ? "window seat" : null,
  status: "CONFIRMED",
  items: [
    { sku: "a-1", qty: 1 },
    { sku: "b-2", qty: 2 },
  ],
}));
const older = inits.map((p) => c1.encode(p as never));
const latest = inits.map((p) => c2.encodeWithDefaults(p));
const resolving = resolvingCodec(v1, v2);
const fastConvert = compileFastDecode(root, opts);
const avscType = avro.Type.forSchema(v2 as avro.Schema, { wrapUnions: "always" });
const raws = latest.map((b) => avscType.fromBuffer(b));
const decodeRaw = (c2 as unknown as { decodeRaw(bytes: Uint8Array): unknown }).decodeRaw.bind(c2);

let sink = 0;
/** Runs `f` on every item (a loop, not forEach: the callback's value is ignored either way). */
const each =
  <T>(items: readonly T[], f: (item: T) => unknown) =>
  (): void => {
    for (const item of items) f(item);
  };
const runs: [string, () => void][] = [
  ["encode: fast.ts + write", each(inits, (p) => (sink += c2.encodeWithDefaults(p).length))],
  [
    "encode: fillDefaults + toRaw (no write)",
    each(inits, (p) => toRaw(root, fillDefaults(root, p, opts), undefined, [], opts)),
  ],
  ["decode: fast-read.ts", each(latest, (b) => c2.decode(b))],
  ["decode: bounds + avsc + fast-decode.ts", each(latest, decodeRaw)],
  ["older version: bounds + avsc + fast-decode.ts", each(older, (b) => resolving.decode(b))],
  ["convert: fast-decode.ts", each(raws, fastConvert)],
  ["convert: fromRaw", each(raws, (r) => fromRaw(root, r, opts))],
];
const times = new Map<string, number[]>();
for (let r = 0; r <= rounds; r++) {
  for (const [name, run] of runs) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    if (r > 0) times.set(name, [...(times.get(name) ?? []), (used.user + used.system) / n]); // round 0 warms up
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(`serde paths: ${n} payloads, ${rounds} rounds, CPU per payload (median / min)`);
for (const [name, v] of times)
  console.log(`  ${name.padEnd(46)} ${median(v).toFixed(3)} / ${Math.min(...v).toFixed(3)} us`);
if (sink < 0) console.log(sink);
