/**
 * A service repository adopts the SDK the way users will: the packages packed as a registry would
 * serve them, installed into fresh projects outside this repository - one ES module service, one
 * CommonJS service - then `skeji-gen init`, a second and third event sharing a named type,
 * generate, the service's own `tsc`, its topics applied to the real broker, publish and consume
 * with plain `node`, a unit test on `@skeji/kafka/testing`, and `skeji-gen check --against` a
 * breaking branch in the service's git repo.
 * Also: a production install of the runtime holds none of the generator's dependencies.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers } from "../infra/env.ts";
import {
  folderSize,
  installedPackages,
  must,
  npmInstall,
  type Packs,
  packWorkspaces,
  project,
  remove,
  repo,
  run,
} from "./support.ts";

const rootPackage = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const typescript = `typescript@${rootPackage.devDependencies.typescript}`;
const nodeTypes = `@types/node@${rootPackage.devDependencies["@types/node"]}`;
const run_ = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

let packs: Packs;
const cleanup: string[] = [];
beforeAll(() => {
  packs = packWorkspaces();
  cleanup.push(packs.dir);
}, 240_000);
afterAll(() => {
  for (const dir of cleanup) remove(dir);
});

/** The generator's dependencies and build tools: none may reach a production install. */
const buildOnly = ["@skeji/kafka-gen", "ts-morph", "@ts-morph/common", "commander", "tsx", "esbuild", "typescript"];

describe("a production install", () => {
  it("holds the runtime and its dependencies only", () => {
    const dir = project("prod", { "package.json": { name: "prod-service", version: "1.0.0", private: true } });
    cleanup.push(dir);
    npmInstall(dir, ["--omit=dev", packs.runtime]);
    const installed = installedPackages(dir);
    expect(installed).toContain("@skeji/kafka");
    expect(installed).toContain("kafkajs");
    expect(buildOnly.filter((name) => installed.has(name))).toEqual([]);
    const mb = folderSize(join(dir, "node_modules")) / 1e6;
    console.log(`production install of @skeji/kafka: ${installed.size} packages, ${mb.toFixed(1)} MB`);
  });

  it("ships the docs its README links to, and every relative link in them resolves", () => {
    for (const pkg of [packs.runtime, packs.generator]) {
      const dir = project("unpacked", {});
      cleanup.push(dir);
      must("tar", ["-xzf", pkg, "-C", dir], dir);
      const root = join(dir, "package");
      const broken: string[] = [];
      const docs = [join(root, "README.md"), ...readdirSync(join(root, "docs")).map((f) => join(root, "docs", f))];
      for (const file of docs.filter((f) => f.endsWith(".md"))) {
        const text = readFileSync(file, "utf8");
        for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (target === undefined || /^(https?:|mailto:|#)/.test(target)) continue;
          const path = target.split("#")[0] as string;
          if (!existsSync(join(file, "..", path))) broken.push(`${relative(root, file)} -> ${target}`);
        }
      }
      expect(broken, `broken links in ${pkg}`).toEqual([]);
    }
  });
});

/** The program a service runs: publish both new events, consume them back, print what arrived. */
const serviceMain = `import {
  consumerConfigFromEnv,
  createConsumer,
  createProducer,
  producerConfigFromEnv,
} from "@skeji/kafka";
import { createRequire } from "node:module";
import {
  OrderPlacedEvent,
  onOrderPlaced,
  onOrderRefunded,
  publishOrderPlaced,
  publishOrderRefunded,
} from "../generated/index.js";

// No top-level await: the same source compiles to CommonJS.
async function main(): Promise<void> {
  const group = process.env.GROUP_ID ?? "adoption";
  const producer = createProducer(producerConfigFromEnv(OrderPlacedEvent.topic));
  const consumer = createConsumer(consumerConfigFromEnv(OrderPlacedEvent.topic, group));
  const received: unknown[] = [];
  const done = new Promise<void>((resolve) => {
    const take = (entry: unknown) => {
      received.push(entry);
      if (received.length === 2) resolve();
    };
    onOrderPlaced(consumer, async (event) => take({ type: event.type, total: event.payload.total }));
    onOrderRefunded(consumer, async (event) => take({ type: event.type, refund: event.payload.refund }));
  });
  const running = consumer.start();
  await consumer.ready();
  await publishOrderPlaced(producer, { order_id: "o-1", total: { amount: "12.50", currency: "EUR" } });
  await publishOrderRefunded(producer, { order_id: "o-1", refund: { amount: "2.50", currency: "EUR" } });
  const timer = setTimeout(() => {
    console.error("timed out waiting for the events");
    process.exit(3);
  }, 60_000);
  await done;
  clearTimeout(timer);
  await consumer.stop();
  await running;
  await producer.close();
  // Whether the installed package put its fetch decoder and record encoder under the kafkajs this
  // service resolves (they stay off, silently, on a kafkajs release they were not proven on).
  const load = createRequire(\`\${process.cwd()}/index.js\`);
  const connection = load("kafkajs/src/network/connection.js");
  const broker = load("kafkajs/src/broker/index.js");
  console.log(\`codecs \${JSON.stringify({ fetch: connection.prototype.send.name, produce: broker.prototype.produce.name })}\`);
  console.log(JSON.stringify(received));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;

/** A unit test's body, as a service writes it with the test kit: no broker, the generated functions. */
const serviceUnit = `import { createTestKit } from "@skeji/kafka/testing";
import { allTopics, OrderPlacedEvent, onOrderPlaced, publishOrderPlaced } from "../generated/index.js";

async function unit(): Promise<void> {
  const kit = createTestKit({ topics: allTopics });
  const consumer = kit.consumer({ groupId: "unit" });
  const totals: string[] = [];
  onOrderPlaced(consumer, (event) => {
    totals.push(event.payload.total.amount);
  });
  await kit.start(consumer);
  await publishOrderPlaced(kit.producer(), { order_id: "o-1", total: { amount: "7.25", currency: "EUR" } });
  await kit.drain();
  const [published] = await kit.events(OrderPlacedEvent);
  console.log(JSON.stringify({ totals, published: published?.payload.order_id }));
  await kit.close();
}

unit().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;

const money = {
  type: "record",
  name: "Money",
  namespace: "com.example.common",
  doc: "An amount of money, exact.",
  fields: [
    { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 12, scale: 2 } },
    { name: "currency", type: "string" },
  ],
};

const orderEvent = (name: string, moneyField: string) => ({
  type: "record",
  name,
  namespace: "com.example.orders",
  fields: [
    { name: "order_id", type: "string" },
    { name: moneyField, type: "com.example.common.Money" },
  ],
});

interface ServiceKind {
  readonly name: "esm" | "cjs";
  readonly packageJson: object;
  readonly tsconfig: object;
}

const kinds: ServiceKind[] = [
  {
    name: "esm",
    packageJson: { name: "orders-esm", version: "1.0.0", private: true, type: "module" },
    tsconfig: {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        outDir: "dist",
        rootDir: ".",
        types: ["node"],
      },
      include: ["src", "generated"],
    },
  },
  {
    name: "cjs",
    // What `npm init -y` writes: no "type", so CommonJS.
    packageJson: { name: "orders-cjs", version: "1.0.0", private: true, main: "index.js" },
    tsconfig: {
      compilerOptions: {
        target: "ES2022",
        module: "CommonJS",
        strict: true,
        esModuleInterop: true,
        outDir: "dist",
        rootDir: ".",
        types: ["node"],
      },
      include: ["src", "generated"],
    },
  },
];

describe.each(kinds)("a $name service", (kind) => {
  it("installs the packs, runs init, generates, compiles, applies its topics, publishes and consumes with node, and checks a pull request", () => {
    const dir = project(kind.name, {
      "package.json": kind.packageJson,
      "tsconfig.json": kind.tsconfig,
      ".gitignore": "node_modules/\ndist/\n",
    });
    cleanup.push(dir);
    npmInstall(dir, [packs.runtime]);
    npmInstall(dir, ["-D", packs.generator, typescript, nodeTypes]);
    const gen = (...args: string[]) =>
      run(join(dir, "node_modules", ".bin", "skeji-gen"), args, dir, { KAFKA_BROKERS: brokers().join(",") });

    // init: a sample event, a manifest and a config chosen for this project.
    const init = gen("init");
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(join(dir, "skeji-gen.config.json"))).toBe(true);
    expect(existsSync(join(dir, "schemas", "manifest.json"))).toBe(true);
    // A second run changes nothing: init never overwrites.
    const again = gen("init");
    const configBefore = readFileSync(join(dir, "skeji-gen.config.json"), "utf8");
    expect(readFileSync(join(dir, "skeji-gen.config.json"), "utf8")).toBe(configBefore);
    expect(`${again.stdout}${again.stderr}`).toMatch(/exist|skip/i);

    // Two more events on a topic of their own, sharing one Money record.
    const manifestPath = join(dir, "schemas", "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      types?: string;
      topics: Record<string, unknown>;
    };
    // Topic names unique to this run: the broker is shared with the other tests.
    const renamed: Record<string, unknown> = {};
    for (const [topic, spec] of Object.entries(manifest.topics)) {
      const s = spec as { dlq?: string };
      renamed[`${topic}-${kind.name}-${run_}`] =
        s.dlq === undefined ? s : { ...s, dlq: `${s.dlq}-${kind.name}-${run_}` };
    }
    const ordersTopic = `orders-${kind.name}-${run_}`;
    renamed[ordersTopic] = {
      doc: "Orders and refunds.",
      dlq: `dlq-orders-${kind.name}-${run_}`,
      partitions: 3,
      replicationFactor: 1,
      config: { "retention.ms": "86400000" },
      events: { "order.placed": { key: "order_id" }, "order.refunded": { key: "order_id" } },
    };
    manifest.topics = renamed;
    manifest.types = "_types";
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    mkdirSync(join(dir, "schemas", "_types"), { recursive: true });
    writeFileSync(join(dir, "schemas", "_types", "money.avsc"), JSON.stringify(money, null, 2));
    for (const [type, name, field] of [
      ["order.placed", "OrderPlaced", "total"],
      ["order.refunded", "OrderRefunded", "refund"],
    ] as const) {
      mkdirSync(join(dir, "schemas", type), { recursive: true });
      writeFileSync(join(dir, "schemas", type, "v1.avsc"), JSON.stringify(orderEvent(name, field), null, 2));
    }

    const generated = gen();
    expect(generated.code, generated.stderr).toBe(0);
    // The shared record is declared once, in one module, and imported by both events.
    const declarations = readdirSync(join(dir, "generated"))
      .map((f) => readFileSync(join(dir, "generated", f), "utf8"))
      .filter((text) => /export interface Money\b/.test(text));
    expect(declarations).toHaveLength(1);
    expect(gen("--check").code).toBe(0);

    // The service's own compiler, then plain node.
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "src", "main.ts"), serviceMain);
    writeFileSync(join(dir, "src", "unit.ts"), serviceUnit);
    const tsc = run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], dir);
    expect(tsc.code, `${tsc.stdout}${tsc.stderr}`).toBe(0);

    const apply = gen("topics", "apply");
    expect(apply.code, `${apply.stdout}${apply.stderr}`).toBe(0);
    expect(apply.stdout).toContain(ordersTopic);
    const plan = gen("topics", "plan");
    expect(plan.code, `${plan.stdout}${plan.stderr}`).toBe(0);

    const main = run("node", [join("dist", "src", "main.js")], dir, {
      KAFKA_BROKERS: brokers().join(","),
      KAFKA_CONSUMER_START_OFFSET: "-2",
      GROUP_ID: `adoption-${kind.name}-${run_}`,
    });
    expect(main.code, `${main.stdout}${main.stderr}`).toBe(0);
    expect(main.stdout).toContain('codecs {"fetch":"sendWithSdkFetchDecoder","produce":"produceWithSdkEncoder"}');
    const received = JSON.parse(main.stdout.trim().split("\n").at(-1) as string) as unknown[];
    expect(received).toEqual(
      expect.arrayContaining([
        { type: "order.placed", total: { amount: "12.50", currency: "EUR" } },
        { type: "order.refunded", refund: { amount: "2.50", currency: "EUR" } },
      ]),
    );

    // The service's unit test on @skeji/kafka/testing (the package's second entry point).
    const unit = run("node", [join("dist", "src", "unit.js")], dir);
    expect(unit.code, `${unit.stdout}${unit.stderr}`).toBe(0);
    expect(JSON.parse(unit.stdout.trim().split("\n").at(-1) as string)).toEqual({ totals: ["7.25"], published: "o-1" });

    // A pull request that breaks consumers: check --against the main branch fails with annotations.
    const git = (...args: string[]) =>
      must("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.com", ...args], dir);
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-qm", "events");
    git("checkout", "-qb", "breaking");
    const v2 = orderEvent("OrderPlaced", "total") as { fields: object[] };
    v2.fields.push({ name: "customer_id", type: "string" }); // no default: v2 readers cannot read v1 data
    writeFileSync(join(dir, "schemas", "order.placed", "v2.avsc"), JSON.stringify(v2, null, 2));
    git("add", "-A");
    git("commit", "-qm", "breaking change");
    const check = gen("check", "--against", "main", "--format", "github");
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(1);
    expect(check.stdout).toMatch(/^::error file=schemas\/order\.placed\/v2\.avsc/m);
    expect(check.stdout).toContain("customer_id");
  }, 420_000);
});
