/**
 * CPU per MB moved, by Chromium process type (bench/p2p/cpu-meter.ts measures it), for each kind
 * of transfer the throughput and ceiling phases time. Medians per MB, not totals: the kinds move
 * the same bytes a different number of times, and wall-clock ratios alone hide where the cost goes.
 */
import { cpuTotal, type CpuByType } from './cpu-meter.js';
import { med } from './figures.js';
import type { RelayRound } from './ideal-relay.js';
import type { Round } from './rounds.js';

/** Median CPU ms per MB, in total and by process type (NaN totals for a kind not measured). */
export type CpuPerMb = Record<string, number>;

/** Median CPU ms per MB moved, in total and by process type, over transfers of `bytes` each. */
function cpuPerMb(deltas: readonly CpuByType[], bytes: number): CpuPerMb {
  const mb = bytes / 1e6;
  const types = new Set(deltas.flatMap((d) => Object.keys(d)));
  const out: CpuPerMb = { total: Math.round(med(deltas.map((d) => cpuTotal(d) / mb)) * 10) / 10 };
  for (const t of types) out[t] = Math.round(med(deltas.map((d) => (d[t] ?? 0) / mb)) * 10) / 10;
  return out;
}

/** Each kind of transfer's CPU per MB, as printed and as the RESULT line carries it; `bytes` is one transfer's size. */
export function cpuMsPerMb(rounds: readonly Round[], relays: readonly RelayRound[], bytes: number) {
  return {
    raw: cpuPerMb([...rounds.map((r) => r.cpu.raw), ...relays.map((r) => r.cpu.raw)], bytes),
    ceiling: cpuPerMb(relays.map((r) => r.cpu.relay), bytes),
    ceilingFromStore: cpuPerMb(relays.flatMap((r) => (r.cpu.stored ? [r.cpu.stored] : [])), bytes),
    swFetch: cpuPerMb(rounds.map((r) => r.cpu.sw), bytes),
    swFetchUntilStored: cpuPerMb(rounds.map((r) => r.cpu.swStored), bytes),
  };
}

/** The printed CPU section: one line per kind measured, its process types costliest first. */
export function formatCpuPerMb(cpuMb: Readonly<Record<string, CpuPerMb>>): string {
  let text = `\nCPU of this bench's Chromium per MB moved (ms; medians; renderer = both pages and their SWs):\n`;
  for (const [name, figures] of Object.entries(cpuMb)) {
    if (!Number.isFinite(figures.total)) continue;
    const parts = Object.entries(figures).filter(([t]) => t !== 'total').sort((x, y) => y[1] - x[1]).map(([t, ms]) => `${t} ${ms}`);
    text += `  ${name.padEnd(20)} ${String(figures.total).padStart(6)}  (${parts.join(', ')})\n`;
  }
  return text;
}
