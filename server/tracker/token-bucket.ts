/**
 * A per-connection token bucket: `burst` messages at once, `ratePerSecond` sustained. Two numbers
 * per socket and no timer: tokens are refilled lazily from the clock when a message arrives, which
 * is what lets one process hold tens of thousands of sockets.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  /** A full bucket at time `now` (ms). */
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes one token at time `now` (ms); false when the bucket is empty (the caller is over its rate). */
  take(now: number): boolean {
    // A clock that steps backwards neither mints tokens nor moves the mark back (which would mint
    // them later, when the clock catches up).
    if (now > this.#at) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.ratePerSecond) / 1000);
      this.#at = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
