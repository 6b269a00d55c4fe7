/**
 * Local Kafka broker (KRaft, one combined broker+controller node) and Apicurio
 * Registry (Confluent-compatible API) for tests, demos and benchmarks.
 *
 * Both run from Maven Central artifacts on the installed Java; nothing is mocked.
 * State lives under `.local/infra/` (git-ignored): jars, data, logs and pid files.
 * Used by `scripts/kafka` (up/down/status) and by the Vitest global setup.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  kafkaAnswers as answers,
  clusterId,
  fetchKafka,
  formatStorage,
  InfraError,
  java,
  launch,
  log,
  log4jFlag,
  mvn,
  pomProperty,
  portOpen,
  readPid,
  type Service,
  stateDir,
  terminate,
  waitFor,
} from "./common.ts";

export { InfraError, projectRoot } from "./common.ts";

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InfraError(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return n;
}

/** The ports when no SKEJI_*_PORT variable overrides them (docker-compose.yml uses the same). */
export const defaultPorts = { kafka: 19092, controller: 19093, registry: 18081 } as const;

export const ports = {
  kafka: intFromEnv("SKEJI_KAFKA_PORT", defaultPorts.kafka),
  controller: intFromEnv("SKEJI_KAFKA_CONTROLLER_PORT", defaultPorts.controller),
  /** The same broker behind SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) without TLS. */
  kafkaSasl: intFromEnv("SKEJI_KAFKA_SASL_PORT", 19094),
  /** The same broker behind TLS (a self-signed certificate for 127.0.0.1, made at start). */
  kafkaTls: intFromEnv("SKEJI_KAFKA_TLS_PORT", 19095),
  /** TLS that also requires a client certificate (mutual TLS); needs `openssl` to make one. */
  kafkaMtls: intFromEnv("SKEJI_KAFKA_MTLS_PORT", 19096),
  registry: intFromEnv("SKEJI_REGISTRY_PORT", defaultPorts.registry),
};

export const endpoints = {
  brokers: `127.0.0.1:${ports.kafka}`,
  registry: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
};

// ---------------------------------------------------------------------------
// Process bookkeeping

interface LocalService extends Service {
  readonly name: "kafka" | "registry";
  readonly ports: number[];
}

const kafkaService: LocalService = {
  name: "kafka",
  pidFile: join(stateDir, "kafka.pid"),
  logFile: join(stateDir, "kafka.log"),
  ports: [ports.kafka, ports.controller, ports.kafkaSasl, ports.kafkaTls, ports.kafkaMtls],
};
const registryService: LocalService = {
  name: "registry",
  pidFile: join(stateDir, "registry.pid"),
  logFile: join(stateDir, "registry.log"),
  ports: [ports.registry],
};

async function ensurePortsFree(svc: LocalService): Promise<void> {
  for (const port of svc.ports) {
    if (await portOpen(port)) {
      throw new InfraError(
        `port ${port} on 127.0.0.1 is in use by another process, so ${svc.name} cannot start there. ` +
          "Stop that process, or choose other ports with SKEJI_KAFKA_PORT / SKEJI_KAFKA_CONTROLLER_PORT / SKEJI_REGISTRY_PORT.",
      );
    }
  }
}

// ---------------------------------------------------------------------------
// Kafka

/**
 * The broker settings a local run relies on, next to the listeners: topics created on first use
 * with one partition, one replica of every internal topic (one node), and consumer groups that
 * form without the default 3 s initial rebalance delay. docker-compose.yml sets the same.
 */
export const brokerSettings: Readonly<Record<string, string>> = {
  "num.partitions": "1",
  "auto.create.topics.enable": "true",
  "offsets.topic.replication.factor": "1",
  "offsets.topic.num.partitions": "4",
  "transaction.state.log.replication.factor": "1",
  "transaction.state.log.min.isr": "1",
  "share.coordinator.state.topic.replication.factor": "1",
  "share.coordinator.state.topic.min.isr": "1",
  "group.initial.rebalance.delay.ms": "0",
};

export function kafkaAnswers(brokers = endpoints.brokers): Promise<boolean> {
  return answers(brokers);
}

/**
 * How to reach the broker's secured listeners, written at start to `.local/infra/kafka/secured.json`:
 * a SASL user (one password per start) and the CA file that verifies the TLS listener.
 */
export interface SecuredListeners {
  readonly sasl: { readonly brokers: string; readonly username: string; readonly password: string };
  readonly tls: { readonly brokers: string; readonly caFile: string; readonly otherCaFile: string };
  /** Absent when `openssl` was not there to make the client's certificate. */
  readonly mtls?: { readonly brokers: string; readonly certFile: string; readonly keyFile: string };
}

const securedFile = join(stateDir, "kafka", "secured.json");

/** The secured listeners of the broker this checkout started, if it did. */
export function securedListeners(): SecuredListeners | undefined {
  if (!existsSync(securedFile)) return undefined;
  return JSON.parse(readFileSync(securedFile, "utf8")) as SecuredListeners;
}

function keytool(javaBin: string): string {
  return javaBin === "java" ? "keytool" : join(dirname(javaBin), "keytool");
}

/**
 * A self-signed certificate for 127.0.0.1 in a PKCS12 keystore (the broker's), and its PEM (the
 * clients' CA); plus an unrelated certificate's PEM, for tests of a CA that must be refused.
 */
function makeTls(javaBin: string, dir: string, password: string): { keystore: string; ca: string; otherCa: string } {
  mkdirSync(dir, { recursive: true });
  const tool = keytool(javaBin);
  const run = (args: string[]) => {
    try {
      execFileSync(tool, args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      const e = err as { code?: string; stderr?: Buffer };
      if (e.code === "ENOENT")
        throw new InfraError(`${tool} not found: it comes with the JDK and makes the TLS listener's certificate`);
      throw new InfraError(
        `${tool} failed making the TLS listener's certificate: ${e.stderr?.toString().trim() ?? String(err)}`,
      );
    }
  };
  const pair = (alias: string, store: string) =>
    run([
      "-genkeypair",
      "-alias",
      alias,
      "-keyalg",
      "RSA",
      "-keysize",
      "2048",
      "-dname",
      "CN=127.0.0.1",
      "-ext",
      "SAN=ip:127.0.0.1,dns:localhost",
      "-validity",
      "3650",
      "-storetype",
      "PKCS12",
      "-keystore",
      store,
      "-storepass",
      password,
      "-keypass",
      password,
    ]);
  const exportPem = (alias: string, store: string, file: string) =>
    run(["-exportcert", "-rfc", "-alias", alias, "-keystore", store, "-storepass", password, "-file", file]);
  const keystore = join(dir, "broker.p12");
  const other = join(dir, "other.p12");
  pair("broker", keystore);
  pair("other", other);
  const ca = join(dir, "ca.pem");
  const otherCa = join(dir, "other-ca.pem");
  exportPem("broker", keystore, ca);
  exportPem("other", other, otherCa);
  return { keystore, ca, otherCa };
}

/** A client certificate and key (PEM) for mutual TLS, or undefined without `openssl`. */
function makeClientCert(dir: string): { cert: string; key: string } | undefined {
  const cert = join(dir, "client.pem");
  const key = join(dir, "client-key.pem");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "3650",
      "-subj",
      "/CN=skeji-client",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  if (made.error !== undefined || made.status !== 0) {
    log("openssl not found or failed: no mutual-TLS listener (its tests are skipped)");
    return undefined;
  }
  return { cert, key };
}

async function kafkaUp(): Promise<void> {
  const running = readPid(kafkaService);
  if (running !== undefined && securedListeners() === undefined) {
    log("kafka was started without the secured listeners; restarting it");
    await stop(kafkaService);
  } else if (running !== undefined && (await kafkaAnswers())) {
    log(`kafka already running (pid ${running}) on ${endpoints.brokers}`);
    return;
  }
  if (running !== undefined) await stop(kafkaService);
  const javaBin = java();
  await ensurePortsFree(kafkaService);
  const libs = fetchKafka();
  const dir = join(stateDir, "kafka");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "data"), { recursive: true });
  const props = join(dir, "server.properties");
  // Secured listeners next to the plain one, so TLS and SASL clients are tested against the real
  // broker: one user for PLAIN and both SCRAM mechanisms, a password per start.
  const secret = randomUUID();
  const tls = makeTls(javaBin, join(dir, "tls"), secret);
  const client = makeClientCert(join(dir, "tls"));
  const secured: SecuredListeners = {
    sasl: { brokers: `127.0.0.1:${ports.kafkaSasl}`, username: "skeji", password: secret },
    tls: { brokers: `127.0.0.1:${ports.kafkaTls}`, caFile: tls.ca, otherCaFile: tls.otherCa },
    ...(client === undefined
      ? {}
      : { mtls: { brokers: `127.0.0.1:${ports.kafkaMtls}`, certFile: client.cert, keyFile: client.key } }),
  };
  const mtls = client === undefined ? undefined : `MTLS://127.0.0.1:${ports.kafkaMtls}`;
  const scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  writeFileSync(
    props,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
      `listeners=${[`PLAINTEXT://127.0.0.1:${ports.kafka}`, `CONTROLLER://127.0.0.1:${ports.controller}`, `SASL_PLAINTEXT://127.0.0.1:${ports.kafkaSasl}`, `SSL://127.0.0.1:${ports.kafkaTls}`, ...(mtls === undefined ? [] : [mtls])].join(",")}`,
      `advertised.listeners=${[`PLAINTEXT://127.0.0.1:${ports.kafka}`, `SASL_PLAINTEXT://127.0.0.1:${ports.kafkaSasl}`, `SSL://127.0.0.1:${ports.kafkaTls}`, ...(mtls === undefined ? [] : [mtls])].join(",")}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL",
      "inter.broker.listener.name=PLAINTEXT",
      "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_skeji="${secret}";`,
      `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${scram}`,
      `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${scram}`,
      `ssl.keystore.location=${tls.keystore}`,
      "ssl.keystore.type=PKCS12",
      `ssl.keystore.password=${secret}`,
      `ssl.key.password=${secret}`,
      "ssl.client.auth=none",
      // The mutual-TLS listener trusts exactly the client certificate made above.
      ...(client === undefined
        ? []
        : [
            "listener.name.mtls.ssl.client.auth=required",
            "listener.name.mtls.ssl.truststore.type=PEM",
            `listener.name.mtls.ssl.truststore.location=${client.cert}`,
          ]),
      `log.dirs=${join(dir, "data")}`,
      ...Object.entries(brokerSettings).map(([k, v]) => `${k}=${v}`),
      "log.flush.interval.messages=9223372036854775807",
      "",
    ].join("\n"),
  );
  const scramUser = (mechanism: string) => ["--add-scram", `${mechanism}=[name=skeji,password=${secret}]`];
  formatStorage(javaBin, libs, props, clusterId(), [...scramUser("SCRAM-SHA-256"), ...scramUser("SCRAM-SHA-512")]);
  writeFileSync(securedFile, JSON.stringify(secured, null, 2));
  const pid = launch(
    kafkaService,
    javaBin,
    [
      "-Xms256m",
      "-Xmx768m",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      log4jFlag,
      "-cp",
      `${libs}/*`,
      "kafka.Kafka",
      props,
    ],
    dir,
  );
  log(`starting kafka (pid ${pid}) on ${endpoints.brokers}; log: ${kafkaService.logFile}`);
  await waitFor(kafkaService, pid, () => kafkaAnswers(), 90_000);
  log("kafka is up");
}

// ---------------------------------------------------------------------------
// Apicurio Registry

function fetchRegistry(): string {
  const version = pomProperty("apicurio.version");
  const dir = join(stateDir, `apicurio-${version}`);
  if (existsSync(join(dir, ".complete"))) return dir;
  log(`fetching Apicurio Registry ${version} with Maven (cached in ~/.m2 afterwards)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  mvn([
    "dependency:copy",
    `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
    `-DoutputDirectory=${dir}`,
  ]);
  const archive = readdirSync(dir).find((f) => f.endsWith(".tar.gz"));
  if (!archive) throw new InfraError(`the Apicurio ${version} archive was not downloaded`);
  execFileSync("tar", ["-xzf", archive], { cwd: dir });
  rmSync(join(dir, archive));
  writeFileSync(join(dir, ".complete"), "");
  return dir;
}

export async function registryAnswers(url = endpoints.registry): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function registryUp(): Promise<void> {
  const running = readPid(registryService);
  if (running !== undefined && (await registryAnswers())) {
    log(`registry already running (pid ${running}) at ${endpoints.registry}`);
    return;
  }
  if (running !== undefined) await stop(registryService);
  const javaBin = java();
  await ensurePortsFree(registryService);
  const dir = fetchRegistry();
  const runner = readdirSync(dir).find((f) => f.endsWith("-runner.jar"));
  const jar = runner ? join(dir, runner) : join(dir, "quarkus-app", "quarkus-run.jar");
  if (!existsSync(jar)) throw new InfraError(`no runnable jar in ${dir}`);
  const pid = launch(
    registryService,
    javaBin,
    [
      "-Xms128m",
      "-Xmx512m",
      `-Dquarkus.http.port=${ports.registry}`,
      "-Dquarkus.http.host=127.0.0.1",
      // In-memory storage: every start is a clean registry.
      "-Dapicurio.storage.kind=sql",
      "-Dapicurio.storage.sql.kind=h2",
      "-Dquarkus.log.level=WARN",
      '-Dquarkus.log.category."io.quarkus".level=INFO',
      "-jar",
      jar,
    ],
    dir,
  );
  log(`starting registry (pid ${pid}) at ${endpoints.registry}; log: ${registryService.logFile}`);
  await waitFor(registryService, pid, () => registryAnswers(), 120_000);
  log("registry is up");
}

// ---------------------------------------------------------------------------
// Public commands

async function stop(svc: Service): Promise<boolean> {
  const pid = readPid(svc);
  rmSync(svc.pidFile, { force: true });
  if (pid === undefined) return false;
  await terminate(pid, svc.name);
  return true;
}

export type ServiceName = "kafka" | "registry";

export async function up(which: ServiceName[] = ["kafka", "registry"]): Promise<void> {
  // Start both at once: the JVMs warm up in parallel.
  await Promise.all(which.map((s) => (s === "kafka" ? kafkaUp() : registryUp())));
}

export async function down(which: ServiceName[] = ["kafka", "registry"]): Promise<void> {
  for (const s of which) {
    const svc = s === "kafka" ? kafkaService : registryService;
    if (await stop(svc)) log(`${s} stopped`);
    else log(`${s} was not running`);
    if (s === "kafka") rmSync(join(stateDir, "kafka"), { recursive: true, force: true });
  }
}

export async function status(): Promise<boolean> {
  const k = readPid(kafkaService);
  const r = readPid(registryService);
  const kOk = k !== undefined && (await kafkaAnswers());
  const rOk = r !== undefined && (await registryAnswers());
  const line = (name: string, pid: number | undefined, ok: boolean, where: string, logFile: string) =>
    `${name.padEnd(9)} ${ok ? "up  " : pid ? "sick" : "down"} ${pid ? `pid ${pid}` : ""} ${where}  log: ${logFile}`;
  console.log(line("kafka", k, kOk, endpoints.brokers, kafkaService.logFile));
  console.log(line("registry", r, rOk, endpoints.registry, registryService.logFile));
  return kOk && rOk;
}

export function running(name: ServiceName): boolean {
  return readPid(name === "kafka" ? kafkaService : registryService) !== undefined;
}
