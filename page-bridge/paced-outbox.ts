/**
 * A bounded queue of messages sent in order, no faster than a rate: the tracker closes a
 * socket that goes over its limit (50 messages/s, 200 at once by default), and a page loading
 * hundreds of files would ask for all of them in one tick. Messages wait while there is nowhere to
 * send them (the socket is down or not joined); `kick` resumes.
 */
import { RateLimiter } from './rate-limiter.js';

/** Where queued messages go: a sender while one is ready, else undefined. */
export type OutboxSink<T> = () => ((message: T) => void) | undefined;

/** Ordered, rate-paced, bounded outgoing messages. */
export class PacedOutbox<T> {
  #queue: T[] = [];
  readonly #limiter: RateLimiter;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    ratePerSecond: number,
    burst: number,
    private readonly max: number,
    private readonly sink: OutboxSink<T>,
  ) {
    this.#limiter = new RateLimiter(ratePerSecond, burst, Date.now());
  }

  /** Messages waiting. */
  get size(): number {
    return this.#queue.length;
  }

  /** Queues a message (first in line with `front`); false when the queue is full and it was dropped. */
  push(message: T, front = false): boolean {
    if (this.#stopped || this.#queue.length >= this.max) return false;
    if (front) this.#queue.unshift(message);
    else this.#queue.push(message);
    this.kick();
    return true;
  }

  /** Puts messages at the head of the queue, in their order (past the size bound: they replace what was lost). */
  pushFront(messages: readonly T[]): void {
    if (this.#stopped) return;
    this.#queue = [...messages, ...this.#queue];
    this.kick();
  }

  /** Counts a message sent outside the queue (the join) against the rate. */
  charge(): void {
    this.#limiter.take(1, Date.now());
  }

  /** Forgets every queued message (they were for a socket that is gone). */
  clear(): void {
    this.#queue = [];
  }

  /** Sends what may go now (in this call: an announce is on the wire before it returns); schedules the rest. */
  kick(): void {
    // A pending timer means the rate holds messages back; they go first, in order, when it fires.
    if (this.#timer !== undefined || this.#stopped) return;
    this.#drain();
  }

  /** Stops for good. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#queue = [];
  }

  #drain(): void {
    const send = this.sink();
    if (!send) return;
    while (this.#queue.length > 0) {
      const wait = this.#limiter.delayMs(Date.now());
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#drain();
        }, wait);
        return;
      }
      this.#limiter.take(1, Date.now());
      send(this.#queue.shift()!);
    }
  }
}
