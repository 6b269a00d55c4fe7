/**
 * Checks a producer config object (from the environment, then possibly changed
 * by the program) before a producer is built: every problem in one
 * INVALID_CONFIG error that names the option.
 */
import { partitionerNames } from "../client/partitioners.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import type { ProducerConfig } from "./types.ts";

const compressions = new Set(["none", "gzip", "snappy", "lz4", "zstd"]);

export function validateProducerConfig(config: ProducerConfig): void {
  const problems: string[] = [];
  const option = (name: string, reason: string) => problems.push(`invalid option "${name}": ${reason}`);
  const int = (name: keyof ProducerConfig, min: number) => {
    const v = config[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) option(name, `expected an integer >= ${min}`);
  };
  if (!Array.isArray(config.brokers) || config.brokers.length === 0)
    option("brokers", "expected at least one host:port");
  if (typeof config.topic !== "string") option("topic", "expected a string");
  int("maxAttempts", 1);
  int("batchSize", 1);
  int("batchBytes", 1);
  if (config.maxMessageBytes !== undefined) int("maxMessageBytes", 1);
  if (typeof config.batchTimeoutMs !== "number" || !(config.batchTimeoutMs >= 0)) {
    option("batchTimeoutMs", "expected a number of milliseconds >= 0");
  }
  if (![-1, 0, 1].includes(config.requiredAcks)) option("requiredAcks", "expected -1, 0 or 1");
  if (config.idempotent && config.requiredAcks !== -1) option("idempotent", "needs requiredAcks -1");
  if (!compressions.has(config.compression)) option("compression", "expected none, gzip, snappy, lz4 or zstd");
  if (config.partitioner !== undefined && !partitionerNames.includes(config.partitioner)) {
    option("partitioner", "expected murmur2 or fnv1a");
  }
  if (config.dlqTopic !== undefined && (typeof config.dlqTopic !== "string" || config.dlqTopic === "")) {
    option("dlqTopic", "expected a topic name or undefined");
  }
  if (problems.length > 0) {
    throw new SkejiError(ErrorCode.INVALID_CONFIG, problems.join("; "), { details: { problems } });
  }
}
