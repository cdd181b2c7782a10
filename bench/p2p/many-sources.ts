/**
 * Many sources at once: the same file fetched through a fresh leecher's SW from one seeder, then,
 * once two more seeders hold it too, through another fresh leecher's SW from three, in the same
 * run. Every seeder's upload is capped (SEEDER_UPLOAD_BYTES_PER_SECOND, the bridge's
 * `uploadBytesPerSecond`), so the ratio measures parallelism, not loopback speed. Seeders load
 * their copy from the origin (their page routes every file there), a leecher leaves (and the
 * tracker forgets it) before the next measurement, and each round has a file of its own so that
 * no uncapped holder (A, an earlier leecher) is ever a source.
 */
import type { Browser } from 'playwright-core';
import { median } from '../bench-result.js';
import { joinSwarm, openVisitor, swarmStats, type Visitor } from './browser.js';
import { checkedFetch, type CheckedFetch } from './rounds.js';
import { integrityOf, waitForHolder, type BenchServer } from './server.js';
import type { BenchFile, BenchSite } from './site.js';

/** 3 MB/s per seeder: three together (9 MB/s) stay well under what one SW takes in here (~25 MB/s). */
export const SEEDER_UPLOAD_BYTES_PER_SECOND = 2_000_000;
/** 20 s: a cold SW install, PeerJS open and tracker join take 1–3 s here. */
const SWARM_TIMEOUT_MS = 20_000;
/** 16 MiB at 3 MB/s is ~6 s from one seeder; room for a loaded machine. */
const FETCH_TIMEOUT_MS = 60_000;

/** One round: the file from one seeder, then from three, and what each of the three sent. */
export interface SourcesRound {
  readonly file: string;
  readonly one: CheckedFetch;
  readonly three: CheckedFetch;
  /** Bytes each of the three seeders uploaded during the three-seeder fetch. */
  readonly sentByThree: readonly number[];
}

/** Opens the three capped seeders on their own page (every file from the origin, uploads capped). */
export async function openSeeders(browser: Browser, server: BenchServer, site: BenchSite): Promise<Visitor[]> {
  const seeders: Visitor[] = [];
  for (const name of ['S1', 'S2', 'S3']) {
    const seeder = await openVisitor(browser, name);
    seeders.push(seeder);
    await joinSwarm(seeder, server.origin + site.seederPage, SWARM_TIMEOUT_MS);
  }
  return seeders;
}

/** The seeder fetches `file` from the origin and the tracker lists it as a holder. */
async function seed(seeder: Visitor, server: BenchServer, file: BenchFile): Promise<void> {
  const run = await checkedFetch(seeder, file, false, true, FETCH_TIMEOUT_MS);
  if (run.problems.length > 0) throw new Error(`${seeder.name} seeding: ${run.problems.join('; ')}`);
  const peerId = (await swarmStats(seeder)).peerId ?? '';
  const missing = await waitForHolder(server, peerId, [file.url], 20_000);
  if (missing.length > 0) throw new Error(`${seeder.name} (${peerId}) holds ${file.url}, but the tracker does not list it after 20 s`);
}

/** A fresh leecher fetches `file` through its SW (every byte from peers, hash-checked), then leaves. */
async function leech(browser: Browser, server: BenchServer, site: BenchSite, file: BenchFile, name: string): Promise<CheckedFetch> {
  const leecher = await openVisitor(browser, name);
  let peerId = '';
  try {
    peerId = await joinSwarm(leecher, server.origin + site.swarmPage, SWARM_TIMEOUT_MS);
    return await checkedFetch(leecher, file, true, true, FETCH_TIMEOUT_MS);
  } finally {
    await leecher.context.close().catch(() => undefined);
    await waitForGone(server, peerId, file.url);
  }
}

/** Waits until the tracker no longer lists `peerId` for the file (a leecher becomes a holder, uncapped). */
async function waitForGone(server: BenchServer, peerId: string, url: string): Promise<void> {
  const tracker = server.app.swarmcdn.store.tracker;
  const hash = integrityOf(server, url);
  const deadline = Date.now() + 15_000;
  while ([...tracker.holders(server.origin, hash)].some((p) => p.peerId === peerId)) {
    if (Date.now() > deadline) throw new Error(`the tracker still lists ${peerId} for ${url} 15 s after it left`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Upload counters of the seeders now. */
async function uploads(seeders: readonly Visitor[]): Promise<number[]> {
  return Promise.all(seeders.map(async (s) => (await swarmStats(s)).uploadBytes));
}

/** One round on `file`: S1 alone serves a leecher, then S1–S3 serve another. */
export async function runSourcesRound(browser: Browser, seeders: readonly Visitor[], server: BenchServer, site: BenchSite, file: BenchFile, index: number): Promise<SourcesRound> {
  const [first, ...others] = seeders;
  await seed(first!, server, file);
  const one = await leech(browser, server, site, file, `L1-${index}`);
  for (const seeder of others) await seed(seeder, server, file);
  const before = await uploads(seeders);
  const three = await leech(browser, server, site, file, `L3-${index}`);
  const after = await uploads(seeders);
  return { file: file.url, one, three, sentByThree: after.map((n, i) => n - before[i]!) };
}

/** Opens the seeders, runs one round per file of the site's `sources`, closes the seeders. */
export async function measureManySources(browser: Browser, server: BenchServer, site: BenchSite, onPhase: (phase: string) => void, log: (line: string) => void): Promise<SourcesRound[]> {
  const seeders = await openSeeders(browser, server, site);
  const rounds: SourcesRound[] = [];
  try {
    for (const [i, file] of site.sources.entries()) {
      const phase = `many sources ${i + 1}/${site.sources.length}`;
      onPhase(phase);
      const r = await runSourcesRound(browser, seeders, server, site, file, i + 1);
      rounds.push(r);
      const problems = [...r.one.problems, ...r.three.problems].map((p) => `; PROBLEM: ${p}`).join('');
      log(`${phase}: 1 seeder ${mbPerSec(r.one).toFixed(1)} MB/s, 3 seeders ${mbPerSec(r.three).toFixed(1)} MB/s (sent ${r.sentByThree.map((n) => (n / 1e6).toFixed(1)).join(' / ')} MB)${problems}`);
    }
  } finally {
    for (const seeder of seeders) await seeder.context.close().catch(() => undefined);
  }
  return rounds;
}

function mbPerSec(run: CheckedFetch): number {
  return run.bytes / 1e6 / (run.totalMs / 1000);
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * The row's figures: medians of each side, the median of each round's three ÷ one (paired, as the
 * throughput row pairs its transfers), and what voids them: bytes not all from peers, or fewer
 * than two of the three seeders sending a whole chunk.
 */
export function sourcesFigures(rounds: readonly SourcesRound[]) {
  const chunk = 256 * 1024;
  return {
    oneMBps: median(rounds.map((r) => mbPerSec(r.one))),
    threeMBps: median(rounds.map((r) => mbPerSec(r.three))),
    ratio: median(rounds.map((r) => mbPerSec(r.three) / mbPerSec(r.one))),
    problems: rounds.flatMap((r) => [...r.one.problems, ...r.three.problems, ...(r.sentByThree.filter((n) => n >= chunk).length < 2 ? [`${r.file}: fewer than two of three seeders sent a chunk`] : [])]),
    rounds: rounds.map((r) => ({ oneMBps: round1(mbPerSec(r.one)), threeMBps: round1(mbPerSec(r.three)), sentByThreeMB: r.sentByThree.map((n) => round1(n / 1e6)) })),
  };
}
