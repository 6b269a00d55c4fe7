/**
 * A tour of @skeji/kafka against the local broker and registry (`npm run demo` starts them).
 *
 * The pipeline executor asks the bookings service to create bookings (request-response over
 * Kafka, typed both ways); the bookings service validates, replies with `booking.created`, turns
 * an impossible request into a business error, retries a request whose calendar lookup fails
 * for a moment (a transient error, retried with backoff), and a poison record lands in the
 * dead-letter topic with the reason while the consumer keeps going.
 */
import { randomUUID } from "node:crypto";
import {
  type ConsumedEvent,
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  createRequester,
  DlqHeader,
  HeaderName,
  isSkejiError,
  type Logger,
  newBusinessError,
  newTransientError,
  producerConfigFromEnv,
  reply,
  silentLogger,
} from "@skeji/kafka";
import { Kafka, logLevel } from "kafkajs";
import {
  BookingCreatedEvent,
  type BookingCreateRequested,
  BookingCreateRequestedEvent,
  onBookingCreateRequested,
  PipelineExecutorToBookingsTopic,
  publishBookingCreateRequested,
} from "../generated/index.ts";

process.env.KAFKA_BROKERS ??= "127.0.0.1:19092";
process.env.KAFKA_CLIENT_ID ??= "skeji-demo";
const run = randomUUID().slice(0, 8);
const dlqTopic = PipelineExecutorToBookingsTopic.dlqTopic ?? "dlq-domain-services";
const say = (line: string) => console.log(line);

// --- Topics (a real deployment creates them with its infrastructure) -----------------------------
const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(","), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  waitForLeaders: true,
  topics: [
    { topic: BookingCreateRequestedEvent.topic, numPartitions: 3 },
    { topic: BookingCreatedEvent.topic, numPartitions: 3 },
    { topic: dlqTopic, numPartitions: 1 },
  ],
});
await admin.disconnect();

// --- The bookings service ---------------------------------------------------------------------------
const serviceProducer = createProducer(producerConfigFromEnv(BookingCreatedEvent.topic), { logger: silentLogger });
const serviceConfig = {
  ...consumerConfigFromEnv(BookingCreateRequestedEvent.topic, `demo-bookings-service-${run}`),
  dlqTopic,
  maxRetries: 3,
};
const service = createConsumer(serviceConfig, {
  // Backoff without jitter, so that the demo prints the same delays every run: 200 ms, then 400 ms.
  retry: { initialDelayMs: 200, multiplier: 2, jitter: 0 },
  logger: retriesShown(serviceConfig.maxRetries),
});
/** The caller whose first two calendar lookups fail (step 5). */
const flakyPhone = "+972506789012";
onBookingCreateRequested(service, async (event: ConsumedEvent<BookingCreateRequested>) => {
  const { params } = event.payload;
  say(
    `  bookings-service  <- ${event.type} v${event.schemaVersion} for ${params.user_phone}, party of ${params.party_size}` +
      (event.attempt > 1 ? ` (attempt ${event.attempt})` : ""),
  );
  if (params.party_size > 20) throw newBusinessError(`no table for ${params.party_size}`, undefined);
  if (params.user_phone === flakyPhone && event.attempt <= 2) throw newTransientError("calendar service unavailable");
  const end = new Date(params.start_time.getTime() + params.duration_minutes * 60_000);
  await reply(serviceProducer, event, BookingCreatedEvent, {
    booking_id: randomUUID(),
    business_id: params.business_id,
    user_phone: params.user_phone,
    slot_date: new Date(Date.UTC(2025, 10, 18)),
    slot_start: 15 * 3_600_000,
    start_time: params.start_time,
    end_time: end,
    service: { id: params.service_id ?? "haircut", name: "Haircut", price: "85.50", currency: Buffer.from("ILS") },
    status: "CONFIRMED",
    created_at: new Date(),
    correlation_id: event.correlationId ?? null,
  });
});
const serviceRun = service.start();
await service.ready();

// --- The pipeline executor ------------------------------------------------------------------------
const executorProducer = createProducer(producerConfigFromEnv(BookingCreateRequestedEvent.topic), {
  logger: silentLogger,
});
const requester = await createRequester(consumerConfigFromEnv(BookingCreatedEvent.topic, `demo-executor-${run}`), {
  producer: executorProducer,
  replies: [BookingCreatedEvent],
  consumer: { logger: silentLogger },
});

say("1. Request-response: three bookings, each reply typed as booking.created");
const phones = ["+972501234567", "+972502345678", "+972503456789"];
const replies = await Promise.all(
  phones.map((user_phone, i) =>
    requester.request(
      BookingCreateRequestedEvent,
      {
        correlation_id: `corr-${run}-${i}`,
        action: "create_booking",
        params: { user_phone, business_id: "barber-7", start_time: new Date(Date.UTC(2025, 10, 18, 15, i * 30)) },
      },
      { reply: BookingCreatedEvent, timeoutMs: 15_000 },
    ),
  ),
);
for (const r of replies) {
  say(`  pipeline-executor -> booking ${r.payload.booking_id} ${r.payload.status}, ${r.payload.service.price} ILS`);
}

say("2. Validation before publish: nothing is sent");
try {
  // @ts-expect-error - the type already rejects this; the runtime rejects it too.
  await publishBookingCreateRequested(executorProducer, { correlation_id: "x", action: "create_booking", params: {} });
} catch (e) {
  if (!isSkejiError(e)) throw e;
  say(`  rejected: ${e.code}: ${e.message}`);
}

say("3. A business error (party of 40): logged and committed, not retried, not dead-lettered");
await publishBookingCreateRequested(executorProducer, {
  correlation_id: `corr-${run}-big`,
  action: "create_booking",
  params: { user_phone: "+972504567890", business_id: "barber-7", start_time: new Date(), party_size: 40 },
});

say("4. A poison record (not Avro): dead-lettered with the reason; the consumer keeps going");
const raw = kafka.producer();
await raw.connect();
await raw.send({
  topic: BookingCreateRequestedEvent.topic,
  messages: [
    {
      key: `poison-${run}`,
      value: Buffer.from("{not avro"),
      headers: { [HeaderName.eventType]: BookingCreateRequestedEvent.type, [HeaderName.schemaVersion]: "2" },
    },
  ],
});
await raw.disconnect();
const dead = await readDeadLetter(`poison-${run}`);
say(`  ${dlqTopic}: ${DlqHeader.error}="${dead[DlqHeader.error]}"`);
say(
  `  from ${dead[DlqHeader.originalTopic]} partition ${dead[DlqHeader.originalPartition]} offset ${dead[DlqHeader.originalOffset]}`,
);

const after = await requester.request(
  BookingCreateRequestedEvent,
  {
    correlation_id: `corr-${run}-after`,
    action: "create_booking",
    params: { user_phone: "+972505678901", business_id: "barber-7", start_time: new Date() },
  },
  { reply: BookingCreatedEvent, timeoutMs: 15_000 },
);
say(`  and the next request is served: booking ${after.payload.booking_id}`);

say("5. A transient failure (the calendar is briefly unavailable): retried in-process with backoff, then served");
const retried = await requester.request(
  BookingCreateRequestedEvent,
  {
    correlation_id: `corr-${run}-flaky`,
    action: "create_booking",
    params: { user_phone: flakyPhone, business_id: "barber-7", start_time: new Date() },
  },
  { reply: BookingCreatedEvent, timeoutMs: 15_000 },
);
say(`  pipeline-executor -> booking ${retried.payload.booking_id} ${retried.payload.status} on the third attempt`);

say("6. Graceful shutdown: in-flight work finishes, offsets are committed, the group is left");
await requester.close();
await service.stop();
await serviceRun;
await Promise.all([serviceProducer.close(), executorProducer.close()]);
say("done");

/** A logger that prints the consumer's retries of transient failures, and nothing else. */
function retriesShown(maxRetries: number): Logger {
  const quiet = () => {};
  const logger: Logger = {
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (fields, message) => {
      if (message !== "transient error; retrying") return;
      const { attempt, delayMs, err } = fields as { attempt: number; delayMs: number; err: string };
      say(`  bookings-service  attempt ${attempt} failed (${err}): retry ${attempt} of ${maxRetries} in ${delayMs} ms`);
    },
    child: () => logger,
  };
  return logger;
}

async function readDeadLetter(key: string): Promise<Record<string, string>> {
  const reader = kafka.consumer({ groupId: `demo-dlq-reader-${run}` });
  await reader.connect();
  await reader.subscribe({ topic: dlqTopic, fromBeginning: true });
  const found = new Promise<Record<string, string>>((resolve) => {
    void reader.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== key) return;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        resolve(headers);
      },
    });
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("the poison record did not reach the DLQ within 30s")), 30_000).unref(),
  );
  try {
    return await Promise.race([found, timeout]);
  } finally {
    await reader.disconnect();
  }
}
