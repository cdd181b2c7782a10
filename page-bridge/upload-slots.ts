/**
 * The page's upload slots (maxUploads: requests served at once), shared fairly between the peers
 * asking. While a slot is free anyone gets it, so a peer alone may take them all and with them the
 * page's whole uplink: a lone downloader gets full speed. Once they are all in use, a peer that
 * asks while holding less than its share (maxUploads ÷ the peers holding slots and the asker,
 * rounded up) takes one from the peer holding the most above its share: that peer's newest answer
 * (the one with the least sent) is revoked, its requester is told `busy` as if it had asked a moment
 * later, and the slot is the asker's at once. So one peer never holds more than its share while
 * another is refused, and a newcomer's first request is served, not sent to the origin.
 * Pure bookkeeping: revoking an answer is the callback its server gave with the slot.
 */
import type { UploadSlots } from './chunk-server.js';

interface Slot {
  readonly peer: string;
  readonly revoke: () => void;
  live: boolean;
}

/** Upload slots, by peer. */
export class FairUploadSlots {
  /** Live slots by peer, oldest first (only peers holding one). */
  readonly #slots = new Map<string, Slot[]>();
  #inUse = 0;

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxUploads ${max}`);
  }

  /** Slots in use, in all. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Slots `peerId` holds. */
  held(peerId: string): number {
    return this.#slots.get(peerId)?.length ?? 0;
  }

  /** The most one peer may hold when every slot is wanted, with `asker` asking too. */
  share(asker: string): number {
    return Math.ceil(this.max / (this.#slots.size + (this.#slots.has(asker) ? 0 : 1)));
  }

  /**
   * Takes a slot for one answer to `peerId`: a function that gives it back (idempotent), or
   * undefined when none can be had. `revoked` is called if the slot is taken back for another
   * peer; the answer must stop (its give-back is then a no-op).
   */
  tryAcquire(peerId: string, revoked: () => void): (() => void) | undefined {
    if (this.#inUse >= this.max && !this.#revokeFor(peerId)) return undefined;
    const slot: Slot = { peer: peerId, revoke: revoked, live: true };
    const list = this.#slots.get(peerId);
    if (list) list.push(slot);
    else this.#slots.set(peerId, [slot]);
    this.#inUse += 1;
    return () => this.#free(slot);
  }

  /** The slots as one peer's session sees them. */
  forPeer(peerId: string): UploadSlots {
    return { tryAcquire: (revoked) => this.tryAcquire(peerId, revoked) };
  }

  /** Frees a slot for `asker` by revoking the newest answer of the peer most above its share; false when `asker` is at its share or nobody is above it. */
  #revokeFor(asker: string): boolean {
    const share = this.share(asker);
    if (this.held(asker) >= share) return false;
    let most: Slot[] | undefined;
    for (const [peer, list] of this.#slots) if (peer !== asker && list.length > share && list.length > (most?.length ?? 0)) most = list;
    const slot = most?.at(-1);
    if (!slot) return false;
    this.#free(slot);
    slot.revoke();
    return true;
  }

  #free(slot: Slot): void {
    if (!slot.live) return;
    slot.live = false;
    const list = this.#slots.get(slot.peer)!;
    list.splice(list.indexOf(slot), 1);
    if (list.length === 0) this.#slots.delete(slot.peer);
    this.#inUse -= 1;
  }
}
