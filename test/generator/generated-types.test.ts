/**
 * Generated types against the runtime codec: values typed with the generated types encode and
 * decode back unchanged (real Avro bytes), and wrong payloads do not compile.
 * The `@ts-expect-error` lines are checked by `npm run typecheck` (tsc fails if a line compiles).
 */
import type {
  AvroCodec,
  Consumer,
  EventDescriptor,
  InitOf,
  PayloadOf,
  PublishResult,
  TopicDescriptor,
  TopicEvent,
} from "@skeji/kafka";
import { avroCodec, resolvingCodec } from "@skeji/kafka";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type allTopics,
  type BookingCancelled,
  type BookingCancelledEvent,
  type BookingCreated,
  BookingCreatedEvent,
  type BookingCreateRequested,
  BookingCreateRequestedEvent,
  type BookingCreateRequestedInit,
  type BookingsEventsTopic,
  type GatewayInboundMessagesTopic,
  type LlmConversationTurn,
  LlmConversationTurnEvent,
  type LlmConversationTurnsTopic,
  type onBookingCreateRequested,
  type onBookingsEventsTopic,
  type PipelineExecutorStepsTopic,
  type PipelineExecutorToBookingsTopic,
  type PipelineStepStarted,
  PipelineStepStartedEvent,
  type publishBookingCreateRequested,
} from "../../generated/index.ts";
import { type ListUpdated, ListUpdatedEvent } from "../fixtures/collections/expected/list.updated.ts";
import { ProfileSavedEvent, type ProfileSavedInit } from "../fixtures/defaults/expected/profile.saved.ts";
import { type SlotBooked, SlotBookedEvent } from "../fixtures/logical-types/expected/slot.booked.ts";
import { type OrderPlaced, OrderPlacedEvent } from "../fixtures/named-types/expected/order.placed.ts";
import { type ThingCreated, ThingCreatedEvent } from "../fixtures/primitives/expected/thing.created.ts";
import { type TreeBuilt, TreeBuiltEvent } from "../fixtures/recursive/expected/tree.built.ts";
import { type ShapeDrawn, ShapeDrawnEvent } from "../fixtures/unions/expected/shape.drawn.ts";

/** The codec of a descriptor's current version, typed with its payload. */
function codecOf<D extends { versions: readonly { schema: unknown }[] }>(d: D & { "~types"?: unknown }) {
  return avroCodec(d.versions.at(-1)?.schema as never) as AvroCodec<PayloadOf<D>>;
}
function roundTrip<T>(codec: AvroCodec<T>, value: T): T {
  return codec.decode(codec.encode(value));
}

const bytes = (...b: number[]) => new Uint8Array(b);

describe("generated types round-trip through the Avro codec", () => {
  it("primitives", () => {
    const v: ThingCreated = {
      id: "t1",
      nothing: null,
      flag: true,
      count: -5,
      total: 2 ** 40,
      ratio: 0.5,
      score: 1e-9,
      raw: bytes(1, 2, 3),
      label: "x",
    };
    expect(roundTrip(codecOf(ThingCreatedEvent), v)).toEqual({ ...v, raw: Buffer.from([1, 2, 3]) });
  });

  it("named types, namespaces and references", () => {
    const v: OrderPlaced = {
      order_id: "o1",
      billing: { street: "Herzl 1", city: "Tel Aviv" },
      shipping: { street: "Dizengoff 2", city: "Tel Aviv" },
      seller_address: { line: "Jaffa 3" },
      status: "PAID",
      previous_status: "NEW",
      hash: new Uint8Array(16).fill(7),
      hashes: [new Uint8Array(16)],
      placed_on: { year: 2025 },
      placed_at: new Date("2025-11-18T15:00:00Z"),
    };
    expect(roundTrip(codecOf(OrderPlacedEvent), v)).toEqual({
      ...v,
      hash: Buffer.from(v.hash),
      hashes: [Buffer.alloc(16)],
    });
  });

  it("arrays and maps", () => {
    const v: ListUpdated = {
      list_id: "l1",
      tags: ["a", "b"],
      matrix: [[1, 2], [], [3]],
      counts: { a: 1, b: 2 ** 50 },
      maybe_names: ["x", null],
      items: [{ sku: "s1", qty: 2 }],
      by_sku: { s1: { sku: "s1", qty: 2 } },
    };
    expect(roundTrip(codecOf(ListUpdatedEvent), v)).toEqual(v);
  });

  it("unions: nullable unwrapped, others wrapped by branch name", () => {
    const v: ShapeDrawn = {
      id: "s",
      note: null,
      color: "red",
      size: { double: 2.5 },
      shape: { "fixtures.Square": { side: 3 } },
      extra: { "fixtures.Circle": { radius: 1 } },
      payload: { map: { k: "v" } },
    };
    expect(roundTrip(codecOf(ShapeDrawnEvent), v)).toEqual(v);
  });

  it("logical types", () => {
    const v: SlotBooked = {
      slot_id: "123e4567-e89b-12d3-a456-426614174000",
      booked_at: new Date("2025-11-18T15:00:00.123Z"),
      booked_at_micros: new Date("2025-11-18T15:00:00.456Z"),
      day: new Date("2025-11-18T00:00:00Z"),
      opens_at: 9 * 3_600_000,
      closes_at: 18 * 3_600_000_000,
      price: "149.90",
      deposit: "-20.5000",
      phone: "+972501234567",
      broken_decimal: bytes(0xff),
      cancelled_at: null,
    };
    expect(roundTrip(codecOf(SlotBookedEvent), v)).toEqual({ ...v, broken_decimal: Buffer.from([0xff]) });
  });

  it("recursive types", () => {
    const v: TreeBuilt = {
      id: "t",
      root: {
        label: "root",
        children: [{ label: "leaf", children: [], parent_hint: null }],
        parent_hint: { label: "up", children: [], parent_hint: null },
      },
      list: { head: 1, tail: { head: 2, tail: null } },
    };
    expect(roundTrip(codecOf(TreeBuiltEvent), v)).toEqual(v);
  });

  it("defaults: an Init with fields left out becomes a full payload", () => {
    const init: ProfileSavedInit = { user_id: "u", settings: {}, plain: { a: 1 } };
    const codec = codecOf(ProfileSavedEvent);
    expect(roundTrip(codec, codec.applyDefaults(init))).toEqual({
      user_id: "u",
      name: "anonymous",
      settings: { theme: "LIGHT", font_size: 12 },
      contacts: [],
      plain: { a: 1 },
      avatar: Buffer.from([0xff, 0]),
    });
  });

  it("bundled schemas: the Go guide's booking request, v1 bytes read as v2", () => {
    const init: BookingCreateRequestedInit = {
      correlation_id: "corr-abc-123",
      action: "create_booking",
      params: { user_phone: "+972501234567", business_id: "b1", start_time: new Date("2025-11-18T15:00:00Z") },
    };
    const [v1, v2] = BookingCreateRequestedEvent.versions;
    const v1Bytes = avroCodec(v1?.schema ?? "null").encode(avroCodec(v1?.schema ?? "null").applyDefaults(init));
    const read: BookingCreateRequested = resolvingCodec<BookingCreateRequested>(
      v1?.schema ?? "null",
      v2?.schema ?? "null",
    ).decode(v1Bytes);
    expect(read).toEqual({
      ...init,
      params: { ...init.params, service_id: null, duration_minutes: 30, party_size: 1 },
      channel: "whatsapp",
    });
  });

  it("bundled schemas: wrapped union content and recursive plans", () => {
    const turn: LlmConversationTurn = {
      conversation_id: "c1",
      turn_index: 1,
      role: "TOOL",
      content: { "com.skeji.llm.ToolResult": { tool: "calendar", ok: true, output: "{}" } },
      model: null,
      usage: { prompt_tokens: 10, completion_tokens: 2 },
      created_at: new Date(0),
    };
    expect(roundTrip(codecOf(LlmConversationTurnEvent), turn)).toEqual(turn);
    const step: PipelineStepStarted = {
      correlation_id: "c",
      pipeline: "book_appointment",
      step_index: 0,
      step: "parse",
      plan: { step: "parse", children: [{ step: "book", children: [] }] },
      started_at: new Date("2025-11-18T15:00:00.001Z"),
    };
    expect(roundTrip(codecOf(PipelineStepStartedEvent), step)).toEqual(step);
    const created: BookingCreated = codecOf(BookingCreatedEvent).applyDefaults({
      booking_id: "123e4567-e89b-12d3-a456-426614174000",
      business_id: "b",
      user_phone: "+972",
      slot_date: new Date("2025-11-18T00:00:00Z"),
      slot_start: 54_000_000,
      start_time: new Date("2025-11-18T15:00:00Z"),
      end_time: new Date("2025-11-18T15:30:00Z"),
      service: { id: "s", name: "Haircut", price: "80.00", currency: new TextEncoder().encode("ILS") },
      status: "CONFIRMED",
      created_at: new Date("2025-11-18T14:00:00Z"),
    });
    expect(roundTrip(codecOf(BookingCreatedEvent), created)).toEqual({
      ...created,
      service: { ...created.service, currency: Buffer.from("ILS") },
    });
  });
});

describe("codegen symbols", () => {
  it("every value the generator may import is exported by the runtime entry point", async () => {
    const runtime = (await import("@skeji/kafka")) as Record<string, unknown>;
    const values = Object.values(runtime.codegenSymbols as Record<string, { name: string; typeOnly: boolean }>)
      .filter((s) => !s.typeOnly)
      .map((s) => s.name);
    expect(values.length).toBeGreaterThan(0);
    for (const name of values) expect(runtime[name], name).toBeTypeOf("function");
  });
});

describe("type level", () => {
  it("descriptors carry the payload and Init types; publish takes the Init", () => {
    expectTypeOf<PayloadOf<typeof BookingCreateRequestedEvent>>().toEqualTypeOf<BookingCreateRequested>();
    expectTypeOf<InitOf<typeof BookingCreateRequestedEvent>>().toEqualTypeOf<BookingCreateRequestedInit>();
    expectTypeOf<Parameters<typeof publishBookingCreateRequested>[1]>().toEqualTypeOf<BookingCreateRequestedInit>();
    expectTypeOf(BookingCreatedEvent.type).toEqualTypeOf<"booking.created">();
  });

  it("the annotations every export carries are the types TypeScript infers from the calls", () => {
    expectTypeOf(BookingCreatedEvent).toEqualTypeOf<
      EventDescriptor<BookingCreated, InitOf<typeof BookingCreatedEvent>, "booking.created">
    >();
    expectTypeOf<typeof publishBookingCreateRequested>().returns.toEqualTypeOf<Promise<PublishResult>>();
    expectTypeOf<typeof onBookingCreateRequested>().returns.toEqualTypeOf<Consumer>();
    expectTypeOf<typeof onBookingsEventsTopic>().returns.toEqualTypeOf<Consumer>();
    expectTypeOf<typeof BookingsEventsTopic>().toEqualTypeOf<
      TopicDescriptor<typeof BookingCancelledEvent | typeof BookingCreatedEvent>
    >();
    expectTypeOf<typeof allTopics>().toEqualTypeOf<
      readonly [
        typeof BookingsEventsTopic,
        typeof GatewayInboundMessagesTopic,
        typeof LlmConversationTurnsTopic,
        typeof PipelineExecutorStepsTopic,
        typeof PipelineExecutorToBookingsTopic,
      ]
    >();
  });

  it("a topic's events form a discriminated union on type", () => {
    type E = TopicEvent<typeof BookingsEventsTopic>;
    expectTypeOf<Extract<E, { type: "booking.created" }>["payload"]>().toEqualTypeOf<BookingCreated>();
    expectTypeOf<E["type"]>().toEqualTypeOf<"booking.cancelled" | "booking.created">();
    // The generated topic handler narrows the same way.
    const handler: Parameters<typeof onBookingsEventsTopic>[1] = (event) => {
      if (event.type === "booking.created") expectTypeOf(event.payload).toEqualTypeOf<BookingCreated>();
      else expectTypeOf(event.payload).toEqualTypeOf<BookingCancelled>();
    };
    expect(handler).toBeTypeOf("function");
  });

  it("Init types: fields with a default may be left out but keep their type; the rest stay required", () => {
    const params = { user_phone: "+972", business_id: "b", start_time: new Date() };
    const base = { correlation_id: "c", action: "create_booking", params } as const;
    const full: BookingCreateRequestedInit = { ...base, channel: "sms", params: { ...params, party_size: 2 } };
    expectTypeOf<BookingCreateRequestedInit["channel"]>().toEqualTypeOf<
      BookingCreateRequested["channel"] | undefined
    >();
    // @ts-expect-error: a defaulted enum field still only takes its symbols
    const wrongChannel: BookingCreateRequestedInit = { ...base, channel: "fax" };
    // @ts-expect-error: left out means absent, not undefined (exactOptionalPropertyTypes)
    const undefinedChannel: BookingCreateRequestedInit = { ...base, channel: undefined };
    // @ts-expect-error: a nested defaulted field keeps its type
    const wrongParty: BookingCreateRequestedInit = { ...base, params: { ...params, party_size: "2" } };
    const { user_phone: _, ...noPhone } = params;
    // @ts-expect-error: a nested field without a default is required
    const missingPhone: BookingCreateRequestedInit = { ...base, params: noPhone };
    expect([full, wrongChannel, undefinedChannel, wrongParty, missingPhone]).toHaveLength(5);
  });

  it("wrong payloads do not compile", () => {
    const params = { user_phone: "+972", business_id: "b", start_time: new Date() };
    const ok: BookingCreateRequestedInit = { correlation_id: "c", action: "create_booking", params };
    // @ts-expect-error: missing required field `correlation_id`
    const missing: BookingCreateRequestedInit = { action: "create_booking", params };
    // @ts-expect-error: `action` is an enum, not any string
    const wrongEnum: BookingCreateRequestedInit = { correlation_id: "c", action: "delete_booking", params };
    const stringDate = { ...params, start_time: "2025-11-18" };
    // @ts-expect-error: timestamps are Date, not strings
    const wrongDate: BookingCreateRequestedInit = { correlation_id: "c", action: "create_booking", params: stringDate };
    // @ts-expect-error: unknown field
    const extra: BookingCreateRequestedInit = { correlation_id: "c", action: "create_booking", params, bogus: 1 };
    // @ts-expect-error: consumers' payload type has every field (defaults filled)
    const incomplete: BookingCreateRequested = ok;
    const shape = {
      id: "s",
      note: null,
      color: null,
      shape: { "fixtures.Circle": { radius: 1 } },
      extra: null,
      payload: null,
    };
    // @ts-expect-error: a wrapped union takes exactly one branch
    const twoBranches: ShapeDrawn = { ...shape, size: { int: 1, string: "x" } };
    // @ts-expect-error: a wrapped union is not the bare value
    const unwrapped: ShapeDrawn = { ...shape, size: 1 };
    // @ts-expect-error: decimals are strings, never numbers
    const decimalNumber: SlotBooked["price"] = 149.9;
    // @ts-expect-error: a nullable field without a default must be given (null is fine)
    const noColor: ShapeDrawn = { ...shape, size: { int: 1 }, color: undefined };
    expect([
      ok,
      missing,
      wrongEnum,
      wrongDate,
      extra,
      incomplete,
      twoBranches,
      unwrapped,
      decimalNumber,
      noColor,
    ]).toHaveLength(10);
  });
});
