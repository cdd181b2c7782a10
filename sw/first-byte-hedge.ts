/**
 * The first-byte hedge of one response on the peers route: when no verified chunk has come from
 * peers within the budget, the origin takes the rest of the span (the pipeline does that when
 * `fire` is called). The budget is looked at again when it runs out, since it grows with the
 * bytes the pages wait on (origin-timing.ts); and while the swarm is delivering to this SW at
 * least at the origin's pace (measured, else the prior), the response is queued behind our own
 * requests, not unserved, so it waits its turn (swarm-pulse.ts). The stall rule and the rate hedge
 * still bound the wait.
 */
import { PRIOR_BYTES_PER_MS } from './origin-timing.js';
import type { PipelineContext } from './pipeline-context.js';

/** What the hedge reads from the pipeline's context. */
export type FirstByteHedgeContext = Pick<PipelineContext, 'hedgeMs' | 'hedgeMsNow' | 'pulse' | 'originPace'>;

/** One response's first-byte timer; `fire` hands the span to the origin. */
export class FirstByteHedge {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly ctx: FirstByteHedgeContext,
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
    const { hedgeMs, hedgeMsNow, pulse, originPace } = this.ctx;
    const budgetNow = hedgeMsNow?.();
    const waited = Date.now() - this.startedAt;
    if (budgetNow !== undefined && budgetNow > waited) return this.arm(budgetNow - waited);
    if (hedgeMs !== undefined && pulse?.delivering(hedgeMs, originPace?.bytesPerMs() ?? PRIOR_BYTES_PER_MS)) return this.arm(hedgeMs);
    this.timer = undefined;
    this.fire();
  }
}
