/**
 * The page's PeerJS peer over the page's life: its signalling socket (which carries the tracker
 * too) reconnected with the same id after a drop, and a new peer (a new id) when the server no
 * longer knows the old one. Every retry waits a full-jitter backoff (backoff.ts), so a server
 * restart, which drops every page at once, gets their reconnects spread over time.
 *
 * What ends an attempt, and what comes next:
 * - the socket drops, or a reconnect fails to reach the server: reconnect with the same id after a
 *   backoff (within the server's reconnect grace the id, and the peers that know it, stay valid);
 * - the server refuses the reconnect with SIGNAL_ID_UNKNOWN (it restarted, or the grace ran out): a
 *   new peer at once: the attempt's backoff was already spent reaching a server that is up, and no
 *   retry with the old id can succeed. Capacity refusals reconnect after a backoff; any other
 *   refusal gets a new peer after a backoff;
 * - the peer is destroyed (it never opened and failed): a new peer after a backoff.
 * A peer that is replaced is let go, not destroyed: its open data connections need no server and
 * keep serving until they close on their own. The backoff starts over once a peer opens.
 */
import type { DataConnection, Peer, PeerOptions } from 'peerjs';
import type { ErrorCode } from '../protocol/errors.js';
import { RECONNECT_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';
import { filterServerFrames } from './server-frames.js';

/** What the page does with the peer's events (only the current peer's reach it). */
export interface SignallingHandlers {
  /** A frame of the socket, before peerjs; true when it was taken (peerjs then never sees it). */
  frame(peer: Peer, message: unknown): boolean;
  /** The peer opened (after a reconnect: the same id; a new peer: a new one). */
  open(id: string): void;
  /** The socket dropped, or the peer is gone. */
  down(): void;
  /** An incoming data connection. */
  connection(conn: DataConnection): void;
  /** EXPIRE: a peer we offered to is gone; peerjs puts its id at the end of `message`. */
  unavailable(message: string): void;
}

/** Refusals after which the same id may still be admitted later: the server is only full. */
const RETRY_SAME_ID: ReadonlySet<string> = new Set<ErrorCode>(['SIGNAL_CAPACITY', 'SIGNAL_ADDRESS_CAPACITY']);
const ID_UNKNOWN: ErrorCode = 'SIGNAL_ID_UNKNOWN';
/** A refusal code longer than any catalogue code is not one; it is kept as a generic refusal. */
const MAX_CODE_CHARS = 64;

/** The code of a server refusal frame (ERROR or ID-TAKEN), read from the frame as unknown; undefined for any other frame. */
export function refusalCode(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, payload } = message as { type?: unknown; payload?: unknown };
  if (type !== 'ERROR' && type !== 'ID-TAKEN') return undefined;
  const code = typeof payload === 'object' && payload !== null ? (payload as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length <= MAX_CODE_CHARS ? code : 'refused';
}

/** Makes a PeerJS peer (peer-pool.ts passes `new Peer(options)`; tests, a fake). */
export type PeerFactory = (options: PeerOptions) => Peer;

/** The page's current PeerJS peer, kept connected. */
export class SignallingPeer {
  readonly #makePeer: PeerFactory;
  readonly #options: PeerOptions;
  readonly #handlers: SignallingHandlers;
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #peer: Peer | undefined;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** What the pending retry will do; a later event of the same failure replaces it, keeping its delay. */
  #next: (() => void) | undefined;
  #stopped = false;

  constructor(makePeer: PeerFactory, options: PeerOptions, handlers: SignallingHandlers, policy: BackoffPolicy = RECONNECT_BACKOFF, random: () => number = Math.random) {
    this.#makePeer = makePeer;
    this.#options = options;
    this.#handlers = handlers;
    this.#policy = policy;
    this.#random = random;
  }

  /** The current peer (open, reconnecting, or not yet open). */
  get peer(): Peer | undefined {
    return this.#peer;
  }

  /** Creates the first peer (once). */
  start(): void {
    if (!this.#peer && !this.#stopped) this.#create();
  }

  /** Stops retrying and destroys the current peer (with its data connections). */
  close(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#peer?.destroy();
  }

  #create(): void {
    if (this.#stopped) return;
    const peer = this.#makePeer(this.#options);
    this.#peer = peer;
    let opened = false;
    /** The server's refusal on the socket's current attempt, if it sent one. */
    let refusal: string | undefined;
    const current = (): boolean => this.#peer === peer && !this.#stopped;
    filterServerFrames(peer, (message) => {
      refusal = refusalCode(message) ?? refusal;
      return current() && this.#handlers.frame(peer, message);
    });
    peer.on('open', (id) => {
      if (!current()) return;
      opened = true;
      refusal = undefined;
      this.#attempt = 0;
      this.#handlers.open(id);
    });
    peer.on('connection', (conn) => {
      if (current()) this.#handlers.connection(conn);
      else conn.close();
    });
    peer.on('disconnected', () => {
      if (!current()) return;
      this.#handlers.down();
      const refused = refusal;
      refusal = undefined;
      // A peer that opened once holds a stale id when the server says it never issued it: only a new peer gets back.
      if (opened && refused === ID_UNKNOWN) return this.#replaceNow(peer);
      if (refused !== undefined && !RETRY_SAME_ID.has(refused)) return this.#schedule(() => this.#peer === peer && this.#create());
      // peerjs emits this just before 'close' when it destroys a peer that never opened: 'close' then takes over this retry.
      this.#schedule(() => {
        if (this.#peer !== peer || !peer.disconnected || peer.destroyed) return;
        try {
          peer.reconnect();
        } catch {
          this.#create();
        }
      });
    });
    peer.on('close', () => {
      if (!current()) return;
      this.#handlers.down();
      this.#schedule(() => this.#peer === peer && this.#create());
    });
    peer.on('error', (error) => {
      if (current() && error.type === 'peer-unavailable') this.#handlers.unavailable(error.message);
    });
  }

  /** A new peer now, the old one let go with its data connections (see the header). */
  #replaceNow(old: Peer): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#next = undefined;
    if (this.#peer === old) this.#create();
  }

  /** Runs `run` after the next backoff delay; a retry already pending keeps its delay and runs `run` instead. */
  #schedule(run: () => void): void {
    if (this.#stopped) return;
    this.#next = run;
    if (this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      const next = this.#next;
      this.#next = undefined;
      if (!this.#stopped) next?.();
    }, backoffDelay(this.#attempt++, this.#policy, this.#random));
  }
}
