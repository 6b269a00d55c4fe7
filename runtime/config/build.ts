/**
 * Config objects from the fields a program cares about, with every other field at the default
 * the environment reader uses - the Go guide's unit test builds `&kafka.ProducerConfig{Brokers,
 * Topic, MaxAttempts}` and leaves the rest zero; here the rest is the documented default, not
 * zero. The result is checked like any config object (INVALID_CONFIG naming each bad option), and
 * a field the config does not have is reported too (a typo would otherwise be a silent default).
 */
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { defaultMaxMessageBytes, defaultSchemaTopic } from "./env.ts";
import { normalizeStartOffset } from "./start-offset.ts";
import type { ClientConfig, ConsumerConfig, ProducerConfig } from "./types.ts";
import { validateConsumerConfig, validateProducerConfig } from "./validate.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A producer config's fields, all optional but `brokers`. */
export type ProducerConfigInit = Partial<ProducerConfig> & Pick<ProducerConfig, "brokers">;
/** A consumer config's fields, all optional but `brokers` and `groupId`. */
export type ConsumerConfigInit = Partial<ConsumerConfig> & Pick<ConsumerConfig, "brokers" | "groupId">;

const clientDefaults = (): Omit<ClientConfig, "brokers"> => ({
  clientId: "skeji-kafka",
  ssl: undefined,
  sasl: undefined,
  schemaRegistry: undefined,
  schemaTopic: { topic: defaultSchemaTopic, create: true },
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
});

const producerDefaults = (): Omit<ProducerConfig, "brokers" | "idempotent"> => ({
  ...clientDefaults(),
  topic: "",
  maxAttempts: 3,
  batchTimeoutMs: 10,
  batchSize: 1000,
  batchBytes: 1024 * 1024,
  maxMessageBytes: defaultMaxMessageBytes,
  requiredAcks: -1,
  compression: "snappy",
  async: false,
  dlqTopic: undefined,
  source: undefined,
  allowAutoTopicCreation: false,
});

const consumerDefaults = (): Omit<ConsumerConfig, "brokers" | "groupId"> => ({
  ...clientDefaults(),
  topic: "",
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
});

/**
 * A producer config from `init`, every missing field at its default (the values of
 * `producerConfigFromEnv` with only `KAFKA_BROKERS` set; `idempotent` follows `requiredAcks`).
 * The environment is not read. Throws INVALID_CONFIG naming each bad or unknown option.
 *
 * ```ts
 * const config = producerConfig({ brokers: ["localhost:9092"], topic: "test-topic", maxAttempts: 3 });
 * ```
 */
export function producerConfig(init: ProducerConfigInit): ProducerConfig {
  const defaults = producerDefaults();
  checkKnown(init, [...Object.keys(defaults), "brokers", "idempotent", "partitioner"]);
  const config: Mutable<ProducerConfig> = {
    ...defaults,
    idempotent: (init.requiredAcks ?? defaults.requiredAcks) === -1,
    ...definedFields(init),
  } as ProducerConfig;
  validateProducerConfig(config);
  return config;
}

/**
 * A consumer config from `init`, every missing field at its default (the values of
 * `consumerConfigFromEnv` with only `KAFKA_BROKERS` set). `startOffset` may be -1/-2 (kafka-go's
 * `LastOffset`/`FirstOffset`) or "newest"/"oldest"; the config holds the word. The environment is
 * not read. Throws INVALID_CONFIG naming each bad or unknown option.
 */
export function consumerConfig(init: ConsumerConfigInit): ConsumerConfig {
  const defaults = consumerDefaults();
  checkKnown(init, [...Object.keys(defaults), "brokers", "groupId"]);
  const config = { ...defaults, ...definedFields(init) } as ConsumerConfig;
  validateConsumerConfig(config);
  return { ...config, startOffset: normalizeStartOffset(config.startOffset) };
}

/** `init` without its undefined fields: an explicit undefined keeps the default (as an unset variable does). */
function definedFields<T extends object>(init: T): Partial<T> {
  return Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkKnown(init: object, known: readonly string[]): void {
  const unknown = Object.keys(init).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const problems = unknown.map((k) => `invalid option "${k}": not a config field (a typo?)`);
  throw new SkejiError(ErrorCode.INVALID_CONFIG, problems.join("; "), { details: { problems } });
}
