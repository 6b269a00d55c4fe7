/**
 * Built-in consumer middleware (the Go guide's `LoggingConsumerMiddleware` and
 * `MetricsConsumerMiddleware`), plus tracing. Outcome counters and lag are recorded by the
 * consumer itself; this middleware adds per-attempt logs, durations and spans.
 */
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { messageHeader } from "../consumer/message.ts";
import type { ConsumedMessage, ConsumerMiddleware, HandlerContext } from "../consumer/types.ts";
import { classifyError, errorMessage } from "../errors/classify.ts";
import { HeaderName } from "../message/headers.ts";
import { type ConsumerMetrics, consumerMetrics } from "../observability/consumer-metrics.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { durationSinks } from "../observability/snapshot.ts";

/**
 * Logs every attempt: debug on success, warn (with the error class) on failure. The entry of a
 * success is built only when debug is enabled (`logger.isLevelEnabled`), and reads the three
 * headers it names, not all of them.
 */
export function loggingConsumerMiddleware(logger: Logger = defaultLogger()): ConsumerMiddleware {
  const log = logger.child({ component: "consumer" });
  const fields = (ctx: HandlerContext, message: ConsumedMessage) => ({
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    eventType: messageHeader(message, HeaderName.eventType),
    eventId: messageHeader(message, HeaderName.eventId),
    correlationId: messageHeader(message, HeaderName.correlationId),
    attempt: ctx.attempt,
  });
  return async (ctx, message, next) => {
    const started = performance.now();
    try {
      await next(ctx, message);
    } catch (error) {
      log.warn(
        { ...fields(ctx, message), errorClass: classifyError(error), err: errorMessage(error) },
        "handler failed",
      );
      throw error;
    }
    if (log.isLevelEnabled?.("debug") ?? true) {
      log.debug({ ...fields(ctx, message), ms: Math.round(performance.now() - started) }, "handled");
    }
  };
}

/**
 * Records each attempt's duration in `skeji_kafka_consumer_handler_duration_seconds`, by status.
 * A consumer that `use`s it also shows these durations in `getMetrics().handler`.
 */
export function metricsConsumerMiddleware(metrics: ConsumerMetrics = consumerMetrics()): ConsumerMiddleware {
  const layer: ConsumerMiddleware = async (ctx, message, next) => {
    const started = performance.now();
    let status: "ok" | ReturnType<typeof classifyError> = "ok";
    try {
      await next(ctx, message);
    } catch (error) {
      status = classifyError(error);
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.handlerDuration(message.topic, status, seconds);
      for (const sink of extra) sink(message.topic, status, seconds);
    }
  };
  // The consumers that use this layer add their tallies here.
  const extra = durationSinks(layer);
  return layer;
}

/** A CONSUMER span per attempt, continuing the producer's trace from the W3C `traceparent` header. */
export function tracingConsumerMiddleware(tracer: Tracer = trace.getTracer("@skeji/kafka")): ConsumerMiddleware {
  return (ctx, message, next) => {
    const parent = propagation.extract(context.active(), message.headers);
    return tracer.startActiveSpan(
      `${message.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "process",
          "messaging.destination.name": message.topic,
          "messaging.destination.partition.id": String(message.partition),
          "messaging.kafka.offset": Number(message.offset),
          "skeji.attempt": ctx.attempt,
          ...(message.headers[HeaderName.eventId]
            ? { "messaging.message.id": message.headers[HeaderName.eventId] }
            : {}),
          ...(message.headers[HeaderName.eventType]
            ? { "skeji.event_type": message.headers[HeaderName.eventType] }
            : {}),
        },
      },
      parent,
      async (span) => {
        try {
          await next(ctx, message);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
