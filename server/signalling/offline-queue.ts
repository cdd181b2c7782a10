/**
 * Relayed frames waiting for a destination that is not connected (yet, or right now), bounded per
 * destination, in count overall and in bytes overall. Frames are stored ready to send; when they
 * wait longer than the expire timeout they are dropped and each sender learns it once per
 * destination (EXPIRE), as the stock server does.
 */

/** One waiting frame. */
interface Waiting {
  readonly frame: Buffer | string;
  readonly src: string;
  readonly at: number;
}

const NOTHING: readonly (Buffer | string)[] = Object.freeze([]);

/** The queue's bounds. */
export interface OfflineQueueLimits {
  /** Frames waiting for one destination. */
  readonly perPeer: number;
  /** Frames waiting in all. */
  readonly total: number;
  /** Bytes (or UTF-16 units for strings) waiting in all. */
  readonly bytes: number;
}

/** Frames for absent destinations, in arrival order per destination. */
export class OfflineQueue {
  readonly #byDst = new Map<string, Waiting[]>();
  #count = 0;
  #bytes = 0;

  constructor(private readonly limits: OfflineQueueLimits) {}

  /** Frames waiting in all. */
  get size(): number {
    return this.#count;
  }

  /** Queues a frame for `dst`; false (and nothing queued) when a bound is reached. */
  push(dst: string, frame: Buffer | string, src: string, now: number): boolean {
    const list = this.#byDst.get(dst);
    if (this.#count >= this.limits.total || this.#bytes + frame.length > this.limits.bytes) return false;
    if (list === undefined) this.#byDst.set(dst, [{ frame, src, at: now }]);
    else if (list.length >= this.limits.perPeer) return false;
    else list.push({ frame, src, at: now });
    this.#count += 1;
    this.#bytes += frame.length;
    return true;
  }

  /** Removes and returns the frames waiting for `dst`, oldest first. */
  take(dst: string): readonly (Buffer | string)[] {
    const list = this.#byDst.get(dst);
    if (list === undefined) return NOTHING;
    this.#byDst.delete(dst);
    const frames = list.map((w) => w.frame);
    this.#forget(list, list.length);
    return frames;
  }

  /** Drops frames queued at or before `cutoff`; calls `expired(src, dst)` once per sender and destination. */
  expire(cutoff: number, expired: (src: string, dst: string) => void): void {
    for (const [dst, list] of this.#byDst) {
      let n = 0;
      while (n < list.length && list[n]!.at <= cutoff) n++;
      if (n === 0) continue;
      const senders: string[] = [];
      for (let i = 0; i < n; i++) {
        const src = list[i]!.src;
        if (!senders.includes(src)) senders.push(src);
      }
      this.#forget(list, n);
      if (n === list.length) this.#byDst.delete(dst);
      else list.splice(0, n);
      for (const src of senders) expired(src, dst);
    }
  }

  /** Empties the queue. */
  clear(): void {
    this.#byDst.clear();
    this.#count = 0;
    this.#bytes = 0;
  }

  #forget(list: readonly Waiting[], n: number): void {
    for (let i = 0; i < n; i++) this.#bytes -= list[i]!.frame.length;
    this.#count -= n;
  }
}
