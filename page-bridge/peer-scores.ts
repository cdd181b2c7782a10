/**
 * What this page measured of each peer it asked for chunks, and where the next request should go.
 * The bridge (not the SW) keeps it: the bridge knows the holders, the open connections and every
 * request to every peer, whichever SW response or prefetch made it; the SW sees only a bridge.
 *
 * - Throughput: chunk bytes delivered over the time the peer had requests of ours on the wire
 *   (busy time, so idle gaps do not read as slowness), recent time weighing most.
 * - RTT: a chunk asked of an idle peer, minus its bytes at the peer's pace (the session reports
 *   whole chunks, not its first piece).
 * - A window per peer: as many requests as its measured pace drains in WINDOW_MS (2 until
 *   measured, 16 at most: the protocol's cap), so a fast peer is kept busy and a slow one is not
 *   handed the whole file.
 * - The ranking: peers under their window first, then by when a new request would finish (its
 *   queue at its pace, its RTT, a connection's set-up cost); a peer unmeasured is assumed as fast
 *   as the best one measured, so new holders get tried and a slow peer is replaced by a better one.
 *   A peer that failed recently (closed, stalled, busy, unreachable) goes last for a while.
 */
import { MAX_REQUESTS_IN_FLIGHT } from '../protocol/messages/peer.js';

/** A new connection's cost: README's 20–70 ms on loopback for a WebRTC handshake, with room for a busy main thread. */
export const CONNECT_COST_MS = 100;
/** A peer that failed goes last this long (long enough to finish a file elsewhere, short enough to come back). */
export const FAILURE_COOLDOWN_MS = 10_000;
/** Before any peer is measured: 2 MB/s (a 256 KiB chunk in ~130 ms), a modest uplink. */
export const PRIOR_BYTES_PER_MS = 2_000;
/** Requests a peer's window covers: what its pace drains in this long (a round trip and the SW's turnaround, with margin). */
export const WINDOW_MS = 250;
/** The window of a peer not yet measured. */
export const MIN_WINDOW = 2;
/** At most the protocol's cap on requests unanswered at one peer. */
export const MAX_WINDOW = MAX_REQUESTS_IN_FLIGHT;
/** Busy time the pace is measured over: past it, older bytes and time count half (about the last 2 s weigh most). */
const RATE_HORIZON_MS = 2_000;
/** Weight of a new RTT sample. */
const RTT_ALPHA = 0.25;
/** Peers remembered: a page meets a few dozen; the oldest unused one is forgotten past this. */
const MAX_PEERS = 256;

interface Entry {
  /** Requests reserved or on the wire (what the ranking counts). */
  reserved: number;
  /** Requests on the wire (what busy time counts). */
  active: number;
  busyMs: number;
  bytes: number;
  lastEventAt: number;
  rttMs: number | undefined;
  failedAt: number;
}

/** One request to one peer, from reservation to its end. */
export interface Ticket {
  readonly peerId: string;
  askedAt: number;
  /** True when the peer had nothing else of ours on the wire when this was asked (an RTT sample). */
  idle: boolean;
  state: 'reserved' | 'active' | 'done';
}

/** What one peer's measurements say now (diagnostics, tests). */
export interface PeerScoreView {
  readonly bytesPerMs: number | undefined;
  readonly rttMs: number | undefined;
  readonly outstanding: number;
  readonly window: number;
}

/** Per-peer pace, RTT and requests outstanding; ranks holders for the next request. */
export class PeerScores {
  readonly #peers = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts a request against `peerId` at once (before any await), so concurrent choices see it. */
  reserve(peerId: string): Ticket {
    this.#entry(peerId).reserved += 1;
    return { peerId, askedAt: 0, idle: false, state: 'reserved' };
  }

  /** The request went out on the wire: busy time starts counting. */
  started(ticket: Ticket): void {
    if (ticket.state !== 'reserved') return;
    const entry = this.#entry(ticket.peerId);
    const now = this.#advance(entry);
    ticket.idle = entry.active === 0;
    ticket.askedAt = now;
    ticket.state = 'active';
    entry.active += 1;
  }

  /** The peer delivered the chunk whole: `bytes` count for its pace. */
  answered(ticket: Ticket, bytes: number): void {
    // The pace before this answer: its own time is not yet paid for by its bytes.
    const before = this.#peers.get(ticket.peerId);
    const rate = before && this.#rate(before);
    const entry = this.#end(ticket);
    if (!entry) return;
    if (ticket.idle && rate !== undefined) {
      const sample = Math.max(0, this.now() - ticket.askedAt - bytes / rate);
      entry.rttMs = entry.rttMs === undefined ? sample : entry.rttMs + RTT_ALPHA * (sample - entry.rttMs);
    }
    entry.bytes += bytes;
    if (entry.busyMs > RATE_HORIZON_MS) {
      entry.busyMs /= 2;
      entry.bytes /= 2;
    }
  }

  /** The request failed for the peer's sake (closed, stalled, absent, busy, unreachable): it goes last for a while. */
  failed(ticket: Ticket): void {
    const entry = this.#end(ticket);
    if (entry) entry.failedAt = this.now();
  }

  /** The request ended for our sake (cancelled): no mark on the peer; its busy time still counts. */
  cancelled(ticket: Ticket): void {
    this.#end(ticket);
  }

  /** Measured pace in bytes per ms, or undefined before the first chunk. */
  bytesPerMs(peerId: string): number | undefined {
    const entry = this.#peers.get(peerId);
    return entry && this.#rate(entry);
  }

  /** Requests the peer's window covers for chunks of `size` bytes. */
  window(peerId: string, size: number): number {
    const rate = this.bytesPerMs(peerId);
    if (rate === undefined) return MIN_WINDOW;
    return Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, Math.ceil((rate * WINDOW_MS) / Math.max(1, size)) + 1));
  }

  /** When one more request of `size` bytes would be answered, in ms from now (its queue at its pace, its RTT, set-up when `open` is false). */
  expectedMs(peerId: string, size: number, open: boolean): number {
    const entry = this.#peers.get(peerId);
    const rate = (entry && this.#rate(entry)) ?? this.#prior();
    return (entry?.rttMs ?? 0) + ((entry?.reserved ?? 0) + 1) * (size / rate) + (open ? 0 : CONNECT_COST_MS);
  }

  /**
   * `peers` best first for a request of `size` bytes: not recently failed, then under their
   * window, then soonest expected answer; ties keep the given (tracker's) order.
   */
  rank(peers: readonly string[], size: number, isOpen: (peerId: string) => boolean): string[] {
    const now = this.now();
    const keyed = peers.map((peerId, order) => {
      const entry = this.#peers.get(peerId);
      const failed = entry !== undefined && now - entry.failedAt < FAILURE_COOLDOWN_MS ? 1 : 0;
      const full = (entry?.reserved ?? 0) >= this.window(peerId, size) ? 1 : 0;
      return { peerId, order, failed, full, expected: this.expectedMs(peerId, size, isOpen(peerId)) };
    });
    keyed.sort((a, b) => a.failed - b.failed || a.full - b.full || a.expected - b.expected || a.order - b.order);
    return keyed.map((k) => k.peerId);
  }

  /** What is known of one peer, or undefined for a peer never asked. */
  view(peerId: string, size: number): PeerScoreView | undefined {
    const entry = this.#peers.get(peerId);
    if (!entry) return undefined;
    return { bytesPerMs: this.#rate(entry), rttMs: entry.rttMs, outstanding: entry.reserved, window: this.window(peerId, size) };
  }

  #entry(peerId: string): Entry {
    let entry = this.#peers.get(peerId);
    if (entry) {
      // Most recently used last: the first key is the one to forget.
      this.#peers.delete(peerId);
    } else {
      entry = { reserved: 0, active: 0, busyMs: 0, bytes: 0, lastEventAt: this.now(), rttMs: undefined, failedAt: -Infinity };
      if (this.#peers.size >= MAX_PEERS) this.#forgetOne();
    }
    this.#peers.set(peerId, entry);
    return entry;
  }

  /** Forgets the least recently used peer with nothing outstanding (a peer with requests out keeps its count). */
  #forgetOne(): void {
    for (const [peerId, entry] of this.#peers) {
      if (entry.reserved === 0) {
        this.#peers.delete(peerId);
        return;
      }
    }
  }

  /** Adds the time since the last event to busy time when requests were on the wire; returns now. */
  #advance(entry: Entry): number {
    const now = this.now();
    if (entry.active > 0) entry.busyMs += Math.max(0, now - entry.lastEventAt);
    entry.lastEventAt = now;
    return now;
  }

  #end(ticket: Ticket): Entry | undefined {
    if (ticket.state === 'done') return undefined;
    const entry = this.#peers.get(ticket.peerId);
    const was = ticket.state;
    ticket.state = 'done';
    if (!entry) return undefined;
    if (was === 'active') {
      this.#advance(entry);
      entry.active = Math.max(0, entry.active - 1);
    }
    entry.reserved = Math.max(0, entry.reserved - 1);
    return entry;
  }

  #rate(entry: Entry): number | undefined {
    // A chunk delivered within the same millisecond it was asked is no pace measurement yet.
    return entry.bytes > 0 && entry.busyMs > 0 ? entry.bytes / entry.busyMs : undefined;
  }

  /** An unmeasured peer is assumed as fast as the fastest measured one (optimism gets it tried), else the prior. */
  #prior(): number {
    let best: number | undefined;
    for (const entry of this.#peers.values()) {
      const rate = this.#rate(entry);
      if (rate !== undefined && (best === undefined || rate > best)) best = rate;
    }
    return best ?? PRIOR_BYTES_PER_MS;
  }
}
