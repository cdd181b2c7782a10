/**
 * Incoming data connections the pool accepted but that are not open yet. One per peer at a time,
 * at most half of maxPeers at once (offers that never open must not crowd out the pool's own
 * connects), each ended at the connect timeout: peerjs has none, and a connection that never opens
 * emits no 'close'. The signal guard asks `canAccept` before peerjs builds anything for an OFFER.
 */

/** The part of a peerjs DataConnection this uses. */
export interface IncomingConnection {
  readonly peer: string;
  close(): void;
  on(event: 'open' | 'close', listener: () => void): unknown;
}

/** What the pool has open or under way, besides these. */
export interface PoolLoad {
  /** Open connections with requests or answers in flight (an idle one is closed to make room). */
  readonly busy: number;
  /** Outgoing connects under way. */
  readonly connecting: number;
  readonly maxPeers: number;
}

/** The pending incoming connections of one pool. */
export class PendingIncoming {
  readonly #pending = new Map<string, IncomingConnection>();

  /** Connections pending now. */
  get size(): number {
    return this.#pending.size;
  }

  /** True while a connection from `peerId` is pending. */
  has(peerId: string): boolean {
    return this.#pending.has(peerId);
  }

  /** Room for one more from `peerId`: none pending from it, under half of maxPeers pending, and not every connection busy. */
  canAccept(peerId: string, load: PoolLoad): boolean {
    const pending = this.#pending.size;
    if (this.#pending.has(peerId) || pending >= Math.ceil(load.maxPeers / 2)) return false;
    return load.busy + load.connecting + pending < load.maxPeers;
  }

  /** Tracks `conn` until it opens (then `opened(conn)` decides), closes, or `timeoutMs` pass (then it is closed). */
  track(conn: IncomingConnection, timeoutMs: number, opened: (conn: IncomingConnection) => void): void {
    const peerId = conn.peer;
    this.#pending.set(peerId, conn);
    const settle = (): void => {
      clearTimeout(timer);
      if (this.#pending.get(peerId) === conn) this.#pending.delete(peerId);
    };
    const timer = setTimeout(() => {
      settle();
      conn.close();
    }, timeoutMs);
    conn.on('open', () => {
      settle();
      opened(conn);
    });
    conn.on('close', settle);
  }
}
