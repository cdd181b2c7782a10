/**
 * The chart's columns, built from the server's history samples as they arrive: the time (seconds,
 * as uPlot's time axis wants), the share of bytes pages got from peers or their cache (offload)
 * over each interval and since the server started, and peers online. Bounded to the server's own
 * history length, so a dashboard left open for days holds ten minutes.
 */
import { DASHBOARD_MAX_SAMPLES, type DashboardBytes, type DashboardSample } from '../protocol/messages/dashboard.js';

/** uPlot's aligned data: x values, then one column per series (null: a gap). */
export type Columns = [number[], (number | null)[], (number | null)[], number[]];

/** The share (percent) of `bytes` that did not come from the origin; null when nothing moved. */
export function offloadPercent(bytes: DashboardBytes): number | null {
  const total = bytes.peer + bytes.cache + bytes.origin;
  return total === 0 ? null : (100 * (bytes.peer + bytes.cache)) / total;
}

/** The columns the chart draws, appended to sample by sample. */
export class OffloadSeries {
  readonly columns: Columns = [[], [], [], []];
  #last: DashboardSample | undefined;

  constructor(private readonly max = DASHBOARD_MAX_SAMPLES) {}

  /** The newest sample taken in. */
  get last(): DashboardSample | undefined {
    return this.#last;
  }

  /** Appends samples newer than the last one (older or repeated ones are ignored); true when any was. */
  push(samples: readonly DashboardSample[]): boolean {
    let added = false;
    for (const sample of samples) {
      const previous = this.#last;
      if (previous !== undefined && sample.t <= previous.t) continue;
      // Counters only grow while one server runs; a drop means a restart: that interval starts afresh.
      const interval =
        previous === undefined || sample.peer < previous.peer || sample.cache < previous.cache || sample.origin < previous.origin
          ? null
          : offloadPercent({ peer: sample.peer - previous.peer, cache: sample.cache - previous.cache, origin: sample.origin - previous.origin });
      this.columns[0].push(sample.t / 1000);
      this.columns[1].push(interval);
      this.columns[2].push(offloadPercent(sample));
      this.columns[3].push(sample.peers);
      this.#last = sample;
      added = true;
    }
    const excess = this.columns[0].length - this.max;
    if (excess > 0) for (const column of this.columns) column.splice(0, excess);
    return added;
  }
}
