/**
 * Config objects from the fields a program cares about, with every other field at the default
 * the environment reader uses - the Go guide's unit test builds `&kafka.ProducerConfig{Brokers,
 * Topic, MaxAttempts}` and leaves the rest zero; here the rest is the documented default, not
 * zero. The result is checked like any config object (INVALID_CONFIG naming each bad option), and
 * a field the config does not have is reported too (a typo would otherwise be a silent default).
 */
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { consumerConfigFromEnv, producerConfigFromEnv } from "./env.ts";
import { normalizeStartOffset } from "./start-offset.ts";
import type { ConsumerConfig, ProducerConfig } from "./types.ts";
import { validateConsumerConfig, validateProducerConfig } from "./validate.ts";

/** A producer config's fields, all optional but `brokers`. */
export type ProducerConfigInit = Partial<ProducerConfig> & Pick<ProducerConfig, "brokers">;
/** A consumer config's fields, all optional but `brokers` and `groupId`. */
export type ConsumerConfigInit = Partial<ConsumerConfig> & Pick<ConsumerConfig, "brokers" | "groupId">;

/**
 * The environment reader's defaults: what `...FromEnv` returns when nothing but the brokers is set
 * (the placeholders are overridden). Taken from the reader itself, so that a setting added there
 * has its default here as well.
 */
const noEnv = { KAFKA_BROKERS: "localhost:9092" };
const producerDefaults = (): ProducerConfig => ({
  ...producerConfigFromEnv("defaults", noEnv),
  brokers: [], // required: left empty, validation names it
  topic: "",
});
const consumerDefaults = (): ConsumerConfig => ({
  ...consumerConfigFromEnv("defaults", "defaults", noEnv),
  brokers: [],
  groupId: "",
  topic: "",
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
  checkKnown(init, [...Object.keys(defaults), "partitioner"]);
  const config = {
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
  checkKnown(init, Object.keys(defaults));
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
