/**
 * Peer exchange, the pool's side: which peers this page vouches for, and the hints others gave it.
 *
 * Vouched: peers this page had a *verified* exchange with: one sent a chunk that hashed to what we
 * asked for (checked here, once per peer: the SW checks every chunk, but its verdict reaches the
 * page only as a report), or this page sent it a whole chunk. Only those are told to a peer that
 * asks (the ones with an open session first: a closed one may have left), never a dropped peer.
 *
 * Hints: what peers answered. A hint is a claim, not a fact: the parser already refused malformed
 * frames; here at most MAX_HINTS are kept, for HINT_TTL_MS, never this page's own id, a dropped
 * peer or the teller itself; a hint that fails to connect is forgotten, and a peer dropped for
 * misbehaving takes the hints only it gave with it. The pool keeper (pool-keeper.ts) dials hints
 * only to refill up to minPeers, best first: named by the most peers, then the most recent.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { MAX_EXCHANGE_PEERS, sriToDigest } from '../protocol/messages/peer.js';
import type { ExchangeHooks } from './session-exchange.js';

/** Peers vouched for, remembered (least recent first out): a page has a handful of exchanges, not hundreds. */
export const MAX_VOUCHED = 64;
/** Hints kept at once: a few answers' worth, enough to refill a pool several times. */
export const MAX_HINTS = 64;
/** A hint older than this is dropped: peers leave, and a fresh answer can be asked for. */
export const HINT_TTL_MS = 5 * 60_000;

/** What the exchange asks of the page around it. */
export interface ExchangeView {
  /** This page's peer id (never vouched for, never a hint). */
  self(): string | undefined;
  isDropped(peerId: string): boolean;
  hasOpenSession(peerId: string): boolean;
  /** Hints arrived (the keeper may be waiting for them). */
  learned?(): void;
  readonly now?: () => number;
  /** SHA-256 of the bytes (default WebCrypto's); must copy the bytes before it returns, as WebCrypto does. */
  readonly digest?: (bytes: ArrayBuffer) => Promise<ArrayBuffer>;
}

interface Hint {
  /** The peers that named it. */
  readonly sources: Set<string>;
  at: number;
}

function sameBytes(a: ArrayBuffer, b: Uint8Array): boolean {
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((byte, i) => byte === b[i]);
}

/** The page's vouched peers and received hints. */
export class PeerExchange {
  readonly #view: ExchangeView;
  readonly #now: () => number;
  readonly #digest: (bytes: ArrayBuffer) => Promise<ArrayBuffer>;
  /** Peer id → when last vouched (Map order: least recent first). */
  readonly #vouched = new Map<string, number>();
  /** Peers whose chunk is being hashed now (one check at a time per peer). */
  readonly #checking = new Set<string>();
  readonly #hints = new Map<string, Hint>();

  constructor(view: ExchangeView) {
    this.#view = view;
    this.#now = view.now ?? Date.now;
    this.#digest = view.digest ?? ((bytes) => crypto.subtle.digest('SHA-256', bytes));
  }

  /** What one session's exchange reports here (session-exchange.ts), with what is known of its peer. */
  hooks(peer: Pick<ExchangeHooks, 'capable' | 'askAtOpen'>): ExchangeHooks {
    return {
      ...peer,
      hintsFor: (asker) => this.hintsFor(asker),
      learned: (source, peers) => this.learned(source, peers),
      received: (peerId, chunk, bytes) => this.received(peerId, chunk, bytes),
      served: (peerId) => this.served(peerId),
    };
  }

  /** Vouches for `peerId` now (a verified exchange). */
  vouch(peerId: string): void {
    if (peerId === this.#view.self() || this.#view.isDropped(peerId)) return;
    this.#vouched.delete(peerId);
    this.#vouched.set(peerId, this.#now());
    if (this.#vouched.size > MAX_VOUCHED) this.#vouched.delete(this.#vouched.keys().next().value as string);
  }

  /** True when `peerId` is vouched for. */
  isVouched(peerId: string): boolean {
    return this.#vouched.has(peerId);
  }

  /**
   * A whole chunk that should hash to `chunk` came from `peerId`: hashed (once per peer, until it is
   * vouched for) and the peer vouched for if it matches. The digest copies the bytes in this call,
   * so they may be transferred away right after.
   */
  received(peerId: string, chunk: Sha256Sri, bytes: ArrayBuffer): void {
    if (this.#vouched.has(peerId) || this.#checking.has(peerId)) return;
    const expected = sriToDigest(chunk);
    if (!expected) return;
    this.#checking.add(peerId);
    let hashing: Promise<ArrayBuffer>;
    try {
      hashing = this.#digest(bytes);
    } catch {
      this.#checking.delete(peerId);
      return;
    }
    hashing.then(
      (digest) => {
        this.#checking.delete(peerId);
        if (sameBytes(digest, expected)) this.vouch(peerId);
      },
      () => this.#checking.delete(peerId),
    );
  }

  /** This page sent `peerId` a whole chunk. */
  served(peerId: string): void {
    this.vouch(peerId);
  }

  /** What to tell `asker`: vouched peers, open sessions first, then the most recent; never the asker, us, or a dropped peer. */
  hintsFor(asker: string): string[] {
    const self = this.#view.self();
    const usable = [...this.#vouched.keys()].reverse().filter((id) => id !== asker && id !== self && !this.#view.isDropped(id));
    const open = usable.filter((id) => this.#view.hasOpenSession(id));
    return [...open, ...usable.filter((id) => !this.#view.hasOpenSession(id))].slice(0, MAX_EXCHANGE_PEERS);
  }

  /** `source` answered with `peers`: kept as hints (see the header). */
  learned(source: string, peers: readonly string[]): void {
    const self = this.#view.self();
    const now = this.#now();
    this.#expire(now);
    for (const id of peers.slice(0, MAX_EXCHANGE_PEERS)) {
      if (id === self || id === source || this.#view.isDropped(id)) continue;
      const hint = this.#hints.get(id);
      if (hint) {
        hint.sources.add(source);
        hint.at = now;
        continue;
      }
      if (this.#hints.size >= MAX_HINTS) this.#evictOne();
      this.#hints.set(id, { sources: new Set([source]), at: now });
    }
    this.#view.learned?.();
  }

  /** Hints to dial, best first (see the header), minus peers `skip` says are taken care of (open, connecting). */
  candidates(skip: (peerId: string) => boolean = () => false): string[] {
    this.#expire(this.#now());
    const self = this.#view.self();
    return [...this.#hints.entries()]
      .filter(([id]) => id !== self && !this.#view.isDropped(id) && !this.#view.hasOpenSession(id) && !skip(id))
      .sort(([, a], [, b]) => b.sources.size - a.sources.size || b.at - a.at)
      .map(([id]) => id);
  }

  /** A hint that did not connect: forgotten (a later answer may name it again). */
  failed(peerId: string): void {
    this.#hints.delete(peerId);
  }

  /** `peerId` was dropped: no longer vouched for or a hint, and the hints only it gave go with it. */
  forget(peerId: string): void {
    this.#vouched.delete(peerId);
    this.#hints.delete(peerId);
    for (const [id, hint] of this.#hints) {
      hint.sources.delete(peerId);
      if (hint.sources.size === 0) this.#hints.delete(id);
    }
  }

  /** Hints kept now (tests). */
  get hintCount(): number {
    return this.#hints.size;
  }

  #expire(now: number): void {
    for (const [id, hint] of this.#hints) if (now - hint.at >= HINT_TTL_MS) this.#hints.delete(id);
  }

  /** Makes room for one hint: the oldest with the fewest sources goes. */
  #evictOne(): void {
    let victim: [string, Hint] | undefined;
    for (const entry of this.#hints) {
      const [, hint] = entry;
      if (!victim || hint.sources.size < victim[1].sources.size || (hint.sources.size === victim[1].sources.size && hint.at < victim[1].at)) victim = entry;
    }
    if (victim) this.#hints.delete(victim[0]);
  }
}
