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
export type FirstByteHedgeContext = Pick<PipelineContext, 'firstByte' | 'pulse'>;

/** One response's first-byte timer; `fire` hands the span to the origin. */
export class FirstByteHedge {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly startedAt = Date.now();
  /** The budget when the response began: the first wait, and each further turn while the swarm delivers. */
  private readonly turnMs: number | undefined;

  constructor(
    private readonly ctx: FirstByteHedgeContext,
    /** Bytes of the span not yet held. */
    private readonly bytesLeft: () => number,
    private readonly fire: () => void,
  ) {
    this.turnMs = ctx.firstByte?.budgetMs();
    if (this.turnMs !== undefined) this.arm(this.turnMs);
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
    const budget = this.ctx.firstByte;
    const waited = Date.now() - this.startedAt;
    const budgetNow = budget?.budgetMs() ?? 0;
    if (budgetNow > waited) return this.arm(budgetNow - waited);
    if (this.turnMs !== undefined && this.swarmFinishesFirst(this.turnMs)) return this.arm(this.turnMs);
    this.timer = undefined;
    this.fire();
  }

  /** True when, at the swarm's recent pace, all the pages wait on arrives before the origin could send what this response lacks. */
  private swarmFinishesFirst(withinMs: number): boolean {
    const { pulse, firstByte } = this.ctx;
    const pace = pulse?.recentPace(withinMs);
    if (!pace || !firstByte) return false;
    return firstByte.bytesAtStake() / pace < firstByte.originMs(this.bytesLeft());
  }
}
