/**
 * The arithmetic every phase's rows share. A phase left out leaves its samples empty, so the
 * median here reads NaN instead of throwing, and a row whose ratio is NaN misses rather than passes.
 */
import { median, type BenchRow } from '../bench-result.js';

/** The median, or NaN for a phase that was not run. */
export const med = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : median(values));

/** MB/s (10⁶ bytes) of `bytes` moved in `ms`. */
export const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** One decimal: values as the table and the RESULT line carry them. */
export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Three decimals: ratios and targets as the table and the RESULT line carry them. */
export const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** A table row with its figures rounded and its verdict: a row voided (`valid` false) or with no ratio misses. */
export function benchRow(name: string, value: number, unit: string, ratio: number | null, target: number | null, valid = true): BenchRow {
  return {
    name,
    value: round1(value),
    unit,
    ratio: ratio === null ? null : round3(ratio),
    target,
    pass: target === null || ratio === null ? null : valid && Number.isFinite(ratio) && ratio >= target,
  };
}
