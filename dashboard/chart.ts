/**
 * The "offload over time" chart, drawn by uPlot: offload per interval and since start (percent,
 * left axis) and peers online (right axis), over the server's last ten minutes.
 */
import uPlot from 'uplot';
import type { Columns } from './series.js';

/** Height in CSS pixels; the width follows the container. */
const HEIGHT = 260;

/** A chart in `container`, resized with it. */
export class OffloadChart {
  readonly #plot: uPlot;
  readonly #container: HTMLElement;

  constructor(container: HTMLElement, columns: Columns) {
    this.#container = container;
    const options: uPlot.Options = {
      width: Math.max(320, container.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true }, percent: { range: [0, 100] }, peers: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        {},
        { scale: 'percent', label: 'offload %' },
        { scale: 'peers', side: 1, label: 'peers', grid: { show: false } },
      ],
      series: [
        {},
        { label: 'offload (per second)', scale: 'percent', stroke: '#2a9d8f', width: 1, spanGaps: false },
        { label: 'offload (since start)', scale: 'percent', stroke: '#264653', width: 2 },
        { label: 'peers online', scale: 'peers', stroke: '#e76f51', width: 2, paths: uPlot.paths.stepped?.({ align: 1 }) },
      ],
    };
    this.#plot = new uPlot(options, columns, container);
    new ResizeObserver(() => this.#plot.setSize({ width: Math.max(320, container.clientWidth), height: HEIGHT })).observe(container);
  }

  /** Redraws with the columns as they are now; `data-points` on the container says how many (tests read it). */
  update(columns: Columns): void {
    this.#plot.setData(columns);
    this.#container.dataset.points = String(columns[0].length);
  }
}
