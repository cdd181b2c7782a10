/**
 * Retry delays: exponential, capped, with full jitter (AWS architecture blog, "Exponential Backoff
 * And Jitter"): attempt n waits anywhere from the floor to min(max, base·2^n), uniformly. A server
 * restart drops every page in the same second; with full jitter their retries spread over the
 * whole window instead of bunching in its upper half, so the restarted server sees a trickle, not
 * a wall. The floor keeps a retry from ever being a 0 ms hot loop.
 */

/** Floor, base and cap of a backoff, ms. */
export interface BackoffPolicy {
  /** No retry comes sooner than this (a draw of 0 would retry in the same tick). */
  readonly minMs: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The signalling socket (which carries the tracker too) and the page's peer: 0.5 s doubling up to 30 s, never under 100 ms. */
export const RECONNECT_BACKOFF: BackoffPolicy = Object.freeze({ minMs: 100, baseMs: 500, maxMs: 30_000 });

/** The ceiling of attempt `attempt` (0 for the first retry): min(max, base·2^attempt), never under the floor. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = RECONNECT_BACKOFF): number {
  // Capping the exponent first keeps 2 ** attempt finite however long a page stays offline.
  const exponent = Math.min(Math.max(0, Math.floor(attempt) || 0), 30);
  return Math.max(policy.minMs, Math.min(policy.maxMs, policy.baseMs * 2 ** exponent));
}

/** The delay before attempt `attempt`: uniform between the floor and its ceiling (full jitter). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = RECONNECT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(attempt, policy);
  // A random() of exactly 1 (a test's, never Math.random's) still lands on the ceiling.
  const draw = Math.min(1, Math.max(0, random()));
  return Math.round(policy.minMs + (ceiling - policy.minMs) * draw);
}
