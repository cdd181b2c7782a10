/**
 * The peer-to-peer measurements. Visitor A fetches every file once through its SW (from the
 * origin: nobody else has them) and the bench waits until the tracker lists A as their holder.
 * Then each round opens a fresh visitor B (its own SW, cache and IndexedDB), which opens its
 * connection to A with one warm-up file, optionally times the first byte of fifteen more, brings
 * both connections up to speed, and fetches the 32 MiB asset through its SW between two raw
 * data-channel transfers of the same size between the same two pages.
 */
import type { Browser } from 'playwright-core';
import { joinSwarm, openVisitor, P2pPathMissing, type Visitor } from './browser.js';
import { closeRawChannel, measureRawTransfer, openRawChannel, type RawRun } from './raw-channel.js';
import type { BenchServer } from './server.js';
import { waitForHolder } from './server.js';
import type { BenchSite } from './site.js';
import { chromiumCpu, cpuDelta, type CpuByType } from './cpu-meter.js';
import { fetchWithSources, type FetchRun, type SourceDelta } from './swarm-fetch.js';
import { formatProfiles, startProfiles } from './js-profile.js';

/** A fetch, where its bytes came from, and what was wrong with it (`wrongBytes`: the body itself). */
export type CheckedFetch = FetchRun & { readonly sources: SourceDelta; readonly problems: readonly string[]; readonly wrongBytes: boolean };

/** What one round measured. */
export interface Round {
  readonly visitor: string;
  readonly warmUp: CheckedFetch;
  readonly firstByte: readonly CheckedFetch[];
  /** The first 32 MiB on each connection (B's SW from A, then the new raw channel). */
  readonly coldSw: CheckedFetch;
  readonly coldRaw: RawRun;
  /** Just before and just after the SW fetch. */
  readonly raw: readonly [RawRun, RawRun];
  readonly sw: CheckedFetch;
  /** This bench's Chromium CPU over the raw run before, the SW fetch, and the SW fetch until B stored the file (cpu-meter.ts). */
  readonly cpu: { readonly raw: CpuByType; readonly sw: CpuByType; readonly swStored: CpuByType };
}

/** 20 s: a cold SW install, PeerJS open and tracker join take 1–3 s here. */
const SWARM_TIMEOUT_MS = 20_000;
const SMALL_TIMEOUT_MS = 15_000;
const BIG_TIMEOUT_MS = 60_000;

/** Fetches and checks size, hash and (with `fromPeers`) that every byte came from peers. */
export async function checkedFetch(visitor: Visitor, file: { url: string; size: number; sha256: string }, fromPeers: boolean, hash: boolean, timeoutMs: number): Promise<CheckedFetch> {
  const run = await fetchWithSources(visitor, file.url, hash, timeoutMs);
  const wrong: string[] = [];
  if (run.status !== 200) wrong.push(`HTTP ${run.status}`);
  if (run.bytes !== file.size) wrong.push(`${run.bytes} bytes, expected ${file.size}`);
  if (hash && run.sha256 !== file.sha256) wrong.push(`SHA-256 ${run.sha256}, expected ${file.sha256}`);
  // A is honest here: a chunk that failed verification is a bug somewhere, not an attack.
  if (run.sources.badChunks > 0) wrong.push(`${run.sources.badChunks} chunks failed verification`);
  const elsewhere: string[] = [];
  if (fromPeers && run.sources.origin !== 0) elsewhere.push(`${run.sources.origin} bytes from the origin`);
  if (fromPeers && run.sources.peer < file.size) elsewhere.push(`only ${run.sources.peer} of ${file.size} bytes counted from peers`);
  return { ...run, problems: [...wrong, ...elsewhere].map((p) => `${file.url}: ${p}`), wrongBytes: wrong.length > 0 };
}

/** A fetches everything through its SW; resolves once the tracker lists A for every file. */
export async function seedFromA(a: Visitor, aPeerId: string, server: BenchServer, site: BenchSite, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  let origin = 0;
  const files = [...site.small, site.warm, site.big];
  for (const file of files) {
    const run = await checkedFetch(a, file, false, file.size === site.big.size, BIG_TIMEOUT_MS);
    if (run.problems.length > 0) throw new Error(`A: ${file.url}: ${run.problems.join('; ')}`);
    origin += run.sources.origin;
  }
  log(`A fetched ${files.length} files through its SW in ${((performance.now() - started) / 1000).toFixed(1)} s (${(origin / 1e6).toFixed(1)} MB counted from the origin)`);
  const urls = files.map((f) => f.url);
  const missing = await waitForHolder(server, aPeerId, urls, 20_000);
  if (missing.length > 0) {
    const counts = server.app.swarmcdn.store.tracker.counts();
    throw new P2pPathMissing(
      `A (${aPeerId}) holds ${urls.length} files in its SW, but after 20 s the tracker lists it as a holder of only ${urls.length - missing.length} ` +
        `(missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}; site ${server.origin}; tracker counts ${JSON.stringify(counts)})`,
    );
  }
}

/** One fresh visitor B; `firstByte` adds the fifteen first-byte fetches. */
export async function runRound(browser: Browser, a: Visitor, server: BenchServer, site: BenchSite, index: number, firstByte: boolean): Promise<Round> {
  const b = await openVisitor(browser, `B${index}`);
  try {
    const bPeerId = await joinSwarm(b, server.origin + site.swarmPage, SWARM_TIMEOUT_MS);
    // Opens B's connection to A (and times nothing): the first-byte figure is for known peers.
    const warmUp = await checkedFetch(b, site.small[0]!, true, false, SMALL_TIMEOUT_MS);
    const firstBytes: CheckedFetch[] = [];
    if (firstByte) for (const file of site.small.slice(1)) firstBytes.push(await checkedFetch(b, file, true, false, SMALL_TIMEOUT_MS));
    // A new SCTP association runs at a third of its speed for its first tens of megabytes here
    // (measured: 12 MB/s, then 35 MB/s). So each connection first carries 32 MiB untimed (kept
    // as the "cold" figures), and the timed transfers compare the two at full speed.
    const coldSw = await checkedFetch(b, site.warm, true, true, BIG_TIMEOUT_MS);
    await openRawChannel(a, b);
    const coldRaw = await measureRawTransfer(a, b, site.big.size);
    // Raw, SW, raw: the SW fetch is bracketed, so load from elsewhere on a shared machine that
    // drifts during the round weighs on both sides of its ratio.
    const cpu0 = chromiumCpu();
    const rawBefore = await measureRawTransfer(a, b, site.big.size);
    const cpu1 = chromiumCpu();
    const profile = process.env.BENCH_P2P_PROFILE === '1'
      ? await startProfiles(browser, [{ label: `A's page`, page: a.page, worker: false }, { label: `${b.name}'s page`, page: b.page, worker: false }, { label: `${b.name}'s SW`, page: b.page, worker: true }])
      : undefined;
    const sw = await checkedFetch(b, site.big, true, true, BIG_TIMEOUT_MS);
    const cpu2 = chromiumCpu();
    if (profile) process.stderr.write(`bench:p2p: JS profile of ${b.name}'s SW fetch:\n${formatProfiles(await profile.stop(), site.big.size / 1e6)}`);
    // B's SW writes what it verified into IndexedDB, some of it after the body ended: the raw run
    // after waits for that (B announces the file once stored), so those writes do not weigh on it.
    await waitForHolder(server, bPeerId, [site.big.url], BIG_TIMEOUT_MS);
    const cpu3 = chromiumCpu();
    const rawAfter = await measureRawTransfer(a, b, site.big.size);
    const cpu = { raw: cpuDelta(cpu0, cpu1), sw: cpuDelta(cpu1, cpu2), swStored: cpuDelta(cpu1, cpu3) };
    return { visitor: b.name, warmUp, firstByte: firstBytes, coldSw, coldRaw, raw: [rawBefore, rawAfter], sw, cpu };
  } finally {
    await closeRawChannel(a, b);
    await b.context.close().catch(() => undefined);
  }
}
