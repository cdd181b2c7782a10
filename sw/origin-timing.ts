/**
 * What the origin costs, measured from the SW's own origin requests (the availability view, every
 * origin answer and origin Range request): time to response headers, and the pace of large bodies,
 * as medians of the last few samples. The swarm is given budgets from them: a peer that cannot
 * beat the origin's own latency (first byte) or pace (the rate hedge) is not worth waiting for. On loopback the budget floors at HEDGE_MIN_MS; behind
 * a 60 ms origin it is ~150 ms.
 *
 * It also knows what the origin still owes this SW on spans the hedges handed it (`owe`): one
 * visitor's downlink carries them all, so a file handed over after twelve others arrives after
 * them, and the first-byte hedge weighs the origin's time with that queue in it.
 */

/** Samples kept per measure: enough for a stable median, few enough to follow a network change. */
const SAMPLES = 16;
/** No budget below this: a peer over an open data channel answers in 20–45 ms here (bench:p2p first byte). */
export const HEDGE_MIN_MS = 80;
/** Before any sample: a conservative guess for an origin across the internet. */
const DEFAULT_TTFB_MS = 100;
/** Before any body is measured: 10 MB/s (80 Mbit/s), a median broadband downlink. Only the first-byte hedge uses it, never the rate hedge. */
export const PRIOR_BYTES_PER_MS = 10_000;
/**
 * The first-byte budget is at least this share of the time the origin would take for the bytes at
 * stake (its latency plus those bytes at its pace): a burst of large files is worth waiting a
 * peer connection's set-up for, a stylesheet is not.
 */
export const HEDGE_STAKE_SHARE = 0.5;
/** Bodies smaller than this say more about latency than throughput: not sampled. */
const MIN_THROUGHPUT_BYTES = 256 * 1024;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function push(list: number[], value: number): void {
  list.push(value);
  if (list.length > SAMPLES) list.shift();
}

/** What the origin owes on one handed-over span: told of each byte read, settled when the read ends (idempotent). */
export interface OriginDebt {
  received(bytes: number): void;
  settle(): void;
}

/** Rolling origin latency and throughput, and the bytes the origin owes on spans handed to it. */
export class OriginTiming {
  private readonly ttfb: number[] = [];
  private readonly throughput: number[] = [];
  private owedBytes = 0;

  /** Milliseconds from a request to its response headers. */
  recordTtfb(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) push(this.ttfb, ms);
  }

  /** A body of `bytes` that took `ms` after its headers. */
  recordBody(bytes: number, ms: number): void {
    if (bytes >= MIN_THROUGHPUT_BYTES && ms > 0) push(this.throughput, bytes / ms);
  }

  /** Median time to headers, ms (a default before any sample). */
  ttfbMs(): number {
    return median(this.ttfb) ?? DEFAULT_TTFB_MS;
  }

  /** Median bytes per ms, or undefined before any sample. */
  bytesPerMs(): number | undefined {
    return median(this.throughput);
  }

  /** Bytes the origin still owes on the spans handed to it now. */
  owed(): number {
    return this.owedBytes;
  }

  /** A span of `bytes` handed to the origin: owed until read (at most `bytes` count down, whatever is read). */
  owe(bytes: number): OriginDebt {
    let left = Math.max(0, bytes);
    this.owedBytes += left;
    return {
      received: (n) => {
        const paid = Math.min(left, Math.max(0, n));
        left -= paid;
        this.owedBytes -= paid;
      },
      settle: () => {
        this.owedBytes -= left;
        left = 0;
      },
    };
  }

  /**
   * How long a request may wait for the swarm's first verified bytes before the origin takes the
   * rest: twice the origin's time to headers plus a margin, or, when more is at stake, half the time
   * the origin would take for `bytesAtStake` (the bytes the pages wait on from the swarm now; the
   * pace measured, else PRIOR_BYTES_PER_MS) after what it owes; floored at HEDGE_MIN_MS and capped
   * at `stallMs` (the stall rule takes over from there).
   */
  hedgeBudgetMs(stallMs: number, bytesAtStake = 0): number {
    const ttfb = this.ttfbMs();
    return Math.min(stallMs, Math.max(HEDGE_MIN_MS, 2 * ttfb + 20, HEDGE_STAKE_SHARE * this.originMs(bytesAtStake)));
  }

  /** How long the origin would take for `bytes`: its time to headers plus, at its pace (measured, else the prior), what it owes and then the bytes. */
  originMs(bytes: number): number {
    return this.ttfbMs() + (this.owedBytes + bytes) / (this.bytesPerMs() ?? PRIOR_BYTES_PER_MS);
  }
}

/** Fetches with `fetchImpl` and records the time to headers in `timing`. */
export async function timedFetch(timing: OriginTiming, fetchImpl: () => Promise<Response>): Promise<Response> {
  const started = performance.now();
  const response = await fetchImpl();
  timing.recordTtfb(performance.now() - started);
  return response;
}
