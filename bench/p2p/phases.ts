/**
 * The bench's phases, which BENCH_P2P_PHASES selects, and what a row of the table needs of them: a
 * row of a phase left out is not shown (its figures would be NaN, not a measurement).
 */
import type { BenchRow } from '../bench-result.js';

/** Every phase, in the order they run. */
export const PHASES = ['throughput', 'ceiling', 'many-sources', 'page-loads', 'visitors'] as const;

/** One phase's name. */
export type Phase = (typeof PHASES)[number];

/** One row of the table, what its ratio is against, and the phases it needs. */
export interface PhaseRow {
  readonly row: BenchRow;
  readonly against: string;
  readonly needs: readonly Phase[];
}
