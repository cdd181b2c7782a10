/**
 * The swarm's delivery to this SW's page requests as a whole: when verified peer chunks last
 * arrived (for any of them; a prefetch's do not count, a page waits on none of them) and their
 * recent pace. A response whose first chunk is late because it waits behind the page's other
 * requests to the same peers is not one the swarm cannot serve: the peers are busy serving us.
 * The first-byte hedge reads this before it hands a span to the origin (first-byte-hedge.ts), and
 * a response with no origin to turn to reads a stall only when the swarm as a whole is silent.
 */

/** Arrivals older than this are forgotten: the pace is the last second's. */
export const PULSE_WINDOW_MS = 1_000;
/** At most this many arrivals are kept (a second of 256 KiB chunks at 250 MB/s). */
const MAX_ARRIVALS = 1_024;

/** Verified peer chunks arriving at this SW, over the last second. */
export class SwarmPulse {
  private readonly arrivals: { readonly at: number; readonly bytes: number }[] = [];
  private lastAt = -Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A verified chunk of `bytes` arrived from peers. */
  note(bytes: number): void {
    this.lastAt = this.now();
    this.arrivals.push({ at: this.lastAt, bytes });
    if (this.arrivals.length > MAX_ARRIVALS) this.arrivals.shift();
  }

  /** Bytes per ms over the window (the first arrival's bytes are the window's start, not pace), or undefined with fewer than two arrivals. */
  bytesPerMs(): number | undefined {
    this.forget();
    const list = this.arrivals;
    if (list.length < 2) return undefined;
    const span = this.now() - list[0]!.at;
    if (span <= 0) return undefined;
    let bytes = 0;
    for (let i = 1; i < list.length; i++) bytes += list[i]!.bytes;
    return bytes / span;
  }

  /** The pace (bytes per ms) while the swarm is delivering: a chunk arrived within `withinMs`; else undefined. */
  recentPace(withinMs: number): number | undefined {
    this.forget();
    const last = this.arrivals.at(-1);
    return last && this.now() - last.at <= withinMs ? this.bytesPerMs() : undefined;
  }

  /** Ms since a verified peer chunk last arrived for a page request (Infinity: none yet). */
  sinceLast(): number {
    return this.now() - this.lastAt;
  }

  private forget(): void {
    const from = this.now() - PULSE_WINDOW_MS;
    while (this.arrivals.length > 0 && this.arrivals[0]!.at < from) this.arrivals.shift();
  }
}
