/**
 * Configuration from the environment, with the variables, defaults and meanings
 * of the Go package (see docs/configuration.md). Every bad variable is reported
 * in one INVALID_CONFIG error at start-up; secret values never appear in it.
 */

import { readFileSync, statSync } from "node:fs";
import { partitionerNames } from "../client/partitioners.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import {
  brokerProblem,
  brokersForm,
  clientIdForm,
  countLimits,
  durationLimits,
  isClientId,
  isTopicName,
  logLevels,
  topicForm,
} from "./limits.ts";
import { type Env, EnvReader } from "./parse.ts";
import { certificateProblem, keyPairProblem, privateKeyProblem } from "./pem.ts";
import { startPosition } from "./start-offset.ts";
import {
  type ClientConfig,
  type Compression,
  type ConsumerConfig,
  defaultOptionalHeaders,
  fetchDecoders,
  type OptionalHeader,
  optionalHeaderNames,
  type ProducerConfig,
  type RequiredAcks,
  recordEncoders,
  type SaslConfig,
  type SaslMechanism,
  type SchemaRegistryConfig,
  type SchemaTopicConfig,
  type StartPosition,
  type TlsConfig,
  type Transport,
} from "./types.ts";

/** Variables whose values are never shown in an error or log. */
export const secretVariables: ReadonlySet<string> = new Set([
  "KAFKA_SASL_PASSWORD",
  "KAFKA_SSL_KEY",
  "SCHEMA_REGISTRY_PASSWORD",
  "SCHEMA_REGISTRY_URL",
]);

const compressions: readonly Compression[] = ["none", "gzip", "snappy", "lz4", "zstd"];
const transports: readonly Transport[] = ["kafkajs", "platformatic"];
const mechanisms: readonly SaslMechanism[] = ["plain", "scram-sha-256", "scram-sha-512"];

/** The shared client settings: brokers, client id, TLS, SASL and the schema registry. */
export function clientConfigFromEnv(env: Env = process.env): ClientConfig {
  const r = new EnvReader(env, secretVariables);
  const client = readClient(r);
  fail(r);
  return client;
}

/** The Java producer's `max.request.size` default; the broker's `max.message.bytes` default is 12 bytes more. */
export const defaultMaxMessageBytes = 1024 * 1024;

/** Like the Go `NewProducerConfigFromEnv(topic)`: every `KAFKA_PRODUCER_*` variable with its default. */
export function producerConfigFromEnv(topic: string, env: Env = process.env): ProducerConfig {
  const r = new EnvReader(env, secretVariables);
  const client = readClient(r);
  const requiredAcks = readAcks(r);
  const idempotent = r.bool("KAFKA_PRODUCER_IDEMPOTENT", requiredAcks === -1);
  if (idempotent && requiredAcks !== -1) {
    r.problems.push("KAFKA_PRODUCER_IDEMPOTENT is true but KAFKA_PRODUCER_REQUIRE_ACKS is not -1; expected acks -1");
  }
  const config: ProducerConfig = {
    ...client,
    topic,
    maxAttempts: r.int("KAFKA_PRODUCER_MAX_ATTEMPTS", 3, countLimits.maxAttempts),
    batchTimeoutMs: r.duration("KAFKA_PRODUCER_BATCH_TIMEOUT", 10, durationLimits.batchTimeoutMs),
    batchSize: r.int("KAFKA_PRODUCER_BATCH_SIZE", 1000, countLimits.batchSize),
    batchBytes: r.size("KAFKA_PRODUCER_BATCH_BYTES", 1024 * 1024, countLimits.batchBytes),
    maxMessageBytes: r.size("KAFKA_PRODUCER_MAX_MESSAGE_BYTES", defaultMaxMessageBytes, countLimits.maxMessageBytes),
    requiredAcks,
    idempotent,
    compression: r.oneOf("KAFKA_PRODUCER_COMPRESSION", compressions, "snappy"),
    async: r.bool("KAFKA_PRODUCER_ASYNC", false),
    dlqTopic: r.topic("KAFKA_PRODUCER_DLQ_TOPIC"),
    source: r.string("KAFKA_SOURCE"),
    allowAutoTopicCreation: r.bool("KAFKA_PRODUCER_AUTO_CREATE_TOPICS", false),
    // Unset, each topic's partitioner comes from the manifest (its generated descriptor).
    ...(r.raw("KAFKA_PRODUCER_PARTITIONER") === undefined
      ? {}
      : { partitioner: r.oneOf("KAFKA_PRODUCER_PARTITIONER", partitionerNames, "murmur2") }),
    transport: r.oneOf("KAFKA_TRANSPORT", transports, "kafkajs"),
    recordEncoder: r.oneOf("KAFKA_PRODUCER_RECORD_ENCODER", recordEncoders, "sdk"),
    ...(r.raw("KAFKA_PRODUCER_OPTIONAL_HEADERS") === undefined
      ? {}
      : { optionalHeaders: readOptionalHeaders(r, "KAFKA_PRODUCER_OPTIONAL_HEADERS") }),
  };
  checkTopic(r, topic);
  fail(r);
  return config;
}

/** A comma-separated list of optional header names, or `none`. */
function readOptionalHeaders(r: EnvReader, name: string): OptionalHeader[] {
  const v = (r.raw(name) ?? "").toLowerCase();
  if (v === "none") return [];
  const out: OptionalHeader[] = [];
  for (const item of v.split(",")) {
    const header = optionalHeaderNames.find((h) => h === item.trim());
    if (header === undefined) {
      r.problem(name, `a comma-separated list of ${optionalHeaderNames.join(", ")}, or none`);
      return [...defaultOptionalHeaders];
    }
    if (!out.includes(header)) out.push(header);
  }
  return out;
}

/** Like the Go `NewConsumerConfigFromEnv(topic, group)`: every `KAFKA_CONSUMER_*` variable with its default. */
export function consumerConfigFromEnv(topic: string, groupId: string, env: Env = process.env): ConsumerConfig {
  const r = new EnvReader(env, secretVariables);
  const client = readClient(r);
  const config: ConsumerConfig = {
    ...client,
    topic,
    groupId,
    startOffset: readStartOffset(r),
    minBytes: r.size("KAFKA_CONSUMER_MIN_BYTES", 1, countLimits.minBytes),
    maxBytes: r.size("KAFKA_CONSUMER_MAX_BYTES", 10 * 1024 * 1024, countLimits.maxBytes),
    maxWaitMs: r.duration("KAFKA_CONSUMER_MAX_WAIT", 500, durationLimits.maxWaitMs),
    commitIntervalMs: r.duration("KAFKA_CONSUMER_COMMIT_INTERVAL", 1000, durationLimits.commitIntervalMs),
    heartbeatIntervalMs: r.duration("KAFKA_CONSUMER_HEARTBEAT_INTERVAL", 3000, durationLimits.heartbeatIntervalMs),
    sessionTimeoutMs: r.duration("KAFKA_CONSUMER_SESSION_TIMEOUT", 10_000, durationLimits.sessionTimeoutMs),
    rebalanceTimeoutMs: r.duration("KAFKA_CONSUMER_REBALANCE_TIMEOUT", 60_000, durationLimits.rebalanceTimeoutMs),
    dlqTopic: r.topic("KAFKA_CONSUMER_DLQ_TOPIC"),
    maxRetries: r.int("KAFKA_CONSUMER_MAX_RETRIES", 3, countLimits.maxRetries),
    fetchDecoder: r.oneOf("KAFKA_CONSUMER_FETCH_DECODER", fetchDecoders, "sdk"),
  };
  checkTopic(r, topic);
  if (groupId.trim() === "") r.problems.push('group is ""; expected a consumer group id');
  if (config.minBytes > config.maxBytes) {
    r.problems.push("KAFKA_CONSUMER_MIN_BYTES is larger than KAFKA_CONSUMER_MAX_BYTES; expected min <= max");
  }
  if (config.heartbeatIntervalMs >= config.sessionTimeoutMs) {
    r.problems.push(
      "KAFKA_CONSUMER_HEARTBEAT_INTERVAL is not shorter than KAFKA_CONSUMER_SESSION_TIMEOUT; expected heartbeat < session timeout",
    );
  }
  // The consumer heartbeats between fetches: a fetch that may wait as long as the session lasts
  // gets the member evicted whenever its topics are idle.
  if (config.maxWaitMs >= config.sessionTimeoutMs) {
    r.problems.push(
      "KAFKA_CONSUMER_MAX_WAIT is not shorter than KAFKA_CONSUMER_SESSION_TIMEOUT; expected max wait < session timeout",
    );
  }
  fail(r);
  return config;
}

function readClient(r: EnvReader): ClientConfig {
  const brokers = readBrokers(r);
  const clientId = r.string("KAFKA_CLIENT_ID") ?? "skeji-kafka";
  if (!isClientId(clientId)) r.problem("KAFKA_CLIENT_ID", clientIdForm);
  // Not part of the config object (the default logger reads it), but a typo fails here, named.
  r.oneOf("KAFKA_LOG_LEVEL", logLevels, "info");
  return {
    brokers,
    clientId,
    ssl: readTls(r),
    sasl: readSasl(r),
    schemaRegistry: readRegistry(r),
    schemaTopic: readSchemaTopic(r),
    connectionTimeoutMs: r.duration("KAFKA_CONNECTION_TIMEOUT", 3000, durationLimits.connectionTimeoutMs),
    requestTimeoutMs: r.duration("KAFKA_REQUEST_TIMEOUT", 30_000, durationLimits.requestTimeoutMs),
  };
}

function readBrokers(r: EnvReader): string[] {
  const v = r.required("KAFKA_BROKERS", brokersForm);
  if (v === undefined) return [];
  const list = v.split(",").map((b) => b.trim());
  for (const [i, entry] of list.entries()) {
    const problem = brokerProblem(entry);
    if (problem !== undefined) {
      r.problem("KAFKA_BROKERS", brokersForm, list.length === 1 ? problem : `entry ${i + 1}: ${problem}`);
      return [];
    }
  }
  return list;
}

function checkTopic(r: EnvReader, topic: string): void {
  if (!isTopicName(topic)) r.problems.push(`topic is ${JSON.stringify(topic.slice(0, 64))}; expected ${topicForm}`);
}

function readAcks(r: EnvReader): RequiredAcks {
  const v = r.raw("KAFKA_PRODUCER_REQUIRE_ACKS")?.toLowerCase();
  if (v === undefined) return -1;
  const named: Record<string, RequiredAcks> = { "-1": -1, all: -1, "0": 0, none: 0, "1": 1, one: 1, leader: 1 };
  const acks = named[v];
  if (acks === undefined) r.problem("KAFKA_PRODUCER_REQUIRE_ACKS", "-1 (all), 0 (none) or 1 (leader)");
  return acks ?? -1;
}

/** -1/-2 as the Go services set it, or the words; always the word in the config. */
function readStartOffset(r: EnvReader): StartPosition {
  const v = r.raw("KAFKA_CONSUMER_START_OFFSET");
  if (v === undefined) return "newest";
  const position = startPosition(v);
  if (position === undefined) r.problem("KAFKA_CONSUMER_START_OFFSET", "-1 (newest) or -2 (oldest)");
  return position ?? "newest";
}

function readTls(r: EnvReader): TlsConfig | undefined {
  const ca = readPem(r, "KAFKA_SSL_CA", "CA certificates", certificateProblem);
  const cert = readPem(r, "KAFKA_SSL_CERT", "a certificate", certificateProblem);
  const key = readPem(r, "KAFKA_SSL_KEY", "an unencrypted private key", privateKeyProblem);
  const anyPem = ca !== undefined || cert !== undefined || key !== undefined;
  const enabled = r.bool("KAFKA_SSL", anyPem);
  const rejectUnauthorized = r.bool("KAFKA_SSL_VERIFY", true);
  const certSet = r.raw("KAFKA_SSL_CERT") !== undefined;
  if (certSet !== (r.raw("KAFKA_SSL_KEY") !== undefined)) {
    r.problems.push("KAFKA_SSL_CERT and KAFKA_SSL_KEY must be set together; expected both or neither");
  } else if (cert !== undefined && key !== undefined) {
    const mismatch = keyPairProblem(cert, key);
    if (mismatch !== undefined) r.problem("KAFKA_SSL_KEY", "the private key of KAFKA_SSL_CERT", mismatch);
  }
  if (!enabled) return undefined;
  return { ca, cert, key, rejectUnauthorized };
}

/**
 * A PEM value given inline (`-----BEGIN ...`) or as the path of a file holding it, checked with
 * `check` (parsed by node:crypto), so bad TLS material fails here and not at the first connection.
 */
function readPem(
  r: EnvReader,
  name: string,
  holding: string,
  check: (pem: string) => string | undefined,
): string | undefined {
  const v = r.raw(name);
  if (v === undefined) return undefined;
  const accepted = `PEM text (-----BEGIN ...) or the path of a PEM file holding ${holding}`;
  let text: string;
  if (v.startsWith("-----BEGIN ")) {
    // Inline PEM; a backslash-n pair (common in env files) is a line break. The value was trimmed: end the last line.
    text = `${v.replace(/\\n/g, "\n")}\n`;
  } else {
    const file = readTextFile(v);
    if (file.problem !== undefined) {
      r.problem(name, accepted, file.problem);
      return undefined;
    }
    text = file.text;
  }
  const problem = check(text);
  if (problem !== undefined) {
    r.problem(name, accepted, problem);
    return undefined;
  }
  return text;
}

/** The text of the file at `path`, or why it cannot be read (a directory, missing, not permitted). */
function readTextFile(path: string): { text: string; problem?: undefined } | { problem: string } {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return { problem: "a directory" };
    if (!stat.isFile()) return { problem: "not a regular file" };
    return { text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { problem: "no such file" };
    if (code === "EACCES" || code === "EPERM") return { problem: "the file cannot be read: permission denied" };
    return { problem: `the file cannot be read${typeof code === "string" ? `: ${code}` : ""}` };
  }
}

function readSasl(r: EnvReader): SaslConfig | undefined {
  const mechanism = r.raw("KAFKA_SASL_MECHANISM");
  const username = r.raw("KAFKA_SASL_USERNAME");
  const password = r.raw("KAFKA_SASL_PASSWORD");
  if (mechanism === undefined) {
    if (username !== undefined || password !== undefined) {
      r.problem("KAFKA_SASL_MECHANISM", `one of ${mechanisms.join(", ")} when a SASL username or password is set`);
    }
    return undefined;
  }
  const m = r.oneOf("KAFKA_SASL_MECHANISM", mechanisms, "plain");
  if (username === undefined) r.problem("KAFKA_SASL_USERNAME", "a user name when KAFKA_SASL_MECHANISM is set");
  if (password === undefined) r.problem("KAFKA_SASL_PASSWORD", "a password when KAFKA_SASL_MECHANISM is set");
  return { mechanism: m, username: username ?? "", password: password ?? "" };
}

function readRegistry(r: EnvReader): SchemaRegistryConfig | undefined {
  const raw = r.raw("SCHEMA_REGISTRY_URL");
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("protocol");
  } catch {
    r.problem("SCHEMA_REGISTRY_URL", "an http:// or https:// URL");
    return undefined;
  }
  // Credentials in the URL are moved out of it, so the URL itself is safe to log.
  const username = r.raw("SCHEMA_REGISTRY_USERNAME") ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = r.raw("SCHEMA_REGISTRY_PASSWORD") ?? (url.password ? decodeURIComponent(url.password) : undefined);
  url.username = "";
  url.password = "";
  if ((username === undefined) !== (password === undefined)) {
    r.problems.push(
      "SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD must be set together; expected both or neither",
    );
  }
  const autoRegister = r.bool("SCHEMA_REGISTRY_AUTO_REGISTER", true);
  return { url: url.toString().replace(/\/$/, ""), username, password, autoRegister };
}

/** The default name of the schema topic. */
export const defaultSchemaTopic = "_skeji-schemas";

/** `KAFKA_SCHEMA_TOPIC` (a name, or `none` to turn the schema topic off) and `KAFKA_SCHEMA_TOPIC_CREATE`. */
function readSchemaTopic(r: EnvReader): SchemaTopicConfig | false {
  if (r.raw("KAFKA_SCHEMA_TOPIC")?.toLowerCase() === "none") return false;
  const topic = r.topic("KAFKA_SCHEMA_TOPIC") ?? defaultSchemaTopic;
  return { topic, create: r.bool("KAFKA_SCHEMA_TOPIC_CREATE", true) };
}

function fail(r: EnvReader): void {
  if (r.problems.length === 0) return;
  throw new SkejiError(ErrorCode.INVALID_CONFIG, `invalid Kafka configuration: ${r.problems.join("; ")}`, {
    details: { problems: [...r.problems] },
  });
}
