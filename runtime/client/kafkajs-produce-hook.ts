/**
 * Puts the SDK's Produce encoder (kafkajs-produce.ts) under the SDK's own kafkajs producers, and
 * under nothing else in the process.
 *
 * kafkajs builds a Produce request from its input (topics, partitions, sequence numbers, messages,
 * producer id and epoch) and keeps that input in a closure of the request's `encode`: by the time a
 * connection sends it, only kafkajs's encoder can read it. The place where both the input and the
 * broker are in hand is `Broker.prototype.produce`, so that is what is wrapped, once. On a broker of
 * a client whose socket factory the SDK marked (each SDK producer's client has its own, see
 * connection.ts), the request is built by kafkajs's own request module for the version it
 * negotiated, with kafkajs's `encode` swapped for ours when ours reproduces the input; everything
 * else is kafkajs's: the answer's decoding and error handling, the producer's retries, its
 * sequence numbers, metadata. Every other broker - of a user's own client, of a benchmark's raw
 * contender - is untouched. Marks are kept in a WeakSet, so a producer that is gone leaves nothing.
 *
 * Installed only on the kafkajs release it was proven on (kafkajs-release.ts); with any other, the
 * producers stay on kafkajs's encoder.
 */
import Broker, { type ProtocolRequest } from "kafkajs/src/broker/index.js";
import requestsModule from "kafkajs/src/protocol/requests/index.js";
import { encodeKafkajsProduce, type KafkajsProduceInput, kafkajsEncoder } from "./kafkajs-produce.ts";
import { isProvenKafkajs } from "./kafkajs-release.ts";

const produceApiKey = 0;

/** Socket factories of the SDK's producers whose Produce requests our encoder writes. */
const marked = new WeakSet<object>();

let installed: boolean | undefined;

/**
 * Has the Produce requests of clients made with `socketFactory` encoded by the SDK's encoder.
 * Returns false, and changes nothing, when the installed kafkajs is not the release it was proven on.
 */
export function useSdkRecordEncoder(socketFactory: object): boolean {
  installed ??= install();
  if (installed) marked.add(socketFactory);
  return installed;
}

/** kafkajs's request with our `encode`, falling back to its own for input ours does not reproduce. */
function withSdkEncoder(built: ProtocolRequest, input: KafkajsProduceInput): ProtocolRequest {
  const { request } = built;
  const kafkajsEncode = request.encode;
  const version = request.apiVersion;
  const encode = async (): Promise<unknown> => {
    const body = await encodeKafkajsProduce(version, input);
    if (body === undefined) return kafkajsEncode();
    // kafkajs frames the body from an encoder of its own: ours hands over the bytes without a copy.
    return kafkajsEncoder(body);
  };
  return { ...built, request: { ...request, encode } };
}

function install(): boolean {
  if (!isProvenKafkajs()) return false;
  const produce = Broker.prototype.produce;
  const sendRequest = Object.getOwnPropertySymbols(Broker.prototype).find(
    (s) => s.description === "private:Broker:sendRequest",
  );
  const Produce = requestsModule.requests.Produce;
  if (typeof produce !== "function" || sendRequest === undefined || Produce === undefined) return false;
  type Sender = Record<symbol, (request: ProtocolRequest) => Promise<unknown>>;

  // What kafkajs's own `produce` does (same defaults, same request module, same send), with our
  // `encode`; on any broker not marked above, kafkajs's own `produce` itself.
  Broker.prototype.produce = async function produceWithSdkEncoder(this: Broker, request: Record<string, unknown>) {
    if (!marked.has(this.connectionPool?.socketFactory as object)) return produce.call(this, request);
    const {
      topicData,
      transactionalId,
      producerId,
      producerEpoch,
      acks = -1,
      timeout = 30000,
      compression = 0,
    } = request;
    const input = { acks, timeout, compression, topicData, transactionalId, producerId, producerEpoch };
    const protocol = this.lookupRequest(produceApiKey, Produce);
    const built = withSdkEncoder(protocol(input), input as KafkajsProduceInput);
    return await ((this as unknown as Sender)[sendRequest] as Sender[symbol]).call(this, built);
  };
  return true;
}
