/**
 * The operator dashboard's script (served at /swarmcdn/dashboard/dashboard.js, bundled by
 * scripts/build.mjs with uPlot and its stylesheet): polls the data route every second, checks
 * each answer with the protocol's parser, and updates the numbers, the chart and the top files.
 * Imports only protocol/ and libraries, like every wing.
 */
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { DASHBOARD_DATA_PATH, parseDashboardData } from '../protocol/messages/dashboard.js';
import { OffloadChart } from './chart.js';
import { OffloadSeries } from './series.js';
import { render, status } from './view.js';

/** 1 s: the server samples as often; polling faster would only repeat the same numbers. */
const POLL_MS = 1000;
/** A poll that takes longer is abandoned (the next one starts a second later). */
const POLL_TIMEOUT_MS = 5000;

const series = new OffloadSeries();
let chart: OffloadChart | undefined;

async function poll(): Promise<void> {
  const since = series.last?.t ?? 0;
  try {
    const response = await fetch(`${DASHBOARD_DATA_PATH}?since=${since}`, { cache: 'no-store', signal: AbortSignal.timeout(POLL_TIMEOUT_MS) });
    const data = response.ok ? parseDashboardData(await response.json()) : undefined;
    if (!data) return status(`the server answered ${response.status} without dashboard data`, false);
    render(data);
    if (series.push(data.samples) || chart === undefined) {
      chart ??= new OffloadChart(document.getElementById('chart')!, series.columns);
      chart.update(series.columns);
    }
    status(`live · ${new Date(data.now).toLocaleTimeString()}`, true);
  } catch (error) {
    status(`no answer from the server (${error instanceof Error ? error.message : String(error)})`, false);
  }
}

async function loop(): Promise<void> {
  for (;;) {
    await poll();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

void loop();
