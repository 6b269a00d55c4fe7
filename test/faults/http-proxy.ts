/**
 * An HTTP proxy on 127.0.0.1 in front of the schema registry, that breaks chosen requests on
 * purpose: the registry receives and carries out the request, and its answer never reaches the
 * client, whose connection is reset instead (a lost response); or the request is cut before the
 * registry sees it. Every other request is forwarded as it is, and every request is logged.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";

export interface HttpExchange {
  readonly method: string;
  readonly path: string;
  /** The registry's status; undefined when the request never reached it. */
  readonly status: number | undefined;
  /** What the client got: the answer, or a reset. */
  readonly fault: "none" | "response-lost" | "request-lost";
}

interface Rule {
  readonly match: (method: string, path: string) => boolean;
  readonly fault: "response-lost" | "request-lost";
  remaining: number;
}

export class HttpFaultProxy {
  readonly exchanges: HttpExchange[] = [];
  private rules: Rule[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  /** Starts a proxy on a free port in front of `target` (scheme, host and port of the registry). */
  static async start(target: string): Promise<HttpFaultProxy> {
    let proxy: HttpFaultProxy | undefined;
    const server = createServer((req, res) => proxy?.handle(req, res));
    proxy = new HttpFaultProxy(server, new URL(target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  /** `http://127.0.0.1:<port>`: the target's address, with the proxy in between. */
  get origin(): string {
    const address = this.server.address();
    if (typeof address !== "object" || address === null) throw new Error("the proxy is not listening");
    return `http://127.0.0.1:${address.port}`;
  }

  /**
   * The next `count` requests that `match` are broken: `response-lost` forwards each, waits for the
   * registry's whole answer, and resets the client's connection instead of answering;
   * `request-lost` resets it before anything is forwarded.
   */
  breakNext(match: (method: string, path: string) => boolean, fault: Rule["fault"], count = 1): void {
    this.rules.push({ match, fault, remaining: count });
  }

  /** Ends every fault. */
  heal(): void {
    this.rules = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private claim(method: string, path: string): Rule["fault"] | "none" {
    const rule = this.rules.find((r) => r.remaining > 0 && r.match(method, path));
    if (rule === undefined) return "none";
    rule.remaining--;
    return rule.fault;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const fault = this.claim(method, path);
    const reset = () => req.socket.resetAndDestroy();
    if (fault === "request-lost") {
      this.exchanges.push({ method, path, status: undefined, fault });
      reset();
      return;
    }
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method,
        path,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          this.exchanges.push({ method, path, status: answer.statusCode, fault });
          if (fault === "response-lost") {
            reset();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on("error", () => reset());
    req.pipe(upstream);
  }
}
