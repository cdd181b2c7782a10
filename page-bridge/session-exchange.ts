/**
 * The peer-exchange part of one session (protocol/messages/peer.ts, `ask-peers` / `peers`): whether
 * the other side speaks it, our one question in flight, and its questions to us. Frames go only
 * to a side known to speak it: it said so in its connect metadata, or it asked us first (an older
 * bridge drops a peer for a frame type it does not know). The side that accepted a connection
 * asks at once, which is how the side that offered learns it may ask too.
 *
 * Trust: an answer is hints. It is taken only as the answer to our question (any other `peers`
 * frame breaks the protocol), and what it names goes to the pool's exchange (peer-exchange.ts),
 * which caps, filters and never trusts it. Questions beyond ASK_BURST at once and one per
 * ASK_REFILL_MS break the protocol too: an honest page asks once on connecting and then at most
 * once per pool round (pool-keeper.ts waits far longer between asks to one peer).
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { encodeAskPeers, encodePeers, MAX_EXCHANGE_PEERS, MAX_REQUEST_ID, pieceEndsChunk } from '../protocol/messages/peer.js';
import { isPeerjsId } from '../protocol/messages/peerjs.js';
import { RateLimiter } from './rate-limiter.js';

/** Questions a peer may ask at once, and how often after that: far above an honest page's (see the header). */
const ASK_BURST = 4;
const ASK_REFILL_MS = 5_000;

/** What a session's exchange needs from the pool, and tells it. */
export interface ExchangeHooks {
  /** The other side said it speaks peer exchange when it offered the connection. */
  readonly capable: boolean;
  /** We accepted this connection: ask at once (it tells the offerer that we speak it too). */
  readonly askAtOpen: boolean;
  /** The peers to tell `peerId` about (at most MAX_EXCHANGE_PEERS are sent). */
  hintsFor(peerId: string): readonly string[];
  /** `peerId` answered our question: hints, to check before any use. */
  learned(peerId: string, peers: readonly string[]): void;
  /** A whole chunk that should hash to `chunk` arrived from `peerId` (the pool checks before it vouches for the peer). */
  received(peerId: string, chunk: Sha256Sri, bytes: ArrayBuffer): void;
  /** This page sent `peerId` a whole chunk. */
  served(peerId: string): void;
}

/** The exchange state of one session (without hooks: none, and its frames break the protocol like any unknown frame). */
export class SessionExchange {
  readonly #peerId: string;
  readonly #hooks: ExchangeHooks | undefined;
  readonly #send: (frame: Uint8Array) => boolean;
  readonly #violation: (reason: string) => void;
  readonly #now: () => number;
  readonly #questions: RateLimiter;
  #capable: boolean;
  /** The id of our question in flight, if any (one at a time). */
  #asked: number | undefined;
  #lastAskId = 0;

  constructor(peerId: string, hooks: ExchangeHooks | undefined, io: { send(frame: Uint8Array): boolean; violation(reason: string): void; now: () => number }) {
    this.#peerId = peerId;
    this.#hooks = hooks;
    this.#send = io.send;
    this.#violation = io.violation;
    this.#now = io.now;
    this.#capable = hooks?.capable === true;
    // The limiter lets burst + 1 takes through before it is in debt.
    this.#questions = new RateLimiter(1_000 / ASK_REFILL_MS, ASK_BURST - 1, io.now());
  }

  /** True when the other side speaks peer exchange. */
  get capable(): boolean {
    return this.#capable;
  }

  /** True while our question waits for its answer. */
  get asking(): boolean {
    return this.#asked !== undefined;
  }

  /** The session opened: the accepting side asks a capable offerer at once. */
  start(): void {
    if (this.#hooks?.askAtOpen && this.#capable) this.ask();
  }

  /** A frame went out: a piece that ends its chunk means this page served the peer a whole chunk. */
  sent(frame: Uint8Array): void {
    if (this.#hooks && pieceEndsChunk(frame)) this.#hooks.served(this.#peerId);
  }

  /** A whole chunk that should hash to `chunk` arrived (before its bytes leave the page's hands). */
  received(chunk: Sha256Sri, bytes: ArrayBuffer): void {
    this.#hooks?.received(this.#peerId, chunk, bytes);
  }

  /** Asks the other side which peers it had a verified exchange with; false when it does not speak it or a question is in flight. */
  ask(): boolean {
    if (!this.#capable || this.#asked !== undefined || this.#lastAskId >= MAX_REQUEST_ID) return false;
    const requestId = ++this.#lastAskId;
    if (!this.#send(encodeAskPeers(requestId))) return false;
    this.#asked = requestId;
    return true;
  }

  /** An `ask-peers` frame arrived: the asker speaks peer exchange; it gets our answer, within the question budget. */
  question(requestId: number): void {
    const hooks = this.#hooks;
    if (!hooks) return this.#violation('a peer-exchange question on a session without it');
    const now = this.#now();
    if (this.#questions.delayMs(now) > 0) return this.#violation('peer-exchange questions faster than any honest peer asks');
    this.#questions.take(1, now);
    this.#capable = true;
    // What encodePeers takes: distinct well-formed ids, never the asker itself.
    const peers = [...new Set(hooks.hintsFor(this.#peerId))].filter((id) => id !== this.#peerId && isPeerjsId(id)).slice(0, MAX_EXCHANGE_PEERS);
    this.#send(encodePeers(requestId, peers));
  }

  /** A `peers` frame arrived: only the answer to our question in flight is one. */
  answer(requestId: number, peers: readonly string[]): void {
    if (!this.#hooks || this.#asked === undefined || requestId !== this.#asked) return this.#violation(`peers answer to question ${requestId}, never asked or already answered`);
    this.#asked = undefined;
    this.#hooks.learned(this.#peerId, peers);
  }
}
