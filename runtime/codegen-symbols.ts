/**
 * The names generated code may import from `@skeji/kafka`. The generator imports
 * this list rather than spelling names itself, so a rename here is a compile
 * error in the generator, not a broken generated file.
 */
export const codegenSymbols = {
  defineEvent: { name: "defineEvent", typeOnly: false },
  defineTopic: { name: "defineTopic", typeOnly: false },
  EventDescriptor: { name: "EventDescriptor", typeOnly: true },
  TopicDescriptor: { name: "TopicDescriptor", typeOnly: true },
  TopicEvent: { name: "TopicEvent", typeOnly: true },
  AvroUnion: { name: "AvroUnion", typeOnly: true },
  Producer: { name: "Producer", typeOnly: true },
  PublishOptions: { name: "PublishOptions", typeOnly: true },
  PublishResult: { name: "PublishResult", typeOnly: true },
  Consumer: { name: "Consumer", typeOnly: true },
  EventHandler: { name: "EventHandler", typeOnly: true },
  TopicHandler: { name: "TopicHandler", typeOnly: true },
} as const;

export type CodegenSymbol = keyof typeof codegenSymbols;

/** The module specifier generated code imports from. */
export const runtimeModule = "@skeji/kafka";
