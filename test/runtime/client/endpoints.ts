/**
 * Endpoints that accept (or refuse) connections but are no Kafka broker, and a runner for
 * lifecycle-child.ts: shared by the client tests and the fault suite.
 */
import { spawn } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";

export interface Endpoint {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  close(): Promise<void>;
}

/** A TCP server whose connections `onConnection` serves; they stay open until `close()`. */
async function serve(onConnection: (socket: Socket) => void): Promise<Endpoint> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts, reads whatever comes, never answers and never closes (a load balancer without a backend). */
export const silentEndpoint = (): Promise<Endpoint> => serve((socket) => socket.resume());

/** Answers whatever comes with an HTTP 400 and keeps the connection open (an HTTP port). */
export const httpEndpoint = (): Promise<Endpoint> =>
  serve((socket) =>
    socket.once("data", () => socket.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")).resume(),
  );

/** A port nothing listens on (connections are refused). */
export async function refusedEndpoint(): Promise<Endpoint> {
  const held = await serve(() => {});
  await held.close();
  return { address: held.address, close: async () => {} };
}

/**
 * A proxy to a real broker that forwards everything except requests with one of `apiKeys`, which
 * it swallows: they never get an answer (a broker that connects and then stalls). With Metadata
 * (3) swallowed, a client connects (ApiVersions is answered), then waits on its first metadata.
 */
export async function stallingProxy(target: string, apiKeys: readonly number[]): Promise<Endpoint> {
  const [host = "", port = ""] = target.split(":");
  return serve((client) => {
    const upstream = connect({ host, port: Number(port) });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Requests are an int32 size, then the int16 API key.
      while (pending.length >= 6 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        if (!apiKeys.includes(frame.readInt16BE(4))) upstream.write(frame);
      }
    });
  });
}

/**
 * A proxy to a real broker that hands each connection's first `slowBytes` of answers to the
 * client in `pieces` pieces, `gapMs` apart (a slow link: the answer keeps coming, slowly); the
 * rest passes at once.
 */
export async function dribblingProxy(
  target: string,
  slowBytes: number,
  pieces: number,
  gapMs: number,
): Promise<Endpoint> {
  const [host = "", port = ""] = target.split(":");
  return serve((client) => {
    const upstream = connect({ host, port: Number(port) });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    let sent = 0;
    let chain = Promise.resolve();
    upstream.on("data", (chunk: Buffer) => {
      chain = chain.then(async () => {
        let rest = chunk;
        while (rest.length > 0 && sent < slowBytes) {
          const piece = rest.subarray(0, Math.ceil(slowBytes / pieces));
          rest = rest.subarray(piece.length);
          sent += piece.length;
          await new Promise((r) => setTimeout(r, gapMs));
          if (!client.destroyed) client.write(piece);
        }
        if (rest.length > 0 && !client.destroyed) client.write(rest);
      });
    });
  });
}

export interface ChildOutcome {
  /** False when the child was still running at the deadline (something kept it alive) and was killed. */
  readonly exitedByItself: boolean;
  readonly exitCode: number | null;
  /** The JSON lines the child wrote: its outcome, then `{ closed: true }`. */
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
}

/**
 * Runs lifecycle-child.ts as `role` against `env` (merged over this process's environment) and
 * waits for it to end by itself; at `deadlineMs` it is killed and reported as not having ended.
 */
export function runLifecycleChild(
  role: "producer" | "consumer",
  topic: string,
  env: Record<string, string>,
  deadlineMs: number,
): Promise<ChildOutcome> {
  const root = join(import.meta.dirname, "..", "..", "..");
  const child = spawn(
    process.execPath,
    ["--conditions=skeji-source", "--import", "tsx", join(import.meta.dirname, "lifecycle-child.ts"), role, topic],
    { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    let killed = false;
    const deadline = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, deadlineMs);
    child.once("exit", (exitCode) => {
      clearTimeout(deadline);
      const lines = stdout
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ exitedByItself: !killed, exitCode, lines, stderr });
    });
  });
}
