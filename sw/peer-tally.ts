/** What peers delivered to one response so far, and the rate hedge's question on it (rate-hedge.ts). */
import { originWouldFinishFirst } from './rate-hedge.js';

/** The origin's measured pace, as the pipeline's context gives it. */
export interface OriginPace {
  readonly ttfbMs: () => number;
  readonly bytesPerMs: () => number | undefined;
}

/** Verified chunks and bytes from peers, and when the first arrived. */
export class PeerTally {
  chunks = 0;
  bytes = 0;
  private firstAt = 0;

  /** One verified chunk of `bytes` from a peer. */
  add(bytes: number): void {
    this.chunks += 1;
    this.bytes += bytes;
    if (this.chunks === 1) this.firstAt = Date.now();
  }

  /** Would the origin, at its measured pace, finish `leftBytes` clearly before the peers at theirs? */
  originFaster(pace: OriginPace, leftBytes: number): boolean {
    return originWouldFinishFirst({
      peerChunks: this.chunks,
      peerBytes: this.bytes,
      sinceFirstMs: Date.now() - this.firstAt,
      leftBytes,
      originTtfbMs: pace.ttfbMs(),
      originBytesPerMs: pace.bytesPerMs(),
    });
  }
}
