/**
 * `npm run bench:site`: swarmcdn on real third-party static sites from npm (bench/site/sites.ts:
 * Pyodide's console, SB Admin 2), the swarm tag added at run time by a proxy, side by side with
 * the same pages without it, in one run. Per site: the real server (buildServer, manifest signed
 * by the real CLI) behind four proxies (bench/site/shaping-proxy.ts): loopback with and without
 * the tag, and a shaped wide-area link (+60 ms per request, 40 Mbit/s per visitor) with and
 * without; peers upload at most 20 Mbit/s each (`uploadBytesPerSecond` in the tag). Each round
 * (bench/site/site-round.ts) measures the four rows; medians over rounds (bench/site/figures.ts).
 *
 * Env: BENCH_REPEATS (rounds, default 3), BENCH_SITE_SITES (comma-separated subset),
 * BENCH_SITE_DWELL_MS (pause on each page for W, N, A, C, default 300), BENCH_SITE_READ_MS (for B
 * and B', landing included: the idle time in which the SW prefetches from peers, default 8000:
 * a visitor who reads a page for 8 s before the next click; docs/benchmarks.md shows 2 s too),
 * BENCH_SITE_PAGE_TIMEOUT_MS (60000),
 * BENCH_SITE_MAX_SECONDS (whole-run watchdog, default 1800; a full run takes 12–20 minutes on this 2-core VM), BENCH_P2P_VERBOSE=1 (page consoles),
 * CHROMIUM (browser path).
 */
import { availableParallelism, cpus } from 'node:os';
import type { Browser } from 'playwright-core';
import { formatTable, printResult } from './bench-result.js';
import { launchBrowser } from './p2p/browser.js';
import { startBenchServer, type BenchServer } from './p2p/server.js';
import { benchRow, siteFigures, slowestLines, statsLine, type SiteFigure } from './site/figures.js';
import { BARE_SW_TAG, ShapingProxy } from './site/shaping-proxy.js';
import { manifestSizes, runSiteRound, type SiteOrigins, type SiteRound } from './site/site-round.js';
import { isSiteName, prepareSite, SITE_NAMES, swarmTag, type PreparedSite } from './site/sites.js';

/** 60 ms: a round trip to an origin a continent away (a CDN edge would be 10–30 ms). */
const WAN_LATENCY_MS = 60;
/** 40 Mbit/s: a household downlink. */
const WAN_BYTES_PER_SECOND = 5_000_000;
/** 20 Mbit/s: a typical uplink, what each peer may upload. */
const PEER_UPLOAD_BYTES_PER_SECOND = 2_500_000;

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

const log = (line: string): void => void process.stderr.write(`bench:site: ${line}\n`);

let browser: Browser | undefined;
let phase = 'starting';
const closers: (() => Promise<void> | void)[] = [];

/** Closes everything opened so far, newest first; safe to call twice. */
async function cleanup(): Promise<void> {
  const b = browser;
  browser = undefined;
  await b?.close().catch(() => undefined);
  for (const close of closers.splice(0).reverse()) await Promise.resolve(close()).catch(() => undefined);
}

/** Starts the server and its four proxies for a prepared site. */
async function serve(site: PreparedSite): Promise<{ server: BenchServer; origins: SiteOrigins }> {
  const server = await startBenchServer(site.dir, site.workDir);
  closers.push(() => server.close());
  const base = { upstreamPort: Number(new URL(server.origin).port), manifestSizes: manifestSizes(server) };
  const tag = swarmTag({ uploadBytesPerSecond: PEER_UPLOAD_BYTES_PER_SECOND });
  const start = async (withTag: boolean, wan: boolean): Promise<ShapingProxy> => {
    const proxy = await ShapingProxy.start({ ...base, tag: withTag ? tag : undefined, latencyMs: wan ? WAN_LATENCY_MS : 0, bytesPerSecond: wan ? WAN_BYTES_PER_SECOND : undefined });
    closers.push(() => proxy.close());
    return proxy;
  };
  const fastBare = await ShapingProxy.start({ ...base, tag: BARE_SW_TAG, bareSw: true, latencyMs: 0, bytesPerSecond: undefined });
  closers.push(() => fastBare.close());
  return { server, origins: { fastSw: await start(true, false), fastPlain: await start(false, false), fastBare, wanSw: await start(true, true), wanPlain: await start(false, true) } };
}

async function runSite(name: (typeof SITE_NAMES)[number], rounds: number, pageTimeoutMs: number, dwellMs: number, readMs: number): Promise<{ figures: SiteFigure[]; rounds: SiteRound[]; site: PreparedSite; files: number; bytes: number }> {
  phase = `${name}: assembling`;
  const site = await prepareSite(name);
  closers.push(() => site.cleanup());
  phase = `${name}: signing and serving`;
  const { server, origins } = await serve(site);
  const files = Object.values(server.manifest.files);
  const bytes = files.reduce((s, f) => s + f.size, 0);
  log(`${name}: ${site.packages.join(', ')}; ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB signed (manifest v${server.manifest.version}); walk ${site.walk.join(' → ')}`);
  for (const r of site.rewrites) log(`${name}: rewrote ${r.from} → ${r.to} (same npm package, served locally)`);
  for (const note of site.notes) log(`${name}: ${note}`);
  const results: SiteRound[] = [];
  for (let i = 1; i <= rounds; i++) {
    phase = `${name}: round ${i}/${rounds}`;
    log(`${phase} (times per page, ms)`);
    const r = await runSiteRound({ browser: browser!, site, server, origins, pageTimeoutMs, dwellMs, readMs, log }, i);
    results.push(r);
    log(`  B${i} ${statsLine(r.b.stats)}`);
    log(`  B${i} used ${(r.bUsedBytes / 1e6).toFixed(2)} MB of manifest files; the proxy sent it ${(r.bOriginBytes / 1e6).toFixed(2)} MB of them; on the wire B got ${(r.bWireBytes / 1e6).toFixed(2)} MB, B' ${(r.bPlainWireBytes / 1e6).toFixed(2)} MB (the origin compresses text; peers carry file bytes)`);
    if (r.c.verify) log(`  C${i} (origin gone): ${r.c.verify.identical}/${r.c.verify.checked} identical${r.c.verify.problems.length ? `; ${r.c.verify.problems.slice(0, 8).join('; ')}` : ''}${r.cMissing.length ? `; never requested: ${r.cMissing.slice(0, 8).join(', ')}` : ''}; ${statsLine(r.c.stats)}`);
  }
  const last = results[results.length - 1]!;
  log(`${name}: slowest requests in round ${results.length} (start→end from navigation start, ms):`);
  for (const walk of [last.w, last.n, last.b, last.bPlain]) for (const line of slowestLines(walk)) log(`  ${line}`);
  return { figures: siteFigures(name, results), rounds: results, site, files: files.length, bytes };
}

async function main(): Promise<void> {
  const started = performance.now();
  const rounds = Math.max(1, envNumber('BENCH_REPEATS', 3));
  const dwellMs = envNumber('BENCH_SITE_DWELL_MS', 300);
  // 8 s: a visitor reads a landing page before clicking on, and the product's later-pages promise
  // (prefetch from peers while the visitor reads) is measured in that time. 2 s, the earlier
  // default, left a lone 20 Mbit/s peer no time to send Pyodide's 13.9 MB (docs/benchmarks.md).
  const readMs = envNumber('BENCH_SITE_READ_MS', 8000);
  const pageTimeoutMs = envNumber('BENCH_SITE_PAGE_TIMEOUT_MS', 60_000);
  const only = (process.env.BENCH_SITE_SITES ?? '').split(',').filter(Boolean);
  for (const n of only) if (!isSiteName(n)) throw new Error(`BENCH_SITE_SITES: unknown site ${n} (sites: ${SITE_NAMES.join(', ')})`);
  const names = SITE_NAMES.filter((n) => only.length === 0 || only.includes(n));
  phase = 'launching Chromium';
  browser = await launchBrowser();
  const sites = [];
  for (const name of names) sites.push(await runSite(name, rounds, pageTimeoutMs, dwellMs, readMs));
  const seconds = (performance.now() - started) / 1000;

  const figures = sites.flatMap((s) => s.figures);
  process.stdout.write(
    `\nsite: ${sites.map((s) => `${s.site.name} (${s.site.packages[0]}, ${s.files} files, ${(s.bytes / 1e6).toFixed(1)} MB, walk of ${s.site.walk.length})`).join('; ')}; ` +
      `median of ${rounds} rounds; ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}); ${seconds.toFixed(0)} s\n` +
      `wide area: +${WAN_LATENCY_MS} ms per request, ${(WAN_BYTES_PER_SECOND * 8) / 1e6} Mbit/s per visitor; peers upload ≤ ${(PEER_UPLOAD_BYTES_PER_SECOND * 8) / 1e6} Mbit/s each; B and B' read each page ${readMs} ms, the others ${dwellMs} ms\n\n`,
  );
  const fmt = (f: SiteFigure): string => (Number.isFinite(f.ratio) ? (f.lowerIsBetter ? `${f.ratio.toFixed(2)}×` : f.ratio.toFixed(3)) : '—');
  const table = figures.map((f) => [`${f.site}: ${f.name}`, fmt(f), `${f.lowerIsBetter ? '≤' : '≥'} ${f.lowerIsBetter ? `${f.target.toFixed(2)}×` : f.target.toFixed(2)}`, f.pass ? 'PASS' : 'MISS', f.detail]);
  process.stdout.write(formatTable(['row', 'value', 'target', 'result', 'made of'], table) + '\n\n');
  printResult({
    bench: 'site',
    rows: figures.map(benchRow),
    info: {
      seconds: Math.round(seconds),
      rounds,
      sites: sites.map((s) => ({
        name: s.site.name,
        packages: s.site.packages,
        rewrites: s.site.rewrites,
        files: s.files,
        bytes: s.bytes,
        walk: s.site.walk,
        rounds: s.rounds.map((r) => ({
          w: r.w.pages.map((p) => Math.round(p.ms)),
          n: r.n.pages.map((p) => Math.round(p.ms)),
          b: r.b.pages.map((p) => Math.round(p.ms)),
          bPlain: r.bPlain.pages.map((p) => Math.round(p.ms)),
          bUsedBytes: r.bUsedBytes,
          bOriginBytes: r.bOriginBytes,
          bWireBytes: r.bWireBytes,
          bPlainWireBytes: r.bPlainWireBytes,
          bStats: r.b.stats,
          c: r.c.verify,
          cMissing: r.cMissing,
          problems: [...r.w.problems, ...r.a.problems, ...r.b.problems, ...r.c.problems],
        })),
      })),
    },
  });
}

const maxSeconds = envNumber('BENCH_SITE_MAX_SECONDS', 1800);
const watchdog = setTimeout(() => {
  log(`gave up after ${maxSeconds} s while ${phase}`);
  void cleanup().finally(() => process.exit(1));
}, maxSeconds * 1000);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(code)));
}

try {
  await main();
} catch (error) {
  log(`failed while ${phase}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
