/** What the page counts about itself, for `swarm.stats()` and the tracker's upload score. */

/** Counters shared by the peer pool, its sessions and the tracker client. */
export class PageCounters {
  /** Chunk bytes sent to other peers (piece data, not frame headers). */
  uploadBytes = 0;
  /** Chunks sent whole to other peers. */
  servedChunks = 0;
  /** Peers dropped for a protocol violation or a report (each counted once). */
  droppedPeers = 0;
  #reportedUpload = 0;

  /** Upload bytes not yet reported to the tracker; marks them reported. */
  takeUnreportedUpload(): number {
    const delta = this.uploadBytes - this.#reportedUpload;
    this.#reportedUpload = this.uploadBytes;
    return delta;
  }
}
