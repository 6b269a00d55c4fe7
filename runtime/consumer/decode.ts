/**
 * The consumer's decoder: the runtime's wire-format decoder (embedded Avro, Confluent through
 * the registry, JSON), with a fast path for the common record - embedded Avro written with the
 * latest version, whose headers name exactly that version and its fingerprint. For such a record
 * the full decoder does nothing but decode with the latest codec; the fast path does the same
 * without re-reading every header. Any other record goes to the full decoder.
 */
import type { AnyEventDescriptor } from "../descriptor.ts";
import { formatSchemaVersion, HeaderName } from "../message/headers.ts";
import { type AvroCodec, avroCodec } from "../serde/avro.ts";
import { ContentType, type Serde } from "../serde/serde.ts";
import { messageHeader, sameBytes } from "./message.ts";
import type { DecodeFn } from "./router.ts";
import type { ConsumedMessage } from "./types.ts";

interface FastPath {
  readonly version: number;
  readonly versionHeader: Expected;
  readonly fingerprint: Expected;
  readonly codec: AvroCodec;
}

/** A header value to compare raw header bytes with, without turning them into a string. */
interface Expected {
  readonly text: string;
  readonly bytes: Buffer;
}
const expected = (text: string): Expected => ({ text, bytes: Buffer.from(text, "utf8") });
const avroContentType = expected(ContentType.avro);

function headerIs(message: ConsumedMessage, name: string, want: Expected): boolean {
  const raw = message.rawHeaders[name];
  if (Buffer.isBuffer(raw)) return sameBytes(raw, want.bytes);
  if (typeof raw === "string") return raw === want.text;
  return messageHeader(message, name) === want.text;
}

export function serdeDecoder(serde: Serde): DecodeFn {
  const fast = new WeakMap<AnyEventDescriptor, FastPath | null>();
  const fastPath = (d: AnyEventDescriptor): FastPath | null => {
    let f = fast.get(d);
    if (f === undefined) {
      const latest = d.versions[d.versions.length - 1];
      f = null;
      if (d.format === "avro" && latest !== undefined) {
        const codec = avroCodec(latest.schema);
        f = {
          version: latest.version,
          versionHeader: expected(formatSchemaVersion(latest.version)),
          fingerprint: expected(codec.fingerprint),
          codec,
        };
      }
      fast.set(d, f);
    }
    return f;
  };
  return (message, candidates) => {
    const d = candidates.length === 1 ? candidates[0] : undefined;
    const f = d === undefined ? null : fastPath(d);
    if (
      d !== undefined &&
      f !== null &&
      message.value !== null &&
      messageHeader(message, HeaderName.eventType) === d.type &&
      headerIs(message, HeaderName.contentType, avroContentType) &&
      headerIs(message, HeaderName.schemaVersion, f.versionHeader) &&
      headerIs(message, HeaderName.schemaFingerprint, f.fingerprint)
    ) {
      return { descriptor: d, version: f.version, payload: f.codec.decode(message.value) };
    }
    return serde.decode({ topic: message.topic, headers: message.rawHeaders, value: message.value }, candidates);
  };
}
