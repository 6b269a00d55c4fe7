/**
 * A consumer in a process of its own, for the fault scenarios that block or kill a consumer
 * process. One argument, a JSON object (`ChildOptions`); brokers come from KAFKA_BROKERS.
 *
 *   node --conditions=skeji-source --import tsx consumer-child.ts '<json>'
 *
 * Everything the scenario's oracle needs is appended, one JSON object a line, to `log`,
 * synchronously and in the order it happened in this process (a SIGKILL loses nothing written):
 * - `{"ev":"join","member":...,"assignment":{topic:[partitions]}}` when the member joins;
 * - `{"ev":"handle","p":1,"o":"17","v":"..."}` when a handler call starts, and
 *   `{"ev":"done",...}` (the same fields) when it returns: nothing is committed before its `done`;
 * - `{"ev":"blocked",...}` / `{"ev":"unblocked",...}` around the one blocking handler call;
 * - `{"ev":"commit","offsets":[{"p":0,"o":"12"}]}` when a commit of the group's offsets succeeded.
 * SIGTERM / SIGINT shut it down gracefully (exit code 0).
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { consumerConfigFromEnv, createConsumer, shutdownOnSignals, silentLogger } from "@skeji/kafka";
import { Kafka, logLevel } from "kafkajs";

export interface ChildOptions {
  readonly topic: string;
  readonly group: string;
  readonly log: string;
  /** Each handler call first waits this long (0: the handler is synchronous). */
  readonly delayMs?: number;
  /**
   * The `at`-th handler call (1-based) blocks until `until` (another child's log) shows a handler
   * call for the same partition: `busy` spins the CPU (the event loop is blocked throughout),
   * `async` awaits timers.
   */
  readonly block?: { readonly at: number; readonly mode: "busy" | "async"; readonly until: string };
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly commitIntervalMs?: number;
}

const options = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
const write = (entry: Record<string, unknown>): void => appendFileSync(options.log, `${JSON.stringify(entry)}\n`);

/** Whether `file` (another child's log) shows a handler call for `partition`. */
const handledThere = (file: string, partition: number): boolean =>
  existsSync(file) &&
  readFileSync(file, "utf8")
    .split("\n")
    .some((l) => l.includes('"ev":"handle"') && (JSON.parse(l) as { p: number }).p === partition);

// The kafkajs instance the consumer runs on, so that its successful commits can be logged.
const kafka = new Kafka({
  brokers: (process.env.KAFKA_BROKERS ?? "").split(","),
  clientId: "fault-consumer",
  logLevel: logLevel.NOTHING,
});
const makeConsumer = kafka.consumer.bind(kafka);
kafka.consumer = (config) => {
  const consumer = makeConsumer(config);
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
    const offsets = e.payload.topics.flatMap((t) => t.partitions.map((p) => ({ p: Number(p.partition), o: p.offset })));
    write({ ev: "commit", offsets });
  });
  return consumer;
};

let calls = 0;
const consumer = createConsumer(
  {
    ...consumerConfigFromEnv(options.topic, options.group),
    startOffset: "oldest",
    sessionTimeoutMs: options.sessionTimeoutMs ?? 6_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
    maxWaitMs: 100,
    commitIntervalMs: options.commitIntervalMs ?? 200,
    dlqTopic: undefined,
  },
  {
    kafka,
    logger: silentLogger,
    shutdownTimeoutMs: 2_000,
    observer: { onGroupJoin: (j) => write({ ev: "join", member: j.memberId, assignment: j.assignment }) },
  },
).handle(async (_ctx, message) => {
  calls++;
  const p = message.partition;
  write({ ev: "handle", p, o: message.offset, v: String(message.value) });
  const block = options.block;
  if (block !== undefined && calls === block.at) {
    write({ ev: "blocked", p, o: message.offset });
    if (block.mode === "busy") {
      // Spins without ever yielding: no timer, no socket read, no heartbeat in this process.
      while (!handledThere(block.until, p)) {
        const until = Date.now() + 20;
        while (Date.now() < until); // spin
      }
    } else {
      while (!handledThere(block.until, p)) await new Promise((r) => setTimeout(r, 20));
    }
    write({ ev: "unblocked", p, o: message.offset });
  } else {
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
  write({ ev: "done", p, o: message.offset, v: String(message.value) });
});

const { signal, dispose } = shutdownOnSignals();
await consumer.start(signal);
dispose();
process.exit(0);
