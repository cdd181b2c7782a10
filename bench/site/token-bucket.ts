/**
 * A token bucket for the bench's link emulation: `take(n)` resolves when `n` bytes may go out at
 * `bytesPerSecond`. Tokens may go negative (debt), so concurrent streams queue behind each other's
 * bytes and share the rate, as responses share one downlink.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** One link's rate limit. */
export class TokenBucket {
  #tokens: number;
  #last = performance.now();

  /** `burstBytes`: what may go at once after a quiet spell (a link's queue; a few packets' worth). */
  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
  ) {
    if (!(bytesPerSecond > 0) || !(burstBytes > 0)) throw new Error('TokenBucket: rate and burst must be positive');
    this.#tokens = burstBytes;
  }

  /** Waits until `n` more bytes fit the rate. */
  async take(n: number): Promise<void> {
    const now = performance.now();
    this.#tokens = Math.min(this.burstBytes, this.#tokens + ((now - this.#last) * this.bytesPerSecond) / 1000);
    this.#last = now;
    this.#tokens -= n;
    if (this.#tokens < 0) await sleep((-this.#tokens * 1000) / this.bytesPerSecond);
  }
}
