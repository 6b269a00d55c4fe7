/**
 * The consumer's default decoder: picks the descriptor named by `event-type` (or the only
 * candidate) and decodes the value with the wire format's decoder.
 */
import type { AnyEventDescriptor } from "../descriptor.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { HeaderName, parseSchemaVersion } from "../message/headers.ts";
import type { DecodedRecord } from "./router.ts";
import type { ConsumedMessage } from "./types.ts";

export function decodeRecord(message: ConsumedMessage, candidates: readonly AnyEventDescriptor[]): DecodedRecord {
  const type = message.headers[HeaderName.eventType];
  const descriptor = candidates.find((d) => d.type === type) ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (descriptor === undefined) {
    throw new SkejiError(ErrorCode.UNKNOWN_EVENT_TYPE, `cannot tell which event ${JSON.stringify(type ?? null)} is`);
  }
  if (message.value === null) {
    throw new SkejiError(ErrorCode.DECODE_FAILED, `null value for event ${descriptor.type}`);
  }
  const latest = descriptor.versions[descriptor.versions.length - 1]?.version ?? 1;
  const version = parseSchemaVersion(message.headers[HeaderName.schemaVersion]) ?? latest;
  let payload: unknown;
  try {
    payload = JSON.parse(message.value.toString("utf8"));
  } catch (e) {
    throw new SkejiError(ErrorCode.DECODE_FAILED, `value of ${descriptor.type} is not valid JSON`, { cause: e });
  }
  return { descriptor, version, payload };
}
