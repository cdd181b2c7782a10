/**
 * When the serving side may put the next piece on a data channel. Two limits: the channel's own
 * send buffer (peerjs would happily queue megabytes, which stalls the first transfer for seconds —
 * docs/browser-notes.md), and the visitor's optional upload budget in bytes per second. Pure: the
 * caller passes the channel's bufferedAmount and the clock, and does the waiting.
 */
import { RateLimiter } from './rate-limiter.js';

/** 256 KiB: two pieces in flight keep a loopback channel at full speed; more only adds latency. */
export const SEND_HIGH_WATER_BYTES = 256 * 1024;

/** What to do before sending the next piece. */
export type PaceDecision =
  | { readonly kind: 'send' }
  /** Wait for the channel's 'bufferedamountlow' (its threshold is SEND_HIGH_WATER_BYTES). */
  | { readonly kind: 'drain' }
  /** Wait this long for the upload budget. */
  | { readonly kind: 'wait'; readonly ms: number };

const SEND: PaceDecision = Object.freeze({ kind: 'send' });
const DRAIN: PaceDecision = Object.freeze({ kind: 'drain' });

/** The upload budget of one page (shared by every peer it serves), or none. */
export class UploadBudget {
  readonly #limiter: RateLimiter | undefined;

  constructor(bytesPerSecond: number | undefined, now: number) {
    // A quarter-second burst: the cap shows within one piece instead of after a second of full speed.
    this.#limiter = bytesPerSecond === undefined ? undefined : new RateLimiter(bytesPerSecond, Math.max(1, bytesPerSecond / 4), now);
  }

  /** Decides for one piece; on 'send' the piece's bytes are charged to the budget. */
  decide(bufferedAmount: number, pieceBytes: number, now: number): PaceDecision {
    if (bufferedAmount > SEND_HIGH_WATER_BYTES) return DRAIN;
    if (this.#limiter) {
      const ms = this.#limiter.delayMs(now);
      if (ms > 0) return { kind: 'wait', ms };
      this.#limiter.take(pieceBytes, now);
    }
    return SEND;
  }
}
