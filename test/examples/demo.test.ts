/** The README's main job: `npm run demo` must keep working against the real broker. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { brokers } from "../infra/env.ts";

describe("examples/demo.ts", () => {
  it("serves typed requests, rejects an invalid payload, dead-letters a poison record, retries a transient failure", () => {
    const result = spawnSync(process.execPath, ["--conditions=skeji-source", "--import", "tsx", "examples/demo.ts"], {
      encoding: "utf8",
      env: { ...process.env, KAFKA_BROKERS: brokers().join(",") },
      timeout: 90_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out.match(/pipeline-executor -> booking [0-9a-f-]{36} CONFIRMED, 85\.50 ILS/g)).toHaveLength(3);
    expect(out).toMatch(/rejected: INVALID_PAYLOAD: .*params\.user_phone: expected string/);
    expect(out).toMatch(/party of 40/);
    expect(out).toMatch(/dlq-domain-services: dlq-error="cannot decode com\.skeji\.booking\.BookingCreateRequested/);
    expect(out).toMatch(/and the next request is served: booking [0-9a-f-]{36}/);
    // A transient failure: two failed attempts, retried after 200 ms and 400 ms (no jitter), then served.
    const flaky = out.split("\n").filter((l) => l.includes("+972506789012") || l.includes("attempt"));
    expect(flaky.map((l) => l.trim())).toEqual([
      "bookings-service  <- booking.create.requested v2 for +972506789012, party of 1",
      "bookings-service  attempt 1 failed (calendar service unavailable): retry 1 of 3 in 200 ms",
      "bookings-service  <- booking.create.requested v2 for +972506789012, party of 1 (attempt 2)",
      "bookings-service  attempt 2 failed (calendar service unavailable): retry 2 of 3 in 400 ms",
      "bookings-service  <- booking.create.requested v2 for +972506789012, party of 1 (attempt 3)",
      expect.stringMatching(/^pipeline-executor -> booking [0-9a-f-]{36} CONFIRMED on the third attempt$/),
    ]);
    expect(out.trimEnd().endsWith("done")).toBe(true);
  });
});
