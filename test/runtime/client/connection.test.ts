/**
 * The bound on a broker's first answer is a bound on silence, not on the whole answer: a broker
 * behind a slow link whose first answer keeps arriving, piece by piece, for longer than the
 * connection timeout is still connected to, and a publish through it succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer, producerConfigFromEnv, silentLogger } from "../../../runtime/index.ts";
import { brokers } from "../../infra/env.ts";
import { Fixture } from "../consumer/helpers.ts";
import { dribblingProxy, type Endpoint } from "./endpoints.ts";

const fx = new Fixture();
let proxy: Endpoint;
beforeAll(async () => {
  // Every connection's first 400 bytes of answers (ApiVersions' answer, and more) come in 8 pieces,
  // 250 ms apart: 2 s in all, four times the 500 ms connection timeout.
  proxy = await dribblingProxy(brokers()[0] as string, 400, 8, 250);
});
afterAll(async () => {
  await proxy.close();
  await fx.close();
});

describe("a broker whose first answer arrives slowly", () => {
  it("is connected to, and a publish through it succeeds", async () => {
    const topic = await fx.topic("dribble", 1, false);
    // Only the bootstrap connection goes through the proxy; the broker then advertises itself.
    const producer = createProducer(
      producerConfigFromEnv(topic, { KAFKA_BROKERS: proxy.address, KAFKA_CONNECTION_TIMEOUT: "500ms" }),
      { logger: silentLogger },
    );
    try {
      const result = await producer.publish({ key: "k", value: Buffer.from("slow"), headers: {} });
      expect(result).toMatchObject({ topic, acknowledged: true, offset: "0" });
    } finally {
      await producer.close();
    }
  });
});
