/**
 * Producer middleware: composition and the built-in layers (logging, metrics, tracing).
 * Outcome counts and publish-to-ack latency are recorded by the producer itself, so failures of
 * async publishes are counted too; the metrics middleware adds the duration of whole calls.
 */
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { isSkejiError } from "../errors/base.ts";
import { HeaderName } from "../message/headers.ts";
import { defaultLogger, type Logger } from "../observability/logger.ts";
import { type ProducerMetrics, producerMetrics } from "../observability/metrics.ts";
import { durationSinks } from "../observability/snapshot.ts";
import type { ProducerMiddleware, PublishNext } from "../producer/types.ts";

/** Wraps `terminal` in `middleware`, the first element outermost. */
export function composeProducerMiddleware(
  middleware: readonly ProducerMiddleware[],
  terminal: PublishNext,
): PublishNext {
  let next = terminal;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const layer = middleware[i] as ProducerMiddleware;
    const inner = next;
    next = (ctx) => layer(ctx, inner);
  }
  return next;
}

/** Logs every publish: debug on success, error (with the error code) on failure. */
export function loggingProducerMiddleware(logger: Logger = defaultLogger()): ProducerMiddleware {
  const log = logger.child({ component: "producer" });
  return async (ctx, next) => {
    const fields = {
      topic: ctx.topic,
      eventType: ctx.headers[HeaderName.eventType],
      eventId: ctx.headers[HeaderName.eventId],
      correlationId: ctx.headers[HeaderName.correlationId],
    };
    try {
      const result = await next(ctx);
      if (log.isLevelEnabled?.("debug") ?? true) {
        log.debug({ ...fields, partition: result.partition, offset: result.offset }, "published");
      }
      return result;
    } catch (error) {
      log.error({ ...fields, code: isSkejiError(error) ? error.code : undefined, err: error }, "publish failed");
      throw error;
    }
  };
}

/**
 * The Go guide's `MetricsProducerMiddleware`: records the duration of each publish call as its
 * caller sees it - the layers inside this one, encoding, batching and the broker's answer - in
 * `skeji_kafka_producer_publish_call_duration_seconds{topic, status}`, status `ok` or the error
 * code. In async mode a call ends when the message is queued. A producer that `use`s it also
 * shows these durations in `getMetrics().calls`.
 */
export function metricsProducerMiddleware(metrics: ProducerMetrics = producerMetrics()): ProducerMiddleware {
  const layer: ProducerMiddleware = async (ctx, next) => {
    const started = performance.now();
    const topic = ctx.topic;
    let status = "ok";
    try {
      return await next(ctx);
    } catch (error) {
      status = isSkejiError(error) ? error.code : "ERROR";
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.publishDuration?.(topic, status, seconds);
      for (const sink of extra) sink(topic, status, seconds);
    }
  };
  // The producers that use this layer add their tallies here.
  const extra = durationSinks(layer);
  return layer;
}

/**
 * Starts a PRODUCER span per publish and injects the trace context into the
 * message headers (W3C `traceparent`), so consumers continue the trace. Without
 * an OpenTelemetry SDK registered this costs next to nothing.
 */
export function tracingProducerMiddleware(tracer: Tracer = trace.getTracer("@skeji/kafka")): ProducerMiddleware {
  return (ctx, next) =>
    tracer.startActiveSpan(
      `${ctx.topic} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "publish",
          "messaging.destination.name": ctx.topic,
          ...(typeof ctx.key === "string" ? { "messaging.kafka.message.key": ctx.key } : {}),
          ...(ctx.headers[HeaderName.eventId] ? { "messaging.message.id": ctx.headers[HeaderName.eventId] } : {}),
          ...(ctx.headers[HeaderName.eventType] ? { "skeji.event_type": ctx.headers[HeaderName.eventType] } : {}),
        },
      },
      async (span) => {
        // From the span itself: without a context manager registered, `context.active()` would not hold it.
        propagation.inject(trace.setSpan(context.active(), span), ctx.headers);
        try {
          const result = await next(ctx);
          if (result.partition !== undefined)
            span.setAttribute("messaging.destination.partition.id", String(result.partition));
          if (result.offset !== undefined) span.setAttribute("messaging.kafka.offset", Number(result.offset));
          return result;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: isSkejiError(error) ? error.code : String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
}
