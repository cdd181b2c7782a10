/** Sends byte deltas to one bridge about every 2 s while there is traffic, for the tracker's stats. */
import type { ByteCounts } from '../protocol/messages/sw-page.js';
import type { SwStatsCounter } from './sw-stats.js';

/** 2 s: often enough for a live readout, rare enough to cost nothing next to the chunks themselves. */
export const STATS_INTERVAL_MS = 2_000;

/** What the reporter sends through. */
export interface StatsSink {
  /** False when no bridge took the delta. */
  reportStats(delta: ByteCounts): Promise<boolean>;
}

/** Batches byte deltas; one timer at most, and none while idle. */
export class StatsReporter {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly stats: Pick<SwStatsCounter, 'takeDelta' | 'restoreDelta'>,
    private readonly sink: StatsSink,
    private readonly intervalMs = STATS_INTERVAL_MS,
  ) {}

  /** Bytes were counted: report them within the interval. */
  poke(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  /** Sends what is pending now; a delta nobody took waits for the next one. */
  async flush(): Promise<void> {
    const delta = this.stats.takeDelta();
    if (!delta) return;
    const taken = await this.sink.reportStats(delta).catch(() => false);
    if (!taken) this.stats.restoreDelta(delta);
  }
}
