/**
 * The record shapes only Go services write, read by the SDK's typed handlers: nil slices and maps
 * (JSON null for an array or map field) and records without an `event-type` header on a topic with
 * one event type. The Go side writes them exactly as a Go service does (test/interop/go/:
 * encoding/json of nil slices and maps, no WithEventType). Local-time `timestamp` headers, which
 * the SDK reads already, are tested in go.test.ts.
 * Without the SDK's lenient reading (JSON null as an empty array or map, routing without
 * event-type) every test here fails: the records are dead-lettered or skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayMessageReceived } from "../../generated/gateway.message.received.ts";
import { LlmConversationTurnEvent } from "../../generated/llm.conversation.turn.ts";
import { defineEvent, type TopicDescriptor } from "../../runtime/index.ts";
import { brokers } from "../infra/env.ts";
import { Fixture } from "../runtime/consumer/helpers.ts";
import { type GoRecord, goProduce, goProgram, skipGo } from "./go-program.ts";
import { consumeAll, gatewayJson, gatewayTopic, messageId } from "./sdk.ts";

/** A gateway message as the Go gateway marshals it; `attachments: []` marshals as null with `nilEmpty`. */
function gatewayRecord(i: number, extra: Partial<GoRecord> = {}): GoRecord {
  const phone = `+97253${String(1_000_000 + i * 31_337).padStart(7, "0")}`;
  return {
    key: phone,
    eventType: "gateway.message.received",
    eventId: `go-lenient-${i}`,
    schemaVersion: "v1",
    source: "gateway",
    value: {
      message_id: messageId(500 + i),
      user_phone: phone,
      channel: "WHATSAPP",
      text: `hi ${i}`,
      attachments: [],
      received_at: "2025-11-18T15:00:00Z",
      locale: "he-IL",
    },
    ...extra,
  };
}

// SKEJI_SKIP_GO_INTEROP=1 skips it, as it does go.test.ts.
describe.skipIf(skipGo)("Go-only record shapes reach the SDK's typed handlers", () => {
  const fx = new Fixture();
  beforeAll(async () => {
    await goProgram();
  });
  afterAll(() => fx.close());

  it("nil slices and maps (JSON null for an array or a map field) read as empty", async () => {
    const topic = await fx.topic("go-nil", 3);
    const turnJson = defineEvent({ ...LlmConversationTurnEvent, format: "json" });
    await goProduce(brokers(), topic, [
      gatewayRecord(1, { nilEmpty: true }),
      {
        key: "conv-1",
        eventType: "llm.conversation.turn",
        schemaVersion: "v1",
        source: "llm-layer",
        nilEmpty: true,
        value: {
          conversation_id: "conv-1",
          turn_index: 2,
          role: "ASSISTANT",
          content: { "com.skeji.llm.ToolCall": { tool: "book", arguments: {} } },
          model: null,
          usage: null,
          created_at: "2025-11-18T15:00:00Z",
        },
      },
    ]);
    const messages: GatewayMessageReceived[] = [];
    const turns: unknown[] = [];
    await consumeAll(fx, topic, 2, (consumer) => {
      consumer.on(gatewayJson, (e) => {
        messages.push(e.payload);
      });
      consumer.on(turnJson, (e) => {
        turns.push(e.payload);
      });
    });
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
    expect(messages.map((m) => m.attachments)).toEqual([[]]);
    expect(turns).toEqual([
      {
        conversation_id: "conv-1",
        turn_index: 2,
        role: "ASSISTANT",
        content: { "com.skeji.llm.ToolCall": { tool: "book", arguments: {} } },
        model: null,
        usage: null,
        created_at: new Date("2025-11-18T15:00:00Z"),
      },
    ]);
  });

  it("records without event-type on a topic with one event type reach that event's handler", async () => {
    const topic = await fx.topic("go-untyped", 3);
    const records = [3, 4, 5].map((i) => {
      const { eventType: _, ...untyped } = gatewayRecord(i);
      return untyped;
    });
    await goProduce(brokers(), topic, records);
    const handled: { type: string; payload: GatewayMessageReceived }[] = [];
    const descriptor: TopicDescriptor = gatewayTopic(topic);
    expect(descriptor.events).toHaveLength(1);
    await consumeAll(fx, topic, records.length, (consumer) =>
      consumer.onTopic(gatewayTopic(topic), (e) => {
        handled.push({ type: e.type, payload: e.payload });
      }),
    );
    expect(await fx.endOffsets(`${topic}-dlq`)).toEqual([0]);
    expect(handled.map((e) => e.type)).toEqual(records.map(() => "gateway.message.received"));
    expect(handled.map((e) => e.payload.message_id).sort()).toEqual([503, 504, 505].map(messageId));
  });
});
