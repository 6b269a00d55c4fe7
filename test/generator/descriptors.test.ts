/**
 * Event descriptors carry their topic's DLQ, so a consumer registering one event's handler
 * (`onBookingCreated`) knows where to dead-letter it without the topic descriptor.
 */
import { defineEvent, type EventDescriptor } from "@skeji/kafka";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as generated from "../../generated/index.ts";
import { generate } from "../../generator/generate.ts";
import { record, writeProject } from "./helpers.ts";

const topicDescriptors = [
  generated.BookingsEventsTopic,
  generated.GatewayInboundMessagesTopic,
  generated.LlmConversationTurnsTopic,
  generated.PipelineExecutorStepsTopic,
  generated.PipelineExecutorToBookingsTopic,
];

describe("event descriptors: dlqTopic", () => {
  it("every bundled event carries its topic's DLQ", () => {
    expect(generated.BookingCreatedEvent.dlqTopic).toBe("dlq-domain-services");
    expect(generated.GatewayMessageReceivedEvent.dlqTopic).toBe("dlq-gateway");
    let events = 0;
    for (const topic of topicDescriptors) {
      expect(topic.dlqTopic, topic.topic).toBeTypeOf("string");
      for (const event of topic.events) {
        expect(event.dlqTopic, event.type).toBe(topic.dlqTopic);
        events++;
      }
    }
    expect(events).toBe(8);
  });

  it("is undefined for an event whose topic declares no DLQ, and the field is always present", () => {
    const root = writeProject({
      "schemas/manifest.json": {
        topics: {
          plain: { events: { "thing.created": { key: "id" } } },
          guarded: { dlq: "guarded-dlq", events: { "thing.deleted": { key: "id" } } },
        },
      },
      "schemas/thing.created/v1.avsc": record("ThingCreated", [{ name: "id", type: "string" }]),
      "schemas/thing.deleted/v1.avsc": record("ThingDeleted", [{ name: "id", type: "string" }]),
    });
    const { files, problems } = generate({ schemasDir: `${root}/schemas`, cwd: root });
    expect(problems).toEqual([]);
    expect(files.get("thing.created.ts")).toContain("  dlqTopic: undefined,\n");
    expect(files.get("thing.deleted.ts")).toContain('  dlqTopic: "guarded-dlq",\n');
  });

  it("defineEvent without dlqTopic (descriptors written by hand) still works and reads undefined", () => {
    const spec = {
      type: "hand.made",
      name: "HandMade",
      topic: "hand-made",
      keyField: "id",
      format: "avro",
      compatibility: "BACKWARD",
      versions: [
        { version: 1, schema: { type: "record", name: "HandMade", fields: [{ name: "id", type: "string" }] } },
      ],
    } as const;
    const handMade = defineEvent<{ id: string }>(spec);
    expect(handMade.dlqTopic).toBeUndefined();
    expect("dlqTopic" in handMade).toBe(true);
    expect(Object.isFrozen(handMade)).toBe(true);
    const withDlq = defineEvent<{ id: string }>({ ...spec, dlqTopic: "hand-made-dlq" });
    expect(withDlq.dlqTopic).toBe("hand-made-dlq");
    expectTypeOf(handMade.dlqTopic).toEqualTypeOf<string | undefined>();
    expectTypeOf<EventDescriptor["dlqTopic"]>().toEqualTypeOf<string | undefined>();
  });
});
