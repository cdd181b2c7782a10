/**
 * When the serving side may put the next piece on a data channel. Two limits: the channel's own
 * send buffer (peerjs would happily queue megabytes, which stalls the first transfer for seconds —
 * docs/browser-notes.md), and the visitor's optional upload budget in bytes per second. Pure: the
 * caller passes the channel's bufferedAmount and the clock, and does the waiting.
 */
import { RateLimiter } from './rate-limiter.js';

/**
 * 256 KiB: the send buffer's floor, and where a full one is refilled from ('bufferedamountlow').
 * Two pieces; on a slow path (2.5 MB/s) already 100 ms of queue ahead of the next answer.
 */
export const SEND_HIGH_WATER_BYTES = 256 * 1024;
/** 1 MiB: the most a fast channel keeps queued (the raw baseline's pacing in bench:p2p). */
export const SEND_MAX_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * 40 ms of the channel's measured drain rate stays queued: the sending page's thread may be busy
 * that long (a GC, an IndexedDB answer, the page's own work) without the channel running dry. A
 * fixed 256 KiB is 10 ms on a loopback channel at 25 MB/s, and bench:p2p's SW fetch ran at
 * 0.91–0.93× its ceiling with it, 0.99× with 1 MiB; a fixed 1 MiB is 400 ms of head-of-line wait
 * for a new answer on a 2.5 MB/s path.
 */
export const SEND_BUFFER_MS = 40;
/** The drain rate is measured over at least this long (a single event's timing says little). */
const DRAIN_SAMPLE_MS = 50;
/** A gap this long (the sender idle) starts the measurement afresh. */
const DRAIN_GAP_MS = 1_000;

/**
 * How fast one data channel drains its send buffer, measured while it has something queued, and
 * the high-water mark that keeps SEND_BUFFER_MS of it queued (SEND_HIGH_WATER_BYTES to
 * SEND_MAX_HIGH_WATER_BYTES). Pure: the caller passes the bytes it has handed the channel in total,
 * the channel's bufferedAmount and the clock.
 */
export class DrainMeter {
  /** Bytes per ms; 0 until measured. */
  #rate = 0;
  #at: number | undefined;
  #drained = 0;
  #backlogged = false;

  /** The measured drain rate in bytes per ms (0 until measured). */
  get bytesPerMs(): number {
    return this.#rate;
  }

  /** Looks at the channel now: `sentTotal` bytes handed to it so far, `bufferedAmount` of them still queued. */
  sample(sentTotal: number, bufferedAmount: number, now: number): void {
    const drained = sentTotal - bufferedAmount;
    if (this.#at === undefined || now - this.#at > DRAIN_GAP_MS || now < this.#at) {
      this.#reset(drained, bufferedAmount, now);
      return;
    }
    const elapsed = now - this.#at;
    if (elapsed < DRAIN_SAMPLE_MS) return;
    const rate = (drained - this.#drained) / elapsed;
    // Queued throughout: the rate is the channel's. Ran empty: the channel drains at least this fast.
    if (this.#backlogged && bufferedAmount > 0) this.#rate = this.#rate === 0 ? rate : (this.#rate + rate) / 2;
    else this.#rate = Math.max(this.#rate, rate);
    this.#reset(drained, bufferedAmount, now);
  }

  /** The bytes to keep queued at most now. */
  highWater(): number {
    return Math.min(SEND_MAX_HIGH_WATER_BYTES, Math.max(SEND_HIGH_WATER_BYTES, Math.round(this.#rate * SEND_BUFFER_MS)));
  }

  #reset(drained: number, bufferedAmount: number, now: number): void {
    this.#at = now;
    this.#drained = drained;
    this.#backlogged = bufferedAmount > 0;
  }
}

/** What to do before sending the next piece. */
export type PaceDecision =
  | { readonly kind: 'send' }
  /** Wait for the channel's 'bufferedamountlow' (its threshold is SEND_HIGH_WATER_BYTES, the floor). */
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

  /** Decides for one piece (`highWater`: the channel's, DrainMeter); on 'send' the piece's bytes are charged to the budget. */
  decide(bufferedAmount: number, pieceBytes: number, now: number, highWater = SEND_HIGH_WATER_BYTES): PaceDecision {
    if (bufferedAmount > highWater) return DRAIN;
    if (this.#limiter) {
      const ms = this.#limiter.delayMs(now);
      if (ms > 0) return { kind: 'wait', ms };
      this.#limiter.take(pieceBytes, now);
    }
    return SEND;
  }
}
