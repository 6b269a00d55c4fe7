/** Configuration from the environment: defaults, accepted forms, and one clear error for bad values. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  clientConfigFromEnv,
  consumerConfigFromEnv,
  defaultLogger,
  isSkejiError,
  producerConfigFromEnv,
  type SkejiError,
} from "../../../runtime/index.ts";

const base = { KAFKA_BROKERS: "broker1:9092,broker2:9092" };
/** A self-signed test certificate and its key, a key of another pair, and an encrypted key. */
const tls = join(import.meta.dirname, "tls");

function failure(run: () => unknown): SkejiError {
  try {
    run();
  } catch (e) {
    if (isSkejiError(e, "INVALID_CONFIG")) return e as SkejiError;
    throw e;
  }
  throw new Error("expected INVALID_CONFIG");
}

describe("producerConfigFromEnv", () => {
  it("has the Go guide's defaults", () => {
    expect(producerConfigFromEnv("orders", base)).toMatchObject({
      brokers: ["broker1:9092", "broker2:9092"],
      topic: "orders",
      maxAttempts: 3,
      batchTimeoutMs: 10,
      requiredAcks: -1,
      idempotent: true,
      compression: "snappy",
      async: false,
      dlqTopic: undefined,
      ssl: undefined,
      sasl: undefined,
      schemaRegistry: undefined,
      allowAutoTopicCreation: false,
      transport: "kafkajs",
      recordEncoder: "sdk",
    });
  });

  it("leaves the partitioner unset without KAFKA_PRODUCER_PARTITIONER: each topic's comes from the manifest", () => {
    expect(producerConfigFromEnv("orders", base)).not.toHaveProperty("partitioner");
  });

  it.each([
    ["KAFKA_PRODUCER_MAX_ATTEMPTS", "5", { maxAttempts: 5 }],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "250ms", { batchTimeoutMs: 250 }],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "1.5s", { batchTimeoutMs: 1500 }],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "1m30s", { batchTimeoutMs: 90_000 }],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "0", { batchTimeoutMs: 0 }],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "500us", { batchTimeoutMs: 0.5 }],
    ["KAFKA_PRODUCER_REQUIRE_ACKS", "1", { requiredAcks: 1, idempotent: false }],
    ["KAFKA_PRODUCER_REQUIRE_ACKS", "0", { requiredAcks: 0, idempotent: false }],
    ["KAFKA_PRODUCER_REQUIRE_ACKS", "all", { requiredAcks: -1, idempotent: true }],
    ["KAFKA_PRODUCER_COMPRESSION", "zstd", { compression: "zstd" }],
    ["KAFKA_PRODUCER_COMPRESSION", "LZ4", { compression: "lz4" }],
    ["KAFKA_PRODUCER_COMPRESSION", "none", { compression: "none" }],
    ["KAFKA_PRODUCER_PARTITIONER", "fnv1a", { partitioner: "fnv1a" }],
    ["KAFKA_PRODUCER_PARTITIONER", "MURMUR2", { partitioner: "murmur2" }],
    ["KAFKA_TRANSPORT", "platformatic", { transport: "platformatic" }],
    ["KAFKA_TRANSPORT", "KafkaJS", { transport: "kafkajs" }],
    ["KAFKA_PRODUCER_RECORD_ENCODER", "kafkajs", { recordEncoder: "kafkajs" }],
    ["KAFKA_PRODUCER_RECORD_ENCODER", "SDK", { recordEncoder: "sdk" }],
    ["KAFKA_PRODUCER_OPTIONAL_HEADERS", "none", { optionalHeaders: [] }],
    [
      "KAFKA_PRODUCER_OPTIONAL_HEADERS",
      "Content-Type, schema-fingerprint,content-type",
      { optionalHeaders: ["content-type", "schema-fingerprint"] },
    ],
    ["KAFKA_PRODUCER_ASYNC", "true", { async: true }],
    ["KAFKA_PRODUCER_ASYNC", "0", { async: false }],
    ["KAFKA_PRODUCER_DLQ_TOPIC", "dlq-domain-services", { dlqTopic: "dlq-domain-services" }],
    ["KAFKA_PRODUCER_BATCH_SIZE", "250", { batchSize: 250 }],
    ["KAFKA_PRODUCER_BATCH_BYTES", "2MB", { batchBytes: 2 * 1024 * 1024 }],
    ["KAFKA_CLIENT_ID", "bookings", { clientId: "bookings" }],
    ["KAFKA_SOURCE", "bookings-service", { source: "bookings-service" }],
  ])("%s=%s", (name, value, expected) => {
    expect(producerConfigFromEnv("t", { ...base, [name]: value })).toMatchObject(expected);
  });

  it.each([
    ["KAFKA_PRODUCER_MAX_ATTEMPTS", "0", "an integer from 1 to 100"],
    ["KAFKA_PRODUCER_MAX_ATTEMPTS", "three", "an integer from 1 to 100"],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "10", "a duration from 0 to 24h, such as 10ms"],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "10 ms", "a duration from 0 to 24h, such as 10ms"],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "-1s", "a duration from 0 to 24h, such as 10ms"],
    ["KAFKA_PRODUCER_REQUIRE_ACKS", "2", "-1 (all), 0 (none) or 1 (leader)"],
    ["KAFKA_PRODUCER_COMPRESSION", "brotli", "one of none, gzip, snappy, lz4, zstd"],
    [
      "KAFKA_PRODUCER_DLQ_TOPIC",
      "bad topic!",
      'a topic name (letters, digits, ".", "_", "-"; at most 249; not "." or "..")',
    ],
    ["KAFKA_PRODUCER_PARTITIONER", "crc32", "one of murmur2, fnv1a"],
    ["KAFKA_TRANSPORT", "librdkafka", "one of kafkajs, platformatic"],
    ["KAFKA_PRODUCER_RECORD_ENCODER", "fast", "one of sdk, kafkajs"],
    [
      "KAFKA_PRODUCER_OPTIONAL_HEADERS",
      "content-type,source",
      "a comma-separated list of schema-fingerprint, content-type, retry-count, or none",
    ],
    ["KAFKA_PRODUCER_ASYNC", "maybe", "true or false"],
    ["KAFKA_PRODUCER_BATCH_BYTES", "10XB", "a size in bytes"],
  ])("rejects %s=%s, naming the variable and the accepted form", (name, value, accepted) => {
    const error = failure(() => producerConfigFromEnv("t", { ...base, [name]: value }));
    expect(error.message).toContain(`${name} is ${JSON.stringify(value)}; expected ${accepted}`);
  });

  it("requires KAFKA_BROKERS", () => {
    expect(failure(() => producerConfigFromEnv("t", {})).message).toContain("KAFKA_BROKERS is not set; expected");
  });

  it("reports every bad variable at once", () => {
    const error = failure(() =>
      producerConfigFromEnv("t", { KAFKA_PRODUCER_ASYNC: "x", KAFKA_PRODUCER_COMPRESSION: "y", KAFKA_SSL: "z" }),
    );
    expect(error.details?.problems).toHaveLength(4);
    for (const name of ["KAFKA_BROKERS", "KAFKA_PRODUCER_ASYNC", "KAFKA_PRODUCER_COMPRESSION", "KAFKA_SSL"]) {
      expect(error.message).toContain(name);
    }
  });

  it("refuses an idempotent producer without acks=all", () => {
    const error = failure(() =>
      producerConfigFromEnv("t", { ...base, KAFKA_PRODUCER_REQUIRE_ACKS: "1", KAFKA_PRODUCER_IDEMPOTENT: "true" }),
    );
    expect(error.message).toContain("KAFKA_PRODUCER_IDEMPOTENT");
  });

  it("returns a plain object a program can override", () => {
    const config = { ...producerConfigFromEnv("t", base), dlqTopic: "dlq-domain-services", maxAttempts: 7 };
    expect(config).toMatchObject({ dlqTopic: "dlq-domain-services", maxAttempts: 7, topic: "t" });
  });
});

describe("consumerConfigFromEnv", () => {
  it("has the Go guide's defaults", () => {
    expect(consumerConfigFromEnv("orders", "orders-group", base)).toMatchObject({
      topic: "orders",
      groupId: "orders-group",
      startOffset: "newest",
      minBytes: 1,
      maxBytes: 10 * 1024 * 1024,
      maxWaitMs: 500,
      commitIntervalMs: 1000,
      heartbeatIntervalMs: 3000,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 60_000,
      dlqTopic: undefined,
      maxRetries: 3,
      fetchDecoder: "sdk",
    });
  });

  it.each([
    ["KAFKA_CONSUMER_START_OFFSET", "-2", { startOffset: "oldest" }],
    ["KAFKA_CONSUMER_START_OFFSET", "-1", { startOffset: "newest" }],
    ["KAFKA_CONSUMER_START_OFFSET", "earliest", { startOffset: "oldest" }],
    ["KAFKA_CONSUMER_START_OFFSET", "oldest", { startOffset: "oldest" }],
    ["KAFKA_CONSUMER_START_OFFSET", "Newest", { startOffset: "newest" }],
    ["KAFKA_CONSUMER_MIN_BYTES", "1KB", { minBytes: 1024 }],
    ["KAFKA_CONSUMER_MAX_BYTES", "1048576", { maxBytes: 1_048_576 }],
    ["KAFKA_CONSUMER_MAX_BYTES", "50MiB", { maxBytes: 50 * 1024 * 1024 }],
    ["KAFKA_CONSUMER_MAX_WAIT", "100ms", { maxWaitMs: 100 }],
    ["KAFKA_CONSUMER_COMMIT_INTERVAL", "5s", { commitIntervalMs: 5000 }],
    ["KAFKA_CONSUMER_HEARTBEAT_INTERVAL", "1s", { heartbeatIntervalMs: 1000 }],
    ["KAFKA_CONSUMER_SESSION_TIMEOUT", "30s", { sessionTimeoutMs: 30_000 }],
    ["KAFKA_CONSUMER_REBALANCE_TIMEOUT", "2m", { rebalanceTimeoutMs: 120_000 }],
    ["KAFKA_CONSUMER_DLQ_TOPIC", "dlq-x", { dlqTopic: "dlq-x" }],
    ["KAFKA_CONSUMER_MAX_RETRIES", "0", { maxRetries: 0 }],
    ["KAFKA_CONSUMER_FETCH_DECODER", "kafkajs", { fetchDecoder: "kafkajs" }],
    ["KAFKA_CONSUMER_FETCH_DECODER", "SDK", { fetchDecoder: "sdk" }],
  ])("%s=%s", (name, value, expected) => {
    expect(consumerConfigFromEnv("t", "g", { ...base, [name]: value })).toMatchObject(expected);
  });

  it.each([
    ["KAFKA_CONSUMER_START_OFFSET", "5", "-1 (newest) or -2 (oldest)"],
    ["KAFKA_CONSUMER_MAX_BYTES", "ten", "a size in bytes"],
    ["KAFKA_CONSUMER_MAX_WAIT", "soon", "a duration"],
    ["KAFKA_CONSUMER_MAX_RETRIES", "-1", "an integer from 0 to 1000"],
    ["KAFKA_CONSUMER_FETCH_DECODER", "fast", "one of sdk, kafkajs"],
    [
      "KAFKA_CONSUMER_DLQ_TOPIC",
      "dlq/bookings",
      'a topic name (letters, digits, ".", "_", "-"; at most 249; not "." or "..")',
    ],
  ])("rejects %s=%s", (name, value, accepted) => {
    expect(failure(() => consumerConfigFromEnv("t", "g", { ...base, [name]: value })).message).toContain(
      `${name} is ${JSON.stringify(value)}; expected ${accepted}`,
    );
  });

  it("rejects a heartbeat not shorter than the session timeout", () => {
    const error = failure(() => consumerConfigFromEnv("t", "g", { ...base, KAFKA_CONSUMER_HEARTBEAT_INTERVAL: "10s" }));
    expect(error.message).toContain("KAFKA_CONSUMER_HEARTBEAT_INTERVAL");
  });
});

describe("TLS, SASL and the schema registry", () => {
  const pem = readFileSync(join(tls, "client.pem"), "utf8");

  it("verifies certificates by default; CA as inline PEM or a file path", () => {
    const dir = mkdtempSync(join(tmpdir(), "skeji-tls-"));
    writeFileSync(join(dir, "ca.pem"), pem);
    expect(clientConfigFromEnv({ ...base, KAFKA_SSL: "true" }).ssl).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
      rejectUnauthorized: true,
    });
    expect(clientConfigFromEnv({ ...base, KAFKA_SSL_CA: join(dir, "ca.pem") }).ssl).toMatchObject({
      ca: pem,
      rejectUnauthorized: true,
    });
    expect(clientConfigFromEnv({ ...base, KAFKA_SSL_CA: pem, KAFKA_SSL_VERIFY: "false" }).ssl).toMatchObject({
      ca: pem,
      rejectUnauthorized: false,
    });
    expect(clientConfigFromEnv(base).ssl).toBeUndefined();
  });

  it("rejects a CA that is neither PEM nor a readable file", () => {
    expect(failure(() => clientConfigFromEnv({ ...base, KAFKA_SSL_CA: "/nope/ca.pem" })).message).toContain(
      "KAFKA_SSL_CA",
    );
  });

  it.each(["plain", "scram-sha-256", "scram-sha-512"])("SASL %s", (mechanism) => {
    expect(
      clientConfigFromEnv({
        ...base,
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: "svc",
        KAFKA_SASL_PASSWORD: "s3cret",
      }).sasl,
    ).toEqual({ mechanism, username: "svc", password: "s3cret" });
  });

  it("never shows a secret's value in an error", () => {
    const secrets = {
      ...base,
      KAFKA_SASL_MECHANISM: "oauth",
      KAFKA_SASL_USERNAME: "svc",
      KAFKA_SASL_PASSWORD: "hunter2-secret",
      KAFKA_SSL_KEY: "hunter3-secret-key",
      SCHEMA_REGISTRY_URL: "ftp://user:hunter4-secret@registry",
    };
    const error = failure(() => clientConfigFromEnv(secrets));
    expect(error.message).toContain("KAFKA_SASL_MECHANISM");
    expect(error.message).toContain("KAFKA_SSL_KEY is invalid");
    expect(error.message).toContain("SCHEMA_REGISTRY_URL is invalid");
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(/hunter/);
  });

  it("requires a password with a SASL mechanism, without printing anything secret", () => {
    const error = failure(() =>
      clientConfigFromEnv({ ...base, KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u" }),
    );
    expect(error.message).toContain("KAFKA_SASL_PASSWORD is not set");
  });

  it("takes registry credentials from variables or the URL, and keeps them out of the URL", () => {
    expect(
      clientConfigFromEnv({
        ...base,
        SCHEMA_REGISTRY_URL: "https://registry:8081/apis/ccompat/v7/",
        SCHEMA_REGISTRY_USERNAME: "u",
        SCHEMA_REGISTRY_PASSWORD: "p",
      }).schemaRegistry,
    ).toEqual({ url: "https://registry:8081/apis/ccompat/v7", username: "u", password: "p", autoRegister: true });
    expect(
      clientConfigFromEnv({ ...base, SCHEMA_REGISTRY_URL: "http://u%40x:p@registry:8081" }).schemaRegistry,
    ).toEqual({
      url: "http://registry:8081",
      username: "u@x",
      password: "p",
      autoRegister: true,
    });
  });

  it.each([
    ["false", false],
    ["0", false],
    ["true", true],
  ])("SCHEMA_REGISTRY_AUTO_REGISTER=%s", (value, expected) => {
    const registry = clientConfigFromEnv({
      ...base,
      SCHEMA_REGISTRY_URL: "http://registry:8081",
      SCHEMA_REGISTRY_AUTO_REGISTER: value,
    }).schemaRegistry;
    expect(registry?.autoRegister).toBe(expected);
  });

  it("rejects a SCHEMA_REGISTRY_AUTO_REGISTER that is not a boolean", () => {
    expect(() =>
      clientConfigFromEnv({
        ...base,
        SCHEMA_REGISTRY_URL: "http://registry:8081",
        SCHEMA_REGISTRY_AUTO_REGISTER: "maybe",
      }),
    ).toThrow(/SCHEMA_REGISTRY_AUTO_REGISTER/);
  });
});

describe("every malformed setting is rejected at start-up", () => {
  const dir = mkdtempSync(join(tmpdir(), "skeji-config-"));
  const noPem = join(dir, "notes.txt");
  writeFileSync(noPem, "not a certificate\n");
  const cert = join(tls, "client.pem");
  const key = join(tls, "client-key.pem");
  const garbageKey = "-----BEGIN PRIVATE KEY-----\\nhunter2-garbage-key\\n-----END PRIVATE KEY-----";
  const secrets = new Set(["KAFKA_SSL_KEY", "KAFKA_SASL_PASSWORD", "SCHEMA_REGISTRY_URL", "SCHEMA_REGISTRY_PASSWORD"]);
  const durations = "such as 10ms, 1s, 1m30s (units ns, us, ms, s, m, h)";

  // [variable, bad value, the accepted form the message must give, the reason it must give (if any), other variables]
  const rows: [string, string, string, (string | undefined)?, Record<string, string>?][] = [
    ["KAFKA_BROKERS", "broker1:99999", "a comma-separated list of host:port (port 1-65535)", "a port outside 1-65535"],
    ["KAFKA_BROKERS", "broker1:0", "a comma-separated list of host:port", "a port outside 1-65535"],
    ["KAFKA_BROKERS", ":9092", "a comma-separated list of host:port", "no host"],
    ["KAFKA_BROKERS", "broker1:", "a comma-separated list of host:port", "no port"],
    ["KAFKA_BROKERS", "broker1", "a comma-separated list of host:port", "no port"],
    ["KAFKA_BROKERS", "b@d!:9092", "a comma-separated list of host:port", "not a host name or IPv4 address"],
    ["KAFKA_BROKERS", "http://broker1:9092", "a comma-separated list of host:port", "not a host name"],
    ["KAFKA_BROKERS", "broker1:9092,,broker2:9092", "a comma-separated list of host:port", "entry 2: an empty entry"],
    ["KAFKA_BROKERS", "[::1]:9092", "a comma-separated list of host:port", "an IPv6 address literal"],
    ["KAFKA_CONNECTION_TIMEOUT", "0", `a duration from 1ms to 24h, ${durations}`],
    ["KAFKA_CONNECTION_TIMEOUT", "1000h", "a duration from 1ms to 24h"],
    ["KAFKA_REQUEST_TIMEOUT", "0", "a duration from 1ms to 24h"],
    ["KAFKA_REQUEST_TIMEOUT", "1000h", "a duration from 1ms to 24h"],
    ["KAFKA_CLIENT_ID", "x".repeat(300), "printable text of 1 to 255 characters"],
    ["KAFKA_CLIENT_ID", "svc\u0007bell", "printable text of 1 to 255 characters"],
    ["KAFKA_LOG_LEVEL", "verbose", "one of fatal, error, warn, info, debug, trace, silent"],
    ["KAFKA_SSL", "maybe", "true or false"],
    ["KAFKA_SSL_VERIFY", "sometimes", "true or false"],
    ["KAFKA_SSL_CA", dir, "PEM text (-----BEGIN ...) or the path of a PEM file holding CA certificates", "a directory"],
    ["KAFKA_SSL_CA", join(dir, "missing.pem"), "the path of a PEM file holding CA certificates", "no such file"],
    ["KAFKA_SSL_CA", noPem, "the path of a PEM file holding CA certificates", "no -----BEGIN CERTIFICATE----- block"],
    [
      "KAFKA_SSL_CA",
      "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----",
      "PEM text (-----BEGIN ...) or the path of a PEM file holding CA certificates",
      "a certificate that cannot be parsed",
    ],
    [
      "KAFKA_SSL_CERT",
      key,
      "the path of a PEM file holding a certificate",
      "no -----BEGIN CERTIFICATE----- block",
      { KAFKA_SSL_KEY: key },
    ],
    [
      "KAFKA_SSL_KEY",
      garbageKey,
      "PEM text (-----BEGIN ...) or the path of a PEM file holding an unencrypted private key",
      "a private key that cannot be parsed",
      { KAFKA_SSL_CERT: cert },
    ],
    [
      "KAFKA_SSL_KEY",
      cert,
      "an unencrypted private key",
      "no -----BEGIN ... PRIVATE KEY----- block",
      { KAFKA_SSL_CERT: cert },
    ],
    [
      "KAFKA_SSL_KEY",
      join(tls, "encrypted-key.pem"),
      "an unencrypted private key",
      "an encrypted private key",
      { KAFKA_SSL_CERT: cert },
    ],
    [
      "KAFKA_SSL_KEY",
      join(tls, "other-key.pem"),
      "the private key of KAFKA_SSL_CERT",
      "the key does not belong to the certificate",
      { KAFKA_SSL_CERT: cert },
    ],
    ["KAFKA_SSL_KEY", dir, "an unencrypted private key", "a directory", { KAFKA_SSL_CERT: cert }],
    [
      "KAFKA_SASL_MECHANISM",
      "oauthbearer",
      "one of plain, scram-sha-256, scram-sha-512",
      undefined,
      { KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" },
    ],
    ["SCHEMA_REGISTRY_URL", "ftp://user:hunter2-registry@registry", "an http:// or https:// URL"],
    [
      "SCHEMA_REGISTRY_AUTO_REGISTER",
      "perhaps",
      "true or false",
      undefined,
      { SCHEMA_REGISTRY_URL: "http://registry:8081" },
    ],
    ["KAFKA_PRODUCER_MAX_ATTEMPTS", "101", "an integer from 1 to 100"],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "1000h", `a duration from 0 to 24h, ${durations}`],
    ["KAFKA_PRODUCER_BATCH_TIMEOUT", "25h", "a duration from 0 to 24h"],
    ["KAFKA_PRODUCER_BATCH_SIZE", "0", "an integer from 1 to 1000000"],
    ["KAFKA_PRODUCER_BATCH_SIZE", "10000001", "an integer from 1 to 1000000"],
    ["KAFKA_PRODUCER_BATCH_BYTES", "0", "a size in bytes from 1 to 100MB"],
    ["KAFKA_PRODUCER_BATCH_BYTES", "1GB", "a size in bytes from 1 to 100MB"],
    ["KAFKA_PRODUCER_MAX_MESSAGE_BYTES", "0", "a size in bytes from 1 to 100MB"],
    ["KAFKA_PRODUCER_MAX_MESSAGE_BYTES", "1GB", "a size in bytes from 1 to 100MB"],
    ["KAFKA_PRODUCER_REQUIRE_ACKS", "2", "-1 (all), 0 (none) or 1 (leader)"],
    ["KAFKA_PRODUCER_IDEMPOTENT", "yes please", "true or false"],
    ["KAFKA_PRODUCER_COMPRESSION", "brotli", "one of none, gzip, snappy, lz4, zstd"],
    ["KAFKA_PRODUCER_PARTITIONER", "crc32", "one of murmur2, fnv1a"],
    ["KAFKA_PRODUCER_AUTO_CREATE_TOPICS", "y", "true or false"],
    ["KAFKA_PRODUCER_DLQ_TOPIC", "..", 'a topic name (letters, digits, ".", "_", "-"; at most 249; not "." or "..")'],
    ["KAFKA_CONSUMER_SESSION_TIMEOUT", "1000h", `a duration from 6s to 30m, ${durations}`],
    ["KAFKA_CONSUMER_SESSION_TIMEOUT", "5s", "a duration from 6s to 30m"],
    ["KAFKA_CONSUMER_SESSION_TIMEOUT", "31m", "a duration from 6s to 30m"],
    ["KAFKA_CONSUMER_HEARTBEAT_INTERVAL", "0", "a duration from 1ms to 24h"],
    ["KAFKA_CONSUMER_REBALANCE_TIMEOUT", "0", "a duration from 1ms to 24h"],
    ["KAFKA_CONSUMER_REBALANCE_TIMEOUT", "1000h", "a duration from 1ms to 24h"],
    ["KAFKA_CONSUMER_MAX_WAIT", "1000h", "a duration from 0 to 24h"],
    ["KAFKA_CONSUMER_COMMIT_INTERVAL", "1000h", "a duration from 0 to 24h"],
    ["KAFKA_CONSUMER_MIN_BYTES", "0", "a size in bytes from 1 to 1GB"],
    ["KAFKA_CONSUMER_MAX_BYTES", "0", "a size in bytes from 1 to 1GB"],
    ["KAFKA_CONSUMER_MAX_BYTES", "2GB", "a size in bytes from 1 to 1GB"],
    ["KAFKA_CONSUMER_MAX_RETRIES", "1001", "an integer from 0 to 1000"],
    ["KAFKA_CONSUMER_START_OFFSET", "latest-ish", "-1 (newest) or -2 (oldest)"],
  ];

  it.each(rows)("%s=%s", (name, value, accepted, reason, others = {}) => {
    const env = { ...base, ...others, [name]: value };
    const run = name.startsWith("KAFKA_CONSUMER_")
      ? () => consumerConfigFromEnv("t", "g", env)
      : () => producerConfigFromEnv("t", env);
    const error = failure(run);
    expect(error.code).toBe("INVALID_CONFIG");
    const problem = ((error.details?.problems ?? []) as string[]).find((p) => p.startsWith(`${name} `));
    expect(problem, error.message).toBeDefined();
    expect(error.message).toContain(problem);
    expect(problem?.slice(problem.indexOf("; expected "))).toContain(accepted);
    if (reason !== undefined) expect(problem).toContain(`(${reason}`);
    if (secrets.has(name)) {
      expect(problem).toContain(`${name} is invalid`);
      expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(value);
      expect(error.message).not.toMatch(/hunter2/);
    } else {
      expect(problem).toContain(`${name} is ${JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value)}`);
    }
  });

  it.each([
    ["KAFKA_CONSUMER_MAX_WAIT", { KAFKA_CONSUMER_MAX_WAIT: "10s" }, "expected max wait < session timeout"],
    [
      "KAFKA_CONSUMER_HEARTBEAT_INTERVAL",
      { KAFKA_CONSUMER_HEARTBEAT_INTERVAL: "10s" },
      "expected heartbeat < session timeout",
    ],
    [
      "KAFKA_CONSUMER_MIN_BYTES",
      { KAFKA_CONSUMER_MIN_BYTES: "2MB", KAFKA_CONSUMER_MAX_BYTES: "1MB" },
      "expected min <= max",
    ],
  ])("%s against the other consumer settings", (name, env, accepted) => {
    const error = failure(() => consumerConfigFromEnv("t", "g", { ...base, ...env }));
    expect(error.message).toContain(name);
    expect(error.message).toContain(accepted);
  });

  it.each([".", "..", "bad topic", "x".repeat(250)])("rejects the topic %j", (topic) => {
    expect(failure(() => producerConfigFromEnv(topic, base)).message).toContain(
      'expected a topic name (letters, digits, ".", "_", "-"; at most 249; not "." or "..")',
    );
    expect(failure(() => consumerConfigFromEnv(topic, "g", base)).message).toContain("expected a topic name");
  });

  it("accepts the edges of every range", () => {
    const env = {
      ...base,
      KAFKA_BROKERS: "broker-1.example.com:1,10.0.0.1:65535,kafka_0:9092",
      KAFKA_CONNECTION_TIMEOUT: "1ms",
      KAFKA_REQUEST_TIMEOUT: "24h",
      KAFKA_LOG_LEVEL: "WARN",
      KAFKA_SSL_CERT: cert,
      KAFKA_SSL_KEY: readFileSync(key, "utf8").trim().replace(/\n/g, "\\n"),
      KAFKA_CONSUMER_SESSION_TIMEOUT: "30m",
      KAFKA_CONSUMER_HEARTBEAT_INTERVAL: "1ms",
      KAFKA_CONSUMER_MAX_WAIT: "0",
      KAFKA_CONSUMER_MAX_BYTES: "1GB",
      KAFKA_PRODUCER_BATCH_BYTES: "100MB",
      KAFKA_PRODUCER_BATCH_SIZE: "1000000",
      KAFKA_PRODUCER_BATCH_TIMEOUT: "24h",
    };
    expect(consumerConfigFromEnv("t", "g", env)).toMatchObject({
      brokers: ["broker-1.example.com:1", "10.0.0.1:65535", "kafka_0:9092"],
      sessionTimeoutMs: 1_800_000,
      heartbeatIntervalMs: 1,
      maxWaitMs: 0,
      maxBytes: 1024 ** 3,
    });
    expect(producerConfigFromEnv("t", env)).toMatchObject({
      connectionTimeoutMs: 1,
      requestTimeoutMs: 86_400_000,
      batchBytes: 100 * 1024 ** 2,
      batchSize: 1_000_000,
      batchTimeoutMs: 86_400_000,
      ssl: { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") },
    });
  });

  it("the default logger names KAFKA_LOG_LEVEL instead of failing with pino's message", () => {
    const before = process.env.KAFKA_LOG_LEVEL;
    process.env.KAFKA_LOG_LEVEL = "verbose";
    try {
      const error = failure(() => defaultLogger());
      expect(error.message).toContain(
        'KAFKA_LOG_LEVEL is "verbose"; expected one of fatal, error, warn, info, debug, trace, silent',
      );
    } finally {
      if (before === undefined) delete process.env.KAFKA_LOG_LEVEL;
      else process.env.KAFKA_LOG_LEVEL = before;
    }
  });
});
