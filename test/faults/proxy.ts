/**
 * A TCP proxy that understands just enough of the Kafka protocol to break it on purpose. It sits
 * on 127.0.0.1 in front of one broker listener (the broker advertises the proxy's address, so all
 * of a client's traffic to that broker passes through it) and forwards whole frames:
 *
 * - client -> broker: `int32 size, int16 api_key, int16 api_version, int32 correlation_id, ...`;
 *   for Produce also `acks` and the topic names (v3-v8, and the flexible v9-v12; kafkajs 2.2.4
 *   speaks v7 to Kafka 4);
 * - broker -> client: `int32 size, int32 correlation_id, ...`, matched to its request.
 *
 * Faults, each switched on and off while clients run: lose the responses of the next N Produce
 * requests (the broker wrote the batch, the client never learns it), or of other requests (e.g.
 * CreateTopics), and cut their connections;
 * lose the next N Produce requests themselves (the broker never sees them);
 * cut every connection; stall (hold all bytes both ways); refuse new connections; blackhole
 * (accept and never answer).
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

export const ApiKey = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18 } as const;

/** A request frame as the proxy saw it on its way to the broker. */
export interface RequestFrame {
  /** The proxy's number for the client connection. */
  readonly connection: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Produce only: the acks the client asked for (0: no response will come). */
  readonly acks?: number | undefined;
  /** Produce only: the topics the request writes to (empty from v13, which names topics by id). */
  readonly topics?: readonly string[] | undefined;
}

/** A response frame, matched to its request; `dropped` when a fault kept it from the client. */
export interface ResponseFrame {
  readonly connection: number;
  readonly correlationId: number;
  readonly apiKey: number | undefined;
  readonly dropped: boolean;
}

export interface DropOptions {
  /** How many requests are hit. Default 1; `Infinity` until `stop()` or `heal()`. */
  readonly count?: number;
  /** Which requests: Produce (default), or another API key (e.g. 19, CreateTopics). */
  readonly apiKey?: number;
  /** Only Produce requests that write to this topic. */
  readonly topic?: string;
  /** Cut the connection when a frame is dropped (default), as a broken network would. */
  readonly cut?: boolean;
}

/** A running "lose Produce requests or their responses" fault. */
export interface DropHandle {
  /** Frames dropped so far. */
  readonly dropped: number;
  /** Resolves once `count` frames were dropped (never, for `Infinity`). */
  readonly done: Promise<void>;
  /** No further requests are marked (responses already marked are still dropped). */
  stop(): void;
}

interface DropRule {
  /** Which frame is lost: the request (the broker never sees it) or its response. */
  readonly frame: "request" | "response";
  readonly apiKey: number;
  readonly count: number;
  remaining: number;
  readonly topic: string | undefined;
  readonly cut: boolean;
  dropped: number;
  resolve: () => void;
}

/** Splits a byte stream into Kafka frames (a 4-byte big-endian size, then that many bytes). */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every frame now complete, size prefix included. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= 4) {
      const size = this.buffer.readInt32BE(0);
      if (size < 4) throw new Error(`invalid Kafka frame size ${size}`);
      if (this.buffer.length < 4 + size) break;
      frames.push(this.buffer.subarray(0, 4 + size));
      this.buffer = this.buffer.subarray(4 + size);
    }
    return frames;
  }
}

/** Reads Kafka's primitive types from a frame. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf.readUInt8(this.pos++);
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
    }
    throw new Error("varint too long");
  }
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new Error("field runs past the frame");
    this.pos += n;
  }
  text(n: number): string {
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.skip(n);
    return s;
  }
  /** STRING / NULLABLE_STRING: int16 length, -1 for null. */
  string(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  }
  /** COMPACT_(NULLABLE_)STRING: unsigned varint length + 1, 0 for null. */
  compactString(): string | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.text(n);
  }
  /** TAGGED_FIELDS: a count, then tag, size and bytes of each. */
  taggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}

/** Produce is flexible (compact types, tagged fields, request header v2) from v9. */
const firstFlexibleProduce = 9;

/** Parses a request frame's header, and a Produce request's acks and topic names. */
export function parseRequest(frame: Buffer, connection = 0): RequestFrame {
  const r = new Reader(frame, 4);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.string();
  if (apiKey !== ApiKey.Produce) return { connection, apiKey, apiVersion, correlationId, clientId };
  if (apiVersion < 3) throw new Error(`Produce v${apiVersion} predates the transactional_id field; not parsed`);
  const flexible = apiVersion >= firstFlexibleProduce;
  if (flexible) r.taggedFields(); // request header v2
  if (flexible) r.compactString();
  else r.string(); // transactional_id
  const acks = r.int16();
  r.int32(); // timeout
  const topics: string[] = [];
  const topicCount = flexible ? r.uvarint() - 1 : r.int32();
  for (let t = 0; t < topicCount; t++) {
    if (!flexible) topics.push(r.string() ?? "");
    else if (apiVersion >= 13)
      r.skip(16); // topic id
    else topics.push(r.compactString() ?? "");
    const partitions = flexible ? r.uvarint() - 1 : r.int32();
    for (let p = 0; p < partitions; p++) {
      r.int32(); // partition index
      const size = flexible ? r.uvarint() - 1 : r.int32();
      if (size > 0) r.skip(size);
      if (flexible) r.taggedFields();
    }
    if (flexible) r.taggedFields();
  }
  return { connection, apiKey, apiVersion, correlationId, clientId, acks, topics };
}

/** The correlation id of a response frame (the same place in every response header version). */
export function responseCorrelationId(frame: Buffer): number {
  return frame.readInt32BE(4);
}

type Mode = "forward" | "blackhole";

/** One client connection and its connection to the broker. */
class Link {
  readonly requests = new FrameReader();
  readonly responses = new FrameReader();
  /** Requests forwarded and not answered yet, by correlation id. */
  readonly pending = new Map<number, { apiKey: number; drop: DropRule | undefined }>();
  /** Frames held back by a stall, in order. */
  readonly held: { to: Socket; frame: Buffer }[] = [];
  /** Bytes are swallowed both ways (blackhole). */
  swallowed = false;
  closed = false;
  /** Requests that arrived before the broker connection was up, sent once it is. */
  private waiting: Buffer[] | undefined = [];

  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly upstream: Socket | undefined,
  ) {}

  /** The broker connection is up: sends what waited for it. */
  connected(): void {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const frame of waiting) this.upstream?.write(frame);
  }

  /** Writes a frame to `to`, or keeps it until the broker connection is up. */
  write(to: Socket, frame: Buffer): void {
    if (to === this.upstream && this.waiting !== undefined) this.waiting.push(frame);
    else to.write(frame);
  }

  /** Closes both sides; the client's with a reset, as a broken network or a dead peer would. */
  cut(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.resetAndDestroy();
    this.upstream?.destroy();
  }
}

export class KafkaProxy {
  private server: Server | undefined;
  private bound: number;
  private readonly links = new Set<Link>();
  private nextLink = 1;
  private mode: Mode = "forward";
  private stalled = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private rules: DropRule[] = [];
  private readonly requestListeners = new Set<(frame: RequestFrame) => void>();
  private readonly responseListeners = new Set<(frame: ResponseFrame) => void>();
  private closed = false;

  private constructor(
    port: number,
    private readonly target: { readonly host: string; readonly port: number },
  ) {
    this.bound = port;
  }

  /** Starts a proxy on 127.0.0.1:`port` (0: any free port) in front of `target`. */
  static async start(target: { host?: string; port: number }, port = 0): Promise<KafkaProxy> {
    const proxy = new KafkaProxy(port, { host: target.host ?? "127.0.0.1", port: target.port });
    await proxy.listen();
    return proxy;
  }

  /** The port the proxy listens on (the same after `refuse()` and `accept()`). */
  get port(): number {
    return this.bound;
  }

  /** `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Calls `listener` for every request frame the proxy receives; returns a function that stops it. */
  onRequest(listener: (frame: RequestFrame) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  /** Calls `listener` for every response frame, forwarded or dropped; returns a function that stops it. */
  onResponse(listener: (frame: ResponseFrame) => void): () => void {
    this.responseListeners.add(listener);
    return () => this.responseListeners.delete(listener);
  }

  /** Requests (of `apiKey`, or all) forwarded to the broker and not answered yet. */
  inFlight(apiKey?: number): number {
    let n = 0;
    for (const link of this.links) {
      for (const p of link.pending.values()) if (apiKey === undefined || p.apiKey === apiKey) n++;
    }
    return n;
  }

  /** Client connections open now. */
  get connections(): number {
    let n = 0;
    for (const link of this.links) if (!link.closed) n++;
    return n;
  }

  /**
   * Loses the responses of the next `count` Produce requests (that write to `topic`, if given):
   * each request reaches the broker, which writes the batch and answers, but the answer never
   * reaches the client, and the connection is cut (unless `cut: false`, when the client waits
   * for an answer that does not come).
   */
  dropProduceResponses(options: DropOptions = {}): DropHandle {
    return this.drop("response", options);
  }

  /**
   * Loses the next `count` Produce requests (that write to `topic`, if given) on their way: the
   * broker never sees them, and the connection is cut (unless `cut: false`, when the client waits
   * for an answer that does not come).
   */
  dropProduceRequests(options: DropOptions = {}): DropHandle {
    return this.drop("request", options);
  }

  /**
   * Loses the responses of the next `count` requests of `options.apiKey` (Produce by default): the
   * broker carries each out and answers, and the answer never reaches the client; the connection is
   * cut unless `cut: false`.
   */
  dropResponses(options: DropOptions = {}): DropHandle {
    return this.drop("response", options);
  }

  private drop(frame: "request" | "response", options: DropOptions): DropHandle {
    let resolve: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const count = options.count ?? 1;
    const rule: DropRule = {
      frame,
      apiKey: options.apiKey ?? ApiKey.Produce,
      count,
      remaining: count,
      topic: options.topic,
      cut: options.cut ?? true,
      dropped: 0,
      resolve,
    };
    this.rules.push(rule);
    return {
      get dropped() {
        return rule.dropped;
      },
      done,
      stop: () => {
        rule.remaining = 0;
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  /** Cuts every open connection now (clients see a reset). New connections are accepted. */
  cutAll(): void {
    for (const link of this.links) link.cut();
  }

  /**
   * Holds every byte, both ways and on every connection (new ones too), for `ms`; then delivers
   * what was held, in order. Resolves when the stall ends.
   */
  stall(ms: number): Promise<void> {
    this.stalled = true;
    clearTimeout(this.stallTimer);
    return new Promise((resolve) => {
      this.stallTimer = setTimeout(() => {
        this.release();
        resolve();
      }, ms);
    });
  }

  /** Stops listening: new connections are refused (ECONNREFUSED); open ones go on. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // The listening socket closes at once; close()'s callback would also wait for open connections.
    server?.close();
    await new Promise((r) => setImmediate(r));
  }

  /** Listens again after `refuse()`. */
  async accept(): Promise<void> {
    if (this.server === undefined && !this.closed) await this.listen();
  }

  /** Accepts connections and never answers: new and open connections swallow every byte, both ways. */
  blackhole(): void {
    this.mode = "blackhole";
    for (const link of this.links) link.swallowed = true;
  }

  /** Ends every fault: forwards again, accepts again, no drops, no stall; cuts blackholed connections. */
  async heal(): Promise<void> {
    for (const rule of this.rules) rule.remaining = 0;
    this.rules = [];
    this.mode = "forward";
    for (const link of this.links) if (link.swallowed) link.cut();
    this.release();
    await this.accept();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.stallTimer);
    this.cutAll();
    await this.refuse();
  }

  private release(): void {
    clearTimeout(this.stallTimer);
    this.stalled = false;
    for (const link of this.links) {
      for (const { to, frame } of link.held.splice(0)) if (!link.closed) link.write(to, frame);
    }
  }

  private listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.accepted(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.bound, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        if (typeof address === "object" && address !== null) this.bound = address.port;
        resolve();
      });
    });
  }

  private accepted(client: Socket): void {
    if (this.closed) {
      client.resetAndDestroy();
      return;
    }
    const id = this.nextLink++;
    client.on("error", () => {});
    if (this.mode === "blackhole") {
      const link = new Link(id, client, undefined);
      link.swallowed = true;
      this.track(link);
      client.on("data", () => {});
      return;
    }
    const upstream = tcpConnect({ host: this.target.host, port: this.target.port, noDelay: true });
    upstream.on("error", () => {});
    const link = new Link(id, client, upstream);
    this.track(link);
    client.on("data", (chunk: Buffer) => this.fromClient(link, chunk));
    upstream.on("data", (chunk: Buffer) => this.fromBroker(link, chunk));
    upstream.once("connect", () => link.connected());
    // Either side gone (the broker died, the client hung up): the other goes too.
    upstream.on("close", () => link.cut());
  }

  private track(link: Link): void {
    this.links.add(link);
    link.client.on("close", () => {
      link.cut();
      this.links.delete(link);
    });
  }

  private fromClient(link: Link, chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = link.requests.push(chunk);
    } catch {
      link.cut();
      return;
    }
    for (const frame of frames) {
      if (link.closed) return;
      if (link.swallowed) continue;
      let request: RequestFrame;
      try {
        request = parseRequest(frame, link.id);
      } catch {
        link.cut(); // not Kafka, or a version this proxy does not know: no guessing
        return;
      }
      const drop = request.acks === 0 ? undefined : this.claim(request);
      for (const listener of this.requestListeners) listener(request);
      if (drop?.frame === "request") {
        drop.dropped++;
        if (drop.dropped >= drop.count) drop.resolve();
        if (drop.cut) {
          link.cut();
          return;
        }
        continue;
      }
      if (request.apiKey !== ApiKey.Produce || request.acks !== 0) {
        link.pending.set(request.correlationId, { apiKey: request.apiKey, drop });
      }
      if (link.upstream !== undefined) this.deliver(link, link.upstream, frame);
    }
  }

  private fromBroker(link: Link, chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = link.responses.push(chunk);
    } catch {
      link.cut();
      return;
    }
    for (const frame of frames) {
      if (link.closed) return;
      if (link.swallowed) continue;
      const correlationId = responseCorrelationId(frame);
      const request = link.pending.get(correlationId);
      link.pending.delete(correlationId);
      const drop = request?.drop;
      for (const listener of this.responseListeners) {
        listener({ connection: link.id, correlationId, apiKey: request?.apiKey, dropped: drop !== undefined });
      }
      if (drop === undefined) {
        this.deliver(link, link.client, frame);
        continue;
      }
      drop.dropped++;
      if (drop.dropped >= drop.count) drop.resolve();
      if (drop.cut) {
        link.cut();
        return;
      }
    }
  }

  /** The drop rule that takes this request, if any (and counts it). */
  private claim(request: RequestFrame): DropRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        r.apiKey === request.apiKey &&
        (r.topic === undefined || (request.topics ?? []).includes(r.topic)),
    );
    if (rule === undefined) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule;
  }

  private deliver(link: Link, to: Socket, frame: Buffer): void {
    if (this.stalled) link.held.push({ to, frame });
    else link.write(to, frame);
  }
}
