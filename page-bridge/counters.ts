/** What the page counts about itself, for `swarm.stats()`. */

/** Peers counted in `bytesByPeer`: a page meets a few dozen; past this a new peer's bytes are not counted by peer. */
export const MAX_PEERS_COUNTED = 256;

/** Counters shared by the peer pool, its sessions and the bridge. */
export class PageCounters {
  /** Chunk bytes sent to other peers (piece data, not frame headers). */
  uploadBytes = 0;
  /** Chunks sent whole to other peers. */
  servedChunks = 0;
  /** Peers dropped for a protocol violation or a report (each counted once). */
  droppedPeers = 0;
  /** Chunk bytes received from each peer this session: whole chunks as they arrive, before the SW checks them (the bridge counts). */
  readonly bytesByPeer = new Map<string, number>();

  /** Adds a whole chunk of `bytes` received from `peerId`. */
  addReceived(peerId: string, bytes: number): void {
    const known = this.bytesByPeer.get(peerId);
    if (known === undefined && this.bytesByPeer.size >= MAX_PEERS_COUNTED) return;
    this.bytesByPeer.set(peerId, (known ?? 0) + bytes);
  }

  /** `bytesByPeer` as a plain object (what `swarm.stats()` returns: it crosses realms and JSON). */
  snapshotBytesByPeer(): Record<string, number> {
    return Object.fromEntries(this.bytesByPeer);
  }
}
