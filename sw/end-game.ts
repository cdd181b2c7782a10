/**
 * The end game of one response's peer requests. A chunk asked of peers is overdue once it has
 * waited REASK_FACTOR × the median time this response's chunks took to arrive; if waiting on it
 * holds the response up — it is the chunk the reader waits for, or no chunk of the span is left
 * to ask (the last ones) — the pipeline asks for it again through the bridge as a `hedge`, which
 * the bridge sends only to a holder not already sending it. The first verified answer wins and the
 * other is cancelled (cancelChunk). This lives in the SW because only the SW verifies, and only it
 * knows which chunk a response waits for; the bridge knows which holder is sending what.
 * Pure timing: the pipeline owns the slots and does the asking.
 */

/** Overdue at this multiple of the median answer time: a chunk queued behind its peer's others is not late yet. */
export const REASK_FACTOR = 2;
/** Never overdue sooner than this: a loopback chunk answers in 10–80 ms, and the SW's turnaround jitters. */
export const REASK_MIN_MS = 150;
/** Answer times needed before anything can be overdue (one is mostly connection set-up). */
export const MIN_SAMPLES = 2;
/** Second asks in flight at once per response: the end game hedges a few chunks, not the whole window. */
export const MAX_REASKS_IN_FLIGHT = 4;
/** Answer times kept (the most recent). */
const SAMPLES = 16;

/** A chunk asked of peers and still awaited. */
export interface AskedChunk {
  readonly index: number;
  /** When the (first) ask went out, epoch ms. */
  readonly askedAt: number;
}

/** A chunk position as the end game sees it (a pipeline slot). */
export interface AwaitedSlot {
  readonly index: number;
  readonly settled: boolean;
  readonly reasked: boolean;
  readonly askedAt: number | undefined;
  /** Peer asks in flight for it. */
  readonly asking: number;
}

/** Where a response stands: the reader's chunk, the span's last, which are launched, which are the origin's. */
export interface ResponseView {
  readonly cursor: number;
  readonly last: number;
  launched(index: number): boolean;
  fromOrigin(index: number): boolean;
}

/**
 * The chunks asked of peers (once, still in flight) that hold the response up: the one the reader
 * waits for, and, once every chunk of the span is launched, all of them.
 */
export function holdingUp(slots: Iterable<AwaitedSlot>, view: ResponseView): AskedChunk[] {
  let allLaunched = true;
  for (let i = view.cursor; i <= view.last && allLaunched; i++) allLaunched = view.launched(i);
  const waiting: AskedChunk[] = [];
  for (const slot of slots) {
    if (slot.settled || slot.reasked || slot.askedAt === undefined || slot.asking === 0 || view.fromOrigin(slot.index)) continue;
    if (allLaunched || slot.index === view.cursor) waiting.push({ index: slot.index, askedAt: slot.askedAt });
  }
  return waiting;
}

/** What to do now: chunks to ask again, and when to look again (undefined: nothing pending). */
export interface ReaskPlan {
  readonly now: readonly number[];
  readonly nextAt: number | undefined;
}

/** Answer times of one response, which awaited chunks are overdue, and the timer that looks again. */
export class EndGame {
  private readonly samples: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = 0;

  /** A chunk arrived `ms` after it was asked. */
  note(ms: number): void {
    this.samples.push(Math.max(0, ms));
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /** How long a chunk may wait before it is overdue, or undefined before MIN_SAMPLES answers. */
  overdueAfterMs(): number | undefined {
    if (this.samples.length < MIN_SAMPLES) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return Math.max(REASK_MIN_MS, REASK_FACTOR * median);
  }

  /** Of `waiting` (chunks that hold the response up), those overdue now, oldest first within the cap; and the next due time. */
  plan(waiting: readonly AskedChunk[], reasksInFlight: number, now: number): ReaskPlan {
    const after = this.overdueAfterMs();
    if (after === undefined || waiting.length === 0) return { now: [], nextAt: undefined };
    const byAge = [...waiting].sort((a, b) => a.askedAt - b.askedAt);
    const due: number[] = [];
    let nextAt: number | undefined;
    for (const chunk of byAge) {
      const at = chunk.askedAt + after;
      if (at <= now && reasksInFlight + due.length < MAX_REASKS_IN_FLIGHT) due.push(chunk.index);
      else if (at > now) nextAt = nextAt === undefined ? at : Math.min(nextAt, at);
    }
    return { now: due, nextAt };
  }

  /**
   * Acts on plan(): `ask` each chunk due now (the promise it returns is the second ask, counted in
   * flight until it ends, then `recheck` runs), and arms one timer calling `recheck` at the next due time.
   */
  review(waiting: readonly AskedChunk[], ask: (index: number) => Promise<void>, recheck: () => void): void {
    this.stop();
    const plan = this.plan(waiting, this.inFlight, Date.now());
    for (const index of plan.now) {
      this.inFlight += 1;
      void ask(index)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight -= 1;
          recheck();
        });
    }
    if (plan.nextAt !== undefined) this.timer = setTimeout(recheck, Math.max(0, plan.nextAt - Date.now()));
  }

  /** Disarms the timer (the response ended, or a review is about to re-arm it). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
