/**
 * Who holds a file, as the tracker last said, for a short while: the SW asks for a file's chunks
 * in parallel and one `want` should serve them all. Entries expire after `ttlMs` (holders come and
 * go) and the cache keeps at most `maxEntries` files, evicting the oldest answer first.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';

/** ~2 s: long enough for a burst of chunk requests, short enough that a new holder is seen soon. */
export const HOLDER_TTL_MS = 2_000;
/** Files remembered at once: one page loads a few hundred at most within a TTL. */
export const MAX_HOLDER_ENTRIES = 512;

interface Entry {
  readonly peers: readonly string[];
  readonly at: number;
}

/** Time-bounded, size-bounded file → holders cache. */
export class HolderCache {
  // A Map iterates in insertion order; re-inserting on set makes the first key the oldest answer.
  readonly #entries = new Map<Sha256Sri, Entry>();

  constructor(
    private readonly ttlMs = HOLDER_TTL_MS,
    private readonly maxEntries = MAX_HOLDER_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  /** The holders of `file` if the answer is fresh, else undefined. */
  get(file: Sha256Sri): readonly string[] | undefined {
    const entry = this.#entries.get(file);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.#entries.delete(file);
      return undefined;
    }
    return entry.peers;
  }

  /** Records an answer. */
  set(file: Sha256Sri, peers: readonly string[]): void {
    this.#entries.delete(file);
    this.#entries.set(file, { peers: Object.freeze([...peers]), at: this.now() });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Forgets a peer in every answer (it left or was dropped). */
  forgetPeer(peerId: string): void {
    for (const [file, entry] of this.#entries) {
      if (entry.peers.includes(peerId)) this.#entries.set(file, { ...entry, peers: entry.peers.filter((p) => p !== peerId) });
    }
  }

  /** Forgets everything (the tracker connection changed). */
  clear(): void {
    this.#entries.clear();
  }

  /** Entries held (fresh or not yet swept). */
  get size(): number {
    return this.#entries.size;
  }
}
