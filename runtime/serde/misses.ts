/** Remembered misses (schemas a store did not have), bounded. */
/** How many missing fingerprints a store remembers; the oldest is forgotten first. */
export const maxRememberedMisses = 1000;

/**
 * Remembers that `key` was missing at `at`, forgetting the oldest entry beyond `max`: records with
 * made-up fingerprints must not grow the memory without bound.
 */
export function rememberMiss(misses: Map<string, number>, key: string, at: number, max = maxRememberedMisses): void {
  misses.delete(key);
  misses.set(key, at);
  if (misses.size > max) {
    const oldest = misses.keys().next().value;
    if (oldest !== undefined) misses.delete(oldest);
  }
}
