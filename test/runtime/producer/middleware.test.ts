/**
 * The built-in producer middleware against the real broker: tracing (with a
 * recording tracer and propagator standing in for an OpenTelemetry SDK) and logging.
 */
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProducer,
  defineEvent,
  type Logger,
  loggingProducerMiddleware,
  type Producer,
  producerMetrics,
  silentLogger,
  tracingProducerMiddleware,
} from "../../../runtime/index.ts";
import { uniqueName } from "../../infra/env.ts";
import { booking, bookingEvent, defined, header, newTopic, readRecords, testConfig } from "./support.ts";

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

function producerFor(topic: string): Producer {
  const p = createProducer(testConfig(topic), { logger: silentLogger, metrics: producerMetrics(new Registry()) });
  open.push(p);
  return p;
}

interface Recorded {
  name: string;
  kind: SpanKind | undefined;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode; message?: string } | undefined;
  exceptions: unknown[];
  ended: boolean;
}

/** A tracer that records spans; its span context is valid, so it can be propagated. */
function recordingTracer(): { tracer: Tracer; spans: Recorded[] } {
  const spans: Recorded[] = [];
  const tracer = {
    startSpan(name: string, options?: SpanOptions): Span {
      const r: Recorded = {
        name,
        kind: options?.kind,
        attributes: { ...options?.attributes },
        status: undefined,
        exceptions: [],
        ended: false,
      };
      spans.push(r);
      const span: Span = {
        spanContext: () => ({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 }),
        setAttribute: (k, v) => {
          r.attributes[k] = v;
          return span;
        },
        setAttributes: (a) => {
          Object.assign(r.attributes, a);
          return span;
        },
        addEvent: () => span,
        addLink: () => span,
        addLinks: () => span,
        setStatus: (s) => {
          r.status = s;
          return span;
        },
        updateName: () => span,
        end: () => {
          r.ended = true;
        },
        isRecording: () => true,
        recordException: (e) => {
          r.exceptions.push(e);
        },
      };
      return span;
    },
    startActiveSpan(name: string, ...rest: unknown[]) {
      const fn = rest[rest.length - 1] as (span: Span) => unknown;
      const options = (rest.length > 1 ? rest[0] : undefined) as SpanOptions | undefined;
      const span = tracer.startSpan(name, options);
      return context.with(trace.setSpan(context.active(), span), () => fn(span));
    },
  } as Tracer;
  return { tracer, spans };
}

/** Writes a W3C-style traceparent from the active span (what an SDK's propagator does). */
const traceparent: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown) {
    const sc = trace.getSpanContext(ctx);
    if (sc !== undefined) (carrier as Record<string, string>).traceparent = `00-${sc.traceId}-${sc.spanId}-01`;
  },
  extract: (ctx) => ctx,
  fields: () => ["traceparent"],
};

describe("tracingProducerMiddleware", () => {
  it("records a PRODUCER span per publish and injects the trace context into the headers", async () => {
    propagation.setGlobalPropagator(traceparent);
    try {
      const topic = await newTopic("mw-trace");
      const { tracer, spans } = recordingTracer();
      const result = await producerFor(topic)
        .use(tracingProducerMiddleware(tracer))
        .publishEvent(bookingEvent(topic), booking(1));
      expect(spans).toHaveLength(1);
      expect(spans[0]).toMatchObject({
        name: `${topic} publish`,
        kind: SpanKind.PRODUCER,
        ended: true,
        status: undefined,
        attributes: {
          "messaging.system": "kafka",
          "messaging.destination.name": topic,
          "messaging.kafka.message.key": "+972500001",
          "messaging.message.id": result.eventId,
          "skeji.event_type": "booking.created",
          "messaging.destination.partition.id": String(result.partition),
          "messaging.kafka.offset": Number(result.offset),
        },
      });
      const [record] = await readRecords(topic, 1);
      expect(header(defined(record), "traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    } finally {
      propagation.disable();
    }
  });

  it("marks the span as failed with the error code", async () => {
    const missing = uniqueName("missing");
    const { tracer, spans } = recordingTracer();
    const p = producerFor(missing).use(tracingProducerMiddleware(tracer));
    await expect(p.publishEvent(bookingEvent(missing), booking(1))).rejects.toMatchObject({ code: "PUBLISH_FAILED" });
    expect(spans[0]).toMatchObject({ ended: true, status: { code: SpanStatusCode.ERROR, message: "PUBLISH_FAILED" } });
    expect(spans[0]?.exceptions).toHaveLength(1);
  });
});

describe("loggingProducerMiddleware", () => {
  function recordingLogger(): { logger: Logger; lines: { level: string; obj: object; msg?: string | undefined }[] } {
    const lines: { level: string; obj: object; msg?: string | undefined }[] = [];
    const at =
      (level: string) =>
      (obj: object, msg?: string): void => {
        lines.push({ level, obj, msg });
      };
    const logger: Logger = {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: () => logger,
    };
    return { logger, lines };
  }

  it("logs each publish at debug with where it landed, and failures at error with the code", async () => {
    const topic = await newTopic("mw-log");
    const { logger, lines } = recordingLogger();
    const p = producerFor(topic).use(loggingProducerMiddleware(logger));
    const result = await p.publishEvent(bookingEvent(topic), booking(1), { correlationId: "corr-9" });
    expect(lines).toEqual([
      {
        level: "debug",
        msg: "published",
        obj: {
          topic,
          eventType: "booking.created",
          eventId: result.eventId,
          correlationId: "corr-9",
          partition: 0,
          offset: "0",
        },
      },
    ]);
    await p.publishEvent(bookingEvent(topic), { booking_id: "x", params: {} } as never).catch(() => {});
    expect(lines[1]).toMatchObject({ level: "error", msg: "publish failed", obj: { code: "INVALID_PAYLOAD" } });
  });
});

describe("custom middleware", () => {
  it("may supply the key a payload lacks; without it the publish fails inside the chain", async () => {
    const topic = await newTopic("mw-key");
    const seen: string[] = [];
    const p = producerFor(topic).use(async (ctx, next) => {
      try {
        return await next(ctx);
      } catch (error) {
        seen.push((error as { code: string }).code);
        throw error;
      }
    });
    const noKey = { booking_id: "b-1", params: { start_time: "2025-11-18T15:00:00Z" } } as never;
    await expect(p.publishEvent(bookingEvent(topic), noKey)).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    expect(seen).toEqual(["INVALID_PAYLOAD"]);

    // An event keyed by a field the payload does not carry: a middleware supplies the key.
    const keyedByTenant = defineEvent({ ...bookingEvent(topic), keyField: "tenant" });
    await expect(p.publishEvent(keyedByTenant, booking(2))).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    p.use(async (ctx, next) => {
      ctx.key ??= "tenant-acme";
      return next(ctx);
    });
    await p.publishEvent(keyedByTenant, booking(3));
    const [record] = await readRecords(topic, 1);
    expect(defined(record).key?.toString()).toBe("tenant-acme");
  });
});
