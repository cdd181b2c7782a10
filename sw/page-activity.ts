/**
 * What pages are fetching through the swarm right now, so the prefetch stays out of their way: a
 * prefetch runs only while pages are quiet (it is for the next page, not this one), and a file a
 * page asks for is never prefetched beside it (the page's own request fetches it; its chunks the
 * prefetch already stored come from the cache). Without this, a page's request for a file the
 * prefetch was fetching found the peers' channels busy with the prefetch, hedged, and took the
 * whole file from the origin while the prefetch took it from peers.
 */
import type { Sha256Sri } from '../protocol/index.js';

/** A page request that ended less than this ago still counts: a page asks for its assets in bursts. */
export const QUIET_MS = 300;
/** How often a waiting prefetch looks again. */
const POLL_MS = 50;
/** A page request counts at most this long: one the page stopped reading must not hold the prefetch back for good. */
export const MAX_REQUEST_MS = 10_000;

/** Page requests in flight, by file. */
export class PageActivity {
  private readonly files = new Map<Sha256Sri, number>();
  /** Each request in flight: what it still waits on from the swarm, read live. */
  private readonly waiting = new Set<() => number>();
  private readonly listeners = new Set<(file: Sha256Sri) => void>();
  private inFlight = 0;
  private lastEnd = -Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * A page request for `file` began; `waitsOn` says, each time it is read, how many bytes it still
   * waits on from the swarm (neither arrived nor handed to the origin). Call the result when it
   * ends (once).
   */
  begin(file: Sha256Sri, waitsOn: () => number = () => 0): () => void {
    this.inFlight += 1;
    const waits = (): number => waitsOn();
    this.waiting.add(waits);
    this.files.set(file, (this.files.get(file) ?? 0) + 1);
    for (const listener of [...this.listeners]) listener(file);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      this.inFlight -= 1;
      this.waiting.delete(waits);
      const left = (this.files.get(file) ?? 1) - 1;
      if (left > 0) this.files.set(file, left);
      else this.files.delete(file);
      this.lastEnd = this.now();
    };
    const timer = setTimeout(end, MAX_REQUEST_MS);
    return end;
  }

  /** Bytes the page requests in flight still wait on from the swarm, now. */
  get bytesInFlight(): number {
    let bytes = 0;
    for (const waits of this.waiting) bytes += Math.max(0, waits());
    return bytes;
  }

  /** True while a page request for `file` is in flight. */
  wants(file: Sha256Sri): boolean {
    return this.files.has(file);
  }

  /** True when no page request is in flight and none ended within QUIET_MS. */
  get quiet(): boolean {
    return this.inFlight === 0 && this.now() - this.lastEnd >= QUIET_MS;
  }

  /** Calls `listener` with the file of each page request that begins; returns the undo. */
  onBegin(listener: (file: Sha256Sri) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Resolves once pages are quiet, or false when `stop()` says to give up first. */
  async untilQuiet(stop: () => boolean): Promise<boolean> {
    while (!this.quiet) {
      if (stop()) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return !stop();
  }
}
