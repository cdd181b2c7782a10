/** What the page counts about itself, for `swarm.stats()`. */

/** Counters shared by the peer pool and its sessions. */
export class PageCounters {
  /** Chunk bytes sent to other peers (piece data, not frame headers). */
  uploadBytes = 0;
  /** Chunks sent whole to other peers. */
  servedChunks = 0;
  /** Peers dropped for a protocol violation or a report (each counted once). */
  droppedPeers = 0;
}
