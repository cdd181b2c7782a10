/**
 * Phase 1: peers held. N idle peers per server (id fetched from the server's own /id, WebSocket,
 * OPEN, HEARTBEAT every 5 s), spread over all load generators, and the server's RSS growth per
 * peer (VmRSS after a GC, before and after).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reasons } from '../load/protocol.js';
import type { ServerProcess } from '../servers/server-process.js';
import { openFileLimit } from '../servers/server-process.js';
import type { Generator } from './generator.js';
import { share, stopPair, targetOf, type Run, type ServerPair } from './run.js';
import { describeReasons, log, median, merge } from './stats.js';

/** A heartbeat period plus a second: every idle peer has sent one, so the server is in steady state. */
const SETTLE_MS = 6_000;
/** Peers opened and closed before the memory baseline is taken. */
const WARM_PEERS = 2_000;

/** Phase 1's findings for one server. */
export interface HoldResult {
  requested: number;
  opened: number;
  held: number;
  beforeKiB: number;
  afterKiB: number;
  bytesPerPeer: number;
  openSeconds: number;
  failures: Reasons;
}

async function rssSample(server: ServerProcess): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(server.rssKiB());
    await sleep(200);
  }
  return median(samples);
}

async function holdPeers(server: ServerProcess, generators: readonly Generator[], count: number): Promise<HoldResult> {
  const target = targetOf(server);
  const group = `${server.label}:idle`;
  // Warm-up: a burst of connections that come and go loads and compiles the code, and grows the
  // heap's young generation and the allocator's pools to their working size, so the baseline
  // already holds them and the difference is what idle peers keep.
  const warmGroup = `${server.label}:warm`;
  const warm = Math.min(WARM_PEERS, count);
  await Promise.all(
    generators.map((g, i) => g.request({ op: 'open', group: warmGroup, target, count: share(warm, generators.length, i), addresses: g.addresses, concurrency: 24, maxMs: 20_000 }, 30_000)),
  );
  await Promise.all(generators.map((g) => g.request({ op: 'close', group: warmGroup, maxMs: 5_000 }, 10_000)));
  await sleep(500);
  await server.gc();
  const beforeKiB = await rssSample(server);

  const started = performance.now();
  const opens = await Promise.all(
    generators.map((g, i) => g.request({ op: 'open', group, target, count: share(count, generators.length, i), addresses: g.addresses, concurrency: 24, maxMs: 60_000 }, 90_000)),
  );
  const openSeconds = (performance.now() - started) / 1000;
  const opened = opens.reduce((n, r) => n + r.opened, 0);
  const failures = opens.reduce<Reasons>((all, r) => merge(all, r.reasons), {});
  log(`${server.label}: ${opened}/${count} peers reached OPEN in ${openSeconds.toFixed(1)} s; failures: ${describeReasons(failures)}`);

  await sleep(SETTLE_MS);
  if (!server.alive()) throw new Error(`${server.label} died holding peers (${server.exitStatus()}): ${server.tail.slice(-3).join(' | ')}`);
  await server.gc();
  await sleep(500);
  const afterKiB = await rssSample(server);
  const helds = await Promise.all(generators.map((g) => g.request({ op: 'held', group }, 10_000)));
  const held = helds.reduce((n, r) => n + r.held, 0);
  const dropped = helds.reduce<Reasons>((all, r) => merge(all, r.droppedAfterOpen), {});
  const unexpected = helds.reduce<Reasons>((all, r) => merge(all, r.unexpected), {});
  log(`${server.label}: ${held} held after ${SETTLE_MS / 1000} s idle; dropped: ${describeReasons(dropped)}; unexpected messages: ${describeReasons(unexpected)}`);
  log(`${server.label}: RSS ${(beforeKiB / 1024).toFixed(1)} MiB → ${(afterKiB / 1024).toFixed(1)} MiB`);
  await Promise.all(generators.map((g) => g.request({ op: 'close', group, maxMs: 10_000 }, 20_000)));
  const bytesPerPeer = held > 0 ? ((afterKiB - beforeKiB) * 1024) / held : Number.NaN;
  return { requested: count, opened, held, beforeKiB, afterKiB, bytesPerPeer, openSeconds, failures };
}

/** Phase 1 for both servers, one after the other (each needs every generator). */
export async function peersHeldPhase(run: Run): Promise<{ stock: HoldResult | null; ours: HoldResult | null }> {
  const { config, generators } = run;
  log(`phase 1: ${config.peers} idle peers per server`);
  const pair: ServerPair = await run.startPair('peers held');
  const limits = [pair.stock, pair.ours].flatMap((s) => (s === null ? [] : [`${s.label} ${openFileLimit(s.pid)}`]));
  log(`open-file limits: ${limits.join(', ')}, load generators ${openFileLimit(generators[0]!.pid())} (${generators.length} processes)`);
  try {
    const stock = await run.attempt('stock peers held', () => holdPeers(pair.stock, generators, config.peers));
    const ours = pair.ours;
    return { stock, ours: ours && (await run.attempt('swarmcdn peers held', () => holdPeers(ours, generators, config.peers))) };
  } finally {
    stopPair(pair);
  }
}
