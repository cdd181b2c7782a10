/**
 * The many-sources phase's rows (bench/p2p/many-sources.ts measures its rounds): the same file
 * through a fresh leecher's SW from one capped seeder, then from three. The cap is in the row
 * names because the ratio means parallelism only at that cap.
 */
import { benchRow } from './figures.js';
import { SEEDER_UPLOAD_BYTES_PER_SECOND, sourcesFigures, type SourcesRound } from './many-sources.js';
import type { PhaseRow } from './phases.js';

const TARGET_SOURCES = 1.8;

/** The rows' figures, the rounds as the RESULT line carries them, and what voids them. */
export type ManySourcesFigures = ReturnType<typeof sourcesFigures>;

/** The phase's figures over its rounds; NaN with no rounds (sourcesFigures' median needs some). */
export function manySourcesFigures(sources: readonly SourcesRound[]): ManySourcesFigures {
  return sources.length > 0 ? sourcesFigures(sources) : { oneMBps: Number.NaN, threeMBps: Number.NaN, ratio: Number.NaN, problems: [] as string[], rounds: [] };
}

/** One seeder (the baseline), then three against it. */
export function manySourcesRows(many: ManySourcesFigures): PhaseRow[] {
  const seederCap = `${SEEDER_UPLOAD_BYTES_PER_SECOND / 1e6} MB/s`;
  return [
    { row: benchRow(`SW fetch, 16 MiB, 1 seeder (${seederCap} up)`, many.oneMBps, 'MB/s', null, null), against: '', needs: ['many-sources'] },
    {
      row: benchRow(`SW fetch, same file, 3 seeders (${seederCap} up each)`, many.threeMBps, 'MB/s', many.ratio, TARGET_SOURCES, many.problems.length === 0),
      against: '1 seeder',
      needs: ['many-sources'],
    },
  ];
}

/** The phase's PROBLEM lines. */
export function manySourcesProblems(many: ManySourcesFigures): string[] {
  return many.problems.map((p) => `many sources: ${p}`);
}

/** Whether a fetch of the phase returned wrong bytes (a failure, not a miss). */
export function manySourcesWrongBytes(sources: readonly SourcesRound[]): boolean {
  return sources.some((r) => r.one.wrongBytes || r.three.wrongBytes);
}
