/** Bounded waits: a port to a closed page never answers, so nothing the SW awaits may be unbounded. */

/** What `withDeadline` resolves to when the time ran out (or the signal aborted) first. */
export const TIMED_OUT: unique symbol = Symbol('swarmcdn.timedOut');

/** The promise's value, or TIMED_OUT after `ms` or when `signal` aborts; a rejection rejects. */
export function withDeadline<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | typeof TIMED_OUT> {
  if (signal?.aborted) return Promise.resolve(TIMED_OUT);
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      resolve(TIMED_OUT);
    };
    const timer = setTimeout(onAbort, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/** Runs a fire-and-forget call with a bound, swallowing its failure (a peer report must never fail a page). */
export function bestEffort(call: () => Promise<unknown>, ms: number): Promise<void> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch {
    return Promise.resolve();
  }
  return withDeadline(promise, ms).then(
    () => undefined,
    () => undefined,
  );
}
