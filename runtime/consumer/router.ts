/**
 * Routing: which handler gets a message, and decoding it into the reader type first.
 *
 * - `on(descriptor)` handlers win over `onTopic(topic)` handlers for the same event type.
 * - A message whose `event-type` names no registered event goes to the untyped handler if
 *   there is one; otherwise `unknownEvents` says what happens (`unknown-events.ts`; skipped by
 *   default: topics carry several event types and a service usually handles a few).
 * - A message without `event-type` is decoded against every event registered for its topic:
 *   on a topic that carries one event, it is that event (a Go service that sets no event type on
 *   a single-event topic); on a topic that carries several - registered, or named by the
 *   descriptors' `topicEvents` though only some are registered - the decoder may recognise it by
 *   schema fingerprint or schema id. When nothing says which it is, the untyped handler takes it,
 *   or `unknownEvents` decides (dead-lettered by default: it may be one of this service's events).
 * - A registered event type arriving on another topic than its descriptor's (the publisher
 *   overrode the topic) is routed to its handler all the same.
 */
import { type AnyEventDescriptor, carriesOtherEvents, type TopicDescriptor } from "../descriptor.ts";
import { ErrorCode, isSkejiError } from "../errors/base.ts";
import { HeaderName } from "../message/headers.ts";
import { type HeaderMatcher, headerMatcher } from "./header-match.ts";
import { consumedEvent, messageHeader } from "./message.ts";
import type { ConsumedEvent, ConsumedMessage, HandlerContext, MessageHandler } from "./types.ts";
import {
  type UnknownEventInfo,
  type UnknownEventReason,
  type UnknownEventsPolicy,
  unknownEventError,
} from "./unknown-events.ts";

export interface DecodedRecord {
  readonly descriptor: AnyEventDescriptor;
  /** The writer's schema version. */
  readonly version: number;
  /** The payload in the reader (latest) version's shape. */
  readonly payload: unknown;
}

/**
 * Decodes a record into one of `candidates`; throws a classified SkejiError when it cannot.
 * `eventType` is the record's `event-type` header, as the router already read it.
 */
export type DecodeFn = (
  message: ConsumedMessage,
  candidates: readonly AnyEventDescriptor[],
  eventType?: string,
) => Promise<DecodedRecord> | DecodedRecord;

// biome-ignore lint/suspicious/noExplicitAny: handlers of every payload type live in one table.
type AnyEventHandler = (event: ConsumedEvent<any>) => Promise<void> | void;

export type RouteResult = "handled" | "skipped";

interface LastType {
  readonly topic: string;
  readonly type: string;
  readonly candidates: readonly AnyEventDescriptor[];
  readonly matches: HeaderMatcher;
}

export class Router {
  private readonly byType = new Map<string, { descriptor: AnyEventDescriptor; handler: AnyEventHandler }>();
  private readonly byTopic = new Map<string, AnyEventDescriptor[]>();
  private generic: MessageHandler | undefined;
  /** Per topic, per event type (undefined: no `event-type` header): no key string built per message. */
  private readonly candidateCache = new Map<string, Map<string | undefined, readonly AnyEventDescriptor[]>>();
  private candidateCount = 0;
  private readonly dlqTopics = new Map<string, string>();
  private last: LastType | undefined;
  /** Header matchers of registered event types (bounded by what was registered). */
  private readonly matchers = new Map<string, HeaderMatcher>();

  constructor(
    private readonly decode: DecodeFn,
    private readonly unknownEvents: UnknownEventsPolicy,
    /** Told of every record routed by the `unknownEvents` policy (metrics, log). */
    private readonly onUnknown: (info: UnknownEventInfo) => void = () => {},
  ) {}

  /** Per topic with a handler, the registered event types its descriptors name. */
  handledTypes(): Map<string, string[]> {
    return new Map([...this.byTopic].map(([topic, list]) => [topic, list.map((d) => d.type)]));
  }

  hasGeneric(): boolean {
    return this.generic !== undefined;
  }

  addEvent(descriptor: AnyEventDescriptor, handler: AnyEventHandler, replace = true): void {
    this.clearCandidates();
    if (!replace && this.byType.has(descriptor.type)) return;
    this.byType.set(descriptor.type, { descriptor, handler });
    if (descriptor.dlqTopic !== undefined && !this.dlqTopics.has(descriptor.topic)) {
      this.dlqTopics.set(descriptor.topic, descriptor.dlqTopic);
    }
    const list = this.byTopic.get(descriptor.topic) ?? [];
    if (!list.includes(descriptor)) list.push(descriptor);
    this.byTopic.set(descriptor.topic, list);
  }

  /** The dead-letter topic the registered topic or event descriptors name for `topic`, if any. */
  dlqTopicOf(topic: string): string | undefined {
    return this.dlqTopics.get(topic);
  }

  addTopic(topic: TopicDescriptor, handler: AnyEventHandler): void {
    this.clearCandidates();
    if (topic.dlqTopic !== undefined) this.dlqTopics.set(topic.topic, topic.dlqTopic);
    for (const d of topic.events) this.addEvent(d, handler, false);
    if (!this.byTopic.has(topic.topic)) this.byTopic.set(topic.topic, []);
  }

  setGeneric(handler: MessageHandler): void {
    this.generic = handler;
  }

  private clearCandidates(): void {
    this.candidateCache.clear();
    this.candidateCount = 0;
    this.last = undefined;
  }

  /** The event type of the last record routed, for the next one (registered types only). */
  private remember(topic: string, type: string, candidates: readonly AnyEventDescriptor[]): void {
    let matches = this.matchers.get(type);
    if (matches === undefined) {
      matches = headerMatcher(type);
      this.matchers.set(type, matches);
    }
    this.last = { topic, type, candidates, matches };
  }

  /** The descriptors a record of `topic` with event type `type` may be (cached: called per message). */
  private candidates(topic: string, type: string | undefined): readonly AnyEventDescriptor[] {
    let cached = this.candidateCache.get(topic);
    let hit = cached?.get(type);
    if (hit === undefined) {
      hit = (this.byTopic.get(topic) ?? []).filter((d) => type === undefined || d.type === type);
      // An event published to another topic than its descriptor's (a publish-time topic override).
      const byType = type === undefined ? undefined : this.byType.get(type);
      if (hit.length === 0 && byType !== undefined) hit = [byType.descriptor];
      if (this.candidateCount < 10_000) {
        if (cached === undefined) {
          cached = new Map();
          this.candidateCache.set(topic, cached);
        }
        cached.set(type, hit);
        this.candidateCount++;
      }
    }
    return hit;
  }

  /**
   * Decodes and hands `message` to its handler. Synchronous when the decoder and the handler
   * are (no promise per message then); may throw synchronously: callers await it in a try.
   */
  route(ctx: HandlerContext, message: ConsumedMessage): RouteResult | Promise<RouteResult> {
    // Consecutive records of one topic and event type (the common case) are recognised by
    // comparing the header bytes with the last one's, without decoding them or looking anything up.
    const last = this.last;
    let type: string | undefined;
    let candidates: readonly AnyEventDescriptor[];
    if (last !== undefined && last.topic === message.topic && last.matches(message.rawHeaders["event-type"])) {
      type = last.type;
      candidates = last.candidates;
    } else {
      type = messageHeader(message, HeaderName.eventType);
      candidates = this.candidates(message.topic, type);
      if (type !== undefined && this.byType.has(type)) this.remember(message.topic, type, candidates);
    }
    if (candidates.length === 0) return this.unrouted(ctx, message, type, type === undefined ? "untyped" : "unhandled");
    if (type === undefined && (candidates.length > 1 || carriesOtherEvents(candidates[0] as AnyEventDescriptor))) {
      return this.routeUntyped(ctx, message, candidates);
    }
    const decoded = this.decode(message, candidates, type);
    return isThenable(decoded)
      ? Promise.resolve(decoded).then((d) => this.deliver(ctx, message, d))
      : this.deliver(ctx, message, decoded);
  }

  private deliver(
    ctx: HandlerContext,
    message: ConsumedMessage,
    decoded: DecodedRecord,
  ): RouteResult | Promise<RouteResult> {
    const entry = this.byType.get(decoded.descriptor.type);
    if (entry === undefined) return "skipped";
    const done = entry.handler(consumedEvent(ctx, message, decoded.descriptor.type, decoded.payload, decoded.version));
    return isThenable(done) ? Promise.resolve(done).then(handled) : "handled";
  }

  /** A record without `event-type` on a topic that carries several events: the decoder may still tell which. */
  private routeUntyped(
    ctx: HandlerContext,
    message: ConsumedMessage,
    candidates: readonly AnyEventDescriptor[],
  ): RouteResult | Promise<RouteResult> {
    const unrecognised = (e: unknown): Promise<RouteResult> => {
      if (!isSkejiError(e, ErrorCode.UNKNOWN_EVENT_TYPE)) throw e;
      return this.unrouted(ctx, message, undefined, "untyped", candidates);
    };
    let decoded: DecodedRecord | Promise<DecodedRecord>;
    try {
      decoded = this.decode(message, candidates, undefined);
    } catch (e) {
      return unrecognised(e);
    }
    return isThenable(decoded)
      ? Promise.resolve(decoded).then((d) => this.deliver(ctx, message, d), unrecognised)
      : this.deliver(ctx, message, decoded);
  }

  private async unrouted(
    ctx: HandlerContext,
    message: ConsumedMessage,
    type: string | undefined,
    reason: UnknownEventReason,
    candidates: readonly AnyEventDescriptor[] = [],
  ): Promise<RouteResult> {
    if (this.generic !== undefined) {
      await this.generic(ctx, message);
      return "handled";
    }
    const action = this.unknownEvents[reason];
    this.onUnknown({ message, reason, action, eventType: type });
    if (action === "skip") return "skipped";
    throw unknownEventError(
      message,
      reason,
      type,
      candidates.map((d) => d.type),
      action,
      [...new Set(candidates.flatMap((d) => d.topicEvents ?? [d.type]))],
    );
  }
}

const handled = (): RouteResult => "handled";
const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
