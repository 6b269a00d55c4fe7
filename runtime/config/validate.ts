/**
 * Checks a producer or consumer config object (from the environment, then possibly changed by
 * the program) before a producer or consumer is built: every problem in one INVALID_CONFIG error
 * that names the option and the accepted form. The limits are the environment reader's
 * (limits.ts); a secret (password, private key, a registry URL that may hold credentials) is
 * never shown.
 */
import { partitionerNames } from "../client/partitioners.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import {
  brokerProblem,
  brokersForm,
  clientIdForm,
  countLimits,
  durationLimits,
  formatDuration,
  formatSize,
  isClientId,
  isTopicName,
  type Range,
  topicForm,
} from "./limits.ts";
import { certificateProblem, keyPairProblem, privateKeyProblem } from "./pem.ts";
import { startOffsetForm } from "./start-offset.ts";
import {
  type ClientConfig,
  type ConsumerConfig,
  fetchDecoders,
  optionalHeaderNames,
  type ProducerConfig,
  recordEncoders,
} from "./types.ts";

const compressions = ["none", "gzip", "snappy", "lz4", "zstd"];
const transports = ["kafkajs", "platformatic"];
const mechanisms = ["plain", "scram-sha-256", "scram-sha-512"];
/** In code, the type's forms only (the environment also takes "latest"/"earliest"). */
const startOffsets: readonly unknown[] = ["newest", "oldest", -1, -2];

/** Collects `invalid option "name": expected ..., got ...` problems. */
class Problems {
  readonly list: string[] = [];
  constructor(private readonly config: object) {}

  /** `reason` replaces `got <value>`; a secret option shows neither. */
  add(name: string, expected: string, options: { secret?: boolean; reason?: string } = {}): void {
    const tail =
      options.reason !== undefined
        ? ` (${options.reason})`
        : options.secret === true
          ? ""
          : `, got ${shown((this.config as Record<string, unknown>)[name])}`;
    this.list.push(`invalid option "${name}": expected ${expected}${tail}`);
  }

  value(name: string): unknown {
    return (this.config as Record<string, unknown>)[name];
  }

  int(name: string, range: Range): void {
    const v = this.value(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < range.min || v > range.max) {
      this.add(name, `an integer from ${range.min} to ${range.max}`);
    }
  }

  bytes(name: string, range: Range): void {
    const v = this.value(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < range.min || v > range.max) {
      this.add(name, `a number of bytes from ${range.min} to ${range.max} (${formatSize(range.max)})`);
    }
  }

  millis(name: string, range: Range): void {
    const v = this.value(name);
    if (typeof v !== "number" || !Number.isFinite(v) || v < range.min || v > range.max) {
      this.add(
        name,
        `a number of milliseconds from ${range.min} to ${range.max} (${formatDuration(range.min)} to ${formatDuration(range.max)})`,
      );
    }
  }

  bool(name: string, optional = false): void {
    const v = this.value(name);
    if (typeof v !== "boolean" && !(optional && v === undefined)) this.add(name, "true or false");
  }

  oneOf(name: string, choices: readonly string[]): void {
    const v = this.value(name);
    if (typeof v !== "string" || !choices.includes(v)) this.add(name, `one of ${choices.join(", ")}`);
  }

  topic(name: string, allowEmpty: boolean): void {
    const v = this.value(name);
    if (v === undefined && name === "dlqTopic") return;
    if (typeof v === "string" && ((allowEmpty && v === "") || isTopicName(v))) return;
    this.add(name, allowEmpty ? `${topicForm}, or ""` : `${topicForm}${name === "dlqTopic" ? " or undefined" : ""}`);
  }

  fail(): void {
    if (this.list.length > 0) {
      throw new SkejiError(ErrorCode.INVALID_CONFIG, this.list.join("; "), { details: { problems: this.list } });
    }
  }
}

function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** The settings every client shares: brokers, client id, timeouts, TLS, SASL, the registry. */
function checkClient(c: ClientConfig, p: Problems): void {
  if (!Array.isArray(c.brokers) || c.brokers.length === 0) {
    const reason = Array.isArray(c.brokers) ? "the list is empty" : `it is ${shown(c.brokers)}`;
    p.add("brokers", "a list of at least one host:port (port 1-65535), e.g. broker1:9092", { reason });
  } else {
    for (const [i, entry] of c.brokers.entries()) {
      const problem = typeof entry === "string" ? brokerProblem(entry.trim()) : "not a string";
      if (problem !== undefined) {
        p.add("brokers", brokersForm, { reason: `entry ${i + 1}, ${shown(entry)}: ${problem}` });
        break;
      }
    }
  }
  if (typeof c.clientId !== "string" || !isClientId(c.clientId)) p.add("clientId", clientIdForm);
  p.millis("connectionTimeoutMs", durationLimits.connectionTimeoutMs);
  p.millis("requestTimeoutMs", durationLimits.requestTimeoutMs);
  checkTls(c, p);
  checkSasl(c, p);
  checkRegistry(c, p);
  checkSchemaTopic(c, p);
}

function checkTls(c: ClientConfig, p: Problems): void {
  const ssl = c.ssl;
  if (ssl === undefined) return;
  if (typeof ssl !== "object" || ssl === null) {
    p.add("ssl", "undefined or { ca?, cert?, key?, rejectUnauthorized }");
    return;
  }
  if (typeof ssl.rejectUnauthorized !== "boolean") {
    p.add("ssl", "ssl.rejectUnauthorized to be true or false", { reason: `it is ${shown(ssl.rejectUnauthorized)}` });
  }
  const pem = (field: "ca" | "cert" | "key", check: (text: string) => string | undefined, holding: string): boolean => {
    const v = ssl[field];
    if (v === undefined) return false;
    const problem = typeof v === "string" ? check(v) : "not a string";
    if (problem !== undefined) p.add("ssl", `ssl.${field} to be PEM text of ${holding}`, { reason: problem });
    return problem === undefined;
  };
  pem("ca", certificateProblem, "CA certificates");
  const certOk = pem("cert", certificateProblem, "a certificate");
  const keyOk = pem("key", privateKeyProblem, "an unencrypted private key");
  if ((ssl.cert === undefined) !== (ssl.key === undefined)) {
    p.add("ssl", "ssl.cert and ssl.key together (both or neither)", { secret: true });
  } else if (certOk && keyOk) {
    const mismatch = keyPairProblem(ssl.cert as string, ssl.key as string);
    if (mismatch !== undefined) p.add("ssl", "ssl.key to be the private key of ssl.cert", { reason: mismatch });
  }
}

function checkSasl(c: ClientConfig, p: Problems): void {
  const sasl = c.sasl;
  if (sasl === undefined) return;
  if (typeof sasl !== "object" || sasl === null) {
    p.add("sasl", "undefined or { mechanism, username, password }");
    return;
  }
  if (!mechanisms.includes(sasl.mechanism)) {
    p.add("sasl", `sasl.mechanism to be one of ${mechanisms.join(", ")}`, { reason: `it is ${shown(sasl.mechanism)}` });
  }
  if (typeof sasl.username !== "string" || sasl.username === "") {
    p.add("sasl", "a non-empty sasl.username", { reason: `it is ${shown(sasl.username)}` });
  }
  if (typeof sasl.password !== "string" || sasl.password === "") {
    p.add("sasl", "a non-empty sasl.password", { secret: true });
  }
}

function checkRegistry(c: ClientConfig, p: Problems): void {
  const registry = c.schemaRegistry;
  if (registry === undefined) return;
  if (typeof registry !== "object" || registry === null) {
    p.add("schemaRegistry", "undefined or { url, username?, password?, autoRegister? }", { secret: true });
    return;
  }
  let ok = false;
  try {
    const url = new URL(String(registry.url));
    ok = url.protocol === "http:" || url.protocol === "https:";
  } catch {}
  // The URL may carry credentials: never shown.
  if (!ok) p.add("schemaRegistry", "schemaRegistry.url to be an http:// or https:// URL", { secret: true });
  if ((registry.username === undefined) !== (registry.password === undefined)) {
    p.add("schemaRegistry", "schemaRegistry.username and .password together (both or neither)", { secret: true });
  }
  if (registry.autoRegister !== undefined && typeof registry.autoRegister !== "boolean") {
    p.add("schemaRegistry", "schemaRegistry.autoRegister to be true, false or undefined", { secret: true });
  }
}

function checkSchemaTopic(c: ClientConfig, p: Problems): void {
  const st = c.schemaTopic;
  if (st === undefined || st === false) return;
  if (typeof st !== "object" || st === null || typeof st.topic !== "string" || !isTopicName(st.topic)) {
    p.add("schemaTopic", `undefined, false or { topic, create? } with topic ${topicForm}`, {
      reason: `it is ${shown(typeof st === "object" && st !== null ? st.topic : st)}`,
    });
    return;
  }
  if (st.create !== undefined && typeof st.create !== "boolean") {
    p.add("schemaTopic", "schemaTopic.create to be true, false or undefined", { reason: `it is ${shown(st.create)}` });
  }
}

export function validateProducerConfig(config: ProducerConfig): void {
  const p = new Problems(config);
  checkClient(config, p);
  // "" is allowed: then every message names its topic (typed events carry their own).
  p.topic("topic", true);
  p.int("maxAttempts", countLimits.maxAttempts);
  p.int("batchSize", countLimits.batchSize);
  p.bytes("batchBytes", countLimits.batchBytes);
  if (config.maxMessageBytes !== undefined) p.bytes("maxMessageBytes", countLimits.maxMessageBytes);
  p.millis("batchTimeoutMs", durationLimits.batchTimeoutMs);
  if (![-1, 0, 1].includes(config.requiredAcks)) p.add("requiredAcks", "-1, 0 or 1");
  p.bool("idempotent");
  if (config.idempotent && config.requiredAcks !== -1) {
    p.add("idempotent", "false unless requiredAcks is -1", { reason: "an idempotent producer needs acks from all" });
  }
  p.oneOf("compression", compressions);
  if (config.partitioner !== undefined) p.oneOf("partitioner", partitionerNames);
  if (config.transport !== undefined) p.oneOf("transport", transports);
  if (config.recordEncoder !== undefined) p.oneOf("recordEncoder", recordEncoders);
  p.bool("async");
  p.bool("allowAutoTopicCreation");
  p.topic("dlqTopic", false);
  if (config.source !== undefined && typeof config.source !== "string") p.add("source", "a string or undefined");
  const optional: unknown = config.optionalHeaders;
  if (
    optional !== undefined &&
    (!Array.isArray(optional) || optional.some((h) => !(optionalHeaderNames as readonly unknown[]).includes(h)))
  ) {
    p.add(
      "optionalHeaders",
      `a list of ${optionalHeaderNames.map((h) => JSON.stringify(h)).join(", ")}, or undefined`,
      {
        reason: Array.isArray(optional)
          ? `it holds ${shown(optional.find((h) => !(optionalHeaderNames as readonly unknown[]).includes(h)))}`
          : `it is ${shown(optional)}`,
      },
    );
  }
  p.fail();
}

export function validateConsumerConfig(config: ConsumerConfig): void {
  const p = new Problems(config);
  checkClient(config, p);
  // "" is allowed: the consumer then subscribes to its handlers' topics (or its `topics` option).
  p.topic("topic", true);
  if (typeof config.groupId !== "string" || config.groupId.trim() === "") p.add("groupId", "a consumer group id");
  if (!startOffsets.includes(config.startOffset)) p.add("startOffset", startOffsetForm);
  p.bytes("minBytes", countLimits.minBytes);
  p.bytes("maxBytes", countLimits.maxBytes);
  p.millis("maxWaitMs", durationLimits.maxWaitMs);
  p.millis("commitIntervalMs", durationLimits.commitIntervalMs);
  p.millis("heartbeatIntervalMs", durationLimits.heartbeatIntervalMs);
  p.millis("sessionTimeoutMs", durationLimits.sessionTimeoutMs);
  p.millis("rebalanceTimeoutMs", durationLimits.rebalanceTimeoutMs);
  p.topic("dlqTopic", false);
  p.int("maxRetries", countLimits.maxRetries);
  if (config.fetchDecoder !== undefined) p.oneOf("fetchDecoder", fetchDecoders);
  if (config.minBytes > config.maxBytes) p.add("minBytes", "at most maxBytes");
  if (config.heartbeatIntervalMs >= config.sessionTimeoutMs) p.add("heartbeatIntervalMs", "less than sessionTimeoutMs");
  // The consumer heartbeats between fetches: a fetch that may wait as long as the session lasts
  // gets the member evicted whenever its topics are idle.
  if (config.maxWaitMs >= config.sessionTimeoutMs) p.add("maxWaitMs", "less than sessionTimeoutMs");
  p.fail();
}

/** The consumer's code-only options that are numbers or choices (see `ConsumerOptions`). */
export interface ConsumerOptionValues {
  readonly handlerTimeoutMs?: number | undefined;
  readonly shutdownTimeoutMs?: number | undefined;
  readonly retryLaterMs?: number | undefined;
  readonly partitionsConsumedConcurrently?: number | undefined;
  readonly dlqMaxRecordBytes?: number | undefined;
  readonly topics?: readonly string[] | undefined;
  readonly subscribe?: string | undefined;
  readonly unknownEvents?: unknown;
  readonly retry?:
    | {
        readonly initialDelayMs?: number;
        readonly maxDelayMs?: number;
        readonly multiplier?: number;
        readonly jitter?: number;
      }
    | undefined;
}

const unknownEventActions: readonly unknown[] = ["dead-letter", "skip", "retry-later"];

/** `undefined`, an action, or `{ untyped?, unhandled? }` of actions (see `ConsumerOptions.unknownEvents`). */
function isUnknownEventsOption(v: unknown): boolean {
  if (v === undefined || unknownEventActions.includes(v)) return true;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return Object.entries(v).every(
    ([key, action]) =>
      (key === "untyped" || key === "unhandled") && (action === undefined || unknownEventActions.includes(action)),
  );
}

/**
 * Checks the consumer's options as `validateConsumerConfig` checks its config: a duration past a
 * timer's range would fire at once (a 1000h handler timeout times every handler out after 1 ms).
 */
export function validateConsumerOptions(options: ConsumerOptionValues): void {
  const p = new Problems(options);
  const day = durationLimits.requestTimeoutMs.max;
  const optional = (name: keyof ConsumerOptionValues, check: () => void) => {
    if (options[name] !== undefined) check();
  };
  optional("handlerTimeoutMs", () => p.millis("handlerTimeoutMs", { min: 1, max: day }));
  optional("shutdownTimeoutMs", () => p.millis("shutdownTimeoutMs", { min: 0, max: day }));
  optional("retryLaterMs", () => p.millis("retryLaterMs", { min: 1, max: day }));
  optional("partitionsConsumedConcurrently", () => p.int("partitionsConsumedConcurrently", { min: 1, max: 1000 }));
  optional("dlqMaxRecordBytes", () => p.bytes("dlqMaxRecordBytes", countLimits.maxMessageBytes));
  optional("subscribe", () => {
    if (options.subscribe !== "config-and-handlers" && options.subscribe !== "config-topic") {
      p.add("subscribe", '"config-and-handlers" or "config-topic"');
    } else if (options.topics !== undefined) {
      p.add("subscribe", "no value when topics is given", { reason: "topics names the subscription exactly" });
    }
  });
  if (!isUnknownEventsOption(options.unknownEvents)) {
    p.add("unknownEvents", '"dead-letter", "skip", "retry-later", or { untyped?, unhandled? } of those');
  }
  const retry = options.retry;
  if (retry !== undefined) {
    const r = new Problems(retry);
    if (retry.initialDelayMs !== undefined) r.millis("initialDelayMs", { min: 0, max: day });
    if (retry.maxDelayMs !== undefined) r.millis("maxDelayMs", { min: 0, max: day });
    if (retry.multiplier !== undefined && !(retry.multiplier >= 1 && retry.multiplier <= 100)) {
      r.add("multiplier", "a number from 1 to 100");
    }
    if (retry.jitter !== undefined && !(retry.jitter >= 0 && retry.jitter <= 1))
      r.add("jitter", "a number from 0 to 1");
    for (const problem of r.list) p.list.push(problem.replace('invalid option "', 'invalid option "retry.'));
  }
  p.fail();
}
