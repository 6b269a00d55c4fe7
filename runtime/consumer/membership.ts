/**
 * Whether this member may still treat its assigned partitions as its own: the fence that keeps a
 * member that fell out of the group from handling or committing records of a partition that now
 * belongs to another member.
 *
 * The group protocol kafkajs speaks is eager: a partition moves to another member only in a new
 * generation, and the coordinator forms one only after every member has rejoined or been dropped,
 * which takes at least the session timeout (no heartbeat) or the rebalance timeout (no rejoin)
 * from the member's last successful heartbeat. So records may be handled while the last
 * successful heartbeat (or the join) is younger than the heartbeat interval - far below both
 * timeouts - and otherwise only after a heartbeat succeeds again. A heartbeat answered "rejoin"
 * (rebalance in progress, unknown member, illegal generation, fenced instance) fences every batch
 * of the member until it has joined again.
 *
 * Why a clock and not only the heartbeat timer the batch runs: a timer cannot fire while a handler
 * blocks the event loop (CPU-bound work) or while handlers settle through promises alone, so after
 * a handler that outlived the timeouts the loop would carry on with its stale batch. The check
 * costs one monotonic clock read per record.
 */

/** Heartbeat answers that mean this member must rejoin before it owns anything again. */
const rejoinTypes = new Set(["REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "FENCED_INSTANCE_ID"]);

/** True for a heartbeat error that says this member must rejoin the group. */
export const isRejoinError = (e: unknown): boolean => {
  const type = (e as { type?: unknown } | null)?.type;
  return (typeof type === "string" && rejoinTypes.has(type)) || /rebalanc/i.test(String(e));
};

/**
 * kafkajs sends a heartbeat only once its own count of the interval (wall clock, whole
 * milliseconds) has passed, and otherwise resolves without asking. Asking a little after the
 * interval makes sure a heartbeat asked for is sent, so one that resolves without an answer
 * (see `confirmations`) means something is wrong, not that it was a millisecond early.
 */
const askAfterSlackMs = 20;

export class Membership {
  /** Counts joins; a batch remembers the one it was fetched in. */
  generation = 0;
  /** A heartbeat said "rejoin" since the last join. */
  fenced = false;
  /** Counts confirmations (joins, successful heartbeats): a heartbeat call that resolved answered iff it moved. */
  confirmations = 0;
  /** When the hold was last confirmed, `performance.now()`. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private readonly askAfterMs: number;

  constructor(
    /** The heartbeat interval: the longest a confirmation is trusted before records are handled without a new one. */
    heartbeatIntervalMs: number,
  ) {
    this.askAfterMs = heartbeatIntervalMs + askAfterSlackMs;
  }

  /** The member joined (a new generation): it owns its new assignment. */
  joined(): void {
    this.generation++;
    this.fenced = false;
    this.confirmed();
  }

  /** A heartbeat succeeded (whoever sent it). */
  heartbeatSucceeded(): void {
    this.confirmed();
  }

  private confirmed(): void {
    this.confirmations++;
    this.confirmedAt = performance.now();
  }

  /** A heartbeat failed with `error`; a "rejoin" answer fences every batch until the next join. */
  heartbeatFailed(error: unknown): void {
    if (isRejoinError(error)) this.fenced = true;
  }

  /** Whether a batch fetched in `generation` must stop: fenced, or the member has joined since. */
  lost(generation: number): boolean {
    return this.fenced || this.generation !== generation;
  }

  /** Whether the ownership was confirmed recently enough to handle a record without asking again. */
  recent(): boolean {
    return performance.now() - this.confirmedAt < this.askAfterMs;
  }
}
