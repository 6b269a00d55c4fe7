/**
 * Configuration from the environment, with the variables, defaults and meanings
 * of the Go package (see docs/configuration.md). Every bad variable is reported
 * in one INVALID_CONFIG error at start-up; secret values never appear in it.
 */

import { existsSync, readFileSync } from "node:fs";
import { partitionerNames } from "../client/partitioners.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { type Env, EnvReader } from "./parse.ts";
import type {
  ClientConfig,
  Compression,
  ConsumerConfig,
  ProducerConfig,
  RequiredAcks,
  SaslConfig,
  SaslMechanism,
  SchemaRegistryConfig,
  TlsConfig,
} from "./types.ts";

/** Variables whose values are never shown in an error or log. */
export const secretVariables: ReadonlySet<string> = new Set([
  "KAFKA_SASL_PASSWORD",
  "KAFKA_SSL_KEY",
  "SCHEMA_REGISTRY_PASSWORD",
  "SCHEMA_REGISTRY_URL",
]);

const compressions: readonly Compression[] = ["none", "gzip", "snappy", "lz4", "zstd"];
const mechanisms: readonly SaslMechanism[] = ["plain", "scram-sha-256", "scram-sha-512"];

/** The shared client settings: brokers, client id, TLS, SASL and the schema registry. */
export function clientConfigFromEnv(env: Env = process.env): ClientConfig {
  const r = new EnvReader(env, secretVariables);
  const client = readClient(r);
  fail(r);
  return client;
}

/** Like the Go `NewProducerConfigFromEnv(topic)`: every `KAFKA_PRODUCER_*` variable with its default. */
/** The Java producer's `max.request.size` default; the broker's `max.message.bytes` default is 12 bytes more. */
export const defaultMaxMessageBytes = 1024 * 1024;

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
    maxAttempts: r.int("KAFKA_PRODUCER_MAX_ATTEMPTS", 3, 1, 100),
    batchTimeoutMs: r.duration("KAFKA_PRODUCER_BATCH_TIMEOUT", 10),
    batchSize: r.int("KAFKA_PRODUCER_BATCH_SIZE", 1000, 1),
    batchBytes: r.size("KAFKA_PRODUCER_BATCH_BYTES", 1024 * 1024),
    maxMessageBytes: r.size("KAFKA_PRODUCER_MAX_MESSAGE_BYTES", defaultMaxMessageBytes),
    requiredAcks,
    idempotent,
    compression: r.oneOf("KAFKA_PRODUCER_COMPRESSION", compressions, "snappy"),
    async: r.bool("KAFKA_PRODUCER_ASYNC", false),
    dlqTopic: r.topic("KAFKA_PRODUCER_DLQ_TOPIC"),
    source: r.string("KAFKA_SOURCE"),
    allowAutoTopicCreation: r.bool("KAFKA_PRODUCER_AUTO_CREATE_TOPICS", false),
    partitioner: r.oneOf("KAFKA_PRODUCER_PARTITIONER", partitionerNames, "murmur2"),
  };
  if (topic.trim() === "") r.problems.push('topic is ""; expected a topic name');
  fail(r);
  return config;
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
    minBytes: r.size("KAFKA_CONSUMER_MIN_BYTES", 1),
    maxBytes: r.size("KAFKA_CONSUMER_MAX_BYTES", 10 * 1024 * 1024),
    maxWaitMs: r.duration("KAFKA_CONSUMER_MAX_WAIT", 500),
    commitIntervalMs: r.duration("KAFKA_CONSUMER_COMMIT_INTERVAL", 1000),
    heartbeatIntervalMs: r.duration("KAFKA_CONSUMER_HEARTBEAT_INTERVAL", 3000),
    sessionTimeoutMs: r.duration("KAFKA_CONSUMER_SESSION_TIMEOUT", 10_000),
    rebalanceTimeoutMs: r.duration("KAFKA_CONSUMER_REBALANCE_TIMEOUT", 60_000),
    dlqTopic: r.topic("KAFKA_CONSUMER_DLQ_TOPIC"),
    maxRetries: r.int("KAFKA_CONSUMER_MAX_RETRIES", 3, 0, 1000),
  };
  if (topic.trim() === "") r.problems.push('topic is ""; expected a topic name');
  if (groupId.trim() === "") r.problems.push('group is ""; expected a consumer group id');
  if (config.minBytes > config.maxBytes) {
    r.problems.push("KAFKA_CONSUMER_MIN_BYTES is larger than KAFKA_CONSUMER_MAX_BYTES; expected min <= max");
  }
  if (config.heartbeatIntervalMs >= config.sessionTimeoutMs) {
    r.problems.push(
      "KAFKA_CONSUMER_HEARTBEAT_INTERVAL is not shorter than KAFKA_CONSUMER_SESSION_TIMEOUT; expected heartbeat < session timeout",
    );
  }
  fail(r);
  return config;
}

function readClient(r: EnvReader): ClientConfig {
  const brokers = readBrokers(r);
  return {
    brokers,
    clientId: r.string("KAFKA_CLIENT_ID") ?? "skeji-kafka",
    ssl: readTls(r),
    sasl: readSasl(r),
    schemaRegistry: readRegistry(r),
    connectionTimeoutMs: r.duration("KAFKA_CONNECTION_TIMEOUT", 3000),
    requestTimeoutMs: r.duration("KAFKA_REQUEST_TIMEOUT", 30_000),
  };
}

function readBrokers(r: EnvReader): string[] {
  const accepted = "a comma-separated list of host:port, e.g. broker1:9092,broker2:9092";
  const v = r.required("KAFKA_BROKERS", accepted);
  if (v === undefined) return [];
  const list = v.split(",").map((b) => b.trim());
  if (list.some((b) => !/^[^\s:/]+:\d{1,5}$/.test(b) && !/^\[[0-9a-f:.]+\]:\d{1,5}$/i.test(b))) {
    r.problem("KAFKA_BROKERS", accepted);
    return [];
  }
  return list;
}

function readAcks(r: EnvReader): RequiredAcks {
  const v = r.raw("KAFKA_PRODUCER_REQUIRE_ACKS")?.toLowerCase();
  if (v === undefined) return -1;
  const named: Record<string, RequiredAcks> = { "-1": -1, all: -1, "0": 0, none: 0, "1": 1, one: 1, leader: 1 };
  const acks = named[v];
  if (acks === undefined) r.problem("KAFKA_PRODUCER_REQUIRE_ACKS", "-1 (all), 0 (none) or 1 (leader)");
  return acks ?? -1;
}

function readStartOffset(r: EnvReader): ConsumerConfig["startOffset"] {
  const v = r.raw("KAFKA_CONSUMER_START_OFFSET")?.toLowerCase();
  if (v === undefined || v === "-1" || v === "newest" || v === "latest") return "newest";
  if (v === "-2" || v === "oldest" || v === "earliest") return "oldest";
  r.problem("KAFKA_CONSUMER_START_OFFSET", "-1 (newest) or -2 (oldest)");
  return "newest";
}

function readTls(r: EnvReader): TlsConfig | undefined {
  const ca = readPem(r, "KAFKA_SSL_CA");
  const cert = readPem(r, "KAFKA_SSL_CERT");
  const key = readPem(r, "KAFKA_SSL_KEY");
  const anyPem = ca !== undefined || cert !== undefined || key !== undefined;
  const enabled = r.bool("KAFKA_SSL", anyPem);
  const rejectUnauthorized = r.bool("KAFKA_SSL_VERIFY", true);
  if ((cert === undefined) !== (key === undefined)) {
    r.problems.push("KAFKA_SSL_CERT and KAFKA_SSL_KEY must be set together; expected both or neither");
  }
  if (!enabled) return undefined;
  return { ca, cert, key, rejectUnauthorized };
}

/** A PEM value given inline (`-----BEGIN ...`) or as a path to a file holding it. */
function readPem(r: EnvReader, name: string): string | undefined {
  const v = r.raw(name);
  if (v === undefined) return undefined;
  // Inline PEM; a backslash-n pair (common in env files) is a line break. The value was trimmed: end the last line.
  if (v.startsWith("-----BEGIN ")) return `${v.replace(/\\n/g, "\n")}\n`;
  if (existsSync(v)) {
    const text = readFileSync(v, "utf8");
    if (text.includes("-----BEGIN ")) return text;
  }
  r.problem(name, "PEM text (-----BEGIN ...) or the path of a readable PEM file");
  return undefined;
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

function fail(r: EnvReader): void {
  if (r.problems.length === 0) return;
  throw new SkejiError(ErrorCode.INVALID_CONFIG, `invalid Kafka configuration: ${r.problems.join("; ")}`, {
    details: { problems: [...r.problems] },
  });
}
