/** Reconnect delays: exponential, capped, with jitter so a server restart is not met by every page at once. */

/** Base and cap of a backoff, ms. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The reconnect policy of the signalling socket (which carries the tracker too): 0.5 s doubling up to 30 s. */
export const RECONNECT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 500, maxMs: 30_000 });

/** The delay before attempt `attempt` (0 for the first retry): between half and all of min(max, base·2^attempt). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = RECONNECT_BACKOFF, random: () => number = Math.random): number {
  // Capping the exponent first keeps 2 ** attempt finite however long a page stays offline.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}
