/**
 * `npm run bench:p2p`: the peer-to-peer path in real Chromium against the same machine's raw
 * WebRTC, side by side in one run. The real server (buildServer) runs in this process over a
 * generated temp site; visitors are browser contexts (bench/p2p/rounds.ts, page-load.ts):
 *
 *  1. throughput: B fetches a 32 MiB asset through its SW from A, against a plain RTCDataChannel
 *     between the same two pages carrying as many bytes (target ≥ 0.8×), both connections already
 *     up to speed (their first, "cold" 32 MiB are shown for reference); bytes hash-checked, and
 *     B's SW must count none from the origin;
 *  2. first P2P byte: request to first body byte for fifteen files B lacks and A holds, with B's
 *     connection to A already open; median against a 150 ms budget (ratio = budget / median);
 *  3. page load through a SW whose cache holds everything, against the origin with no SW
 *     (ratio = origin / SW; target ≥ 1/1.1, i.e. the SW costs at most 10 %);
 *  4. for reference, the ceiling of any SW design here (bench/p2p/ideal-relay.ts): the raw channel
 *     relayed through a bare SW into a fetch body, with no verification, cache or protocol, against
 *     the raw channel into the same page;
 *  5. many sources (bench/p2p/many-sources.ts): a 16 MiB file through a fresh leecher's SW from
 *     three seeders against from one, the same file in the same round, each seeder's upload capped
 *     at 2 MB/s so the ratio measures parallelism, not loopback speed (target ≥ 1.8×);
 *  6. visitors (bench/p2p/visitors.ts): N contexts open the demo one after another, each staying
 *     as a seeder; Σ bytes from peers ÷ Σ manifest bytes used over visitors 2..N, target
 *     ≥ 0.95 × (N−1)/N. The throughput row is also shown against the ceiling row (target ≥ 0.95),
 *     and each transfer's CPU per MB by Chromium process type (bench/p2p/cpu-meter.ts).
 *
 * This file only runs the selected phases and prints what they measured: each phase's figures,
 * rows and reference lines are built in bench/p2p/<phase>-rows.ts, so a row's arithmetic sits
 * beside its target and what voids it.
 *
 * Env: BENCH_REPEATS (throughput rounds, default 3), BENCH_P2P_LOADS (timed page loads per method,
 * default 7), BENCH_P2P_VISITORS (the visitors row's N, default 8), BENCH_P2P_PHASES (a comma list
 * of throughput, ceiling, many-sources, page-loads, visitors; default all: rows of a phase left out
 * show as not measured), BENCH_P2P_MAX_SECONDS (whole-run watchdog, default 480),
 * BENCH_P2P_VERBOSE=1 (echo page consoles), CHROMIUM (browser path, default /usr/bin/chromium).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { formatRatio, formatTable, formatVerdict, printResult } from './bench-result.js';
import { CACHE_STORES } from '../protocol/messages/sw-page.js';
import { joinSwarm, launchBrowser, openVisitor, P2pPathMissing } from './p2p/browser.js';
import { ceilingFigures, ceilingReferenceLines, ceilingRow, describeRelay, relaysInfo } from './p2p/ceiling-rows.js';
import { cpuMsPerMb, formatCpuPerMb } from './p2p/cpu-report.js';
import { round1, round3 } from './p2p/figures.js';
import { measureIdealRelay } from './p2p/ideal-relay.js';
import { measureManySources, SEEDER_UPLOAD_BYTES_PER_SECOND } from './p2p/many-sources.js';
import { manySourcesFigures, manySourcesProblems, manySourcesRows, manySourcesWrongBytes } from './p2p/many-sources-rows.js';
import { reportWithoutP2p } from './p2p/no-p2p-report.js';
import { disableHttpCache, measurePageLoads, type PageLoadResult } from './p2p/page-load.js';
import { NO_PAGE_LOADS, pageLoadFigures, pageLoadReferenceLine, pageLoadRows } from './p2p/page-load-rows.js';
import { PHASES, type Phase, type PhaseRow } from './p2p/phases.js';
import { runRound, seedFromA, type Round } from './p2p/rounds.js';
import { startBenchServer, type BenchServer } from './p2p/server.js';
import { writeBenchSite } from './p2p/site.js';
import { describeRound, firstByteShortfall, roundsInfo, throughputFigures, throughputProblems, throughputReferenceLines, throughputRows } from './p2p/throughput-rows.js';
import { measureVisitors, type VisitorsFigures } from './p2p/visitors.js';
import { visitorsProblems, visitorsReferenceLines, visitorsRow, visitsInfo } from './p2p/visitors-rows.js';

// This file runs as dist/bench/p2p.js; the repo root is two levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = 0x2b2b;

/** BENCH_P2P_PHASES: the phases to run, all by default. */
function phasesFromEnv(): ReadonlySet<Phase> {
  const text = process.env.BENCH_P2P_PHASES;
  if (text === undefined || text === '') return new Set(PHASES);
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(PHASES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`BENCH_P2P_PHASES: unknown ${unknown.join(', ')} (known: ${PHASES.join(', ')})`);
  return new Set(names as Phase[]);
}

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const log = (line: string): void => void process.stderr.write(`bench:p2p: ${line}\n`);

let workDir: string | undefined;
let browser: Browser | undefined;
let server: BenchServer | undefined;
let phase = 'starting';

/** Closes the browser and the server and deletes the temp site; safe to call twice. */
async function cleanup(): Promise<void> {
  const [b, s] = [browser, server];
  browser = server = undefined;
  await b?.close().catch(() => undefined);
  await s?.close().catch(() => undefined);
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

async function main(): Promise<void> {
  const repeats = envNumber('BENCH_REPEATS', 3);
  const loads = envNumber('BENCH_P2P_LOADS', 7);
  const visitorCount = envNumber('BENCH_P2P_VISITORS', 8);
  const run = phasesFromEnv();
  workDir = mkdtempSync(join(tmpdir(), 'swarmcdn-bench-p2p-'));
  const siteDir = join(workDir, 'site');
  mkdirSync(siteDir);
  phase = 'writing the site';
  const site = writeBenchSite(siteDir, SEED, repeats, SEEDER_UPLOAD_BYTES_PER_SECOND);
  phase = 'starting the server';
  server = await startBenchServer(siteDir, workDir);
  log(`server at ${server.origin}, manifest v${server.manifest.version} with ${Object.keys(server.manifest.files).length} files`);
  phase = 'launching Chromium';
  browser = await launchBrowser();

  phase = 'A joining the swarm';
  const a = await openVisitor(browser, 'A');
  let aPeerId: string;
  try {
    aPeerId = await joinSwarm(a, server.origin + site.swarmPage, 20_000);
  } catch (error) {
    if (error instanceof P2pPathMissing) return reportWithoutP2p(error, browser, a, server.origin, site.big.size, ROOT);
    throw error;
  }
  log(`A joined as ${aPeerId}`);
  phase = 'A fetching every file (seeding)';
  await seedFromA(a, aPeerId, server, site, log);

  const rounds: Round[] = [];
  for (let i = 1; i <= repeats && run.has('throughput'); i++) {
    phase = `round ${i}/${repeats}`;
    const r = await runRound(browser, a, server, site, i, i === 1);
    rounds.push(r);
    log(`${phase}: ${describeRound(r)}`);
  }

  phase = 'the ideal SW relay';
  const bigChunks = server.manifest.files[site.big.url]?.chunks ?? [];
  const relays = run.has('ceiling') ? await measureIdealRelay(browser, a, server.origin, site.big.size, repeats, { chunks: bigChunks, ...CACHE_STORES.chunks }) : [];
  for (const [i, r] of relays.entries()) log(`ideal relay ${i + 1}/${relays.length}: ${describeRelay(r)}`);

  phase = 'many sources';
  const sources = run.has('many-sources') ? await measureManySources(browser, server, site, (p) => (phase = p), log) : [];

  phase = 'page loads';
  let pages: PageLoadResult = NO_PAGE_LOADS;
  if (run.has('page-loads')) {
    const origin = await openVisitor(browser, 'origin', { blockServiceWorkers: true });
    await disableHttpCache(origin);
    const httpCache = await openVisitor(browser, 'http-cache', { blockServiceWorkers: true });
    // The SW's answers carry the origin's max-age, so A's memory cache would serve every repeat
    // load without asking the SW ("0 of 91 from its cache"): off for A's page, every asset goes
    // through the SW, and the row measures the SW's cache path it names.
    await disableHttpCache(a);
    pages = await measurePageLoads(a, origin, httpCache, server.origin + site.loadPage.url, loads);
    log(`page loads: SW took ${pages.swOriginBytes} bytes from the origin and ${pages.swPeerBytes} from peers over its timed loads, ${pages.swCacheResponses} responses from its cache`);
  }

  phase = 'visitors';
  let visitors: VisitorsFigures | undefined;
  if (run.has('visitors')) visitors = await measureVisitors(browser, ROOT, visitorCount, log);

  // Figures.
  const throughput = throughputFigures(rounds);
  const ceiling = ceilingFigures(relays);
  const many = manySourcesFigures(sources);
  const pageLoads = pageLoadFigures(pages, run.has('page-loads'), loads * site.loadPage.subresources);
  const wrongBytes = throughput.wrongBytes || manySourcesWrongBytes(sources);
  const allRows: PhaseRow[] = [
    ...throughputRows(throughput),
    ...pageLoadRows(pageLoads),
    ...manySourcesRows(many),
    ceilingRow(throughput, ceiling),
    visitorsRow(visitors, visitorCount),
  ];
  // Rows of a phase left out (BENCH_P2P_PHASES) are not shown.
  const shown = allRows.filter((r) => r.needs.every((p) => run.has(p)));
  const rows = shown.map((r) => r.row);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\np2p: ${(site.big.size / 2 ** 20).toFixed(0)} MiB asset, median of ${repeats} rounds; first byte over ${throughput.first.length} files; ` +
      `page of ${site.loadPage.subresources} assets (${(site.loadPage.bytes / 1e6).toFixed(2)} MB), median of ${loads} loads; ${availableParallelism()} cores (${cpu})\n` +
      `throughput ratio: median over rounds of each SW fetch against the raw transfers just before and after it\n` +
      `ceiling: the raw channel into a page that hands each message to a bare SW streaming it as a fetch body (nothing verified, cached or asked for), paired the same way\n\n`,
  );
  const table = shown.map(({ row: r, against }) => [r.name, `${r.value.toFixed(1)} ${r.unit}`, against, formatRatio(r.ratio), ...formatVerdict(r)]);
  if (run.has('ceiling')) table.push(...ceilingReferenceLines(ceiling, run.has('throughput') ? throughput : undefined));
  if (run.has('throughput')) table.push(...throughputReferenceLines(throughput));
  if (run.has('page-loads')) table.push(pageLoadReferenceLine(pageLoads));
  if (visitors) table.push(...visitorsReferenceLines(visitors, visitorCount));
  process.stdout.write(formatTable(['method', 'value', 'against', 'ratio', 'target', 'result'], table) + '\n');
  const problems = [...visitorsProblems(visitors), ...throughputProblems(throughput), ...manySourcesProblems(many)];
  const shortfall = firstByteShortfall(throughput);
  if (shortfall) problems.push(shortfall);
  if (pageLoads.warmProblem) problems.push(pageLoads.warmProblem);
  const cpuMb = cpuMsPerMb(rounds, relays, site.big.size);
  if (rounds.length + relays.length > 0) process.stdout.write(formatCpuPerMb(cpuMb));
  for (const p of problems) process.stdout.write(`PROBLEM: ${p}\n`);
  process.stdout.write('\n');

  printResult({
    bench: 'p2p',
    rows,
    info: {
      bigBytes: site.big.size,
      rounds: roundsInfo(rounds),
      idealRelay: relaysInfo(relays),
      idealRelayRatio: round3(ceiling.relayRatio),
      storedRelayRatio: round3(ceiling.storedRatio),
      manySources: many.rounds,
      visitors: visitsInfo(visitors),
      phases: [...run],
      cpuMsPerMb: cpuMb,
      seederUploadBytesPerSecond: SEEDER_UPLOAD_BYTES_PER_SECOND,
      firstByteMs: throughput.first.map((f) => round1(f.firstByteMs)),
      firstByteFromPeers: throughput.firstFromPeers.length,
      pageLoadMs: { sw: pages.swMs.map(round1), origin: pages.originMs.map(round1), httpCache: pages.httpCacheMs.map(round1) },
      pageLoadSwFetchedBytes: pages.swOriginBytes + pages.swPeerBytes,
      problems,
      cores: availableParallelism(),
      cpu,
      node: process.version,
    },
  });
  // Wrong bytes are a failure, not a miss (bytes from the origin only void the figure they are in).
  if (wrongBytes) {
    log('a fetch through the SW returned wrong bytes (see PROBLEM lines)');
    process.exitCode = 1;
  }
}

const maxSeconds = envNumber('BENCH_P2P_MAX_SECONDS', 480);
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
  log(`failed while ${phase}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
