/**
 * The consumer's decoder: the runtime's wire-format decoder (embedded Avro, Confluent through
 * the registry, JSON), with a fast path for the common record - embedded Avro written with the
 * latest version, whose headers name exactly that version (and its fingerprint, when present). For such a record
 * the full decoder does nothing but decode with the latest codec; the fast path does the same
 * without re-reading every header. Any other record goes to the full decoder.
 */
import type { IHeaders } from "kafkajs";
import type { AnyEventDescriptor } from "../descriptor.ts";
import { formatSchemaVersion, HeaderName } from "../message/headers.ts";
import { type AvroCodec, avroCodec } from "../serde/avro.ts";
import { ContentType, type Serde } from "../serde/serde.ts";
import { type HeaderMatcher, headerMatcher } from "./header-match.ts";
import { messageHeader } from "./message.ts";
import type { DecodeFn } from "./router.ts";

interface FastPath {
  readonly version: number;
  readonly versionHeader: HeaderMatcher;
  readonly fingerprint: HeaderMatcher;
  readonly codec: AvroCodec;
}

const avroContentType = headerMatcher(ContentType.avro);

/**
 * The three headers the fast path needs, looked up by literal names: each lookup then has one
 * fixed key, which the engine resolves far faster than a lookup by a variable name (the header
 * objects of one producer's records all have the same shape). `content-type` and
 * `schema-fingerprint` may be absent (a producer may leave them out, see `optionalHeaders`): the
 * full decoder then reads the record as embedded Avro of the version `schema-version` names, too.
 */
function fastHeaders(h: IHeaders, f: FastPath): boolean {
  const contentType = h["content-type"];
  const fingerprint = h["schema-fingerprint"];
  return (
    (contentType === undefined || avroContentType(contentType)) &&
    f.versionHeader(h["schema-version"]) &&
    (fingerprint === undefined || f.fingerprint(fingerprint))
  );
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
          versionHeader: headerMatcher(formatSchemaVersion(latest.version)),
          fingerprint: headerMatcher(codec.fingerprint),
          codec,
        };
      }
      fast.set(d, f);
    }
    return f;
  };
  return (message, candidates, eventType = messageHeader(message, HeaderName.eventType)) => {
    const d = candidates.length === 1 ? candidates[0] : undefined;
    const f = d === undefined ? null : fastPath(d);
    if (
      d !== undefined &&
      f !== null &&
      message.value !== null &&
      eventType === d.type &&
      fastHeaders(message.rawHeaders, f)
    ) {
      return { descriptor: d, version: f.version, payload: f.codec.decode(message.value) };
    }
    return serde.decode({ topic: message.topic, headers: message.rawHeaders, value: message.value }, candidates);
  };
}
