/**
 * Bounded waits for the end-to-end tests: every wait has a deadline and fails with a message that
 * says what was awaited and what was last seen, so a broken swarm fails a test instead of hanging it.
 */

/** Rejects with `what` when `promise` does not settle within `ms`; the late settlement is swallowed. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  promise.catch(() => undefined); // a page closed later rejects its pending evaluate; nobody listens any more
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of `waitFor`. */
export interface WaitOptions {
  /** Deadline, ms. */
  readonly timeoutMs: number;
  /** Pause between checks, ms. */
  readonly intervalMs?: number;
  /** What is awaited, for the failure message. */
  readonly what: string;
}

/**
 * Polls `probe` until `done(value)` holds and returns that value; past the deadline it fails with
 * the last value seen (or the last error the probe threw).
 */
export async function waitFor<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: string = 'nothing yet';
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}; last seen: ${last}`);
    try {
      const value = await withTimeout(Promise.resolve(probe()), left, options.what);
      if (done(value)) return value;
      last = JSON.stringify(value);
    } catch (error) {
      last = `error: ${error instanceof Error ? error.message : String(error)}`;
    }
    await sleep(Math.min(options.intervalMs ?? 100, Math.max(0, deadline - Date.now())));
  }
}

/** A plain pause (only between polls: tests never sleep in place of waiting for a condition). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
