/**
 * The kafkajs modules the SDK's Produce encoder reaches into (kafkajs-produce-hook.ts), typed as far
 * as it uses them. kafkajs publishes no types for them (they are not its public API); they are used
 * only with the kafkajs release they were checked against (kafkajs-release.ts).
 */
declare module "kafkajs/src/broker/index.js" {
  /** A request as a broker sends it: what to write, and how its answer is read. */
  export interface ProtocolRequest {
    readonly request: {
      readonly apiKey: number;
      readonly apiVersion: number;
      readonly apiName: string;
      encode(): Promise<unknown>;
    };
    readonly response: unknown;
  }
  /** One broker of a kafkajs client. */
  export default class Broker {
    readonly connectionPool: { readonly socketFactory?: unknown } | undefined;
    /** The request module's protocol for the version negotiated with this broker. */
    lookupRequest(apiKey: number, definition: unknown): (input: unknown) => ProtocolRequest;
    produce(request: Record<string, unknown>): Promise<unknown>;
  }
}

declare module "kafkajs/src/protocol/requests/index.js" {
  const requests: { readonly requests: { readonly Produce: unknown } };
  export default requests;
}

declare module "kafkajs/src/protocol/requests/produce/index.js" {
  const produce: {
    readonly versions: readonly string[];
    protocol(options: { version: number }): (input: unknown) => {
      readonly request: { readonly apiVersion: number; encode(): Promise<{ readonly buffer: Buffer }> };
    };
  };
  export default produce;
}

declare module "kafkajs/src/protocol/encoder.js" {
  /** kafkajs's growable write buffer: `buf` holds `offset` bytes written so far. */
  export default class Encoder {
    constructor(initialSize?: number);
    buf: Buffer;
    offset: number;
    readonly buffer: Buffer;
  }
}
