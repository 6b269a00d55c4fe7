/**
 * The client a producer sends through, by configuration: kafkajs (the default) or
 * @platformatic/kafka. Both implement the same contract (client/types.ts); see docs/reliability.md,
 * "Transports", for what each guarantees and how it was proven.
 */
import type { ProducerConfig } from "../config/types.ts";
import type { Logger } from "../observability/logger.ts";
import { createKafkajsClient } from "./kafkajs.ts";
import { createPlatformaticClient } from "./platformatic.ts";
import type { KafkaClient } from "./types.ts";

/** The client for a producer configuration's `transport`. Nothing connects until a producer does. */
export function createClient(config: ProducerConfig, options: { logger?: Logger | undefined } = {}): KafkaClient {
  if (config.transport === "platformatic") return createPlatformaticClient(config, { logger: options.logger });
  return createKafkajsClient(config, {
    logger: options.logger,
    maxAttempts: config.maxAttempts,
    recordEncoder: config.recordEncoder,
  });
}
