/**
 * Writes the data into the page the server's HTML shell laid out (server/metrics/dashboard-page.ts):
 * every value as text (textContent: a file path is never markup) and as `data-value`, which the
 * e2e test reads.
 */
import type { DashboardData, DashboardFile } from '../protocol/messages/dashboard.js';
import { formatBytes, formatPercent } from './format.js';
import { offloadPercent } from './series.js';

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the dashboard page has no #${id}`);
  return found;
}

function show(id: string, value: number | null, text: string): void {
  const target = element(id);
  target.dataset.value = value === null ? '' : String(value);
  target.textContent = text;
}

function showTopFiles(files: readonly DashboardFile[]): void {
  const list = element('top-files');
  const items = files.map((file) => {
    const item = document.createElement('li');
    item.dataset.path = file.path;
    item.dataset.holders = String(file.holders);
    const path = document.createElement('span');
    path.className = 'path';
    path.textContent = file.path;
    const holders = document.createElement('span');
    holders.className = 'holders';
    holders.textContent = `${file.holders} ${file.holders === 1 ? 'holder' : 'holders'}`;
    item.append(path, holders);
    return item;
  });
  list.replaceChildren(...items);
  element('top-files-empty').hidden = files.length > 0;
}

/** Shows one answer of the data route. */
export function render(data: DashboardData): void {
  show('peers-online', data.peers.signalling, String(data.peers.signalling));
  show('tracker-sessions', data.peers.tracker, String(data.peers.tracker));
  show('swarms', data.swarms, String(data.swarms));
  show('manifest-version', data.manifestVersion, data.manifestVersion === null ? 'none' : `v${data.manifestVersion}`);
  const offload = offloadPercent(data.bytes);
  show('offload', offload, formatPercent(offload));
  const total = data.bytes.peer + data.bytes.cache + data.bytes.origin;
  for (const source of ['peer', 'cache', 'origin'] as const) {
    const bytes = data.bytes[source];
    show(`bytes-${source}`, bytes, formatBytes(bytes));
    const bar = document.querySelector<HTMLElement>(`#bytes tr[data-source="${source}"] .bar span`);
    if (bar) bar.style.width = `${total === 0 ? 0 : (100 * bytes) / total}%`;
  }
  showTopFiles(data.topFiles);
}

/** Says whether the last poll reached the server. */
export function status(text: string, ok: boolean): void {
  const target = element('status');
  target.textContent = text;
  target.classList.toggle('down', !ok);
}
