/**
 * `check --registry` / `register` with basic auth. Our registry has no authentication, so a tiny
 * local HTTP endpoint stands in for one call: it records the request headers and answers like a
 * registry would (a missing subject, or 401). Secrets must never reach the output.
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, record, runCli, writeSchemas } from "./helpers.ts";

const user = "ci-bot";
const password = "pw-Zq8!s3cret";
const basic = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** How the endpoint answers: a missing subject (as the Confluent API says it), or a status with no body. */
let answer: "missing-subject" | 401 | 403 = "missing-subject";
const seen: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    if (answer === "missing-subject") {
      res.writeHead(404, { "content-type": "application/vnd.schemaregistry.v1+json" });
      res.end(JSON.stringify({ error_code: 40401, message: "Subject not found" }));
    } else {
      res.writeHead(answer).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const variables = ["SCHEMA_REGISTRY_URL", "SCHEMA_REGISTRY_USERNAME", "SCHEMA_REGISTRY_PASSWORD"] as const;
const saved = Object.fromEntries(variables.map((v) => [v, process.env[v]]));
afterEach(() => {
  for (const v of variables) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  answer = "missing-subject";
  seen.length = 0;
});

function setCredentials(): void {
  process.env.SCHEMA_REGISTRY_USERNAME = user;
  process.env.SCHEMA_REGISTRY_PASSWORD = password;
}

const project = () =>
  writeSchemas({
    "booking.created": {
      topic: "auth-test",
      versions: [record("BookingCreated", { name: "booking_id", type: "string" })],
    },
  }).root;

/** Nothing the user sees holds the password, or the user:password pair. */
function expectNoSecret(run: CliRun): void {
  const shown = run.out + run.err;
  expect(shown).not.toContain(password);
  expect(shown).not.toContain(encodeURIComponent(password));
  expect(shown).not.toContain(`${user}:`);
  expect(shown).not.toContain(basic.slice(6));
}

describe("skeji-gen check --registry with basic auth", () => {
  it("sends SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD as basic auth on every call", async () => {
    setCredentials();
    const run = await runCli("check", ["--registry", base], project());
    expect(run.code).toBe(0);
    expect(run.out).toContain("note: booking.created: subject auth-test-booking.created is not registered yet");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((r) => r.headers.authorization)).toEqual(seen.map(() => basic));
    expectNoSecret(run);
  });

  it("takes credentials from the URL, sends them, and shows the URL without them", async () => {
    answer = 403;
    const url = `http://${user}:${encodeURIComponent(password)}@${base.slice("http://".length)}`;
    const run = await runCli("check", ["--registry", url], project());
    expect(run.code).toBe(2);
    expect(seen[0]?.headers.authorization).toBe(basic);
    expect(run.err).toBe(
      `skeji-gen: schema registry ${base} answered HTTP 403 to GET /subjects/auth-test-booking.created/versions; the registry user (SCHEMA_REGISTRY_USERNAME) may not do this\n`,
    );
    expectNoSecret(run);
  });

  it("--registry without a URL reads SCHEMA_REGISTRY_URL, credentials in it included", async () => {
    process.env.SCHEMA_REGISTRY_URL = `http://${user}:${encodeURIComponent(password)}@${base.slice("http://".length)}`;
    const run = await runCli("check", ["--registry", "--format", "json"], project());
    expect(run.code).toBe(0);
    expect(seen[0]?.headers.authorization).toBe(basic);
    expectNoSecret(run);
  });

  it("a 401 without credentials is one line naming the variables to set", async () => {
    answer = 401;
    const run = await runCli("check", ["--registry", base], project());
    expect(run.code).toBe(2);
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(run.err).toBe(
      `skeji-gen: schema registry ${base} answered HTTP 401 to GET /subjects/auth-test-booking.created/versions; it needs credentials: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD\n`,
    );
  });

  it("a 401 with credentials says they were refused, naming the variables and not their values", async () => {
    answer = 401;
    setCredentials();
    const run = await runCli("check", ["--registry", base], project());
    expect(run.code).toBe(2);
    expect(run.err.trimEnd().split("\n")).toHaveLength(1);
    expect(run.err).toContain(
      "the credentials were refused: check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD",
    );
    expectNoSecret(run);
  });

  it("--registry-username wins over the environment; without a password nothing is sent and the variable is named", async () => {
    const run = await runCli("check", ["--registry", base, "--registry-username", "other"], project());
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'skeji-gen: invalid option "--registry": a registry user name is set but no password; set SCHEMA_REGISTRY_PASSWORD\n',
    );
    expect(seen).toEqual([]);

    setCredentials();
    expect((await runCli("check", ["--registry", base, "--registry-username", "other"], project())).code).toBe(0);
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`other:${password}`).toString("base64")}`);
  });

  it("a bad URL holding credentials is reported without them", async () => {
    const run = await runCli("check", ["--registry", `ftp://${user}:${password}@registry.example`], project());
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'skeji-gen: invalid option "--registry": expected an http(s) URL, got "ftp://***@registry.example"\n',
    );
    expectNoSecret(run);
  });

  it("an unreachable registry is named without the credentials of its URL", async () => {
    const run = await runCli("check", ["--registry", `http://${user}:${password}@127.0.0.1:9`], project());
    expect(run.code).toBe(2);
    expect(run.err).toContain("schema registry http://127.0.0.1:9 did not answer");
    expectNoSecret(run);
  });
});

describe("skeji-gen register with basic auth", () => {
  it("sends the credentials and names the variables when the registry refuses them", async () => {
    answer = 401;
    setCredentials();
    const run = await runCli("register", ["--registry", base], project());
    expect(run.code).toBe(2);
    expect(seen[0]?.headers.authorization).toBe(basic);
    expect(run.err).toContain(
      "the credentials were refused: check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD",
    );
    expectNoSecret(run);
  });
});
