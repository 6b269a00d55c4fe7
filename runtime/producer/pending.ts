/** One publish waiting in the batcher, from the call to its ack or error. */
import type { PartitionerName } from "../client/partitioners.ts";
import type { OutgoingHeaderValue, OutgoingRecord, RecordAck } from "../client/types.ts";
import { HeaderName } from "../message/headers.ts";
import type { ProducerMetrics } from "../observability/metrics.ts";
import type { EncodedValue, EventEncoder } from "../serde/types.ts";
import type { BatchItem } from "./batcher.ts";
import type { PublishDeadline } from "./deadline.ts";
import { recordBytes } from "./encode.ts";
import { payloadError } from "./errors.ts";
import type { PublishContext, PublishResult } from "./types.ts";

/**
 * One publish waiting in the batcher: one object per message, with prototype
 * methods rather than per-message closures (this is the hot path).
 */
export class Pending implements BatchItem {
  record: OutgoingRecord | undefined = undefined;
  bytes = 0;
  /** How the record's key picks its partition; the client's default when undefined. */
  partitioner: PartitionerName | undefined = undefined;
  failed?: boolean;
  cancelled?: boolean;
  /** The publish's signal and deadline, when it has any. */
  deadline: PublishDeadline | undefined = undefined;
  resolve: (result: PublishResult) => void = noop;
  reject: (error: unknown) => void = noop;
  /** Types and reports a failure before it rejects, for a publish run without middleware. */
  report: ((ctx: PublishContext, error: unknown) => unknown) | undefined = undefined;
  readonly topic: string;
  readonly eventId: string;
  private readonly started = performance.now();

  constructor(
    private readonly metrics: ProducerMetrics,
    /** False with acks=0: the broker does not answer, so nothing confirms the write. */
    private readonly acknowledged: boolean,
    readonly ctx: PublishContext,
    /** Set when the value is encoded at batch assembly. */
    private readonly encoder: EventEncoder | undefined,
    /** The encoder's schema headers this producer writes (see `schemaHeaderFilter`). */
    private readonly schemaHeaders: SchemaHeaderFilter = keepAll,
  ) {
    this.topic = ctx.topic;
    this.eventId =
      (ctx.rawHeaders === undefined ? undefined : headerText(ctx.rawHeaders[HeaderName.eventId])) ??
      ctx.headers[HeaderName.eventId] ??
      "";
  }

  setValue(value: Buffer | null): void {
    const { ctx } = this;
    const key = ctx.key === undefined || typeof ctx.key === "string" ? (ctx.key ?? null) : Buffer.from(ctx.key);
    const raw = ctx.rawHeaders;
    const headers = raw === undefined ? ctx.headers : { ...ctx.headers, ...raw };
    this.record = { key, value, headers, partition: ctx.partition, partitioner: this.partitioner };
    this.bytes = recordBytes(this.record);
  }

  build(): OutgoingRecord {
    let encoded: EncodedValue;
    try {
      encoded = (this.encoder as EventEncoder).encode(this.ctx.value, this.topic) as EncodedValue;
    } catch (error) {
      throw payloadError(error, this.ctx.descriptor?.type ?? this.topic);
    }
    this.setValue(withHeaders(this.ctx, encoded, this.schemaHeaders));
    return this.record as OutgoingRecord;
  }

  /** The promise `settle` settles (called once). */
  promise(): Promise<PublishResult> {
    capturing = this;
    return new Promise<PublishResult>(capture);
  }

  settle(ack: RecordAck | undefined, error: unknown): void {
    if (ack === undefined) {
      this.reject(this.report === undefined ? error : this.report(this.ctx, error));
      return;
    }
    this.metrics.latency(this.topic, (performance.now() - this.started) / 1000);
    this.resolve({
      eventId: this.eventId,
      topic: ack.topic,
      partition: ack.partition,
      offset: ack.offset,
      acknowledged: this.acknowledged,
    });
  }
}

const noop = (): void => {};

/**
 * The executor of every Pending's promise, taking its resolving functions into `capturing`: one
 * function for all publishes rather than a closure per publish. Executors run synchronously, so
 * `capturing` is always the Pending whose promise is being made.
 */
let capturing: Pending | undefined;
function capture(resolve: (result: PublishResult) => void, reject: (error: unknown) => void): void {
  const pending = capturing as Pending;
  pending.resolve = resolve;
  pending.reject = reject;
  capturing = undefined;
}
type SchemaHeaderFilter = (headers: EncodedValue["headers"]) => EncodedValue["headers"];
const keepAll: SchemaHeaderFilter = (headers) => headers;

/** The text of a raw header (its last value when repeated). */
function headerText(value: OutgoingHeaderValue | undefined): string | undefined {
  const last = typeof value === "object" && !Buffer.isBuffer(value) ? value[value.length - 1] : value;
  return last === undefined || typeof last === "string" ? last : last.toString("utf8");
}

export function withHeaders(
  ctx: PublishContext,
  encoded: EncodedValue,
  schemaHeaders: SchemaHeaderFilter = keepAll,
): Buffer {
  Object.assign(ctx.headers, schemaHeaders(encoded.headers));
  return encoded.value;
}
