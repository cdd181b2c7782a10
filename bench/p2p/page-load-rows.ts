/**
 * The page-loads phase's rows (bench/p2p/page-load.ts measures them): the page through a SW whose
 * cache holds everything, against the origin with no SW, and against a warm HTTP cache for
 * reference. The SW's own counters over the timed loads decide whether the cache was truly warm:
 * a load that fetched anything, or bypassed the cache, is not the figure the row claims.
 */
import { formatRatio } from '../bench-result.js';
import { benchRow, med, round3 } from './figures.js';
import type { PageLoadResult } from './page-load.js';
import type { PhaseRow } from './phases.js';

/** The SW costs at most 10 % of the origin's load time. */
const TARGET_PAGE_LOAD = 1 / 1.1;

/** No samples: what the rows read when the phase was left out. */
export const NO_PAGE_LOADS: PageLoadResult = { originMs: [], swMs: [], httpCacheMs: [], swOriginBytes: 0, swPeerBytes: 0, swCacheResponses: 0 };

/** The medians (NaN with no samples), and why the warm figure is void, if it is. */
export interface PageLoadFigures {
  readonly originMs: number;
  readonly swMs: number;
  readonly httpCacheMs: number;
  readonly warmProblem: string | undefined;
}

/** The phase's figures; `expectedCacheResponses` is the timed loads × the page's subresources. */
export function pageLoadFigures(pages: PageLoadResult, measured: boolean, expectedCacheResponses: number): PageLoadFigures {
  // Warm means every asset of every timed load came from the SW's cache, and nothing from elsewhere.
  const warmProblem = !measured
    ? undefined
    : pages.swOriginBytes > 0 || pages.swPeerBytes > 0
      ? `the SW fetched ${pages.swOriginBytes + pages.swPeerBytes} bytes during the timed loads: not a warm cache`
      : pages.swCacheResponses < expectedCacheResponses
        ? `the SW answered ${pages.swCacheResponses} of ${expectedCacheResponses} asset requests from its cache during the timed loads: the rest bypassed it`
        : undefined;
  return { originMs: med(pages.originMs), swMs: med(pages.swMs), httpCacheMs: med(pages.httpCacheMs), warmProblem };
}

/** The origin with no SW (the baseline), then the warm SW cache against it. */
export function pageLoadRows(p: PageLoadFigures): PhaseRow[] {
  return [
    { row: benchRow('page load, origin, no SW', p.originMs, 'ms', null, null), against: '', needs: ['page-loads'] },
    {
      row: benchRow('page load, warm SW cache', p.swMs, 'ms', p.originMs / p.swMs, round3(TARGET_PAGE_LOAD), p.warmProblem === undefined),
      against: 'origin, no SW',
      needs: ['page-loads'],
    },
  ];
}

/** The table's reference line: the warm HTTP cache against the warm SW cache. */
export function pageLoadReferenceLine(p: PageLoadFigures): string[] {
  return ['(page load, origin, warm HTTP cache)', `${p.httpCacheMs.toFixed(1)} ms`, 'warm SW cache', formatRatio(p.swMs / p.httpCacheMs), '—', ''];
}
