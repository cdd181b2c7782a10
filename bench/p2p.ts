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
 * Env: BENCH_REPEATS (throughput rounds, default 3), BENCH_P2P_LOADS (timed page loads per method,
 * default 7), BENCH_P2P_VISITORS (the visitors row's N, default 8), BENCH_P2P_PHASES (a comma list
 * of throughput, ceiling, many-sources, page-loads, visitors; default all: rows of a phase left out
 * show as not measured), BENCH_P2P_MAX_SECONDS (whole-run watchdog, default 480),
 * BENCH_P2P_VERBOSE=1 (echo page consoles), CHROMIUM (browser path, default /usr/bin/chromium).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { formatRatio, formatTable, formatVerdict, median, printResult, type BenchRow } from './bench-result.js';
import { joinSwarm, launchBrowser, openVisitor, P2pPathMissing, type Visitor } from './p2p/browser.js';
import { disableHttpCache, measurePageLoads } from './p2p/page-load.js';
import { measureIdealRelay } from './p2p/ideal-relay.js';
import { measureManySources, SEEDER_UPLOAD_BYTES_PER_SECOND, sourcesFigures } from './p2p/many-sources.js';
import { closeRawChannel, measureRawTransfer, openRawChannel } from './p2p/raw-channel.js';
import { runRound, seedFromA, type Round } from './p2p/rounds.js';
import { startBenchServer, type BenchServer } from './p2p/server.js';
import { writeBenchSite } from './p2p/site.js';
import { measureVisitors, type VisitorsFigures } from './p2p/visitors.js';
import { cpuTotal, type CpuByType } from './p2p/cpu-meter.js';
import type { PageLoadResult } from './p2p/page-load.js';

// This file runs as dist/bench/p2p.js; the repo root is two levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = 0x2b2b;
const TARGET_THROUGHPUT = 0.8;
const FIRST_BYTE_BUDGET_MS = 150;
const TARGET_PAGE_LOAD = 1 / 1.1;
const TARGET_SOURCES = 1.8;
/** The SW fetch against the ceiling row (a bare SW relay) of the same run. */
const TARGET_OF_CEILING = 0.95;
const PHASES = ['throughput', 'ceiling', 'many-sources', 'page-loads', 'visitors'] as const;
type Phase = (typeof PHASES)[number];

/** BENCH_P2P_PHASES: the phases to run, all by default. */
function phasesFromEnv(): ReadonlySet<Phase> {
  const text = process.env.BENCH_P2P_PHASES;
  if (text === undefined || text === '') return new Set(PHASES);
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(PHASES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`BENCH_P2P_PHASES: unknown ${unknown.join(', ')} (known: ${PHASES.join(', ')})`);
  return new Set(names as Phase[]);
}

/** Median CPU ms per MB moved, in total and by process type, over transfers of `bytes` each. */
function cpuPerMb(deltas: readonly CpuByType[], bytes: number): Record<string, number> {
  const mb = bytes / 1e6;
  const types = new Set(deltas.flatMap((d) => Object.keys(d)));
  const out: Record<string, number> = { total: Math.round(med(deltas.map((d) => cpuTotal(d) / mb)) * 10) / 10 };
  for (const t of types) out[t] = Math.round(med(deltas.map((d) => (d[t] ?? 0) / mb)) * 10) / 10;
  return out;
}

/** The median, or NaN for a phase that was not run. */
const med = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : median(values));

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const log = (line: string): void => void process.stderr.write(`bench:p2p: ${line}\n`);
const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
const round1 = (n: number): number => Math.round(n * 10) / 10;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

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

/** The bridge bundle's state, for a failure message that says which piece is missing. */
function bridgeBundleNote(): string {
  const path = join(ROOT, 'dist/page-bridge/bridge.js');
  if (!existsSync(path)) return 'dist/page-bridge/bridge.js is not built';
  const text = readFileSync(path, 'utf8');
  return `dist/page-bridge/bridge.js is ${text.length} bytes and ${text.includes('startSwarm') ? 'mentions' : 'does not mention'} startSwarm`;
}

/** With no P2P path, still time the raw channel: it shows the harness and WebRTC work here. */
async function reportWithoutP2p(error: P2pPathMissing, a: Visitor, origin: string, bigBytes: number): Promise<never> {
  let raw = 'not measured';
  if (browser) {
    const b = await openVisitor(browser, 'B');
    try {
      await b.page.goto(`${origin}/index.html`, { waitUntil: 'load' });
      await openRawChannel(a, b);
      const run = await measureRawTransfer(a, b, bigBytes);
      raw = `${mbPerSec(run.bytes, run.ms).toFixed(1)} MB/s`;
    } catch (rawError) {
      raw = `failed too: ${rawError instanceof Error ? rawError.message : String(rawError)}`;
    } finally {
      await closeRawChannel(a, b);
    }
  }
  throw new Error(
    `the P2P path is absent, so there is nothing to measure against the baseline.\n  ${error.message}\n  ${bridgeBundleNote()}\n` +
      `  raw RTCDataChannel A→B on this machine (the baseline, for reference): ${raw}`,
  );
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
    if (error instanceof P2pPathMissing) return reportWithoutP2p(error, a, server.origin, site.big.size);
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
    log(`${phase}: cold raw ${mbPerSec(r.coldRaw.bytes, r.coldRaw.ms).toFixed(1)}, cold SW ${mbPerSec(r.coldSw.bytes, r.coldSw.totalMs).toFixed(1)}; raw ${r.raw.map((x) => mbPerSec(x.bytes, x.ms).toFixed(1)).join(' / ')} MB/s, SW from peer ${mbPerSec(r.sw.bytes, r.sw.totalMs).toFixed(1)} MB/s (first byte ${r.sw.firstByteMs.toFixed(0)} ms)${r.sw.problems.length ? `; PROBLEMS: ${r.sw.problems.join('; ')}` : ''}`);
  }

  phase = 'the ideal SW relay';
  const relays = run.has('ceiling') ? await measureIdealRelay(browser, a, server.origin, site.big.size, repeats) : [];
  for (const [i, r] of relays.entries()) {
    log(`ideal relay ${i + 1}/${relays.length}: raw ${r.raw.map((x) => mbPerSec(x.bytes, x.ms).toFixed(1)).join(' / ')} MB/s, relayed through a bare SW ${mbPerSec(r.relay.bytes, r.relay.ms).toFixed(1)} MB/s`);
  }

  phase = 'many sources';
  const sources = run.has('many-sources') ? await measureManySources(browser, server, site, (p) => (phase = p), log) : [];

  phase = 'page loads';
  let pages: PageLoadResult = { originMs: [], swMs: [], httpCacheMs: [], swOriginBytes: 0, swPeerBytes: 0, swCacheResponses: 0 };
  if (run.has('page-loads')) {
    const origin = await openVisitor(browser, 'origin', { blockServiceWorkers: true });
    await disableHttpCache(origin);
    const httpCache = await openVisitor(browser, 'http-cache', { blockServiceWorkers: true });
    pages = await measurePageLoads(a, origin, httpCache, server.origin + site.loadPage.url, loads);
    log(`page loads: SW took ${pages.swOriginBytes} bytes from the origin and ${pages.swPeerBytes} from peers over its timed loads, ${pages.swCacheResponses} responses from its cache`);
  }

  phase = 'visitors';
  let visitors: VisitorsFigures | undefined;
  if (run.has('visitors')) visitors = await measureVisitors(browser, ROOT, visitorCount, log);

  // Figures.
  const rawMbps = med(rounds.flatMap((r) => r.raw.map((x) => mbPerSec(x.bytes, x.ms))));
  const swMbps = med(rounds.map((r) => mbPerSec(r.sw.bytes, r.sw.totalMs)));
  // Paired: each SW fetch against the mean of the raw transfers just before and after it.
  const pairedRatio = med(rounds.map((r) => mbPerSec(r.sw.bytes, r.sw.totalMs) / ((mbPerSec(r.raw[0].bytes, r.raw[0].ms) + mbPerSec(r.raw[1].bytes, r.raw[1].ms)) / 2)));
  const relayMbps = med(relays.map((r) => mbPerSec(r.relay.bytes, r.relay.ms)));
  const relayRatio = med(relays.map((r) => mbPerSec(r.relay.bytes, r.relay.ms) / ((mbPerSec(r.raw[0].bytes, r.raw[0].ms) + mbPerSec(r.raw[1].bytes, r.raw[1].ms)) / 2)));
  const first = rounds.flatMap((r) => r.firstByte);
  const firstFromPeers = first.filter((f) => f.problems.length === 0 && f.sources.peerResponses >= 1);
  const firstMs = firstFromPeers.length > 0 ? med(firstFromPeers.map((f) => f.firstByteMs)) : Number.NaN;
  const originMs = med(pages.originMs);
  const swMs = med(pages.swMs);
  const httpCacheMs = med(pages.httpCacheMs);
  const throughputProblems = rounds.flatMap((r) => r.sw.problems.map((p) => `${r.visitor}: ${p}`));
  const coldProblems = rounds.flatMap((r) => r.coldSw.problems.map((p) => `${r.visitor}, first 32 MiB (reference only): ${p}`));
  const wrongBytes =
    rounds.some((r) => r.sw.wrongBytes || r.coldSw.wrongBytes || r.firstByte.some((f) => f.wrongBytes)) || sources.some((r) => r.one.wrongBytes || r.three.wrongBytes);
  const coldRawMbps = med(rounds.map((r) => mbPerSec(r.coldRaw.bytes, r.coldRaw.ms)));
  // Only first fetches that came wholly from A; one that fell back to the origin is not a P2P figure.
  const coldFromPeers = rounds.filter((r) => r.coldSw.problems.length === 0);
  const coldSwMbps = coldFromPeers.length > 0 ? med(coldFromPeers.map((r) => mbPerSec(r.coldSw.bytes, r.coldSw.totalMs))) : Number.NaN;
  // Fewer than two thirds from peers is not a first-P2P-byte figure any more.
  const firstValid = firstFromPeers.length >= Math.ceil((first.length * 2) / 3);
  // Warm means every asset of every timed load came from the SW's cache, and nothing from elsewhere.
  const expectedCacheResponses = loads * site.loadPage.subresources;
  const warmProblem = !run.has('page-loads')
    ? undefined
    : pages.swOriginBytes > 0 || pages.swPeerBytes > 0
      ? `the SW fetched ${pages.swOriginBytes + pages.swPeerBytes} bytes during the timed loads: not a warm cache`
      : pages.swCacheResponses < expectedCacheResponses
        ? `the SW answered ${pages.swCacheResponses} of ${expectedCacheResponses} asset requests from its cache during the timed loads: the rest bypassed it`
        : undefined;

  const many = sources.length > 0 ? sourcesFigures(sources) : { oneMBps: Number.NaN, threeMBps: Number.NaN, ratio: Number.NaN, problems: [] as string[], rounds: [] };
  const visitorsTarget = round3((TARGET_OF_CEILING * (visitorCount - 1)) / visitorCount);
  const laterUsedMB = visitors ? visitors.visits.slice(1).reduce((sum, v) => sum + v.usedBytes, 0) / 1e6 : Number.NaN;

  const seederCap = `${SEEDER_UPLOAD_BYTES_PER_SECOND / 1e6} MB/s`;
  const row = (name: string, value: number, unit: string, ratio: number | null, target: number | null, valid = true): BenchRow => ({
    name,
    value: round1(value),
    unit,
    ratio: ratio === null ? null : round3(ratio),
    target,
    pass: target === null || ratio === null ? null : valid && Number.isFinite(ratio) && ratio >= target,
  });
  const allRows: BenchRow[] = [
    row('raw RTCDataChannel A→B', rawMbps, 'MB/s', null, null),
    row('SW fetch from peer A→B, 32 MiB', swMbps, 'MB/s', pairedRatio, TARGET_THROUGHPUT, throughputProblems.length === 0),
    row(`first P2P byte, median of ${firstFromPeers.length}`, firstMs, 'ms', FIRST_BYTE_BUDGET_MS / firstMs, 1, firstValid),
    row('page load, origin, no SW', originMs, 'ms', null, null),
    row('page load, warm SW cache', swMs, 'ms', originMs / swMs, round3(TARGET_PAGE_LOAD), warmProblem === undefined),
    row(`SW fetch, 16 MiB, 1 seeder (${seederCap} up)`, many.oneMBps, 'MB/s', null, null),
    row(`SW fetch, same file, 3 seeders (${seederCap} up each)`, many.threeMBps, 'MB/s', many.ratio, TARGET_SOURCES, many.problems.length === 0),
    row('SW fetch from peer A→B against the ceiling', swMbps, 'MB/s', pairedRatio / relayRatio, TARGET_OF_CEILING, throughputProblems.length === 0),
    row(`${visitorCount} visitors one after another, demo: share not from the origin, visitors 2..${visitorCount}`, laterUsedMB, 'MB', visitors?.ratio ?? Number.NaN, visitorsTarget, (visitors?.problems.length ?? 1) === 0),
  ];
  const allAgainst = ['', 'raw channel', `${FIRST_BYTE_BUDGET_MS} ms budget`, '', 'origin, no SW', '', '1 seeder', 'ceiling ratio', 'used'];
  // The phases each row needs: rows of a phase left out (BENCH_P2P_PHASES) are not shown.
  const needs: readonly (readonly Phase[])[] = [['throughput'], ['throughput'], ['throughput'], ['page-loads'], ['page-loads'], ['many-sources'], ['many-sources'], ['throughput', 'ceiling'], ['visitors']];
  const shown = allRows.map((_, i) => needs[i]!.every((p) => run.has(p)));
  const rows = allRows.filter((_, i) => shown[i]);
  const against = allAgainst.filter((_, i) => shown[i]);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\np2p: ${(site.big.size / 2 ** 20).toFixed(0)} MiB asset, median of ${repeats} rounds; first byte over ${first.length} files; ` +
      `page of ${site.loadPage.subresources} assets (${(site.loadPage.bytes / 1e6).toFixed(2)} MB), median of ${loads} loads; ${availableParallelism()} cores (${cpu})\n` +
      `throughput ratio: median over rounds of each SW fetch against the raw transfers just before and after it\n` +
      `ceiling: the raw channel into a page that hands each message to a bare SW streaming it as a fetch body (nothing verified, cached or asked for), paired the same way\n\n`,
  );
  const table = rows.map((r, i) => [r.name, `${r.value.toFixed(1)} ${r.unit}`, against[i]!, formatRatio(r.ratio), ...formatVerdict(r)]);
  if (run.has('ceiling')) table.push(['(ceiling: raw relayed through a bare SW)', `${relayMbps.toFixed(1)} MB/s`, 'raw channel', formatRatio(relayRatio), '—', '']);
  if (run.has('throughput')) table.push(
    ['(raw, first 32 MiB on a new channel)', `${coldRawMbps.toFixed(1)} MB/s`, 'for reference', '—', '—', ''],
    [
      `(SW from peer, first 32 MiB, ${coldFromPeers.length} of ${rounds.length})`,
      coldFromPeers.length > 0 ? `${coldSwMbps.toFixed(1)} MB/s` : '—',
      'cold raw',
      formatRatio(coldFromPeers.length > 0 ? coldSwMbps / coldRawMbps : null),
      '—',
      '',
    ],
  );
  if (run.has('page-loads')) table.push(['(page load, origin, warm HTTP cache)', `${httpCacheMs.toFixed(1)} ms`, 'warm SW cache', formatRatio(swMs / httpCacheMs), '—', '']);
  if (visitors) {
    table.push([`(visitors 2..${visitorCount}: SW bytes.peer ÷ used)`, '', 'used', formatRatio(visitors.peerCounted), '—', '']);
    for (const v of visitors.visits) {
      const share = v.usedBytes > 0 ? `${(Math.max(0, v.usedBytes - v.originFileBytes) / v.usedBytes).toFixed(3)}` : '—';
      const note = `peers ${(v.peer / 1e6).toFixed(1)}, origin ${(v.originFileBytes / 1e6).toFixed(1)} MB; ${(v.ms / 1000).toFixed(1)} s`;
      table.push([`(visitor ${v.name}: not from the origin)`, `${(v.usedBytes / 1e6).toFixed(1)} MB`, 'used', share, '—', note]);
    }
  }
  process.stdout.write(formatTable(['method', 'value', 'against', 'ratio', 'target', 'result'], table) + '\n');
  const problems = [...(visitors?.problems ?? []).map((p) => `visitors: ${p}`), ...throughputProblems, ...coldProblems, ...first.flatMap((f) => f.problems.map((p) => `first byte: ${p}`)), ...many.problems.map((p) => `many sources: ${p}`)];
  if (!firstValid) problems.push(`only ${firstFromPeers.length} of ${first.length} first-byte files came wholly from peers`);
  if (warmProblem) problems.push(warmProblem);
  const cpuMb = {
    raw: cpuPerMb([...rounds.map((r) => r.cpu.raw), ...relays.map((r) => r.cpu.raw)], site.big.size),
    ceiling: cpuPerMb(relays.map((r) => r.cpu.relay), site.big.size),
    swFetch: cpuPerMb(rounds.map((r) => r.cpu.sw), site.big.size),
    swFetchUntilStored: cpuPerMb(rounds.map((r) => r.cpu.swStored), site.big.size),
  };
  if (rounds.length + relays.length > 0) {
    process.stdout.write(`\nCPU of this bench's Chromium per MB moved (ms; medians; renderer = both pages and their SWs):\n`);
    for (const [name, figures] of Object.entries(cpuMb)) {
      if (!Number.isFinite(figures.total)) continue;
      const parts = Object.entries(figures).filter(([t]) => t !== 'total').sort((x, y) => y[1] - x[1]).map(([t, ms]) => `${t} ${ms}`);
      process.stdout.write(`  ${name.padEnd(20)} ${String(figures.total).padStart(6)}  (${parts.join(', ')})\n`);
    }
  }
  for (const p of problems) process.stdout.write(`PROBLEM: ${p}\n`);
  process.stdout.write('\n');

  printResult({
    bench: 'p2p',
    rows,
    info: {
      bigBytes: site.big.size,
      rounds: rounds.map((r) => ({
        visitor: r.visitor,
        rawMBps: r.raw.map((x) => round1(mbPerSec(x.bytes, x.ms))),
        swMBps: round1(mbPerSec(r.sw.bytes, r.sw.totalMs)),
        swFirstByteMs: round1(r.sw.firstByteMs),
        swSources: r.sw.sources,
        coldRawMBps: round1(mbPerSec(r.coldRaw.bytes, r.coldRaw.ms)),
        coldSwMBps: round1(mbPerSec(r.coldSw.bytes, r.coldSw.totalMs)),
        coldSwSources: r.coldSw.sources,
        rawMessageBytes: r.raw[0].messageBytes,
      })),
      idealRelay: relays.map((r) => ({ rawMBps: r.raw.map((x) => round1(mbPerSec(x.bytes, x.ms))), relayMBps: round1(mbPerSec(r.relay.bytes, r.relay.ms)) })),
      idealRelayRatio: round3(relayRatio),
      manySources: many.rounds,
      visitors: visitors?.visits.map((v) => ({ ...v, ms: round1(v.ms) })),
      phases: [...run],
      cpuMsPerMb: cpuMb,
      seederUploadBytesPerSecond: SEEDER_UPLOAD_BYTES_PER_SECOND,
      firstByteMs: first.map((f) => round1(f.firstByteMs)),
      firstByteFromPeers: firstFromPeers.length,
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
