/** Small numeric and formatting helpers shared by bench:signal's phases and report. */
import type { Reasons } from '../load/protocol.js';

export { median } from '../bench-result.js';

/** The nearest-rank percentile of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `n` with `digits` decimals, or `—` when it is not a number. */
export const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** `n` rounded to `digits` decimals, as a number (for the RESULT line). */
export const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** Adds `from`'s counts into `into`; returns `into`. */
export function merge(into: Reasons, from: Reasons): Reasons {
  for (const [reason, n] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + n;
  return into;
}

/** `3× timeout, 1× ECONNRESET`, most frequent first, or `none`. */
export const describeReasons = (reasons: Reasons): string =>
  Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${n}× ${r}`)
    .join(', ') || 'none';

/** A progress line on stderr (stdout carries the results). */
export function log(line: string): void {
  process.stderr.write(`bench:signal: ${line}\n`);
}
