/**
 * The rate hedge: a peer that delivers more slowly than the origin would (a capped uplink, or an
 * origin that compresses what peers carry raw) must not make a page slower than the origin alone.
 * Pure: the pipeline passes what it measured and acts on the answer.
 */

/** Only spans with at least this much left are considered: below it a switch saves little. */
export const RATE_HEDGE_MIN_BYTES = 1024 * 1024;
/** A rate needs a few chunks from peers (one is mostly set-up). */
export const RATE_HEDGE_MIN_CHUNKS = 3;
/** The origin must be this much faster on what is left before the peers are dropped for it. */
export const RATE_HEDGE_MARGIN = 1.25;

/** What one response measured. */
export interface RateFacts {
  /** Chunks and bytes peers delivered, and ms since the first of them arrived. */
  readonly peerChunks: number;
  readonly peerBytes: number;
  readonly sinceFirstMs: number;
  /** Bytes of the span not yet held or asked of the origin. */
  readonly leftBytes: number;
  /** The origin's median time to headers, and its measured pace in file bytes per ms (undefined: none yet). */
  readonly originTtfbMs: number;
  readonly originBytesPerMs: number | undefined;
}

/** True when the origin (its latency plus the rest at its pace) would finish clearly before the peers at theirs. */
export function originWouldFinishFirst(f: RateFacts): boolean {
  if (!f.originBytesPerMs || f.peerChunks < RATE_HEDGE_MIN_CHUNKS || f.leftBytes < RATE_HEDGE_MIN_BYTES || f.sinceFirstMs <= 0) return false;
  // The chunks after the first arrived in sinceFirstMs: the first one's bytes are set-up, not pace.
  const peerRate = (f.peerBytes - f.peerBytes / f.peerChunks) / f.sinceFirstMs;
  if (peerRate <= 0) return true;
  return f.originTtfbMs + f.leftBytes / f.originBytesPerMs < f.leftBytes / peerRate / RATE_HEDGE_MARGIN;
}
