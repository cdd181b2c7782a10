/**
 * Relayed frames waiting for a destination that is not connected (yet, or right now), bounded per
 * destination, in count overall and in bytes overall, and per sender and per sender address, so
 * that no one sender (nor one address's many sockets) can fill the queue for everyone. Frames are
 * stored ready to send; when they wait longer than the expire timeout they are dropped and each
 * sender learns it once per destination (EXPIRE), as the stock server does. Which destinations
 * may have frames queued at all (ids the server issued) is the hub's decision.
 */
import type { SignallingOptions } from '../options.js';

/** Bytes queued in all for absent peers: 16k frames of 4 KiB; well above real use, far below harm. */
const QUEUE_BYTES = 64 * 1024 * 1024;
/** Bytes one sender may have queued: an OFFER is a few KiB, a CANDIDATE a few hundred bytes. */
const QUEUE_BYTES_PER_SENDER = 512 * 1024;
/** The share of the queue (frames and bytes) the senders of one address may hold together. */
const ADDRESS_SHARE = 1 / 16;

/** One waiting frame. */
export interface QueuedFrame {
  readonly frame: Buffer | string;
  /** The sender's id, and its address key (address-key.ts). */
  readonly src: string;
  readonly srcAddress: string;
  readonly at: number;
}

/** What one sender or one address has waiting. */
interface Share {
  frames: number;
  bytes: number;
}

const NOTHING: readonly QueuedFrame[] = Object.freeze([]);

/** The queue's bounds. Bytes are UTF-16 units for strings. */
export interface OfflineQueueLimits {
  /** Frames waiting for one destination. */
  readonly perPeer: number;
  /** Frames waiting in all. */
  readonly total: number;
  /** Bytes waiting in all. */
  readonly bytes: number;
  /** Frames and bytes one sender may have waiting, over all its destinations. */
  readonly perSender: number;
  readonly perSenderBytes: number;
  /** Frames and bytes the senders of one address may have waiting together. */
  readonly perAddress: number;
  readonly perAddressBytes: number;
}

/** The queue's bounds for a server's signalling options. */
export function queueLimits(o: Pick<SignallingOptions, 'queuePerPeer' | 'queueTotal' | 'queuePerSender'>): OfflineQueueLimits {
  return {
    perPeer: o.queuePerPeer,
    total: o.queueTotal,
    bytes: QUEUE_BYTES,
    perSender: o.queuePerSender,
    perSenderBytes: QUEUE_BYTES_PER_SENDER,
    perAddress: Math.max(o.queuePerSender, Math.floor(o.queueTotal * ADDRESS_SHARE)),
    perAddressBytes: Math.max(QUEUE_BYTES_PER_SENDER, QUEUE_BYTES * ADDRESS_SHARE),
  };
}

/** Frames for absent destinations, in arrival order per destination. */
export class OfflineQueue {
  readonly #byDst = new Map<string, QueuedFrame[]>();
  readonly #bySender = new Map<string, Share>();
  readonly #byAddress = new Map<string, Share>();
  #count = 0;
  #bytes = 0;

  constructor(private readonly limits: OfflineQueueLimits) {}

  /** Frames waiting in all. */
  get size(): number {
    return this.#count;
  }

  /** Queues a frame for `dst` from `src` at `srcAddress`; false (and nothing queued) when a bound is reached. */
  push(dst: string, frame: Buffer | string, src: string, srcAddress: string, now: number): boolean {
    const l = this.limits;
    const size = frame.length;
    if (this.#count >= l.total || this.#bytes + size > l.bytes) return false;
    const list = this.#byDst.get(dst);
    if (list !== undefined && list.length >= l.perPeer) return false;
    if (!fits(this.#bySender.get(src), size, l.perSender, l.perSenderBytes)) return false;
    if (!fits(this.#byAddress.get(srcAddress), size, l.perAddress, l.perAddressBytes)) return false;
    const waiting: QueuedFrame = { frame, src, srcAddress, at: now };
    if (list === undefined) this.#byDst.set(dst, [waiting]);
    else list.push(waiting);
    this.#count += 1;
    this.#bytes += size;
    charge(this.#bySender, src, size, 1);
    charge(this.#byAddress, srcAddress, size, 1);
    return true;
  }

  /** Removes and returns the frames waiting for `dst`, oldest first. */
  take(dst: string): readonly QueuedFrame[] {
    const list = this.#byDst.get(dst);
    if (list === undefined) return NOTHING;
    this.#byDst.delete(dst);
    this.#forget(list, list.length);
    return list;
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
    this.#bySender.clear();
    this.#byAddress.clear();
    this.#count = 0;
    this.#bytes = 0;
  }

  #forget(list: readonly QueuedFrame[], n: number): void {
    for (let i = 0; i < n; i++) {
      const { frame, src, srcAddress } = list[i]!;
      this.#bytes -= frame.length;
      charge(this.#bySender, src, -frame.length, -1);
      charge(this.#byAddress, srcAddress, -frame.length, -1);
    }
    this.#count -= n;
  }
}

/** True when one more frame of `size` keeps a share within its bounds. */
function fits(share: Share | undefined, size: number, maxFrames: number, maxBytes: number): boolean {
  return share === undefined ? size <= maxBytes : share.frames < maxFrames && share.bytes + size <= maxBytes;
}

/** Adds (or, negative, removes) frames and bytes to `key`'s share; an emptied share is forgotten. */
function charge(shares: Map<string, Share>, key: string, bytes: number, frames: number): void {
  const share = shares.get(key);
  if (share === undefined) {
    if (frames > 0) shares.set(key, { frames, bytes });
    return;
  }
  share.frames += frames;
  share.bytes += bytes;
  if (share.frames <= 0) shares.delete(key);
}
