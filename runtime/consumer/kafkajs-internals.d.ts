/**
 * The kafkajs modules the consumer's fetch decoder reaches into, typed as far as it uses them.
 * kafkajs publishes no types for them (they are not its public API); they are pinned by version in
 * fetch-hook.ts, which uses them only with the version they were checked against.
 */
declare module "kafkajs/src/network/connection.js" {
  /** What `Connection#send` takes: the request, and the `decode`/`parse` pair of its answer. */
  export interface Protocol {
    readonly request: { readonly apiKey: number; readonly apiVersion: number; readonly apiName: string };
    readonly response: { decode(data: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
    readonly requestTimeout?: number | null;
    readonly logResponseError?: boolean;
  }
  /** A broker connection; the socket factory it was made with is kept on it. */
  export default class Connection {
    readonly socketFactory: unknown;
    send(protocol: Protocol): Promise<unknown>;
  }
}

declare module "kafkajs/src/protocol/requests/fetch/v11/response.js" {
  const response: {
    decode(data: Buffer): Promise<unknown>;
    parse(data: unknown): Promise<unknown>;
  };
  export default response;
}

declare module "kafkajs/src/protocol/message/compression/index.js" {
  const compression: {
    /** The codec of a record batch's attributes (null for none), from the registry producers also use. */
    lookupCodecByAttributes(attributes: number): { decompress(buffer: Buffer): Promise<Buffer> } | null;
    /** The codec registered for a compression type; throws kafkajs's error for one not registered. */
    lookupCodec(type: number): { compress(encoder: { readonly buffer: Buffer }): Promise<Buffer> } | null;
  };
  export default compression;
}
