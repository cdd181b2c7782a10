/**
 * Per-connection rate limit as a token bucket, kept as two plain numbers on the connection's own
 * state object (no bucket object, no timer per socket): tokens are refilled lazily from the clock
 * when a frame arrives, so 20,000 idle sockets cost nothing here.
 */

/** The two numbers a bucket needs; PeerConnection carries them. */
export interface TokenBucketState {
  /** Tokens left (fractional). */
  tokens: number;
  /** When tokens were last refilled, ms. */
  refilledAt: number;
}

/** Takes one token at `now` (ms); false when the bucket is empty. `perMs` is the sustained rate per millisecond. */
export function takeToken(bucket: TokenBucketState, now: number, perMs: number, burst: number): boolean {
  // A clock stepping backwards must not mint tokens, hence the elapsed > 0 test.
  const elapsed = now - bucket.refilledAt;
  if (elapsed > 0) {
    const tokens = bucket.tokens + elapsed * perMs;
    bucket.tokens = tokens < burst ? tokens : burst;
    bucket.refilledAt = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** The same bucket as an object, for code that keeps one per session (the tracker). */
export class TokenBucket {
  readonly #state: TokenBucketState;
  readonly #perMs: number;

  /** A full bucket at time `now` (ms): `burst` messages at once, `ratePerSecond` sustained. */
  constructor(
    ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#state = { tokens: burst, refilledAt: now };
    this.#perMs = ratePerSecond / 1000;
  }

  /** Takes one token at time `now` (ms); false when the caller is over its rate. */
  take(now: number): boolean {
    return takeToken(this.#state, now, this.#perMs, this.burst);
  }
}
