/**
 * One data connection to one peer, both roles at once. As a client it asks for chunks (`request`)
 * and assembles the `piece` frames; as a server it reads chunks from the SW's store and answers
 * them, paced. Every message is `unknown` until parsePeerFrame accepts it; one that does not
 * parse, or a frame that breaks the protocol (a piece we never asked for or no longer wait for,
 * beyond what late-answers.ts allows after a cancel; a piece past its chunk; a reused request id;
 * more requests than MAX_REQUESTS_IN_FLIGHT), makes the pool drop the peer. A close fails every
 * request in flight at once. Peer exchange (`ask-peers`, `peers`) is session-exchange.ts's. Other
 * frame types (the manifest relay's) go to the session's extensions (the pool's): a frame none
 * of them takes breaks the protocol, as any unknown frame.
 */
import type { ErrorCode } from '../protocol/errors.js';
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { MAX_REQUEST_ID, MAX_REQUESTS_IN_FLIGHT, encodeCancel, encodeRequest, parsePeerFrame, type PeerFrame } from '../protocol/messages/peer.js';
import type { ChunkReader } from './chunk-reader.js';
import type { PageCounters } from './counters.js';
import type { SwarmConfig } from './options.js';
import { ChunkServer, type UploadSlots } from './chunk-server.js';
import { LateAnswers } from './late-answers.js';
import { PieceAssembler } from './piece-assembler.js';
import { RateLimiter } from './rate-limiter.js';
import { SessionExchange, type ExchangeHooks } from './session-exchange.js';
import type { SessionExtension, SessionExtensionFactory, SessionIo } from './session-extensions.js';
import type { UploadBudget } from './upload-pacing.js';

/** The part of a PeerJS DataConnection a session uses (a fake one in tests). */
export interface SessionConnection {
  readonly peer: string;
  readonly open: boolean;
  /** The offerer's connect metadata (on either side), as sent: unknown until checked. */
  readonly metadata?: unknown;
  readonly dataChannel: RTCDataChannel | undefined;
  send(data: Uint8Array): unknown;
  close(): void;
  on(event: 'data', listener: (data: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** A chunk's bytes from this peer, or why not. */
export type RequestResult = { readonly ok: true; readonly bytes: ArrayBuffer } | { readonly ok: false; readonly code: ErrorCode };

/** What a session needs from the pool around it. */
export interface SessionDeps {
  readonly config: Pick<SwarmConfig, 'stallMs' | 'upload'>;
  readonly readChunk: ChunkReader;
  readonly slots: UploadSlots;
  readonly budget: UploadBudget;
  readonly counters: PageCounters;
  /** The peer broke the protocol: the pool drops it (and closes this session with PEER_PROTOCOL). */
  readonly onViolation: (session: PeerSession, reason: string) => void;
  /** The session closed, for whatever reason. */
  readonly onClose: (session: PeerSession) => void;
  readonly now?: () => number;
  /** How long an undrained channel holds its answers' upload slots (piece-sender.ts; tests shorten it). */
  readonly uploadStallMs?: number;
  /** Peer exchange with this peer (none: its frames break the protocol, as any unknown frame). */
  readonly exchange?: ExchangeHooks;
  /** Extensions for this session (the pool's: PoolExtras.extensions); default none. */
  readonly extensions?: readonly SessionExtensionFactory[];
}

/** Requests to one peer at once (the protocol's cap); more wait here for one to end. */
export const MAX_REQUESTS_PER_PEER = MAX_REQUESTS_IN_FLIGHT;
/** However a peer trickles bytes, one chunk request ends within this time. */
export const REQUEST_DEADLINE_MS = 30_000;
/** Frames per second a peer may send us, sustained (burst twice that): far above any honest sender, far below a flood. */
const INBOUND_FRAMES_PER_SECOND = 2_000;

interface Pending {
  readonly chunk: Sha256Sri;
  readonly assembler: PieceAssembler;
  readonly resolve: (result: RequestResult) => void;
  /** When the request went out, or its last piece arrived. */
  progressAt: number;
  stall: ReturnType<typeof setTimeout> | undefined;
  readonly deadline: ReturnType<typeof setTimeout>;
}

/** Both roles of one peer connection. */
export class PeerSession {
  readonly peerId: string;
  /** When a frame last went either way (the pool closes the least recently used idle session first). */
  lastUsed: number;
  readonly #conn: SessionConnection;
  readonly #deps: SessionDeps;
  readonly #now: () => number;
  readonly #pending = new Map<number, Pending>();
  readonly #late = new LateAnswers();
  readonly #slotWaiters = new Set<() => void>();
  /** Waiting for one of our answers to arrive whole (answerEnded). */
  readonly #endWaiters = new Set<() => void>();
  readonly #inbound: RateLimiter;
  readonly #server: ChunkServer;
  readonly #exchange: SessionExchange;
  /** Assigned once the session is set up (a close during set-up finds none). */
  #extensions: readonly SessionExtension[] = [];
  #lastRequestId = 0;
  /** When a piece last arrived for any request in flight (a live channel answers them in turn). */
  #lastPieceAt = -Infinity;
  #closed = false;

  constructor(conn: SessionConnection, deps: SessionDeps) {
    this.#conn = conn;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.peerId = conn.peer;
    this.lastUsed = this.#now();
    this.#inbound = new RateLimiter(INBOUND_FRAMES_PER_SECOND, 2 * INBOUND_FRAMES_PER_SECOND, this.lastUsed);
    this.#server = new ChunkServer({
      ...deps,
      channel: () => (this.#closed ? undefined : conn.dataChannel),
      send: (frame) => this.#send(frame),
      violation: (reason) => this.#violation(reason),
    });
    this.#exchange = new SessionExchange(this.peerId, deps.exchange, { send: (frame) => this.#send(frame), violation: (reason) => this.#violation(reason), now: this.#now });
    conn.on('data', (data) => this.#receive(data));
    conn.on('close', () => this.close('PEER_CLOSED'));
    // A connection error (a send on a closing channel, a negotiation failure) ends the session; the close follows.
    conn.on('error', () => this.close('PEER_CLOSED'));
    const io: SessionIo = {
      peerId: this.peerId,
      metadata: conn.metadata,
      // The pool tells the exchange to ask at once exactly when this page accepted an offerer that speaks the optional frames.
      speaksFirst: deps.exchange?.askAtOpen === true,
      send: (frame) => this.#send(frame),
      violation: (reason) => this.#violation(reason),
      channel: () => (this.#closed ? undefined : conn.dataChannel),
    };
    this.#extensions = (deps.extensions ?? []).map((make) => make(io));
    this.#exchange.start();
  }

  /** True until the connection closes. */
  get open(): boolean {
    return !this.#closed && this.#conn.open;
  }

  /** True when nothing is in flight in either role (it may be closed to make room). */
  get idle(): boolean {
    return this.#pending.size === 0 && this.#slotWaiters.size === 0 && this.#server.idle && !this.#extensions.some((e) => e.busy);
  }

  /** True when the other side speaks peer exchange (it may be asked for peers). */
  get exchanges(): boolean {
    return this.open && this.#exchange.capable;
  }

  /** Asks this peer which peers it had a verified exchange with (the answer goes to the pool); false when not asked. */
  askPeers(): boolean {
    return this.open && this.#exchange.ask();
  }

  /** Asks this peer for the chunk `chunk` of `size` bytes (the manifest's, never the peer's word). */
  async request(chunk: Sha256Sri, size: number, signal?: AbortSignal): Promise<RequestResult> {
    // With a slot free the request goes out in this very call (no await before it), else it waits for
    // one, at most stallMs. The count is read again after every wait, with no await between that read
    // and the send: a slot freed for a waiter can be taken by a request made meanwhile, and a
    // seventeenth request in flight makes the peer drop us.
    const deadline = this.#now() + this.#deps.config.stallMs;
    while (this.#pending.size >= MAX_REQUESTS_PER_PEER) {
      const left = deadline - this.#now();
      if (this.#closed || signal?.aborted || left <= 0) return { ok: false, code: signal?.aborted ? 'REQUEST_CANCELLED' : this.#closed ? 'PEER_CLOSED' : 'PEER_BUSY' };
      await waitIn(this.#slotWaiters, left, signal);
    }
    if (signal?.aborted) return { ok: false, code: 'REQUEST_CANCELLED' };
    // Ids are never reused on a connection (a late piece must not land in a newer request); 2³² of them is a fresh connection's job.
    if (this.#lastRequestId >= MAX_REQUEST_ID) this.close('PEER_CLOSED');
    if (this.#closed) return { ok: false, code: 'PEER_CLOSED' };
    const requestId = ++this.#lastRequestId;
    const { stallMs } = this.#deps.config;
    return new Promise<RequestResult>((resolve) => {
      const onAbort = (): void => this.#abandon(requestId, 'REQUEST_CANCELLED');
      const pending: Pending = {
        chunk,
        assembler: new PieceAssembler(size),
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        progressAt: this.#now(),
        stall: setTimeout(() => this.#checkStall(requestId), stallMs),
        deadline: setTimeout(() => this.#abandon(requestId, 'PEER_STALLED'), REQUEST_DEADLINE_MS),
      };
      this.#pending.set(requestId, pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!this.#send(encodeRequest(requestId, chunk))) this.#finish(requestId, { ok: false, code: 'PEER_CLOSED' });
    });
  }

  /**
   * Resolves when an answer of ours from this peer arrives whole (a slot of ours there is free; one
   * waiter per answer, and a failure wakes no one: each busy would wake a herd), after `maxMs` at
   * most, on abort or on close.
   */
  answerEnded(maxMs: number, signal?: AbortSignal): Promise<void> {
    return this.#closed ? Promise.resolve() : waitIn(this.#endWaiters, maxMs, signal);
  }

  /** Closes the connection; every request in flight fails with `code`, every upload stops. Idempotent. */
  close(code: ErrorCode = 'PEER_CLOSED'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#finish(id, { ok: false, code });
    for (const wake of [...this.#slotWaiters]) wake();
    for (const wake of [...this.#endWaiters]) wake();
    this.#server.stop();
    for (const extension of this.#extensions) extension.closed();
    try {
      this.#conn.close();
    } catch {
      // Closing a connection peerjs already tore down throws on some paths; it is closed either way.
    }
    this.#deps.onClose(this);
  }

  #send(frame: Uint8Array): boolean {
    if (!this.open) return false;
    try {
      // Straight onto the data channel, which copies the frame before it returns (piece frames
      // share one buffer). peerjs's send would keep a reference in its own queue whenever it is
      // buffering; every frame goes this way instead, so their order holds too.
      const channel = this.#conn.dataChannel;
      if (channel) channel.send(frame as Uint8Array<ArrayBuffer>);
      else this.#conn.send(frame.slice());
      this.lastUsed = this.#now();
      this.#exchange.sent(frame);
      return true;
    } catch {
      this.close('PEER_CLOSED');
      return false;
    }
  }

  #receive(data: unknown): void {
    if (this.#closed) return;
    const now = this.#now();
    this.lastUsed = now;
    if (this.#inbound.delayMs(now) > 0) return this.#violation('frames faster than any honest peer sends');
    this.#inbound.take(1, now);
    const parsed = parsePeerFrame(data);
    if (!parsed.ok) return this.#violation(parsed.reason);
    this.#dispatch(parsed.frame);
  }

  #dispatch(frame: PeerFrame): void {
    switch (frame.type) {
      case 'request':
        return this.#server.request(frame.requestId, frame.chunk);
      case 'cancel':
        return this.#server.cancel(frame.requestId);
      case 'piece':
        return this.#piece(frame.requestId, frame.offset, frame.chunkLength, frame.data);
      case 'absent':
        return this.#answeredAbsent(frame.requestId, frame.reason === 'busy' ? 'PEER_BUSY' : 'PEER_ABSENT');
      case 'ask-peers':
        return this.#exchange.question(frame.requestId);
      case 'peers':
        return this.#exchange.answer(frame.requestId, frame.peers);
      default:
        if (!this.#extensions.some((e) => e.frame(frame))) this.#violation(`a ${frame.type} frame on a session that does not speak it`);
    }
  }

  /** An answer for a request we no longer wait for: the rest of an abandoned one, briefly (late-answers.ts); else a violation. */
  #lateAnswer(requestId: number, piece?: { readonly chunkLength: number; readonly bytes: number }): void {
    if (requestId === 0 || requestId > this.#lastRequestId) return this.#violation(`answer to request ${requestId}, never made`);
    const now = this.#now();
    const refused = piece ? this.#late.piece(requestId, piece.chunkLength, piece.bytes, now) : this.#late.absent(requestId, now);
    if (refused) this.#violation(refused);
  }

  #piece(requestId: number, offset: number, chunkLength: number, data: Uint8Array): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return this.#lateAnswer(requestId, { chunkLength, bytes: data.length });
    const outcome = pending.assembler.add(offset, chunkLength, data);
    if (outcome.kind === 'violation') return this.#violation(outcome.reason);
    this.#lastPieceAt = pending.progressAt = this.#now();
    if (outcome.kind !== 'complete') return;
    this.#exchange.received(pending.chunk, outcome.bytes);
    this.#finish(requestId, { ok: true, bytes: outcome.bytes });
  }

  /**
   * A request is stalled after stallMs with no piece for it and none for any other request on this
   * connection. The peer answers queued requests in turn, so on a slow but live channel (a new
   * association still finding its speed, an upload budget) a request deep in its queue waits
   * longer than stallMs for its first piece; that is not a stall. REQUEST_DEADLINE_MS bounds it.
   */
  #checkStall(requestId: number): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    const left = Math.max(pending.progressAt, this.#lastPieceAt) + this.#deps.config.stallMs - this.#now();
    if (left > 0) pending.stall = setTimeout(() => this.#checkStall(requestId), left);
    else this.#abandon(requestId, 'PEER_STALLED');
  }

  #answeredAbsent(requestId: number, code: ErrorCode): void {
    if (!this.#pending.has(requestId)) return this.#lateAnswer(requestId);
    this.#finish(requestId, { ok: false, code });
  }

  /** We stop waiting for a request: tell the peer, so it stops sending. */
  #abandon(requestId: number, code: ErrorCode): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#late.abandoned(requestId, pending.assembler.size, pending.assembler.received, this.#now());
    this.#finish(requestId, { ok: false, code });
    this.#send(encodeCancel(requestId));
  }

  #finish(requestId: number, result: RequestResult): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.stall);
    clearTimeout(pending.deadline);
    pending.resolve(result);
    this.#slotWaiters.values().next().value?.();
    if (result.ok) this.#endWaiters.values().next().value?.();
  }

  #violation(reason: string): void {
    if (this.#closed) return;
    // The pool drops the peer for the page's life and closes every session with it (this one included).
    this.#deps.onViolation(this, reason);
    this.close('PEER_PROTOCOL');
  }
}

/** Waits in `waiters` until woken (a waiter removes itself), `ms` pass, or `signal` aborts. */
function waitIn(waiters: Set<() => void>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    waiters.add(done);
  });
}
