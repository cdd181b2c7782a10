/**
 * The first-byte hedge of one response on the peers route: when no verified chunk has come from
 * peers within the budget, the origin takes the rest of the span (the pipeline does that when
 * `fire` is called). The budget is looked at again when it runs out, since it grows with the
 * bytes the pages wait on (origin-timing.ts). And while the swarm is delivering the page's
 * requests, the response is queued behind them, not unserved: it waits its turn when, at the
 * swarm's recent pace (swarm-pulse.ts), everything the pages wait on would arrive before the origin
 * could deliver what this response still lacks. A small file behind a large one goes to the
 * origin; the stall rule and the rate hedge still bound every wait.
 */
import type { PipelineContext } from './pipeline-context.js';

/** What the hedge reads from the pipeline's context. */
export type FirstByteHedgeContext = Pick<PipelineContext, 'hedgeMs' | 'hedgeMsNow' | 'pulse' | 'stake'>;

/** One response's first-byte timer; `fire` hands the span to the origin. */
export class FirstByteHedge {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly ctx: FirstByteHedgeContext,
    /** Bytes of the span not yet held. */
    private readonly bytesLeft: () => number,
    private readonly fire: () => void,
  ) {
    if (ctx.hedgeMs !== undefined) this.arm(ctx.hedgeMs);
  }

  /** No first-byte hedge any more (a chunk arrived, the origin took over, the response ended). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    const { hedgeMs, hedgeMsNow } = this.ctx;
    const budgetNow = hedgeMsNow?.();
    const waited = Date.now() - this.startedAt;
    if (budgetNow !== undefined && budgetNow > waited) return this.arm(budgetNow - waited);
    if (hedgeMs !== undefined && this.swarmFinishesFirst(hedgeMs)) return this.arm(hedgeMs);
    this.timer = undefined;
    this.fire();
  }

  /** True when, at the swarm's recent pace, all the pages wait on arrives before the origin could send what this response lacks. */
  private swarmFinishesFirst(withinMs: number): boolean {
    const { pulse, stake } = this.ctx;
    const pace = pulse?.recentPace(withinMs);
    if (!pace || !stake) return false;
    return stake.bytes() / pace < stake.originMs(this.bytesLeft());
  }
}
