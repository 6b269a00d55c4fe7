/**
 * Creating one topic until it can be used, through a cluster that may lose a broker meanwhile.
 *
 * A creation request whose answer is lost (the broker handling it died, the connection broke) may
 * have been carried out: the topic is looked for before anything else, and created again only when
 * it is not there. A refusal (an invalid setting, a replication factor the live brokers cannot
 * hold, a policy) is final. A topic that exists is usable once each of its partitions has a leader
 * that answers for it; until then it is reported as created but not usable, never as ready.
 */
import type { TopicAdmin } from "../client/admin.ts";
import { ErrorCode, SkejiError } from "../errors/base.ts";
import { errorMessage } from "../errors/classify.ts";
import type { Logger } from "../observability/logger.ts";
import type { TopicState } from "./plan.ts";

/** What became of one topic. */
export interface Made {
  readonly topic: string;
  /**
   * `usable`: every partition led by a live broker; `unusable`: exists, not (yet) usable;
   * `not-created`: missing; `unknown`: the cluster could not be asked whether it exists.
   */
  readonly outcome: "usable" | "unusable" | "not-created" | "unknown";
  /** This call created it (false: it was there before, or another client created it meanwhile). */
  readonly byThisCall: boolean;
  readonly reason?: string | undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True when the cluster refused the creation for what it is: trying again cannot help. */
function refused(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (typeof e !== "object" || e === null || seen.has(e)) return false;
    seen.add(e);
    const { type, retriable, errors, cause } = e as {
      type?: unknown;
      retriable?: unknown;
      errors?: unknown;
      cause?: unknown;
    };
    // A broker's error code (kafkajs carries it as `type`) that kafkajs knows not to be transient.
    if (typeof type === "string" && retriable === false) return true;
    if (Array.isArray(errors) && errors.some(visit)) return true;
    return visit(cause);
  };
  return visit(error);
}

/** Creates `t` (missing when planned) and waits until it is usable, within `timeoutMs` in all. */
export async function createUsable(admin: TopicAdmin, t: TopicState, timeoutMs: number, logger: Logger): Promise<Made> {
  const deadline = Date.now() + timeoutMs;
  const topic = t.topic;
  for (const note of t.notes) logger.info({ topic }, `topic ${topic}: ${note}`);
  let sent = false;
  let byThisCall = false;
  for (let attempt = 1; ; attempt++) {
    try {
      // "Already exists" after an attempt without an answer: that attempt was carried out.
      byThisCall = (await admin.createTopic(topic, t.wanted, Math.max(1000, deadline - Date.now()))) || sent;
      break;
    } catch (error) {
      sent = true;
      if (refused(error)) return { topic, outcome: "not-created", byThisCall: false, reason: errorMessage(error) };
      const found = await admin.exists(topic).catch(() => undefined);
      if (found === true) {
        logger.warn({ topic, error: errorMessage(error) }, `creating topic ${topic} got no answer, but it exists`);
        byThisCall = true;
        break;
      }
      const backoff = Math.min(2000, 200 * 2 ** (attempt - 1));
      if (Date.now() + backoff >= deadline) {
        return {
          topic,
          outcome: found === false ? "not-created" : "unknown",
          byThisCall: false,
          reason: errorMessage(error),
        };
      }
      logger.warn({ topic, attempt, error: errorMessage(error) }, `creating topic ${topic} failed; trying again`);
      await sleep(backoff);
    }
  }
  try {
    await admin.waitUntilUsable(topic, t.wanted.partitions, Math.max(0, deadline - Date.now()));
    return { topic, outcome: "usable", byThisCall };
  } catch (error) {
    return { topic, outcome: "unusable", byThisCall, reason: errorMessage(error) };
  }
}

/** Waits until `t`, which exists, is usable. */
export async function existingUsable(admin: TopicAdmin, t: TopicState, timeoutMs: number): Promise<Made> {
  try {
    await admin.waitUntilUsable(t.topic, t.actual?.partitions, timeoutMs);
    return { topic: t.topic, outcome: "usable", byThisCall: false };
  } catch (error) {
    return { topic: t.topic, outcome: "unusable", byThisCall: false, reason: errorMessage(error) };
  }
}

const list = (topics: readonly string[]) => topics.join(", ");

/** TOPIC_CREATE_FAILED naming, for each topic not usable, whether it exists and why; and what was created. */
export function notUsable(failed: readonly Made[], created: readonly string[]): SkejiError {
  const what = (m: Made): string => {
    switch (m.outcome) {
      case "not-created":
        return `${m.topic}: not created (${m.reason})`;
      case "unknown":
        return `${m.topic}: may or may not have been created (${m.reason}); run again to find out`;
      default:
        return `${m.topic}: ${m.byThisCall ? "created" : "exists"}, but ${m.reason}`;
    }
  };
  const of = (outcome: Made["outcome"]) => failed.filter((m) => m.outcome === outcome).map((m) => m.topic);
  const n = failed.length;
  return new SkejiError(
    ErrorCode.TOPIC_CREATE_FAILED,
    `${n === 1 ? "a topic is" : `${n} topics are`} not usable: ${failed.map(what).join("; ")}. ` +
      (created.length === 0 ? "No topic was created." : `Created and usable: ${list(created)}.`),
    {
      details: {
        topics: failed.map((m) => m.topic),
        created,
        notCreated: of("not-created"),
        unusable: of("unusable"),
        unknown: of("unknown"),
      },
    },
  );
}
