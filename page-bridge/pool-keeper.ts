/**
 * Keeps the pool at minPeers open connections once it has lost some: when a session closes and
 * fewer than minPeers are open or connecting, a round refills it, first from peer exchange, then
 * from the tracker. A page that never had a connection is left alone (its connections come from
 * what it loads, and the warm-up), so a lone visitor costs nothing.
 *
 * A round: (1) ask each open peer that speaks peer exchange, at most once per ASK_INTERVAL_MS,
 * and wait up to ASK_WAIT_MS for the answers; (2) dial the best hints (peer-exchange.ts), only as
 * many as the pool is short; (3) still short: ask the tracker for holders of the site's most held
 * file (TrackerClient.rescueHolders) and dial those. A round that leaves the pool short is followed by
 * another after a full-jitter backoff (the first one also waits a short jittered delay: every peer
 * of a popular page that leaves loses it in the same second), at most MAX_ROUNDS in a row; the
 * next loss starts over. It never dials a dropped peer, this page, or more than the pool lacks.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { sleep } from './wait.js';

/** Refill rounds: the first after 0.1–1 s, then doubling up to 30 s. */
export const KEEPER_BACKOFF: BackoffPolicy = Object.freeze({ minMs: 100, baseMs: 1_000, maxMs: 30_000 });
/** Rounds in a row that leave the pool short before the keeper waits for the next loss (about two minutes of trying). */
export const MAX_ROUNDS = 8;
/** One question per peer per this long: a fresh answer rarely says anything new sooner. */
export const ASK_INTERVAL_MS = 15_000;
/** How long a round waits for answers: one round trip on a data channel, with room for a busy page. */
export const ASK_WAIT_MS = 1_000;
/** Batches of hints one round dials at most before it turns to the tracker. */
const HINT_PASSES = 3;

/** An open session the keeper may ask for peers. */
export interface AskablePeer {
  readonly peerId: string;
  /** True when the question went out. */
  askPeers(): boolean;
}

/** What the keeper needs from the pool. */
export interface KeeperPool {
  readonly minPeers: number;
  /** Open connections plus connects under way. */
  count(): number;
  /** Open sessions that speak peer exchange. */
  askable(): readonly AskablePeer[];
  /** True when `peerId` is open, connecting, dropped or this page: not worth dialing. */
  skip(peerId: string): boolean;
  /** Opens a connection; true when it opened. */
  connect(peerId: string): Promise<boolean>;
}

/** Where new peers come from. */
export interface KeeperSources {
  /** Hints from peer exchange, best first. */
  hints(): readonly string[];
  /** A hint that did not connect. */
  failed(peerId: string): void;
  /** Holders the tracker names (the rescue); [] when it names none. */
  rescue(): Promise<readonly string[]>;
}

/** The pool's keeper, for the pool's life. */
export class PoolKeeper {
  readonly #pool: KeeperPool;
  readonly #sources: KeeperSources;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #askedAt = new Map<string, number>();
  readonly #answerWaiters = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #again = false;
  #rounds = 0;
  #stopped = false;

  constructor(pool: KeeperPool, sources: KeeperSources, options: { readonly random?: () => number; readonly now?: () => number } = {}) {
    this.#pool = pool;
    this.#sources = sources;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** A session closed: a round soon if the pool is now short. */
  lost(): void {
    if (this.#stopped || this.#pool.count() >= this.#pool.minPeers) return;
    this.#rounds = 0;
    if (this.#running) this.#again = true;
    else if (this.#timer === undefined) this.#schedule();
  }

  /** An answer to a question arrived (the round waiting for answers may go on). */
  answered(): void {
    for (const wake of [...this.#answerWaiters]) wake();
  }

  /** Stops for good. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.answered();
  }

  #schedule(): void {
    const delay = backoffDelay(this.#rounds, KEEPER_BACKOFF, this.#random);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#round();
    }, delay);
  }

  async #round(): Promise<void> {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      await this.#refill();
    } finally {
      this.#running = false;
    }
    if (this.#stopped || this.#pool.count() >= this.#pool.minPeers) {
      this.#rounds = 0;
      return;
    }
    // A loss during the round starts the count over; otherwise this round counts against MAX_ROUNDS.
    if (this.#again) this.#rounds = 0;
    else this.#rounds += 1;
    this.#again = false;
    if (this.#rounds < MAX_ROUNDS && this.#timer === undefined) this.#schedule();
  }

  async #refill(): Promise<void> {
    const asked = this.#ask();
    if (asked > 0) await this.#answers(asked);
    // A hint that fails is forgotten, so each pass dials other ones.
    for (let pass = 0; pass < HINT_PASSES && !this.#stopped && this.#short() > 0; pass++) {
      if ((await this.#dial(this.#sources.hints(), true)) === 0) break;
    }
    if (this.#stopped || this.#short() === 0) return;
    await this.#dial(await this.#sources.rescue(), false);
  }

  #short(): number {
    return Math.max(0, this.#pool.minPeers - this.#pool.count());
  }

  /** Asks each askable peer not asked within ASK_INTERVAL_MS; returns how many were asked. */
  #ask(): number {
    const now = this.#now();
    let asked = 0;
    for (const peer of this.#pool.askable()) {
      const last = this.#askedAt.get(peer.peerId);
      if (last !== undefined && now - last < ASK_INTERVAL_MS) continue;
      if (!peer.askPeers()) continue;
      this.#askedAt.set(peer.peerId, now);
      asked += 1;
    }
    // Peers no longer open are forgotten here, so the map never outgrows the pool.
    const open = new Set(this.#pool.askable().map((p) => p.peerId));
    for (const id of this.#askedAt.keys()) if (!open.has(id)) this.#askedAt.delete(id);
    return asked;
  }

  /** Waits until `count` answers arrived or ASK_WAIT_MS passed. */
  async #answers(count: number): Promise<void> {
    const deadline = new AbortController();
    let left = count;
    const wake = (): void => {
      left -= 1;
      if (left <= 0 || this.#stopped) deadline.abort();
    };
    this.#answerWaiters.add(wake);
    try {
      await sleep(ASK_WAIT_MS, deadline.signal);
    } finally {
      this.#answerWaiters.delete(wake);
    }
  }

  /** Dials candidates in order, as many at once as the pool is short (returns how many); `hints` failures are told to the sources. */
  async #dial(candidates: readonly string[], hints: boolean): Promise<number> {
    const need = this.#short();
    const chosen: string[] = [];
    for (const id of candidates) {
      if (chosen.length >= need) break;
      if (!this.#pool.skip(id) && !chosen.includes(id)) chosen.push(id);
    }
    // Each connect counts as connecting in the pool at once, so the pool is never over-filled.
    await Promise.all(
      chosen.map(async (id) => {
        const opened = await this.#pool.connect(id);
        if (!opened && hints) this.#sources.failed(id);
      }),
    );
    return chosen.length;
  }
}
