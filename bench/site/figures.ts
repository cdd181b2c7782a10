/**
 * bench:site's figures from its rounds: the four rows per site as the brief states them
 * (lower-is-better "SW ÷ no SW" for the times), their higher-is-better form for scripts/bench.mjs,
 * and the lines that say where the time went (Resource Timing of the slowest requests).
 */
import { median, type BenchRow } from '../bench-result.js';
import type { SiteRound } from './site-round.js';
import type { PageTiming, WalkResult } from './walk.js';

/** One row in the brief's terms. */
export interface SiteFigure {
  readonly site: string;
  readonly name: string;
  /** The brief's ratio (SW ÷ no SW for times; a fraction for bytes; identical ÷ expected for origin gone). */
  readonly ratio: number;
  readonly lowerIsBetter: boolean;
  readonly target: number;
  readonly pass: boolean;
  /** What the ratio is made of, for a human. */
  readonly detail: string;
}

const finite = (pages: readonly PageTiming[]): boolean => pages.length > 0 && pages.every((p) => Number.isFinite(p.ms));
const sum = (pages: readonly PageTiming[]): number => pages.reduce((s, p) => s + p.ms, 0);
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

/** The four figures of one site. */
export function siteFigures(site: string, rounds: readonly SiteRound[]): SiteFigure[] {
  // 1. Each page with the SW against the same page without, loopback.
  const pageRatios = rounds.flatMap((r) => r.w.pages.flatMap((p, i) => (Number.isFinite(p.ms) && Number.isFinite(r.n.pages[i]?.ms ?? NaN) ? [p.ms / r.n.pages[i]!.ms] : [])));
  const wMs = rounds.flatMap((r) => r.w.pages.map((p) => p.ms)).filter(Number.isFinite);
  const nMs = rounds.flatMap((r) => r.n.pages.map((p) => p.ms)).filter(Number.isFinite);
  const r1 = pageRatios.length ? median(pageRatios) : NaN;
  // The ceiling beside it: a bare pass-through SW on the same pages, same run.
  const bareRatios = rounds.flatMap((r) => r.s.pages.flatMap((p, i) => (Number.isFinite(p.ms) && Number.isFinite(r.n.pages[i]?.ms ?? NaN) ? [p.ms / r.n.pages[i]!.ms] : [])));
  const sMs = rounds.flatMap((r) => r.s.pages.map((p) => p.ms)).filter(Number.isFinite);
  const r1Ceiling = bareRatios.length ? median(bareRatios) : NaN;
  // 2. B's walk (A online) against B' (no SW), wide area.
  const walkRatios = rounds.filter((r) => finite(r.b.pages) && finite(r.bPlain.pages)).map((r) => sum(r.b.pages) / sum(r.bPlain.pages));
  const r2 = walkRatios.length ? median(walkRatios) : NaN;
  // 3. Bytes from peers during B's walk.
  const fractions = rounds.filter((r) => r.bUsedBytes > 0).map((r) => (r.bUsedBytes - r.bOriginBytes) / r.bUsedBytes);
  const r3 = fractions.length ? median(fractions) : NaN;
  // 4. Origin gone: every manifest-file response complete and identical, nothing A used left unrequested.
  const checked = rounds.reduce((s, r) => s + (r.c.verify?.checked ?? 0), 0);
  const identical = rounds.reduce((s, r) => s + (r.c.verify?.identical ?? 0), 0);
  const problems = rounds.reduce((s, r) => s + (r.c.verify?.problems.length ?? 0), 0);
  const missing = rounds.reduce((s, r) => s + r.cMissing.length, 0);
  const failedPages = rounds.reduce((s, r) => s + r.c.pages.filter((p) => !Number.isFinite(p.ms)).length, 0);
  const expected = Math.max(checked, identical + problems) + missing;
  const r4 = expected > 0 ? identical / expected : 0;
  const pass4 = expected > 0 && identical === expected && problems === 0 && failedPages === 0;
  return [
    {
      site, name: 'page load with SW, no other visitor, loopback', ratio: r1, lowerIsBetter: true, target: 1.1, pass: r1 <= 1.1,
      detail: `median of ${pageRatios.length} page ratios; page ${wMs.length ? median(wMs).toFixed(0) : '—'} ms with SW, ${nMs.length ? median(nMs).toFixed(0) : '—'} ms without (medians)`,
    },
    {
      site, name: 'ceiling: a bare pass-through SW, no other visitor, loopback', ratio: r1Ceiling, lowerIsBetter: true, target: 1.1, pass: r1Ceiling <= 1.1,
      detail: `median of ${bareRatios.length} page ratios; page ${sMs.length ? median(sMs).toFixed(0) : '—'} ms with a bare SW (what any SW in front of each request costs here)`,
    },
    {
      site, name: "wide area: B's walk (A online) vs B' without SW", ratio: r2, lowerIsBetter: true, target: 1.0, pass: r2 <= 1.0,
      detail: `median of ${walkRatios.length} rounds; walk sums ${rounds.map((r) => `${sum(r.b.pages).toFixed(0)}/${sum(r.bPlain.pages).toFixed(0)}`).join(', ')} ms`,
    },
    {
      site, name: "bytes from peers in B's walk", ratio: r3, lowerIsBetter: false, target: 0.9, pass: r3 >= 0.9,
      detail: `B used ${rounds.map((r) => `${mb(r.bUsedBytes)} (origin sent ${mb(r.bOriginBytes)})`).join(', ')}`,
    },
    {
      site, name: 'origin gone: subresources complete and identical', ratio: r4, lowerIsBetter: false, target: 1, pass: pass4,
      detail: `${identical} of ${expected} identical over ${rounds.length} rounds; ${problems} bad, ${missing} never requested, ${failedPages} page(s) failed`,
    },
  ];
}

/** The higher-is-better row scripts/bench.mjs collects. */
export function benchRow(f: SiteFigure): BenchRow {
  const ratio = f.lowerIsBetter ? 1 / f.ratio : f.ratio;
  const target = f.lowerIsBetter ? 1 / f.target : f.target;
  const round3 = (n: number): number => Math.round(n * 1000) / 1000;
  return { name: `${f.site}: ${f.name}`, value: round3(f.ratio), unit: f.lowerIsBetter ? '× (SW ÷ no SW)' : '', ratio: Number.isFinite(ratio) ? round3(ratio) : null, target: round3(target), pass: f.pass };
}

/** `swarm.stats().sw` in one line: bytes by source and whatever counters the SW has besides. */
export function statsLine(stats: unknown): string {
  const sw = (stats as { sw?: Record<string, unknown> } | undefined)?.sw;
  if (!sw) return typeof stats === 'string' ? stats : 'no SW stats';
  const bytes = sw.bytes as { peer: number; cache: number; origin: number } | undefined;
  const rest = Object.entries(sw).filter(([k]) => !['bytes', 'manifestRefusals', 'manifestVersion'].includes(k));
  return `sw.bytes peer ${mb(bytes?.peer ?? 0)}, cache ${mb(bytes?.cache ?? 0)}, origin ${mb(bytes?.origin ?? 0)}; ${rest.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join('; ')}`;
}

/** The slowest requests of each page of a walk, one line per page. */
export function slowestLines(walk: WalkResult): string[] {
  return walk.pages.map(
    (p) =>
      `${walk.visitor} ${p.path} ${Number.isFinite(p.ms) ? `${p.ms.toFixed(0)} ms (html ${p.documentMs.toFixed(0)}, DCL ${p.dclMs.toFixed(0)}, load ${p.loadMs.toFixed(0)}${p.readyMs !== undefined ? `, ready ${p.readyMs.toFixed(0)}` : ''})` : `FAILED ${p.error}`}: ` +
      p.slowest.map((e) => `${e.path} ${e.startMs.toFixed(0)}→${e.endMs.toFixed(0)} (first byte +${e.waitMs.toFixed(0)}, ${(e.bytes / 1024).toFixed(0)} KiB${e.viaSw ? ', via SW' : ''})`).join('; '),
  );
}
