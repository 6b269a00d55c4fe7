/** Loading the schema layout and the manifest: every user error, one line each, all at once. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem, loadProject } from "../../generator/load/index.ts";
import { manifestFor, record, validProject, writeProject } from "./helpers.ts";

const load = (files: Record<string, unknown>) => {
  const root = writeProject(files);
  return loadProject({ schemasDir: join(root, "schemas"), cwd: root });
};
const lines = (files: Record<string, unknown>) => load(files).problems.map(formatProblem);

describe("loadProject", () => {
  it("loads the bundled Skeji schemas without problems", () => {
    const project = loadProject({ schemasDir: "schemas" });
    expect(project.problems).toEqual([]);
    const requested = project.events.find((e) => e.type === "booking.create.requested");
    expect(requested).toMatchObject({
      name: "BookingCreateRequested",
      topic: "pipeline-executor-to-bookings",
      keyField: "correlation_id",
      compatibility: "BACKWARD",
      format: "avro",
      dlqTopic: "dlq-domain-services",
    });
    expect(requested?.versions.map((v) => [v.version, v.file])).toEqual([
      [1, "schemas/booking.create.requested/v1.avsc"],
      [2, "schemas/booking.create.requested/v2.avsc"],
    ]);
    expect(project.events.find((e) => e.type === "booking.created")?.compatibility).toBe("FULL");
  });

  it("reads formats and levels from defaults, topics and events, nearest wins", () => {
    const project = load(
      validProject({
        "schemas/manifest.json": {
          defaults: { compatibility: "NONE", format: "json" },
          topics: {
            things: {
              compatibility: "FORWARD",
              events: {
                "thing.created": { key: "id", format: "confluent" },
              },
            },
          },
        },
      }),
    );
    expect(project.problems).toEqual([]);
    expect(project.events[0]).toMatchObject({ compatibility: "FORWARD", format: "confluent", dlqTopic: undefined });
  });

  it("accepts nested key paths", () => {
    const project = load(
      validProject({
        "schemas/manifest.json": manifestFor({ "thing.created": "owner.phone" }),
        "schemas/thing.created/v1.avsc": record("ThingCreated", [
          { name: "owner", type: record("Owner", [{ name: "phone", type: "string" }]) },
        ]),
      }),
    );
    expect(project.problems).toEqual([]);
    expect(project.events[0]?.keyField).toBe("owner.phone");
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "invalid JSON",
      { "schemas/thing.created/v1.avsc": '{\n  "type": "record",\n}' },
      [
        "schemas/thing.created/v1.avsc:3:1: invalid JSON: expected a double-quoted property name, found '}' (a comma may not precede '}')",
      ],
    ],
    [
      "invalid JSON: a trailing comma in an array, with the JSON path",
      {
        "schemas/thing.created/v1.avsc": [
          "{",
          '  "type": "record",',
          '  "name": "ThingCreated",',
          '  "fields": [',
          '    { "name": "id", "type": "string" },',
          '    { "name": "tags", "type": { "type": "array", "items": ["string",] } }',
          "  ]",
          "}",
        ].join("\r\n"),
      },
      [
        "schemas/thing.created/v1.avsc:6:69: $.fields[1].type.items: invalid JSON: unexpected ']' (a comma may not precede ']')",
      ],
    ],
    [
      "invalid JSON: a bare word where a value belongs",
      {
        "schemas/thing.created/v1.avsc": '{"type": "record", "name": "T", "fields": [{"name": "id", "type": string}]}',
      },
      [
        'schemas/thing.created/v1.avsc:1:67: $.fields[0].type: invalid JSON: unexpected "string" (expected a value: an object, array, string, number, true, false or null)',
      ],
    ],
    [
      "invalid JSON in the manifest",
      { "schemas/manifest.json": '{ "topics": { "things": { "events": { "thing.created": { "key": "id" } } }\n' },
      [
        "schemas/manifest.json:2:1: $.topics: invalid JSON: expected ',' or '}' after a property value, found end of input",
        'schemas/thing.created/: event "thing.created" is not in the manifest (expected an entry under $.topics.<topic>.events in schemas/manifest.json)',
      ],
    ],
    [
      "a byte order mark is not an error",
      {
        "schemas/thing.created/v2.avsc": `\uFEFF${JSON.stringify(record("ThingCreated", [{ name: "id", type: "string" }]))}`,
      },
      [],
    ],
    [
      "misspelled type",
      { "schemas/thing.created/v1.avsc": record("ThingCreated", [{ name: "id", type: "strng" }]) },
      [
        'schemas/thing.created/v1.avsc: $.fields[0].type: unknown type "strng" (did you mean "string"?); expected a primitive type, a complex type or a named type defined earlier',
      ],
    ],
    [
      "unknown type",
      { "schemas/thing.created/v1.avsc": record("ThingCreated", [{ name: "id", type: "Widget" }]) },
      [
        'schemas/thing.created/v1.avsc: $.fields[0].type: unknown type "Widget"; expected a primitive type, a complex type or a named type defined earlier',
      ],
    ],
    [
      "duplicate names",
      {
        "schemas/thing.created/v1.avsc": record("ThingCreated", [
          { name: "id", type: "string" },
          { name: "id", type: "int" },
          { name: "a", type: record("ThingCreated", []) },
        ]),
      },
      [
        'schemas/thing.created/v1.avsc: $.fields[1].name: duplicate field name "id"',
        'schemas/thing.created/v1.avsc: $.fields[2].type.name: duplicate type name "ThingCreated"',
      ],
    ],
    [
      "event folder without versions",
      {
        "schemas/manifest.json": manifestFor({ "thing.created": "id", "thing.deleted": "id" }),
        "schemas/thing.deleted/": "",
      },
      ["schemas/thing.deleted/: no schema versions (expected v1.avsc, then v2.avsc, ...)"],
    ],
    [
      "version gap",
      {
        "schemas/thing.created/v3.avsc": record("ThingCreated", [{ name: "id", type: "string" }]),
      },
      ["schemas/thing.created/: version gap: found v1, v3, missing v2.avsc (versions count up from v1 without gaps)"],
    ],
    [
      "event missing from the manifest",
      { "schemas/thing.deleted/v1.avsc": record("ThingDeleted", [{ name: "id", type: "string" }]) },
      [
        'schemas/thing.deleted/: event "thing.deleted" is not in the manifest (expected an entry under $.topics.<topic>.events in schemas/manifest.json)',
      ],
    ],
    [
      "manifest entry without schemas",
      { "schemas/manifest.json": manifestFor({ "thing.created": "id", "thing.deleted": "id" }) },
      [
        'schemas/manifest.json: $.topics.things.events["thing.deleted"]: event "thing.deleted" has no schemas (expected schemas/thing.deleted/v1.avsc)',
      ],
    ],
    [
      "key field that does not exist",
      { "schemas/manifest.json": manifestFor({ "thing.created": "thing_id" }) },
      [
        'schemas/manifest.json: $.topics.things.events["thing.created"].key: key field "thing_id" does not fit schemas/thing.created/v1.avsc: the payload has no field "thing_id" (fields: id)',
      ],
    ],
    [
      "misspelled manifest attribute and bad level",
      {
        "schemas/manifest.json": {
          topics: {
            things: {
              dlq: "dlq",
              events: { "thing.created": { key: "id", compatability: "FULL" } },
              compatibility: "BACKWARDS",
            },
          },
        },
      },
      [
        'schemas/manifest.json: $.topics.things.compatibility: invalid compatibility "BACKWARDS" (did you mean "BACKWARD"? expected one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)',
        'schemas/manifest.json: $.topics.things.events["thing.created"].compatability: unknown event attribute "compatability" (did you mean "compatibility"?)',
      ],
    ],
    [
      "invalid default",
      {
        "schemas/thing.created/v1.avsc": record("ThingCreated", [
          { name: "id", type: "string" },
          { name: "n", type: ["null", "int"], default: 3 },
        ]),
      },
      [
        'schemas/thing.created/v1.avsc: $.fields[1].default: invalid default for field "n": 3 is not null (a union\'s default must match its first branch, null)',
      ],
    ],
  ];

  it("reports manifest mistakes: an event on two topics, bad names, a DLQ equal to its topic, a nullable key", () => {
    expect(
      lines(
        validProject({
          "schemas/manifest.json": {
            topic: {},
            topics: {
              things: { dlq: "things", events: { "thing.created": { key: "note" } } },
              "bad topic!": { events: { "thing.created": { key: "id" }, "Thing.Bad": { key: "id" } } },
            },
          },
          "schemas/thing.created/v1.avsc": record("ThingCreated", [
            { name: "id", type: "string" },
            { name: "note", type: ["null", "string"], default: null },
          ]),
        }),
      ),
    ).toEqual([
      'schemas/manifest.json: $.topic: unknown manifest attribute "topic" (did you mean "topics"?)',
      'schemas/manifest.json: $.topics.things.dlq: invalid dlq "things" (expected another topic\'s name)',
      'schemas/manifest.json: $.topics["bad topic!"]: invalid topic name "bad topic!" (expected letters, digits, ".", "_" or "-")',
      'schemas/manifest.json: $.topics["bad topic!"].events["thing.created"]: event "thing.created" is already declared on topic "things" (an event travels on one topic)',
      'schemas/manifest.json: $.topics["bad topic!"].events["Thing.Bad"]: invalid event type "Thing.Bad" (expected lowercase dotted words, e.g. "booking.created")',
      'schemas/manifest.json: $.topics["bad topic!"].events["Thing.Bad"]: event "Thing.Bad" has no schemas (expected schemas/Thing.Bad/v1.avsc)',
      'schemas/manifest.json: $.topics.things.events["thing.created"].key: key field "note" does not fit schemas/thing.created/v1.avsc: "note" is nullable (a key must always be present)',
    ]);
  });

  it.each(cases)("reports %s", (_name, overrides, expected) => {
    expect(lines(validProject(overrides))).toEqual(expected);
  });

  it("reports every problem of a project at once", () => {
    const problems = lines(
      validProject({
        "schemas/manifest.json": manifestFor({ "thing.created": "nope", "thing.gone": "id" }),
        "schemas/thing.created/v1.avsc": record("ThingCreated", [{ name: "id", type: "strng" }]),
        "schemas/other.event/v1.avsc": "{",
      }),
    );
    expect(problems).toHaveLength(4);
  });
});
