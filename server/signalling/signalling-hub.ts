/**
 * The PeerJS relay: admits sockets, checks every frame (size, rate, shape), forwards it to its
 * destination with the server's `src`, queues it when the destination is away, and runs the one
 * sweep timer (idle sockets, expired queue entries, released ids) for all sockets.
 *
 * Abuse: what others send never closes a socket: past its backlog cap a destination's frames are
 * dropped and their senders get EXPIRE. Frames wait only for unexpired ids this server issued, within
 * per-sender and per-address quotas (offline-queue.ts); connections are capped per address.
 *
 * Speed (per relayed message, the hot path is #onFrame → #relay → #deliver):
 * - no closure, timer or bucket object per socket: one PeerConnection of plain fields, reached
 *   from the socket by a symbol property, and listeners shared by every socket;
 * - the frame is read in place (frame-scan.ts: one pass that validates the JSON and finds type,
 *   dst and the closing brace, no string decoding, no objects); only what the scan leaves open
 *   goes through the full parser;
 * - one Map lookup for the destination; the outgoing frame is the sender's bytes with src spliced
 *   in, built with its WebSocket header as one buffer (relay-frame.ts) and written as it is;
 * - writes to each destination are corked for the rest of the current I/O callback
 *   (write-batch.ts), so frames that arrive together leave in one syscall, with no added delay;
 * - per-message debug logging is behind a flag refreshed by the sweep, so a disabled level costs
 *   one branch, not an object literal.
 *
 * The same socket carries the page's tracker messages (server/tracker/tracker-service.ts): a frame
 * that starts as one (tracker-frame.ts) goes to the socket's TrackerSession, which applies the
 * tracker's own caps and rate, and knows the socket's proven id.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData } from 'ws';
import { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/errors.js';
import {
  PEERJS_OPEN_FRAME,
  parsePeerjsClientMessage,
  peerjsErrorFrame,
  peerjsExpireFrame,
  type PeerjsRelayType,
} from '../../protocol/messages/peerjs.js';
import type { ConnectionGauges } from '../context.js';
import { countRefusal, createSignallingCounters, type SignallingCounters } from '../metrics/counters.js';
import type { SignallingOptions } from '../options.js';
import type { SignallingStore } from '../store/store.js';
import { decideAdmission } from './admission.js';
import { scanPeerjsClientFrame } from './frame-scan.js';
import { OfflineQueue, queueLimits } from './offline-queue.js';
import { PEER, PeerConnection, type PeerSocket } from './peer-connection.js';
import { PeerRegistry } from './peer-registry.js';
import { relayFrame, splicedFrame } from './relay-frame.js';
import { SHUTDOWN_GRACE_MS, cutAfterGrace } from './shutdown.js';
import { takeToken } from '../token-bucket.js';
import { WriteBatch } from './write-batch.js';
import { hasTrackerType, startsAsTrackerFrame } from './tracker-frame.js';
import type { SessionSocket } from '../tracker/session.js';
import type { TrackerService } from '../tracker/tracker-service.js';

// RFC 6455 §7.4.1 close codes.
const NORMAL = 1000;
const GOING_AWAY = 1001;
const POLICY = 1008;
const TOO_BIG = 1009;
const INTERNAL_ERROR = 1011;

/**
 * A destination with this much unsent gets no more relayed frames until it reads. A real client's
 * signalling backlog is a few KiB; and it is a quarter of the tracker's own limit
 * (server/tracker/session.ts closes a socket past 1 MiB unsent), so relayed frames (at most this
 * plus one frame: 320 KiB at the default maxMessageBytes) never make the tracker close a socket.
 */
const RELAY_BACKLOG_BYTES = 256 * 1024;

/** What the hub needs from the server. */
export interface SignallingHubDeps {
  readonly options: Readonly<SignallingOptions>;
  readonly store: SignallingStore;
  readonly gauges: ConnectionGauges;
  readonly log: FastifyBaseLogger;
  /** False when ws skips UTF-8 validation of text frames; then no client bytes are relayed as they are. */
  readonly textFramesAreUtf8: boolean;
  /** True when no socket can negotiate an extension (permessage-deflate off): relayed frames may bypass ws's sender. */
  readonly writeFrames: boolean;
  /** The tracker the sockets carry (none: a tracker frame is refused like any unknown type). */
  readonly tracker?: TrackerService;
  /** Where relayed frames and refusals are counted (server/metrics/; none: the hub keeps its own). */
  readonly counters?: SignallingCounters;
}

/**
 * A frame on its way out: a Buffer is a whole WebSocket frame (relay-frame.ts's splicedFrame), a
 * string a message body for ws to frame.
 */
type Outgoing = Buffer | string;

/** The relay for one server. */
export class SignallingHub {
  readonly #o: Readonly<SignallingOptions>;
  readonly #store: SignallingStore;
  readonly #gauges: ConnectionGauges;
  readonly #log: FastifyBaseLogger;
  readonly #textFramesAreUtf8: boolean;
  readonly #tracker: TrackerService | undefined;
  readonly #counters: SignallingCounters;
  readonly #registry: PeerRegistry;
  readonly #queue: OfflineQueue;
  readonly #batch: WriteBatch;
  readonly #perMs: number;
  readonly #timer: NodeJS.Timeout;
  #shutDown = false;
  #nextIdleSweep = 0;
  #debug = false;
  // Shared by every socket: EventEmitter calls them with `this` = the socket.
  readonly #onMessage: (this: PeerSocket, data: RawData, isBinary: boolean) => void;
  readonly #onClose: (this: PeerSocket) => void;

  constructor(deps: SignallingHubDeps) {
    this.#o = deps.options;
    this.#store = deps.store;
    this.#gauges = deps.gauges;
    this.#log = deps.log;
    this.#textFramesAreUtf8 = deps.textFramesAreUtf8;
    this.#tracker = deps.tracker;
    this.#counters = deps.counters ?? createSignallingCounters();
    this.#batch = new WriteBatch(deps.writeFrames);
    this.#registry = new PeerRegistry(this.#o.idTtlMs);
    this.#queue = new OfflineQueue(queueLimits(this.#o));
    this.#perMs = this.#o.ratePerSecond / 1000;
    const hub = this;
    this.#onMessage = function onMessage(data, isBinary) {
      const conn = this[PEER];
      if (conn !== undefined) hub.#onFrame(conn, data, isBinary);
    };
    this.#onClose = function onClose() {
      const conn = this[PEER];
      if (conn !== undefined) hub.#detach(conn);
    };
    // One timer for every socket: a quarter of the shortest timeout, within 25 ms … 1 s.
    const period = Math.min(1000, Math.max(25, Math.min(this.#o.aliveTimeoutMs, this.#o.expireTimeoutMs) / 4));
    this.#timer = setInterval(() => this.sweep(Date.now()), period);
    this.#timer.unref();
    this.#refreshDebug();
  }

  /** Live connections. */
  get size(): number {
    return this.#registry.size;
  }

  /** Frames waiting for absent peers. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Admits or refuses a socket, given its URL query, the tracker's network key and the address key (address-key.ts). Never throws. */
  admit(socket: PeerSocket, query: unknown, networkKey: string, addressKey: string): void {
    if (this.#shutDown) return void socket.close(GOING_AWAY, 'server closing');
    try {
      const decision = decideAdmission(query, this.#o, this.#registry, this.#store, addressKey);
      if (!decision.ok) {
        this.#log.debug({ code: decision.code }, 'signalling connection refused');
        countRefusal(this.#counters.refusals, decision.code);
        socket.send(decision.frame);
        socket.close(decision.closeCode, decision.code);
        return;
      }
      const now = Date.now();
      const conn = new PeerConnection(decision.id, socket, networkKey, addressKey, now, this.#o.rateBurst);
      socket[PEER] = conn;
      socket.on('message', this.#onMessage);
      socket.on('close', this.#onClose);
      const replaced = this.#registry.add(conn);
      if (replaced !== undefined) this.#close(replaced, NORMAL, 'SIGNAL_REPLACED', now, false);
      this.#gauges.signalling = this.#registry.size;
      socket.send(PEERJS_OPEN_FRAME);
      // What waited for it goes through the same backlog check as any relayed frame.
      for (const waiting of this.#queue.take(conn.id)) {
        if (socket.bufferedAmount < RELAY_BACKLOG_BYTES) this.#deliver(conn, waiting.frame);
        else this.#expireNow(this.#registry.get(waiting.src), conn.id);
      }
      this.#log.debug({ peer: conn.id, replaced: replaced !== undefined }, 'signalling peer open');
    } catch (error) {
      this.#log.error({ err: error }, 'signalling admission failed');
      socket.terminate();
    }
  }

  /** Closes idle sockets, expires queued frames and releases ids past their grace. */
  sweep(now: number): void {
    try {
      this.#refreshDebug();
      if (now >= this.#nextIdleSweep) {
        // Idle sockets need no better precision than a tenth of their timeout.
        this.#nextIdleSweep = now + Math.min(1000, this.#o.aliveTimeoutMs / 10);
        const cutoff = now - this.#o.aliveTimeoutMs;
        for (const conn of this.#registry.values()) {
          if (conn.lastSeen <= cutoff) this.#close(conn, NORMAL, 'SIGNAL_TIMEOUT', now, true);
        }
      }
      this.#queue.expire(now - this.#o.expireTimeoutMs, (src, dst) => {
        const sender = this.#registry.get(src);
        if (sender !== undefined) this.#send(sender, peerjsExpireFrame(dst, src));
      });
      this.#registry.releaseDue(now, (id) => this.#store.releaseId(id));
    } catch (error) {
      this.#log.error({ err: error }, 'signalling sweep failed');
    }
  }

  /** Stops the timer, closes every socket and refuses new ones (server shutdown); a socket still open after `graceMs` is cut. */
  close(graceMs = SHUTDOWN_GRACE_MS): void {
    if (this.#shutDown) return;
    this.#shutDown = true;
    clearInterval(this.#timer);
    const open = [...this.#registry.values()];
    for (const conn of open) this.#close(conn, GOING_AWAY, 'server closing', Date.now(), false);
    cutAfterGrace(open.map((conn) => conn.socket), graceMs);
    this.#registry.clear();
    this.#queue.clear();
    this.#gauges.signalling = 0;
  }

  #onFrame(conn: PeerConnection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    try {
      const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const now = Date.now();
      // Tracker frames have their own size cap and rate (the session checks both).
      if (this.#tracker !== undefined && startsAsTrackerFrame(raw)) return this.#trackerFrame(conn, raw, isBinary, now);
      if (raw.length > this.#o.maxMessageBytes) return this.#reject(conn, 'SIGNAL_FRAME_TOO_LARGE', TOO_BIG);
      conn.lastSeen = now;
      if (!takeToken(conn, now, this.#perMs, this.#o.rateBurst)) return this.#reject(conn, 'SIGNAL_RATE_LIMITED', POLICY);
      const rawIsUtf8 = !isBinary && this.#textFramesAreUtf8;
      // The in-place scan needs text ws has checked as UTF-8; a frame carrying its own src is rebuilt from a full parse.
      const head = rawIsUtf8 ? scanPeerjsClientFrame(raw) : null;
      if (head !== null) {
        if (head.type === 'HEARTBEAT') return;
        if (!head.hasSrc) return this.#relay(conn, head.type, head.dst, splicedFrame(raw, head.end, conn.id), now);
      }
      const message = parsePeerjsClientMessage(raw);
      if (message.type === 'HEARTBEAT') return;
      if (message.type === 'REJECTED') {
        if (message.reason === 'unknown-type' && this.#tracker !== undefined && hasTrackerType(raw)) return this.#trackerFrame(conn, raw, isBinary, now);
        if (this.#debug) this.#log.debug({ peer: conn.id, reason: message.reason }, 'signalling frame malformed');
        return this.#reject(conn, message.code, POLICY);
      }
      this.#relay(conn, message.type, message.dst, relayFrame(raw, message, conn.id, rawIsUtf8), now);
    } catch (error) {
      // Nothing a client sends may escape this handler; a bug here closes only this socket.
      this.#log.error({ err: error, peer: conn.id }, 'signalling frame handling failed');
      this.#close(conn, INTERNAL_ERROR, 'INTERNAL', Date.now(), true);
    }
  }

  /** A tracker message: to the socket's session, opened by its first one. */
  #trackerFrame(conn: PeerConnection, raw: Buffer, isBinary: boolean, now: number): void {
    conn.lastSeen = now;
    const session = (conn.tracker ??= this.#tracker!.open(this.#sessionSocket(conn), conn.id, conn.networkKey));
    session.receive(raw.length, isBinary, () => raw.toString('utf8'));
  }

  /** What a tracker session drives: this socket, through the hub's batched writes and its close. */
  #sessionSocket(conn: PeerConnection): SessionSocket {
    return {
      get bufferedAmount() {
        return conn.socket.bufferedAmount;
      },
      send: (text) => this.#send(conn, text),
      close: (code, reason) => this.#close(conn, code, reason, Date.now(), true),
    };
  }

  /** The socket is done: its tracker peer and everything it announced go with it. */
  #endTracker(conn: PeerConnection): void {
    const session = conn.tracker;
    if (session === undefined) return;
    conn.tracker = undefined;
    this.#tracker?.close(session);
  }

  #relay(conn: PeerConnection, type: PeerjsRelayType, dstId: string, frame: Outgoing, now: number): void {
    const dst = this.#registry.get(dstId);
    // A plain field increment: the metrics read it at scrape time.
    this.#counters.relayed[type]++;
    if (this.#debug) this.#log.debug({ type, src: conn.id, dst: dstId, queued: dst === undefined }, 'signalling relay');
    // What the server itself saw: these two peers negotiated (the tracker weighs reports by it).
    if (type === 'ANSWER' && dst !== undefined) this.#tracker?.paired(dstId, conn.id, now);
    if (dst !== undefined) {
      if (dst.socket.bufferedAmount < RELAY_BACKLOG_BYTES) return this.#deliver(dst, frame);
      // It does not keep up: it is not closed for what others send it; this frame is dropped.
      if (type !== 'LEAVE' && type !== 'EXPIRE') this.#expireNow(conn, dstId);
      return;
    }
    // The stock server queues neither LEAVE nor EXPIRE for an absent peer: they would mean nothing later.
    if (type === 'LEAVE' || type === 'EXPIRE') return;
    // Frames wait only for an id this server issued that has not expired: bound (live or in its
    // reconnect grace) or issued and not yet claimed. Anything else would only fill the queue.
    const waits = this.#registry.isBound(dstId) || this.#store.isIssued(dstId);
    // Unknown id, or queue, sender or address quota full: the sender learns now what it would after the timeout.
    if (!waits || !this.#queue.push(dstId, frame, conn.id, conn.addressKey, now)) this.#expireNow(conn, dstId);
  }

  /** Tells `sender` at once that its frame for `dstId` will not arrive (EXPIRE; never for a LEAVE or an EXPIRE it sent). */
  #expireNow(sender: PeerConnection | undefined, dstId: string): void {
    if (sender === undefined || sender.closed) return;
    // A sender that does not read either would only pile these up.
    if (sender.socket.bufferedAmount >= RELAY_BACKLOG_BYTES) return;
    this.#send(sender, peerjsExpireFrame(dstId, sender.id));
  }

  #deliver(conn: PeerConnection, frame: Outgoing): void {
    if (typeof frame === 'string') this.#batch.send(conn.socket, frame);
    else this.#batch.sendFrame(conn.socket, frame);
  }

  #send(conn: PeerConnection, message: string): void {
    this.#batch.send(conn.socket, message);
  }

  /** Sends the offender an ERROR with `code` and closes it; others are unaffected. */
  #reject(conn: PeerConnection, code: ErrorCode, closeCode: number): void {
    this.#log.debug({ peer: conn.id, code }, 'signalling peer rejected');
    countRefusal(this.#counters.refusals, code);
    this.#send(conn, peerjsErrorFrame('ERROR', code, ERROR_CATALOGUE[code].summary));
    this.#close(conn, closeCode, code, Date.now(), true);
  }

  /** Closes a socket the server is done with; `registered` false for one already replaced in the registry. */
  #close(conn: PeerConnection, closeCode: number, reason: string, now: number, registered: boolean): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#endTracker(conn);
    if (registered && this.#registry.remove(conn, now)) this.#gauges.signalling = this.#registry.size;
    try {
      conn.socket.close(closeCode, reason);
    } catch {
      conn.socket.terminate();
    }
  }

  /** The socket closed (either side): forget it, unless the server already did. */
  #detach(conn: PeerConnection): void {
    conn.closed = true;
    this.#endTracker(conn);
    if (this.#registry.remove(conn, Date.now())) {
      this.#gauges.signalling = this.#registry.size;
      if (this.#debug) this.#log.debug({ peer: conn.id }, 'signalling peer gone');
    }
  }

  #refreshDebug(): void {
    const log = this.#log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
    this.#debug = typeof log.isLevelEnabled === 'function' ? log.isLevelEnabled('debug') : false;
  }
}
