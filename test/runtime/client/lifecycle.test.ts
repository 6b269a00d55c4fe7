/**
 * Connecting to something that is not a Kafka broker, and closing afterwards. A producer and a
 * consumer run in processes of their own against an endpoint that accepts connections and never
 * answers, one that answers HTTP, a port nothing listens on, and a proxy to the real broker that
 * answers ApiVersions but swallows every Metadata request (a broker that stalls once connected).
 * Each must fail with an error that says what happened - for the first two within the connection
 * timeout per attempt: the request timeout is set to 10 minutes, so only the connection timeout
 * can end the wait - and then, after `close()` / `stop()`, the process must end by itself: a
 * socket or timer left open keeps it alive past the deadline, and the test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers } from "../../infra/env.ts";
import { Fixture } from "../consumer/helpers.ts";
import {
  type Endpoint,
  httpEndpoint,
  refusedEndpoint,
  runLifecycleChild,
  silentEndpoint,
  stallingProxy,
} from "./endpoints.ts";

/** Far beyond what a bounded failure takes (the consumer connects 6 times, with backoff), far below a hang. */
const deadlineMs = 50_000;
const timeout = deadlineMs + 20_000;
const timeouts = { KAFKA_CONNECTION_TIMEOUT: "500ms", KAFKA_REQUEST_TIMEOUT: "10m" };
const metadataApiKey = 3;

const endpoints: Record<string, Endpoint> = {};
const fx = new Fixture();
let topic = "";
beforeAll(async () => {
  endpoints.silent = await silentEndpoint();
  endpoints.http = await httpEndpoint();
  endpoints.refused = await refusedEndpoint();
  endpoints.stalled = await stallingProxy(brokers()[0] as string, [metadataApiKey]);
  topic = await fx.topic("lifecycle", 1, false);
});
afterAll(async () => {
  for (const e of Object.values(endpoints)) await e.close();
  await fx.close();
});

// [endpoint, settings, what the error says, the code of the consumer's start error's cause]
const cases: [string, Record<string, string>, string, string | undefined][] = [
  ["silent", timeouts, "did not answer as a Kafka broker within 500 ms", "CONNECTION_FAILED"],
  ["http", timeouts, "did not answer as a Kafka broker (it answered with HTTP)", "CONNECTION_FAILED"],
  ["refused", timeouts, "ECONNREFUSED", "CONNECTION_FAILED"],
  // Connected; the metadata request (for the idempotent producer's id, the consumer's topics) times out.
  [
    "stalled",
    { ...timeouts, KAFKA_REQUEST_TIMEOUT: "1s" },
    "Request Metadata(key: 3, version: 6) timed out",
    undefined,
  ],
];

describe.concurrent("a producer that cannot connect", () => {
  it.each(cases)(
    "to a %s endpoint fails with CONNECTION_FAILED and lets its process end",
    { timeout },
    async (kind, env, says) => {
      const endpoint = endpoints[kind] as Endpoint;
      const child = await runLifecycleChild("producer", "t", { KAFKA_BROKERS: endpoint.address, ...env }, deadlineMs);
      expect(child.exitedByItself, `the producer's process was still running: ${child.stderr}`).toBe(true);
      expect(child.exitCode).toBe(0);
      const [outcome, closed] = child.lines;
      expect(outcome).toMatchObject({ ok: false, code: "CONNECTION_FAILED" });
      expect(outcome?.message).toContain(`cannot connect to Kafka at ${endpoint.address}`);
      expect(outcome?.message).toContain(says);
      expect(closed).toEqual({ closed: true });
    },
  );
});

describe.concurrent("a consumer that cannot connect", () => {
  it.each(cases)(
    "to a %s endpoint fails to start and lets its process end after stop()",
    { timeout },
    async (kind, env, says, causeCode) => {
      const endpoint = endpoints[kind] as Endpoint;
      const child = await runLifecycleChild("consumer", "t", { KAFKA_BROKERS: endpoint.address, ...env }, deadlineMs);
      expect(child.exitedByItself, `the consumer's process was still running: ${child.stderr}`).toBe(true);
      expect(child.exitCode).toBe(0);
      const [outcome, closed] = child.lines;
      expect(outcome).toMatchObject({ ok: false, code: "CONSUMER_START_FAILED" });
      expect(outcome?.causeCode).toBe(causeCode);
      expect(outcome?.message).toContain(says);
      expect(closed).toEqual({ closed: true });
    },
  );
});

describe.concurrent("against the real broker", () => {
  it("a producer publishes, closes, and its process ends", { timeout }, async () => {
    const child = await runLifecycleChild("producer", topic, { KAFKA_BROKERS: brokers().join(",") }, deadlineMs);
    expect(child.exitedByItself, child.stderr).toBe(true);
    expect(child.lines).toMatchObject([{ ok: true, offset: expect.any(String) }, { closed: true }]);
  });

  it("a consumer starts, stops, and its process ends", { timeout }, async () => {
    const child = await runLifecycleChild("consumer", topic, { KAFKA_BROKERS: brokers().join(",") }, deadlineMs);
    expect(child.exitedByItself, child.stderr).toBe(true);
    expect(child.lines).toMatchObject([{ ok: true }, { closed: true }]);
  });
});
