/**
 * How many bytes a client's word may add, per time: a token bucket in bytes that fills at a rate
 * (what a real page could move) up to a burst, from the moment it starts. A claim takes what is
 * left and no more, so a lie adds at most `rate × elapsed`, however large the number it sends.
 */

/** A byte allowance that starts empty at `startMs` and fills at `bytesPerSecond`, up to `burstSeconds` of it. */
export class ByteAllowance {
  #bytes = 0;
  #at: number;
  readonly #perMs: number;
  readonly #cap: number;

  constructor(bytesPerSecond: number, burstSeconds: number, startMs: number) {
    this.#perMs = bytesPerSecond / 1000;
    this.#cap = bytesPerSecond * burstSeconds;
    this.#at = startMs;
  }

  /** Takes up to `bytes` at `now` (ms); returns how many were granted (0 ≤ granted ≤ bytes). */
  take(bytes: number, now: number): number {
    // A clock stepping backwards must not mint bytes.
    const elapsed = now - this.#at;
    if (elapsed > 0) {
      this.#bytes = Math.min(this.#cap, this.#bytes + elapsed * this.#perMs);
      this.#at = now;
    }
    const granted = Math.max(0, Math.min(bytes, Math.floor(this.#bytes)));
    this.#bytes -= granted;
    return granted;
  }

  /** Gives back bytes taken but not used (never above the burst). */
  refund(bytes: number): void {
    if (bytes > 0) this.#bytes = Math.min(this.#cap, this.#bytes + bytes);
  }
}
