/**
 * Records the consumer cannot route to a handler (and no untyped `handle()` handler takes), and
 * what it does with them (`ConsumerOptions.unknownEvents`). Two cases:
 *
 * - `untyped`: no `event-type` header, and what the consumer knows does not say which event the
 *   record is: its topic carries several events (registered, or named by the registered
 *   descriptors' `topicEvents`), or none is registered for it, and the record's
 *   `schema-fingerprint` (or Confluent schema id) names none of the registered ones. A topic that
 *   carries one event routes such a record to it and never gets here.
 * - `unhandled`: an `event-type` no handler is registered for.
 *
 * Each may be dead-lettered (`UNKNOWN_EVENT_TYPE` / `NO_HANDLER` in `dlq-error-type`, bytes kept
 * for a replay), skipped (committed) or held (`retry-later`: the partition waits, uncommitted,
 * until a consumer that knows the event takes over). Every occurrence is counted
 * (`skeji_kafka_consumer_unknown_events_total{topic,reason,action}`) and logged, at most one line
 * per topic and case a minute (the line says how many were not logged since the last one).
 */
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { ConsumerErrorCode } from "../errors/processing.ts";
import type { Logger } from "../observability/logger.ts";
import type { ConsumedMessage } from "./types.ts";

export type UnknownEventAction = "dead-letter" | "skip" | "retry-later";
export type UnknownEventReason = "untyped" | "unhandled";

/** One action for both cases, or one per case (a case left out keeps its default). */
export type UnknownEventsOption =
  | UnknownEventAction
  | { readonly untyped?: UnknownEventAction; readonly unhandled?: UnknownEventAction };

export type UnknownEventsPolicy = Readonly<Record<UnknownEventReason, UnknownEventAction>>;

/**
 * The defaults lose nothing this consumer was asked to handle. An untyped record may well be one
 * of its events: it is dead-lettered, never dropped (holding the partition instead would stop every
 * event behind a record no redeploy will make routable). A record whose `event-type` names an event
 * nobody registered is another service's business on a shared topic: it is skipped, as dead-lettering
 * would fill the DLQ with every event the service does not handle.
 */
export const defaultUnknownEvents: UnknownEventsPolicy = Object.freeze({ untyped: "dead-letter", unhandled: "skip" });

/** The policy an option asks for (`validateConsumerOptions` has checked it). */
export function unknownEventsPolicy(option: UnknownEventsOption | undefined): UnknownEventsPolicy {
  if (option === undefined) return defaultUnknownEvents;
  if (typeof option === "string") return { untyped: option, unhandled: option };
  return { ...defaultUnknownEvents, ...definedOnly(option) };
}

const definedOnly = (o: Partial<UnknownEventsPolicy>): Partial<UnknownEventsPolicy> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** Errors of records held by `retry-later` (a WeakSet: the error itself cannot be forged to claim it). */
const held = new WeakSet<object>();

/** Whether `e` is an unroutable record's error whose policy is `retry-later`. */
export const isHeldUnknownEvent = (e: unknown): boolean => typeof e === "object" && e !== null && held.has(e);

/**
 * The error that dead-letters (or, `retry-later`, holds) an unroutable record. `known` are the
 * registered events of its topic, `carried` every event the topic carries as far as their
 * descriptors say (`topicEvents`; at least `known`).
 */
export function unknownEventError(
  message: ConsumedMessage,
  reason: UnknownEventReason,
  eventType: string | undefined,
  known: readonly string[],
  action: Exclude<UnknownEventAction, "skip">,
  carried: readonly string[] = known,
): SkejiError {
  const error =
    reason === "untyped"
      ? new SkejiError(ErrorCode.UNKNOWN_EVENT_TYPE, untypedMessage(message.topic, known, carried), {
          details: { topic: message.topic, known, ...(carried.length > known.length ? { carried } : {}) },
        })
      : new SkejiError(
          ConsumerErrorCode.NO_HANDLER,
          `no handler for event type ${JSON.stringify(eventType)} on topic ${message.topic}`,
          { details: { topic: message.topic, eventType } },
        );
  if (action === "retry-later") held.add(error);
  return error;
}

function untypedMessage(topic: string, known: readonly string[], carried: readonly string[]): string {
  const head = "the record has no event-type header, and";
  if (known.length === 0) return `${head} no event is registered for topic ${topic}`;
  if (carried.length > known.length) {
    return `${head} topic ${topic} carries ${carried.length} events (${carried.join(", ")}), of which this consumer registers ${known.join(", ")}: nothing in the record says which it is`;
  }
  return `${head} topic ${topic} carries ${known.length} registered events (${known.join(", ")}): nothing in the record says which it is`;
}

export interface UnknownEventInfo {
  readonly message: ConsumedMessage;
  readonly reason: UnknownEventReason;
  readonly action: UnknownEventAction;
  /** The `event-type` header (`undefined` for an untyped record). */
  readonly eventType: string | undefined;
}

const logEveryMs = 60_000;

/**
 * Logs unroutable records: the first of a topic and case at once, then at most one line a minute
 * with the number left out since. Skipping a shared topic's other events is routine, so those
 * lines are `info`; an untyped record, or one dead-lettered or held, is `warn`.
 */
export function unknownEventLog(logger: Logger, now: () => number): (info: UnknownEventInfo) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return ({ message, reason, action, eventType }) => {
    const key = `${message.topic}\u0000${reason}`;
    const t = now();
    const seen = last.get(key);
    if (seen !== undefined && t - seen.at < logEveryMs) {
      seen.suppressed++;
      return;
    }
    last.set(key, { at: t, suppressed: 0 });
    const fields = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      reason,
      action,
      ...(eventType === undefined ? {} : { eventType }),
      ...(seen === undefined || seen.suppressed === 0 ? {} : { notLogged: seen.suppressed }),
    };
    const what = reason === "untyped" ? "record without a routable event-type" : "no handler for the event type";
    const done = action === "skip" ? "skipped" : action === "dead-letter" ? "dead-lettered" : "partition held";
    const text = `${what}; ${done} (unknownEvents)`;
    if (reason === "unhandled" && action === "skip") logger.info(fields, text);
    else logger.warn(fields, text);
  };
}
