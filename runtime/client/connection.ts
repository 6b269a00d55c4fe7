/**
 * Broker connections: the sockets kafkajs connects through, and the error a failed connect
 * becomes.
 *
 * kafkajs's `connectionTimeout` bounds only the TCP (and TLS) connect. Something that accepts
 * connections but does not speak Kafka - a load balancer without a backend, an HTTP port - then
 * leaves the first request (ApiVersions) waiting for the request timeout (30 s), after which
 * kafkajs even counts the silent socket as a connected broker. The sockets made here also bound
 * the first answer: when the first request on a socket is one a broker answers at once
 * (ApiVersions, SASL), no sign of a Kafka response within the connection timeout, or bytes that
 * cannot be one (an HTTP status line), destroy the socket with an error that says the endpoint did
 * not answer as a Kafka broker. kafkajs sees a connection error and retries or fails as for a
 * refused connection. And a socket kafkajs ends (on disconnect) is destroyed once its last bytes
 * are out, so a peer that never closes its side cannot keep the process alive or hold the socket.
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ISocketFactory } from "kafkajs";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { errorMessage } from "../errors/classify.ts";

/** kafkajs's keep-alive delay, kept. */
const keepAliveMs = 60_000;

/** Requests a broker answers at once, without waiting on anything (API keys). */
const promptRequests: ReadonlySet<number> = new Set([
  18, // ApiVersions
  17, // SaslHandshake
  36, // SaslAuthenticate
]);

/** The answers to those requests are small; a first frame that claims more is not Kafka. */
const maxFirstAnswerBytes = 1024 * 1024;

/** The socket factory for kafkajs: kafkajs's own, plus the bounded first answer and release on end. */
export function brokerSocketFactory(connectionTimeoutMs: number): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, keepAliveMs);
    boundFirstAnswer(socket, `${host}:${port}`, connectionTimeoutMs);
    releaseOnEnd(socket, connectionTimeoutMs);
    return socket;
  };
}

/**
 * Watches the answer to the first request written to `socket`, if it is a prompt one: the socket
 * is destroyed when no bytes arrive for `timeoutMs` before that answer is complete, or when the
 * bytes cannot be a Kafka response.
 */
function boundFirstAnswer(socket: Socket, broker: string, timeoutMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  let head = Buffer.alloc(0);
  let received = 0;
  let frameBytes: number | undefined;

  const stop = (): void => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("close", stop);
  };
  const fail = (reason: string): void => {
    stop();
    socket.destroy(new Error(`${broker} did not answer as a Kafka broker ${reason}`));
  };
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const what = received === 0 ? "then sent no Kafka response" : `then its answer stopped after ${received} bytes`;
      fail(`within ${timeoutMs} ms (it accepted the connection, ${what})`);
    }, timeoutMs);
    timer.unref();
  };
  function onData(chunk: Buffer): void {
    received += chunk.length;
    if (frameBytes === undefined) {
      head = Buffer.concat([head, chunk.subarray(0, 8)]);
      if (head.subarray(0, 5).toString("latin1") === "HTTP/") {
        fail("(it answered with HTTP)");
        return;
      }
      if (head.length < 4) {
        arm();
        return;
      }
      // A response is an int32 size, then the correlation id and the body.
      frameBytes = head.readInt32BE(0);
      if (frameBytes < 4 || frameBytes > maxFirstAnswerBytes) {
        fail("(its answer is not a Kafka response; is this a Kafka listener, with the right TLS setting?)");
        return;
      }
    }
    if (received >= 4 + frameBytes) stop();
    else arm(); // more of the answer is on its way: a slow link, not a silent peer
  }

  const write = socket.write;
  const restore = ownRestorer(socket, "write");
  // Only the first request is looked at; afterwards the socket's own `write` is back.
  socket.write = function firstWrite(this: Socket, ...args: Parameters<Socket["write"]>): boolean {
    restore();
    const [chunk] = args;
    if (Buffer.isBuffer(chunk) && chunk.length >= 6 && promptRequests.has(chunk.readInt16BE(4))) {
      socket.on("data", onData);
      socket.once("close", stop);
      arm();
    }
    return write.apply(this, args);
  } as Socket["write"];
}

/** Destroys the socket once an `end()` has flushed (or after `graceMs`), whatever the peer does. */
function releaseOnEnd(socket: Socket, graceMs: number): void {
  const end = socket.end;
  const restore = ownRestorer(socket, "end");
  socket.end = function endThenRelease(this: Socket, ...args: Parameters<Socket["end"]>): Socket {
    restore();
    const result = end.apply(this, args);
    if (socket.writableFinished) socket.destroy();
    else {
      // A peer that stops reading keeps `finish` from coming: then destroy after the grace period.
      const timer = setTimeout(() => socket.destroy(), graceMs);
      timer.unref();
      socket.once("finish", () => socket.destroy());
      socket.once("close", () => clearTimeout(timer));
    }
    return result;
  } as Socket["end"];
}

/** Puts `socket[name]` back as it was before it is replaced: its own value, or the prototype's. */
function ownRestorer(socket: Socket, name: "write" | "end"): () => void {
  const target = socket as unknown as Record<string, unknown>;
  if (!Object.hasOwn(socket, name)) {
    return () => {
      delete target[name];
    };
  }
  const own = target[name];
  return () => {
    target[name] = own;
  };
}

/**
 * The CONNECTION_FAILED error for a connect that failed: names the brokers and keeps the client's
 * reason (refused, authentication failed, certificate not trusted, not a Kafka broker), which is
 * what the operator acts on. kafkajs's texts carry no credentials.
 */
export function connectionFailed(brokers: readonly string[], cause: unknown): SkejiError {
  return new SkejiError(
    ErrorCode.CONNECTION_FAILED,
    `cannot connect to Kafka at ${brokers.join(",")}: ${errorMessage(cause)}`,
    {
      cause,
      details: { brokers: [...brokers] },
    },
  );
}
