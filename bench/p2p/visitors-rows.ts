/**
 * The visitors phase's rows (bench/p2p/visitors.ts measures them): the share of what visitors
 * 2..N used that did not come from the origin, against the ceiling's target scaled by (N−1)/N,
 * since the first visitor has no one to fetch from; then each visitor's own figures.
 */
import { formatRatio } from '../bench-result.js';
import { TARGET_OF_CEILING } from './ceiling-rows.js';
import { benchRow, round1, round3 } from './figures.js';
import type { PhaseRow } from './phases.js';
import type { VisitorsFigures } from './visitors.js';

/** The row; with no visitors (the phase left out) its figures read NaN and it misses. */
export function visitorsRow(visitors: VisitorsFigures | undefined, count: number): PhaseRow {
  const target = round3((TARGET_OF_CEILING * (count - 1)) / count);
  const laterUsedMB = visitors ? visitors.visits.slice(1).reduce((sum, v) => sum + v.usedBytes, 0) / 1e6 : Number.NaN;
  return {
    row: benchRow(`${count} visitors one after another, demo: share not from the origin, visitors 2..${count}`, laterUsedMB, 'MB', visitors?.ratio ?? Number.NaN, target, (visitors?.problems.length ?? 1) === 0),
    against: 'used',
    needs: ['visitors'],
  };
}

/** The table's reference lines: SW bytes.peer ÷ used, then each visitor. */
export function visitorsReferenceLines(visitors: VisitorsFigures, count: number): string[][] {
  const lines = [[`(visitors 2..${count}: SW bytes.peer ÷ used)`, '', 'used', formatRatio(visitors.peerCounted), '—', '']];
  for (const v of visitors.visits) {
    const share = v.usedBytes > 0 ? `${(Math.max(0, v.usedBytes - v.originFileBytes) / v.usedBytes).toFixed(3)}` : '—';
    const note = `peers ${(v.peer / 1e6).toFixed(1)}, origin ${(v.originFileBytes / 1e6).toFixed(1)} MB; ${(v.ms / 1000).toFixed(1)} s`;
    lines.push([`(visitor ${v.name}: not from the origin)`, `${(v.usedBytes / 1e6).toFixed(1)} MB`, 'used', share, '—', note]);
  }
  return lines;
}

/** The phase's PROBLEM lines. */
export function visitorsProblems(visitors: VisitorsFigures | undefined): string[] {
  return (visitors?.problems ?? []).map((p) => `visitors: ${p}`);
}

/** Each visit as the RESULT line carries it; undefined (left out of the JSON) when the phase did not run. */
export function visitsInfo(visitors: VisitorsFigures | undefined) {
  return visitors?.visits.map((v) => ({ ...v, ms: round1(v.ms) }));
}
