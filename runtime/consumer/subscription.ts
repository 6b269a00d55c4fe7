/**
 * What a consumer subscribes to, and the line it logs about it at start.
 *
 * Registering a typed handler (`on`, the generated `onXxx`, `onTopic`) also subscribes the
 * consumer to the descriptor's topic, unless `subscribe: "config-topic"` or `topics` say
 * otherwise. That is what a service wants, and a surprise for a replay or test consumer that
 * meant to read one topic with the service's handlers - so the consumer says, at start, which
 * topics it reads, which event types it handles on each, and where a new group starts.
 */
import { normalizeStartOffset } from "../config/start-offset.ts";
import type { StartOffset } from "../config/types.ts";

/** Which topics a consumer subscribes to when `topics` does not list them. */
export type Subscribe = "config-and-handlers" | "config-topic";

export interface SubscriptionInput {
  /** The config's topic ("" for none). */
  readonly configTopic: string;
  readonly startOffset: StartOffset;
  /** `options.topics`: exactly these, when given. */
  readonly topics?: readonly string[] | undefined;
  readonly subscribe?: Subscribe | undefined;
  /** Registered typed handlers: the event types each descriptor's topic carries. */
  readonly handled: ReadonlyMap<string, readonly string[]>;
  /** An untyped `handle()` handler is set. */
  readonly untyped: boolean;
}

export interface Subscription {
  readonly topics: readonly string[];
  /** The log entry's fields and message. */
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export function subscription(input: SubscriptionInput): Subscription {
  const { configTopic, handled } = input;
  const candidates =
    input.topics ?? (input.subscribe === "config-topic" ? [configTopic] : [configTopic, ...handled.keys()]);
  const topics = [...new Set(candidates.filter((t) => t !== ""))];
  const events: Record<string, string[]> = {};
  for (const topic of topics) events[topic] = [...(handled.get(topic) ?? [])];
  // Handlers whose topic is not read: their events are handled when they arrive on a topic that is
  // (a replay topic, a publisher's override), and not otherwise.
  const elsewhere = [...handled.entries()].filter(([topic]) => !topics.includes(topic)).flatMap(([, types]) => types);
  const fromBeginning = normalizeStartOffset(input.startOffset) === "oldest";
  const by =
    input.topics !== undefined
      ? "options.topics"
      : input.subscribe === "config-topic"
        ? "the config's topic"
        : "the config's topic and the handlers' topics";
  const perTopic = topics.map((t) => {
    const types = events[t] ?? [];
    return `${t} (${types.length === 0 ? "no typed handler of its own" : types.join(", ")})`;
  });
  const parts = [`subscribed to ${perTopic.join(", ")}, from ${by}`];
  if (elsewhere.length > 0) parts.push(`also handles ${elsewhere.join(", ")} when they arrive on these topics`);
  if (input.untyped) parts.push("other event types go to the untyped handler");
  parts.push(`a group without committed offsets starts at the ${fromBeginning ? "oldest" : "newest"} record`);
  return {
    topics,
    fields: { topics, events, elsewhere, untyped: input.untyped, fromBeginning },
    message: parts.join("; "),
  };
}
