/**
 * A kafkajs instance whose connections can all be cut at once, for a connection loss inside the
 * test process: after `kill()` it cannot reach the cluster until `revive()`.
 */
import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { brokers } from "../../infra/env.ts";

export function killableKafka(): { kafka: Kafka; kill: () => void; revive: () => void } {
  const sockets = new Set<net.Socket>();
  let dead = false;
  const kafka = new Kafka({
    brokers: brokers(),
    clientId: "killable",
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
    // After kill() every new connection goes to a closed port, until revive().
    socketFactory: ({ host, port, onConnect }) => {
      const socket = dead ? net.connect({ host: "127.0.0.1", port: 1 }) : net.connect({ host, port }, onConnect);
      socket.setKeepAlive(true, 1000);
      sockets.add(socket);
      return socket;
    },
  });
  const kill = (): void => {
    dead = true;
    // With an error, as a reset connection would end: kafkajs only notices a socket's end or error.
    const reset = (): Error => Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    for (const s of sockets) s.destroy(reset());
    sockets.clear();
  };
  const revive = (): void => {
    dead = false;
  };
  return { kafka, kill, revive };
}
