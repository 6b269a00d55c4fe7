/** Which topics the cluster has: asked after a failure that points at a missing topic. */
import type { Admin, AdminConfig } from "kafkajs";

/**
 * The topics of `topics` the cluster does not have; undefined when the list cannot be read.
 * kafkajs's admin client lists topics without ever asking the broker to create one.
 */
export async function missingTopics(
  kafka: { admin(config?: AdminConfig): Pick<Admin, "connect" | "listTopics" | "disconnect"> },
  topics: readonly string[],
): Promise<string[] | undefined> {
  const admin = kafka.admin({ retry: { retries: 1 } });
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    return topics.filter((t) => !existing.has(t));
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * How to create missing topics, for the errors that name them: from the manifest with the CLI, or
 * from generated descriptors in code.
 */
export function howToCreate(missing: readonly string[]): string {
  const them = missing.length === 1 ? "it" : "them";
  return `create ${them} from the manifest with \`npx skeji-gen topics apply\`, or in code with \`ensureTopics(config, allTopics)\``;
}
