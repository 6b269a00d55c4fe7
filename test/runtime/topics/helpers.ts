/** Client configuration for the real broker of this test run, from the environment variables a service sets. */
import { clientConfigFromEnv, producerConfigFromEnv } from "../../../runtime/config/env.ts";
import type { ClientConfig, ProducerConfig } from "../../../runtime/config/types.ts";
import { brokers } from "../../infra/env.ts";

export const clientConfig = (): ClientConfig => clientConfigFromEnv({ KAFKA_BROKERS: brokers().join(",") });

export const producerConfig = (topic: string, overrides: Partial<ProducerConfig> = {}): ProducerConfig => ({
  ...producerConfigFromEnv(topic, { KAFKA_BROKERS: brokers().join(",") }),
  ...overrides,
});
