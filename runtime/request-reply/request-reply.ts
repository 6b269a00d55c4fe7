/**
 * Request-response over Kafka (the Go guide's advanced section), typed.
 *
 * `request(event, payload, { reply, replyTopic, timeoutMs })` publishes the request with a fresh
 * `correlation-id` and a `reply-to` header naming the reply topic, and resolves with the first
 * reply event carrying the same correlation id. The requester listens on the reply topic in a
 * consumer group of its own (every requester instance sees every reply; replies for other
 * instances are skipped), starting at the newest offset, and commits no offset in it: it only
 * wants replies to its own in-flight requests, so its position is kept in memory (the consumer
 * option `offsets: "memory"`: a rejoin resumes after the last reply read, so a reply published
 * meanwhile is not missed), and a process that dies without `close()` leaves an empty group with
 * no offsets, which the broker soon deletes. A reply that does not arrive within `timeoutMs`
 * rejects with REQUEST_TIMEOUT; `close()` rejects what is still pending with CONSUMER_CLOSED and
 * deletes the requester's group (it is one per requester); if the reply consumer fails or stops
 * on its own, every pending request rejects at once with CONSUMER_CLOSED (the failure as cause),
 * as does every later request. Pending requests are removed on every path, so none leak.
 *
 * A responder replies from a handler with `reply(producer, requestEvent, ReplyEvent, payload)`.
 */
import { randomUUID } from "node:crypto";
import type { ConsumerConfig } from "../config/types.ts";
import { type ConsumerOptions, consumerKafka, createConsumer } from "../consumer/consumer.ts";
import type { ConsumerKafka } from "../consumer/kafkajs-api.ts";
import type { ConsumedEvent, ConsumedEventBase } from "../consumer/types.ts";
import type { AnyEventDescriptor, InitOf, PayloadOf } from "../descriptor.ts";
import { SkejiError } from "../errors/base.ts";
import { ConsumerErrorCode } from "../errors/processing.ts";
import { defaultLogger } from "../observability/logger.ts";
import type { Producer, PublishResult } from "../producer/types.ts";

/** Header naming the topic a reply should go to. */
export const replyToHeader = "reply-to";

export interface RequestOptions<R extends AnyEventDescriptor> {
  /** The reply event type. */
  readonly reply: R;
  /** Where replies are expected; default the reply event's topic. Must be one the requester listens on. */
  readonly replyTopic?: string;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Default a random UUID. */
  readonly correlationId?: string;
  readonly conversationId?: string;
  /**
   * Aborts the request: waiting for the reply, and the request's publish if it is still under
   * way (rejects with ABORTED; for the publish, `details.sent` says whether it may be written).
   */
  readonly signal?: AbortSignal;
}

export interface Requester {
  request<D extends AnyEventDescriptor, R extends AnyEventDescriptor>(
    event: D,
    payload: InitOf<D>,
    options: RequestOptions<R>,
  ): Promise<ConsumedEvent<PayloadOf<R>>>;
  /** Number of requests waiting for a reply. */
  pending(): number;
  /** Stops listening; pending requests reject with CONSUMER_CLOSED. */
  close(): Promise<void>;
}

export interface RequesterOptions {
  readonly producer: Producer;
  /** Every reply event this requester may receive; their topics are the reply topics listened on. */
  readonly replies: readonly AnyEventDescriptor[];
  /** Reply topics beyond the reply events' own topics. */
  readonly replyTopics?: readonly string[];
  /** Options of the reply consumer; its offsets are always kept in memory (`offsets: "memory"`). */
  readonly consumer?: Omit<ConsumerOptions, "offsets">;
}

interface Waiter {
  readonly reply: AnyEventDescriptor;
  readonly resolve: (event: ConsumedEvent<unknown>) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Creates a requester and waits until it listens on its reply topics. `config` supplies the
 * cluster settings; its topic, group and start offset are replaced (a unique group, newest offset).
 */
export async function createRequester(config: ConsumerConfig, options: RequesterOptions): Promise<Requester> {
  const waiters = new Map<string, Waiter>();
  const topics = [...new Set([...options.replies.map((r) => r.topic), ...(options.replyTopics ?? [])])];
  const [first, ...rest] = topics;
  if (first === undefined) throw new SkejiError("INVALID_CONFIG", "a requester needs at least one reply event");
  const groupId = `${config.groupId}-replies-${randomUUID()}`;
  const logger = (options.consumer?.logger ?? defaultLogger()).child({ component: "requester", groupId });
  const kafka = options.consumer?.kafka ?? consumerKafka(config, logger);
  const consumer = createConsumer(
    {
      ...config,
      topic: first,
      groupId,
      startOffset: "newest",
      dlqTopic: undefined,
      maxRetries: 0,
    },
    // Replies that cannot be read are not the requester's to keep: skipped, never holding the partition.
    { unknownEvents: "skip", withoutDlq: "skip", ...options.consumer, kafka, offsets: "memory" },
  );
  const deliver = (event: ConsumedEventBase & { type: string; payload: unknown }): void => {
    const id = event.correlationId;
    const waiter = id === undefined ? undefined : waiters.get(id);
    if (id === undefined || waiter === undefined || waiter.reply.type !== event.type) return; // not ours
    waiters.delete(id);
    waiter.resolve(event);
  };
  for (const reply of options.replies) consumer.on(reply, deliver);
  // Replies on extra topics with no descriptor of their own are ignored.
  if (rest.length > 0) consumer.handle(() => {});
  const closedError = () => new SkejiError(ConsumerErrorCode.CONSUMER_CLOSED, "the requester was closed");
  let closed = false;
  /** Set when the reply consumer failed or stopped without close(): no reply can arrive any more. */
  let failure: SkejiError | undefined;
  const rejectAll = (error: unknown): void => {
    for (const [id, w] of waiters) {
      waiters.delete(id);
      w.reject(error);
    }
  };
  const running = consumer.start();
  running.then(
    () => {
      if (closed) return;
      failure = new SkejiError(ConsumerErrorCode.CONSUMER_CLOSED, "the requester's reply consumer stopped");
      rejectAll(failure);
    },
    (e: unknown) => {
      if (closed) return;
      failure = new SkejiError(ConsumerErrorCode.CONSUMER_CLOSED, "the requester's reply consumer failed", {
        cause: e,
      });
      logger.error({ err: String(e) }, "reply consumer failed; pending requests rejected");
      rejectAll(failure);
    },
  );
  await Promise.race([consumer.ready(), running]);

  return {
    pending: () => waiters.size,
    async request(event, payload, opts) {
      if (closed) throw closedError();
      if (failure !== undefined) throw failure;
      const correlationId = opts.correlationId ?? randomUUID();
      const replyTopic = opts.replyTopic ?? opts.reply.topic;
      if (!topics.includes(replyTopic)) {
        throw new SkejiError("INVALID_CONFIG", `the requester does not listen on reply topic ${replyTopic}`);
      }
      const timeoutMs = opts.timeoutMs ?? 30_000;
      if (opts.signal?.aborted)
        throw new SkejiError("ABORTED", "the request was aborted", { cause: opts.signal.reason });
      const replied = new Promise<ConsumedEvent<unknown>>((resolve, reject) => {
        waiters.set(correlationId, { reply: opts.reply, resolve, reject });
      });
      replied.catch(() => {}); // settled while the publish is in flight; awaited below
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(correlationId);
        opts.signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        waiters
          .get(correlationId)
          ?.reject(new SkejiError("ABORTED", "the request was aborted", { cause: opts.signal?.reason }));
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(() => {
        waiters.get(correlationId)?.reject(
          new SkejiError(ConsumerErrorCode.REQUEST_TIMEOUT, `no reply to ${event.type} within ${timeoutMs} ms`, {
            details: { correlationId, eventType: event.type, replyTopic, timeoutMs },
          }),
        );
      }, timeoutMs);
      try {
        await options.producer.publishEvent(event, payload, {
          correlationId,
          ...(opts.conversationId === undefined ? {} : { conversationId: opts.conversationId }),
          headers: { [replyToHeader]: replyTopic },
          // Aborting the request aborts its publish too (ABORTED says whether the request was sent).
          signal: opts.signal,
        });
        return (await replied) as ConsumedEvent<PayloadOf<typeof opts.reply>>;
      } finally {
        cleanup();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      rejectAll(closedError());
      await consumer.stop();
      await running.catch(() => {});
      await deleteGroup(kafka, groupId, logger);
    },
  };
}

/** Deletes the requester's consumer group (its members have left); failures are logged, not thrown. */
async function deleteGroup(
  kafka: ConsumerKafka,
  groupId: string,
  logger?: { warn(o: object, m: string): void },
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch (e) {
    logger?.warn({ err: String(e) }, "could not delete the requester's consumer group");
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Replies to a request from inside a handler: publishes `payload` as `replyEvent` to the
 * request's `reply-to` topic (else the reply event's topic), with the request's correlation id.
 */
export function reply<R extends AnyEventDescriptor>(
  producer: Producer,
  request: ConsumedEventBase,
  replyEvent: R,
  payload: InitOf<R>,
): Promise<PublishResult> {
  if (request.correlationId === undefined) {
    return Promise.reject(new SkejiError("INVALID_MESSAGE", "the request carries no correlation-id to reply to"));
  }
  return producer.publishEvent(replyEvent, payload, {
    correlationId: request.correlationId,
    topic: request.headers[replyToHeader] ?? replyEvent.topic,
    ...(request.conversationId === undefined ? {} : { conversationId: request.conversationId }),
  });
}
