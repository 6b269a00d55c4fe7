/** Error classes, their guards across package copies, and classification of plain errors (table-driven). */
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { SkejiError } from "../../../runtime/errors/base.ts";
import { classifyError, errorMessage, errorTypeName } from "../../../runtime/errors/classify.ts";
import {
  type ErrorClass,
  isBusinessError,
  isPermanentError,
  isTransientError,
  newBusinessError,
  newPermanentError,
  newTransientError,
  TransientError,
} from "../../../runtime/errors/processing.ts";

const sysError = (code: string): Error => Object.assign(new Error(`connect ${code} 10.0.0.1:5432`), { code });

describe("error classes", () => {
  it("carry code, message and cause, and the guards tell them apart", () => {
    const cause = new Error("db down");
    const t = newTransientError("database connection failed", cause);
    const p = newPermanentError("invalid message schema", cause);
    const b = newBusinessError("booking conflict");
    expect([t.code, p.code, b.code]).toEqual(["TRANSIENT", "PERMANENT", "BUSINESS"]);
    expect(t.cause).toBe(cause);
    expect(b.cause).toBeUndefined();
    expect(t.message).toBe("database connection failed");
    expect([isTransientError(t), isPermanentError(t), isBusinessError(t)]).toEqual([true, false, false]);
    expect([isTransientError(p), isPermanentError(p), isBusinessError(p)]).toEqual([false, true, false]);
    expect([isTransientError(b), isPermanentError(b), isBusinessError(b)]).toEqual([false, false, true]);
    expect(isTransientError(new Error("x"))).toBe(false);
    expect(isTransientError(null)).toBe(false);
  });

  it("are recognised when they come from another copy of the package", async () => {
    // A second module instance of the same source stands in for a second installed copy.
    vi.resetModules();
    const copy = await import("../../../runtime/errors/processing.ts");
    const foreign = copy.newTransientError("from the other copy");
    expect(copy.TransientError).not.toBe(TransientError);
    expect(foreign).not.toBeInstanceOf(TransientError);
    expect(isTransientError(foreign)).toBe(true);
    expect(classifyError(copy.newBusinessError("conflict"))).toBe("business");
  });
});

describe("classifyError", () => {
  const cases: [string, unknown, ErrorClass][] = [
    ["explicit transient", newTransientError("x"), "transient"],
    [
      "explicit permanent wins over a transient-looking message",
      newPermanentError("timeout talking to db"),
      "permanent",
    ],
    ["explicit business", newBusinessError("slot taken"), "business"],
    ["explicit class in the cause chain", new Error("wrapped", { cause: newTransientError("db") }), "transient"],
    ["runtime code REGISTRY_UNAVAILABLE", new SkejiError("REGISTRY_UNAVAILABLE", "registry down"), "transient"],
    ["runtime code DECODE_FAILED", new SkejiError("DECODE_FAILED", "bad bytes"), "permanent"],
    ["consumer code HANDLER_TIMEOUT", new SkejiError("HANDLER_TIMEOUT", "slow"), "transient"],
    ["runtime code UNKNOWN_SCHEMA", new SkejiError("UNKNOWN_SCHEMA", "id 42"), "permanent"],
    ["runtime code UNKNOWN_VERSION", new SkejiError("UNKNOWN_VERSION", "v9"), "permanent"],
    [
      "runtime code INVALID_SCHEMA (a writer the reader cannot resolve), even with a transient-looking message",
      new SkejiError("INVALID_SCHEMA", "field timeout: cannot read string as int"),
      "permanent",
    ],
    ...["ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EPIPE", "ENETUNREACH", "EAI_AGAIN"].map(
      (code): [string, unknown, ErrorClass] => [`node code ${code}`, sysError(code), "transient"],
    ),
    ["node code in the cause chain", new Error("query failed", { cause: sysError("ECONNRESET") }), "transient"],
    ["kafkajs retriable", new KafkaJSConnectionError("Connection error"), "transient"],
    [
      "kafkajs protocol retriable",
      new KafkaJSProtocolError(
        Object.assign(new Error("x"), { type: "LEADER_NOT_AVAILABLE", code: 5, retriable: true }),
      ),
      "transient",
    ],
    ["kafkajs non-retriable", new KafkaJSNonRetriableError("nope"), "permanent"],
    ["pattern: connection refused", new Error("dial tcp: connection refused"), "transient"],
    ["pattern: timeout", new Error("request timeout after 5s"), "transient"],
    ["pattern: deadline exceeded", new Error("context deadline exceeded"), "transient"],
    ["pattern: network is unreachable", new Error("network is unreachable"), "transient"],
    ["pattern: broken pipe", new Error("write: broken pipe"), "transient"],
    ["pattern: i/o timeout", new Error("read: i/o timeout"), "transient"],
    ["pattern: temporary failure", new Error("Temporary failure in name resolution"), "transient"],
    ["pattern: invalid message", new Error("invalid message"), "permanent"],
    ["pattern: schema mismatch", new Error("schema mismatch on field x"), "permanent"],
    ["pattern: deserialization failed", new Error("deserialization failed"), "permanent"],
    ["pattern: unknown topic", new Error("unknown topic or partition"), "permanent"],
    ["AbortSignal.timeout() reason", new DOMException("The operation timed out", "TimeoutError"), "transient"],
    ["unclassified error", new Error("something odd"), "permanent"],
    ["thrown string", "boom", "permanent"],
    ["thrown undefined", undefined, "permanent"],
  ];
  it.each(cases)("%s", (_name, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it("uses the configured default for unclassified errors only", () => {
    expect(classifyError(new Error("something odd"), { unclassified: "transient" })).toBe("transient");
    expect(classifyError(new Error("invalid message"), { unclassified: "transient" })).toBe("permanent");
    expect(classifyError(newBusinessError("x"), { unclassified: "transient" })).toBe("business");
  });
});

describe("error descriptions for the DLQ", () => {
  it("name the error type and include the cause chain in the message", () => {
    expect(errorTypeName(newTransientError("x"))).toBe("TransientError:TRANSIENT");
    expect(errorTypeName(sysError("ECONNREFUSED"))).toBe("Error:ECONNREFUSED");
    expect(errorTypeName(new TypeError("bad"))).toBe("TypeError");
    expect(errorTypeName("boom")).toBe("string");
    expect(errorMessage(newPermanentError("invalid schema", new Error("field x missing")))).toBe(
      "invalid schema: field x missing",
    );
  });

  it("say a cause once when its wrapper's message already ends with it", () => {
    const inner = new Error("connect ECONNREFUSED 127.0.0.1:1");
    const wrapped = newTransientError(`registry request failed: ${inner.message}`, inner);
    expect(errorMessage(wrapped)).toBe("registry request failed: connect ECONNREFUSED 127.0.0.1:1");
    const twice = newPermanentError("could not handle", wrapped);
    expect(errorMessage(twice)).toBe("could not handle: registry request failed: connect ECONNREFUSED 127.0.0.1:1");
  });
});
