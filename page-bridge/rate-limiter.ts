/**
 * A token bucket that lets one sender go into debt: a caller may take more than is left (a whole
 * 128 KiB piece against a 64 KiB/s budget) and the next caller waits until the debt is paid.
 * Pure: the clock is passed in, so tests drive it. Used for the upload budget (bytes) and for the
 * tracker's outgoing messages (one token each).
 */

/** A bucket refilled at `ratePerSecond` up to `burst`, starting full at `now` (ms). */
export class RateLimiter {
  #tokens: number;
  #refilledAt: number;
  readonly #perMs: number;

  constructor(
    ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst > 0)) throw new RangeError('rate and burst must be positive');
    this.#perMs = ratePerSecond / 1000;
    this.#tokens = burst;
    this.#refilledAt = now;
  }

  #refill(now: number): void {
    // A clock stepping backwards must not mint tokens.
    const elapsed = now - this.#refilledAt;
    if (elapsed <= 0) return;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.#perMs);
    this.#refilledAt = now;
  }

  /** Milliseconds to wait at `now` before the next take is allowed: 0 unless in debt (so a full burst lets burst + 1 unit takes through). */
  delayMs(now: number): number {
    this.#refill(now);
    // The 1e-9 absorbs float noise in the refill, which would otherwise round a 1 ms wait up to 2.
    return this.#tokens >= 0 ? 0 : Math.max(0, Math.ceil(-this.#tokens / this.#perMs - 1e-9));
  }

  /** Takes `amount` at `now`, into debt if need be (check delayMs first). */
  take(amount: number, now: number): void {
    this.#refill(now);
    this.#tokens -= amount;
  }
}
