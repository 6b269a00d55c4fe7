/**
 * Puts the consumer's own Fetch decoder (fetch-response.ts) under the SDK's consumers, and under
 * nothing else in the process.
 *
 * kafkajs offers no way to plug in a decoder: a broker connection sends each request with the
 * `decode`/`parse` pair its protocol module names. What it does keep on every connection is the
 * socket factory it was configured with, and the SDK gives each of its consumers one of its own
 * (connection.ts). So `Connection.prototype.send` is wrapped once: a Fetch v11 request on a
 * connection whose socket factory the SDK marked for it is sent with our `decode` (and kafkajs's
 * own `parse`); every other request, and every connection of any other kafkajs client in the
 * process (a user's own, one given to the consumer as `options.kafka`, a benchmark's raw
 * contender), passes through untouched. Marks are kept in a WeakSet, so a consumer that is gone
 * leaves nothing behind.
 *
 * The wrap reaches into kafkajs's internals, so it is only installed on the kafkajs release it was
 * written and tested against; with any other, the consumer stays on kafkajs's decoder. And any
 * response ours throws on is decoded by kafkajs's decoder instead (see fetch-response.ts), so its
 * outcome - records or error - is the one kafkajs gives.
 */
import type { ISocketFactory } from "kafkajs";
import Connection, { type Protocol } from "kafkajs/src/network/connection.js";
import kafkajsFetchV11 from "kafkajs/src/protocol/requests/fetch/v11/response.js";
import { isProvenKafkajs } from "../client/kafkajs-release.ts";
import { decodeFetchResponse } from "./fetch-response.ts";

export { provenKafkajsVersion } from "../client/kafkajs-release.ts";

const fetchApiKey = 1;
const fetchVersion = 11;

/** Socket factories of the SDK's consumers whose fetches our decoder reads. */
const marked = new WeakSet<object>();

/** The response half of a kafkajs protocol request: how its answer is decoded, then checked. */
interface ResponseProtocol {
  decode(data: Buffer): Promise<unknown>;
  parse(data: unknown): Promise<unknown>;
}

/** The response half of Fetch v11 with our decoder; kafkajs's `parse` (error codes) kept. */
export const sdkFetchV11: ResponseProtocol = {
  async decode(data: Buffer): Promise<unknown> {
    try {
      return await decodeFetchResponse(data);
    } catch {
      // Not something ours decodes (see fetch-response.ts): kafkajs's decoder gives its own
      // result or its own error, as it would have without us.
      return kafkajsFetchV11.decode(data);
    }
  },
  parse: (data: unknown) => kafkajsFetchV11.parse(data),
};

let installed: boolean | undefined;

/**
 * Has the fetches of connections made with `socketFactory` read by the SDK's decoder. Returns
 * false, and changes nothing, when the installed kafkajs is not the release it was proven on.
 */
export function useSdkFetchDecoder(socketFactory: ISocketFactory): boolean {
  installed ??= install();
  if (installed) marked.add(socketFactory);
  return installed;
}

function install(): boolean {
  if (!isProvenKafkajs()) return false;
  const send = Connection.prototype.send;
  if (typeof send !== "function" || typeof kafkajsFetchV11.decode !== "function") return false;
  // Safe for every other kafkajs client in the process: only a Fetch v11 request with kafkajs's
  // own v11 response module, on a connection made with a factory marked above, is changed.
  Connection.prototype.send = function sendWithSdkFetchDecoder(this: Connection, protocol: Protocol) {
    if (
      protocol.response === kafkajsFetchV11 &&
      protocol.request.apiKey === fetchApiKey &&
      protocol.request.apiVersion === fetchVersion &&
      marked.has(this.socketFactory as object)
    ) {
      return send.call(this, { ...protocol, response: sdkFetchV11 });
    }
    return send.call(this, protocol);
  };
  return true;
}
