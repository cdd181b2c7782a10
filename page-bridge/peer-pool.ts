/**
 * The page's PeerJS peer and its data connections. Connections are made only after the peer's
 * 'open' (an earlier OFFER is lost silently), carry PEER_PROTOCOL_LABEL with raw serialization
 * (one message per frame, ≤ 256 KiB), and are reused while open. At most maxPeers are open at
 * once: past it the least recently used idle one is closed; after losing some, the keeper
 * (pool-keeper.ts) refills up to minPeers from peer exchange (peer-exchange.ts), then the tracker
 * (TrackerClient.rescueHolders). A peer dropped for a protocol violation or a report is never used again
 * for this page's life. PeerJS has no connect timeout, so every connect has ours. The peer itself,
 * its reconnects and their backoff are signalling-peer.ts's.
 */
import { Peer, type DataConnection } from 'peerjs';
import type { ErrorCode } from '../protocol/errors.js';
import { PEER_EXCHANGE_METADATA, PEER_PROTOCOL_LABEL, isPeerExchangeMetadata } from '../protocol/messages/peer.js';
import { TRACKER_SERVER_TYPES } from '../protocol/messages/tracker.js';
import type { ChunkReader } from './chunk-reader.js';
import type { PageCounters } from './counters.js';
import type { SwarmConfig } from './options.js';
import { PeerExchange } from './peer-exchange.js';
import { peerOptions } from './peer-options.js';
import { PeerSession } from './peer-session.js';
import type { SessionExtensionFactory } from './session-extensions.js';
import { PendingIncoming } from './pending-incoming.js';
import { PoolKeeper } from './pool-keeper.js';
import { screenSignalFrame, sendOnServerSocket } from './server-frames.js';
import { SignalGuard } from './signal-guard.js';
import { SignallingPeer } from './signalling-peer.js';
import { UploadBudget } from './upload-pacing.js';
import { FairUploadSlots } from './upload-slots.js';
import { deferred, within } from './wait.js';

/** The slice of the options the pool uses. */
export type PoolConfig = Pick<
  SwarmConfig,
  'server' | 'iceServers' | 'maxPeers' | 'minPeers' | 'connectTimeoutMs' | 'stallMs' | 'upload' | 'maxUploads' | 'uploadBytesPerSecond'
>;

/** What the bridge core adds to the pool. */
export interface PoolExtras {
  /** The tracker's holders of the site's most held file, the keeper's last resort (TrackerClient.rescueHolders). */
  readonly rescue?: () => Promise<readonly string[]>;
  /** Frame types every session speaks beyond its own (the manifest relay: envelope-relay.ts). */
  readonly extensions?: readonly SessionExtensionFactory[];
}

/** An open session with a peer, or why there is none. */
export type SessionResult = { readonly ok: true; readonly session: PeerSession } | { readonly ok: false; readonly code: ErrorCode };

/** How long an ICE 'disconnected' may last before the session ends (a crashed peer's goes on to 'failed'). */
const ICE_DISCONNECTED_GRACE_MS = 2_000;
/** Dropped peer ids remembered: a page meets far fewer bad peers; the cap bounds what a flood of ids can cost. */
const MAX_DROPPED = 4_096;

/** The page's peer and its sessions. */
export class PeerPool {
  readonly #config: PoolConfig;
  readonly #counters: PageCounters;
  readonly #readChunk: ChunkReader;
  readonly #budget: UploadBudget;
  readonly #sessions = new Set<PeerSession>();
  readonly #connecting = new Map<string, Promise<SessionResult>>();
  readonly #unavailable = new Map<string, () => void>();
  readonly #dropped = new Set<string>();
  readonly #pending = new PendingIncoming();
  readonly #guard = new SignalGuard(Date.now());
  readonly #signalView = { isDropped: (peerId: string) => this.#dropped.has(peerId), canAccept: (peerId: string) => this.#canAccept(peerId) };
  readonly #uploadSlots: FairUploadSlots;
  readonly #openListeners: ((peerId: string) => void)[] = [];
  readonly #serverListeners: ((message: unknown) => void)[] = [];
  readonly #downListeners: (() => void)[] = [];
  readonly #opened = deferred<string>();
  readonly #signalling: SignallingPeer;
  readonly #exchange: PeerExchange;
  readonly #keeper: PoolKeeper;
  readonly #extensions: readonly SessionExtensionFactory[];
  #stopped = false;

  constructor(config: PoolConfig, counters: PageCounters, readChunk: ChunkReader, more: PoolExtras = {}) {
    const rescue = more.rescue ?? (() => Promise.resolve([]));
    this.#extensions = more.extensions ?? [];
    this.#config = config;
    this.#counters = counters;
    this.#readChunk = readChunk;
    this.#budget = new UploadBudget(config.uploadBytesPerSecond, Date.now());
    this.#uploadSlots = new FairUploadSlots(config.maxUploads);
    this.#signalling = new SignallingPeer((options) => new Peer(options), peerOptions(config), {
      frame: (peer, message) => this.#serverFrame(peer, message),
      open: (id) => {
        this.#opened.resolve(id);
        for (const listener of this.#openListeners) listener(id);
      },
      down: () => {
        for (const listener of this.#downListeners) listener();
      },
      connection: (conn) => this.#incoming(conn),
      // EXPIRE from the server: the peer we offered to is gone. Its id ends the message (peerjs gives no field).
      unavailable: (message) => {
        for (const [id, fail] of this.#unavailable) if (message.endsWith(id)) fail();
      },
    });
    const exchange = (this.#exchange = new PeerExchange({
      self: () => this.peerId,
      isDropped: (peerId) => this.#dropped.has(peerId),
      hasOpenSession: (peerId) => this.hasOpenSession(peerId),
      learned: () => this.#keeper.answered(),
    }));
    this.#keeper = new PoolKeeper(
      {
        minPeers: config.minPeers,
        count: () => this.connections + this.#connecting.size,
        askable: () => [...this.#sessions].filter((s) => s.exchanges),
        skip: (peerId) => peerId === this.peerId || this.#dropped.has(peerId) || this.#connecting.has(peerId) || this.hasOpenSession(peerId),
        connect: async (peerId) => (await this.connect(peerId)).ok,
      },
      { hints: () => exchange.candidates((peerId) => this.#connecting.has(peerId)), failed: (peerId) => exchange.failed(peerId), rescue },
    );
  }

  /** The peer id once the peer first opened (never rejects). */
  get opened(): Promise<string> {
    return this.#opened.promise;
  }

  /** This page's current peer id, while the peer is open or was. */
  get peerId(): string | undefined {
    return this.#signalling.peer?.id ?? undefined;
  }

  /** Open peer connections. */
  get connections(): number {
    let open = 0;
    for (const session of this.#sessions) if (session.open) open += 1;
    return open;
  }

  /** Calls `listener` with the peer id each time a peer opens (a new id after the peer had to be recreated). */
  onOpen(listener: (peerId: string) => void): void {
    this.#openListeners.push(listener);
  }

  /** Calls `listener` with each tracker frame the signalling socket receives (parsed JSON, not yet checked). */
  onServerMessage(listener: (message: unknown) => void): void {
    this.#serverListeners.push(listener);
  }

  /** Calls `listener` each time the signalling socket drops or the peer is destroyed. */
  onServerDown(listener: () => void): void {
    this.#downListeners.push(listener);
  }

  /** Sends a message to the server on the signalling socket (the tracker's); false while it is not open. */
  sendToServer(message: { readonly type: string }): boolean {
    const peer = this.#signalling.peer;
    return peer !== undefined && !this.#stopped && sendOnServerSocket(peer, message);
  }

  /** Creates the peer (once). */
  start(): void {
    if (!this.#stopped) this.#signalling.start();
  }

  /** True for a peer dropped for this page's life. */
  isDropped(peerId: string): boolean {
    return this.#dropped.has(peerId);
  }

  /** True when an open session with `peerId` exists (the bridge asks those first). */
  hasOpenSession(peerId: string): boolean {
    return this.#sessionOf(peerId) !== undefined;
  }

  /** An open session with `peerId`: reused, or connected within connectTimeoutMs. */
  async connect(peerId: string, signal?: AbortSignal): Promise<SessionResult> {
    if (this.#stopped || this.#dropped.has(peerId) || peerId === this.peerId) return { ok: false, code: 'PEER_NONE' };
    const existing = this.#sessionOf(peerId);
    if (existing) return { ok: true, session: existing };
    let attempt = this.#connecting.get(peerId);
    if (!attempt) {
      // Shared by every request for this peer; one caller's cancel must not end it for the others.
      attempt = this.#open(peerId).finally(() => this.#connecting.delete(peerId));
      this.#connecting.set(peerId, attempt);
    }
    if (!signal) return attempt;
    const cancelled = new Promise<SessionResult>((resolve) => {
      if (signal.aborted) resolve({ ok: false, code: 'REQUEST_CANCELLED' });
      signal.addEventListener('abort', () => resolve({ ok: false, code: 'REQUEST_CANCELLED' }), { once: true });
    });
    return Promise.race([attempt, cancelled]);
  }

  /** Drops a peer for this page's life: every session with it closes with `code`; counted once. */
  drop(peerId: string, code: ErrorCode): void {
    if (!this.#dropped.has(peerId)) {
      if (this.#dropped.size >= MAX_DROPPED) this.#dropped.delete(this.#dropped.values().next().value as string);
      this.#dropped.add(peerId);
      this.#counters.droppedPeers += 1;
    }
    this.#exchange.forget(peerId);
    for (const session of [...this.#sessions]) if (session.peerId === peerId) session.close(code);
  }

  /** Closes every session and destroys the peer. */
  close(): void {
    this.#stopped = true;
    this.#keeper.stop();
    for (const session of [...this.#sessions]) session.close('PEER_CLOSED');
    this.#signalling.close();
  }

  #sessionOf(peerId: string): PeerSession | undefined {
    for (const session of this.#sessions) if (session.peerId === peerId && session.open) return session;
    return undefined;
  }

  /** A frame of the signalling socket: the tracker's go to the tracker client, never to peerjs; the other peers' past the guard. */
  #serverFrame(peer: Peer, message: unknown): boolean {
    const type = (message as { type?: unknown } | null)?.type;
    // Other peers' frames: the guard decides before peerjs builds or keeps anything for them.
    if (typeof type !== 'string' || !TRACKER_SERVER_TYPES.has(type)) return screenSignalFrame(peer, this.#guard, this.#signalView, message);
    for (const listener of this.#serverListeners) listener(message);
    return true;
  }

  async #open(peerId: string): Promise<SessionResult> {
    const { connectTimeoutMs } = this.#config;
    const deadline = Date.now() + connectTimeoutMs;
    if ((await within(this.opened, connectTimeoutMs, undefined)) === undefined) return { ok: false, code: 'PEER_CONNECT_TIMEOUT' };
    const peer = this.#signalling.peer;
    if (!peer || !peer.open || this.#stopped) return { ok: false, code: 'PEER_CONNECT_TIMEOUT' };
    if (!this.#makeRoom(0)) return { ok: false, code: 'PEER_BUSY' };
    // The metadata says we speak peer exchange; the other side then asks first (session-exchange.ts).
    const conn = peer.connect(peerId, { label: PEER_PROTOCOL_LABEL, serialization: 'raw', reliable: true, metadata: { ...PEER_EXCHANGE_METADATA } });
    if (!conn) return { ok: false, code: 'PEER_CONNECT_TIMEOUT' };
    const code = await new Promise<ErrorCode | undefined>((resolve) => {
      let settled = false;
      const onUnavailable = (): void => settle('PEER_CLOSED');
      // Idempotent, and it removes only its own EXPIRE hook: these listeners outlive the attempt
      // (a later close of this connection must not unhook a newer attempt to the same peer).
      const settle = (result: ErrorCode | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.#unavailable.get(peerId) === onUnavailable) this.#unavailable.delete(peerId);
        resolve(result);
      };
      const timer = setTimeout(() => settle('PEER_CONNECT_TIMEOUT'), Math.max(0, deadline - Date.now()));
      this.#unavailable.set(peerId, onUnavailable);
      conn.on('open', () => settle(undefined));
      conn.on('close', () => settle('PEER_CLOSED'));
      conn.on('error', () => settle('PEER_CLOSED'));
    });
    if (code || this.#stopped || this.#dropped.has(peerId)) {
      conn.close();
      return { ok: false, code: code ?? 'PEER_CLOSED' };
    }
    return { ok: true, session: this.#adopt(conn, false) };
  }

  #incoming(conn: DataConnection): void {
    // The signal guard declined these before peerjs built them; this holds should peerjs ever hand one over anyway.
    if (this.#stopped || conn.label !== PEER_PROTOCOL_LABEL || conn.serialization !== 'raw' || this.#dropped.has(conn.peer) || this.#pending.has(conn.peer)) {
      conn.close();
      return;
    }
    this.#pending.track(conn, this.#config.connectTimeoutMs, () => {
      if (this.#stopped || this.#dropped.has(conn.peer) || !this.#makeRoom(1)) conn.close();
      else this.#adopt(conn, true);
    });
  }

  /** Room for an incoming connection from `peerId`, asked before peerjs builds it (pending-incoming.ts). */
  #canAccept(peerId: string): boolean {
    let busy = 0;
    for (const session of this.#sessions) if (session.open && !session.idle) busy += 1;
    return !this.#stopped && this.#pending.canAccept(peerId, { busy, connecting: this.#connecting.size, maxPeers: this.#config.maxPeers });
  }

  /**
   * True when one more connection fits under maxPeers, closing the least recently used idle session
   * if need be. Outgoing attempts are already counted in #connecting; an incoming one is `extra`.
   */
  #makeRoom(extra: 0 | 1): boolean {
    const open = [...this.#sessions].filter((s) => s.open);
    if (open.length + this.#connecting.size + extra <= this.#config.maxPeers) return true;
    let victim: PeerSession | undefined;
    for (const session of open) if (session.idle && (!victim || session.lastUsed < victim.lastUsed)) victim = session;
    victim?.close('PEER_CLOSED');
    return victim !== undefined;
  }

  #adopt(conn: DataConnection, accepted: boolean): PeerSession {
    // An offerer's metadata is its word (unknown until checked); it only decides whether we ask it for peers.
    const capable = accepted && isPeerExchangeMetadata(conn.metadata);
    const session = new PeerSession(conn, {
      config: this.#config,
      readChunk: this.#readChunk,
      // Shared fairly between the peers asking (upload-slots.ts): one peer cannot hold them all while others wait.
      slots: this.#uploadSlots.forPeer(conn.peer),
      budget: this.#budget,
      counters: this.#counters,
      onViolation: (s, reason) => {
        console.warn(`swarmcdn: dropped peer ${s.peerId}: ${reason}`);
        this.drop(s.peerId, 'PEER_PROTOCOL');
      },
      onClose: (s) => {
        this.#sessions.delete(s);
        if (!this.#stopped) this.#keeper.lost();
      },
      // The side that accepted asks at once: that tells the offerer we speak peer exchange too.
      exchange: this.#exchange.hooks({ capable, askAtOpen: capable }),
      extensions: this.#extensions,
    });
    // A peer whose page crashed sends no close; ICE notices after some seconds of silence (~7 s
    // here). peerjs only logs 'disconnected', so the session ends here and its slot is freed.
    // 'disconnected' can also be a busy moment (consent checks late on a loaded machine) that ICE
    // recovers from: it gets ICE_DISCONNECTED_GRACE_MS; 'failed' and 'closed' end the session at once.
    let grace: ReturnType<typeof setTimeout> | undefined;
    conn.on('iceStateChanged', (state) => {
      clearTimeout(grace);
      if (state === 'failed' || state === 'closed') session.close('PEER_CLOSED');
      else if (state === 'disconnected') grace = setTimeout(() => session.close('PEER_CLOSED'), ICE_DISCONNECTED_GRACE_MS);
    });
    conn.on('close', () => clearTimeout(grace));
    this.#sessions.add(session);
    return session;
  }
}
