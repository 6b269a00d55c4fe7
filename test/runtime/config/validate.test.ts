/**
 * A config object changed by the program after it was read from the environment is checked again
 * when the producer or consumer is created: every bad option fails with INVALID_CONFIG, naming the
 * option and the accepted form, never showing a secret.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type ConsumerConfig,
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  isSkejiError,
  type ProducerConfig,
  producerConfigFromEnv,
  type SkejiError,
  silentLogger,
} from "../../../runtime/index.ts";

const env = { KAFKA_BROKERS: "broker1:9092" };
const tls = join(import.meta.dirname, "tls");
const cert = readFileSync(join(tls, "client.pem"), "utf8");
const key = readFileSync(join(tls, "client-key.pem"), "utf8");
const otherKey = readFileSync(join(tls, "other-key.pem"), "utf8");
const garbageKey = "-----BEGIN PRIVATE KEY-----\nhunter2-garbage-key\n-----END PRIVATE KEY-----\n";

function failure(run: () => unknown): SkejiError {
  try {
    run();
  } catch (e) {
    if (isSkejiError(e, "INVALID_CONFIG")) return e as SkejiError;
    throw e;
  }
  throw new Error("expected INVALID_CONFIG");
}

const producer = (override: Partial<Record<keyof ProducerConfig, unknown>>) => () =>
  createProducer({ ...producerConfigFromEnv("t", env), ...override } as ProducerConfig, { logger: silentLogger });
const consumer = (override: Partial<Record<keyof ConsumerConfig, unknown>>) => () =>
  createConsumer({ ...consumerConfigFromEnv("t", "g", env), ...override } as ConsumerConfig, { logger: silentLogger });

const ms = (from: string, to: string) => `a number of milliseconds from ${from} to ${to}`;

// [target, the bad option, its value, the accepted form the message must give, a secret the message must not show]
const rows: [string, "producer" | "consumer", string, unknown, string, (string | undefined)?][] = [
  ["brokers: port out of range", "producer", "brokers", ["broker1:99999"], "port 1-65535"],
  ["brokers: no host", "consumer", "brokers", [":9092"], "host:port"],
  [
    "brokers: empty",
    "producer",
    "brokers",
    [],
    "a list of at least one host:port (port 1-65535), e.g. broker1:9092 (the list is empty)",
  ],
  ["brokers: IPv6 literal", "producer", "brokers", ["[::1]:9092"], "host:port"],
  ["clientId: too long", "producer", "clientId", "x".repeat(256), "printable text of 1 to 255 characters"],
  ["connectionTimeoutMs: 0", "producer", "connectionTimeoutMs", 0, ms("1", "86400000 (1ms to 24h)")],
  ["requestTimeoutMs: 0", "consumer", "requestTimeoutMs", 0, ms("1", "86400000")],
  ["requestTimeoutMs: NaN", "producer", "requestTimeoutMs", Number.NaN, ms("1", "86400000")],
  ["batchTimeoutMs: 1000h", "producer", "batchTimeoutMs", 3_600_000_000, ms("0", "86400000 (0 to 24h)")],
  ["batchSize: 0", "producer", "batchSize", 0, "an integer from 1 to 1000000"],
  ["batchBytes: 1GB", "producer", "batchBytes", 1024 ** 3, "a number of bytes from 1 to 104857600 (100MB)"],
  ["maxAttempts: 0", "producer", "maxAttempts", 0, "an integer from 1 to 100"],
  ["maxMessageBytes: 0", "producer", "maxMessageBytes", 0, "a number of bytes from 1 to 104857600 (100MB)"],
  ["requiredAcks: 2", "producer", "requiredAcks", 2, "-1, 0 or 1"],
  ["compression: brotli", "producer", "compression", "brotli", "one of none, gzip, snappy, lz4, zstd"],
  ["partitioner: crc32", "producer", "partitioner", "crc32", "one of murmur2, fnv1a"],
  ["transport: librdkafka", "producer", "transport", "librdkafka", "one of kafkajs, platformatic"],
  [
    "optionalHeaders: source",
    "producer",
    "optionalHeaders",
    ["content-type", "source"],
    'a list of "schema-fingerprint", "content-type", "retry-count", or undefined (it holds "source")',
  ],
  ["async: 'yes'", "producer", "async", "yes", "true or false"],
  ["dlqTopic: bad name", "producer", "dlqTopic", "dlq topic", "a topic name"],
  ["topic: ..", "producer", "topic", "..", 'not "." or ".."'],
  ["sessionTimeoutMs: 1000h", "consumer", "sessionTimeoutMs", 3_600_000_000, ms("6000", "1800000 (6s to 30m)")],
  ["sessionTimeoutMs: 1s", "consumer", "sessionTimeoutMs", 1000, ms("6000", "1800000")],
  ["heartbeatIntervalMs: 0", "consumer", "heartbeatIntervalMs", 0, ms("1", "86400000")],
  ["rebalanceTimeoutMs: 1000h", "consumer", "rebalanceTimeoutMs", 3_600_000_000, ms("1", "86400000")],
  ["maxWaitMs: as long as the session", "consumer", "maxWaitMs", 10_000, "less than sessionTimeoutMs"],
  ["commitIntervalMs: -1", "consumer", "commitIntervalMs", -1, ms("0", "86400000")],
  ["minBytes: 0", "consumer", "minBytes", 0, "a number of bytes from 1 to 1073741824 (1GB)"],
  ["maxBytes: 2GB", "consumer", "maxBytes", 2 * 1024 ** 3, "a number of bytes from 1 to 1073741824"],
  ["maxRetries: 1001", "consumer", "maxRetries", 1001, "an integer from 0 to 1000"],
  ["fetchDecoder: fast", "consumer", "fetchDecoder", "fast", "one of sdk, kafkajs"],
  ["recordEncoder: fast", "producer", "recordEncoder", "fast", "one of sdk, kafkajs"],
  [
    "startOffset: latest",
    "consumer",
    "startOffset",
    "latest",
    '"newest" or -1 (kafka.LastOffset), "oldest" or -2 (kafka.FirstOffset), got "latest"',
  ],
  [
    "startOffset: 0",
    "consumer",
    "startOffset",
    0,
    '"newest" or -1 (kafka.LastOffset), "oldest" or -2 (kafka.FirstOffset), got 0',
  ],
  ["groupId: empty", "consumer", "groupId", "", "a consumer group id"],
  [
    "ssl.ca: not a certificate",
    "producer",
    "ssl",
    { ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", rejectUnauthorized: true },
    "ssl.ca to be PEM text of CA certificates",
  ],
  [
    "ssl.key: garbage",
    "consumer",
    "ssl",
    { cert, key: garbageKey, rejectUnauthorized: true },
    "ssl.key to be PEM text of an unencrypted private key",
    "hunter2-garbage-key",
  ],
  [
    "ssl.key: another pair's",
    "producer",
    "ssl",
    { cert, key: otherKey, rejectUnauthorized: true },
    "ssl.key to be the private key of ssl.cert",
    otherKey.split("\n")[1],
  ],
  [
    "ssl.key without ssl.cert",
    "producer",
    "ssl",
    { key, rejectUnauthorized: true },
    "ssl.cert and ssl.key together",
    key.split("\n")[1],
  ],
  [
    "sasl.mechanism: oauth",
    "producer",
    "sasl",
    { mechanism: "oauth", username: "u", password: "hunter2-password" },
    "one of plain, scram-sha-256, scram-sha-512",
    "hunter2-password",
  ],
  [
    "sasl.password: empty",
    "consumer",
    "sasl",
    { mechanism: "plain", username: "u", password: "" },
    "a non-empty sasl.password",
  ],
  [
    "schemaRegistry.url: ftp",
    "producer",
    "schemaRegistry",
    { url: "ftp://u:hunter2-registry@registry" },
    "an http:// or https:// URL",
    "hunter2-registry",
  ],
];

describe("createProducer / createConsumer check the config object", () => {
  it.each(rows)("%s", (_name, target, option, value, accepted, secret) => {
    const error = failure(target === "producer" ? producer({ [option]: value }) : consumer({ [option]: value }));
    const problem = ((error.details?.problems ?? []) as string[]).find((p) =>
      p.startsWith(`invalid option "${option}"`),
    );
    expect(problem, error.message).toBeDefined();
    expect(error.message).toContain(problem);
    expect(problem).toContain(accepted);
    if (secret !== undefined)
      expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secret);
  });

  it("accepts what the environment reader gives, TLS material included", () => {
    const ssl = { ca: cert, cert, key, rejectUnauthorized: true };
    expect(() => producer({ ssl, topic: "" })()).not.toThrow();
    expect(() => consumer({ ssl, topic: "" })()).not.toThrow();
  });
});

describe("consumer options", () => {
  const withOptions = (options: Record<string, unknown>) => () =>
    createConsumer(consumerConfigFromEnv("t", "g", env), { logger: silentLogger, ...options });
  it.each([
    ["handlerTimeoutMs", { handlerTimeoutMs: 3_600_000_000 }, 'invalid option "handlerTimeoutMs"'],
    ["shutdownTimeoutMs", { shutdownTimeoutMs: -1 }, 'invalid option "shutdownTimeoutMs"'],
    ["retryLaterMs", { retryLaterMs: 0 }, 'invalid option "retryLaterMs"'],
    ["partitionsConsumedConcurrently", { partitionsConsumedConcurrently: 0 }, "an integer from 1 to 1000"],
    ["dlqMaxRecordBytes", { dlqMaxRecordBytes: 1.5 }, 'invalid option "dlqMaxRecordBytes"'],
    ["retry.maxDelayMs", { retry: { maxDelayMs: 1e12 } }, 'invalid option "retry.maxDelayMs"'],
    ["retry.jitter", { retry: { jitter: 2 } }, 'invalid option "retry.jitter": expected a number from 0 to 1'],
    ["unknownEvents", { unknownEvents: "drop" }, 'invalid option "unknownEvents": expected "dead-letter", "skip"'],
    ["unknownEvents.untyped", { unknownEvents: { untyped: "fail" } }, 'invalid option "unknownEvents"'],
    ["unknownEvents key", { unknownEvents: { missing: "skip" } }, 'invalid option "unknownEvents"'],
  ])("%s out of range is INVALID_CONFIG naming it", (_, options, text) => {
    expect(failure(withOptions(options)).message).toContain(text);
  });

  it("accepts sensible options", () => {
    expect(() =>
      withOptions({ handlerTimeoutMs: 30_000, retry: { maxDelayMs: 10_000, jitter: 0.2 }, retryLaterMs: 1000 })(),
    ).not.toThrow();
    for (const unknownEvents of ["skip", "dead-letter", "retry-later", { untyped: "retry-later" }, {}]) {
      expect(withOptions({ unknownEvents })).not.toThrow();
    }
  });
});
