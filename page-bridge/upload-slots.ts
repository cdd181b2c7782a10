/**
 * The page's upload slots (maxUploads: requests served at once), shared fairly between the peers
 * asking. A peer alone may take every slot: it then gets the page's whole uplink, which is what a
 * lone downloader should get. As soon as another peer asks (it holds slots, or was refused one in
 * the last WAITING_MS), each may hold at most its share, maxUploads ÷ the peers asking (rounded up,
 * so no slot sits idle for the rounding): a peer over its share gets `busy` while the slots it gives
 * back go to the others. Nothing is taken away mid-answer; answers end within a chunk (or are
 * reclaimed when their channel stalls: piece-sender.ts), so the shares settle within one chunk time.
 * Pure: the clock is passed in.
 */
import type { UploadSlots } from './chunk-server.js';

/** A peer refused a slot counts as asking this long: a requester still downloading asks again within a chunk's time or two. */
export const WAITING_MS = 2_000;
/** Refused peers remembered at once (a page has at most maxPeers connections; the cap bounds a churn of ids). */
const MAX_WAITING = 1_024;

/** Upload slots, by peer. */
export class FairUploadSlots {
  /** Slots held, by peer (only peers holding one). */
  readonly #held = new Map<string, number>();
  /** When each peer was last refused a slot, oldest first. */
  readonly #waiting = new Map<string, number>();
  #inUse = 0;

  constructor(
    readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxUploads ${max}`);
  }

  /** Slots in use, in all. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Slots `peerId` holds. */
  held(peerId: string): number {
    return this.#held.get(peerId) ?? 0;
  }

  /** The most slots one peer may hold now, if `peerId` is asking too. */
  share(peerId: string): number {
    const now = this.now();
    for (const [peer, at] of this.#waiting) {
      if (now - at < WAITING_MS) break;
      this.#waiting.delete(peer);
    }
    let asking = this.#held.size;
    for (const peer of this.#waiting.keys()) if (!this.#held.has(peer)) asking += 1;
    if (!this.#held.has(peerId) && !this.#waiting.has(peerId)) asking += 1;
    return Math.ceil(this.max / asking);
  }

  /** Takes a slot for `peerId`; false (and `peerId` counts as asking) when all are in use or it holds its share. */
  tryAcquire(peerId: string): boolean {
    const held = this.held(peerId);
    if (this.#inUse < this.max && held < this.share(peerId)) {
      this.#held.set(peerId, held + 1);
      this.#inUse += 1;
      this.#waiting.delete(peerId);
      return true;
    }
    this.#waiting.delete(peerId);
    this.#waiting.set(peerId, this.now());
    if (this.#waiting.size > MAX_WAITING) this.#waiting.delete(this.#waiting.keys().next().value as string);
    return false;
  }

  /** Gives back one of `peerId`'s slots. */
  release(peerId: string): void {
    const held = this.held(peerId);
    if (held === 0) return;
    if (held === 1) this.#held.delete(peerId);
    else this.#held.set(peerId, held - 1);
    this.#inUse -= 1;
  }

  /** The slots as one peer's session sees them. */
  forPeer(peerId: string): UploadSlots {
    return { tryAcquire: () => this.tryAcquire(peerId), release: () => this.release(peerId) };
  }
}
