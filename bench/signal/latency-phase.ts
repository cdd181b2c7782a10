/**
 * Phase 3: relay latency at a fixed offered rate, timed in the generator that both sends and
 * receives (one clock), and the servers' CPU per message at that rate (no flat-out batching).
 *
 * Made to measure the server rather than the machine (see scheduling.ts for the why):
 * - each server gets a generator process of its own, holding only its pairs;
 * - windows interleave the servers; each starts with a full collection in the server and in its
 *   generator, so no collection that a previous window caused lands in this one;
 * - the generator checks its own timekeeping (bench/load/fixed-rate.ts: it skips, rather than
 *   bursts, messages it was itself too stalled to send on time); under real-time scheduling, a
 *   window in which its event loop ran its 1 ms timer over 2 ms late more than 1% of the time, or
 *   in which it skipped over 1% of the messages, is run again (twice at most), for either server
 *   alike: that window's p99 would measure the generator. (Its loop runs up to about 1 ms late
 *   by libuv's millisecond clock alone.) Under normal scheduling, which is for information only
 *   and shows the machine's load, windows count as they come;
 * - results are medians over windows, under each scheduling asked for.
 */
import type { GeneratorTiming, Reasons } from '../load/protocol.js';
import type { LoopLag } from '../servers/serve.js';
import type { ServerProcess } from '../servers/server-process.js';
import { cpuSnapshot, othersCores } from '../servers/server-process.js';
import { ADDRESSES } from './config.js';
import type { Generator } from './generator.js';
import { applyScheduling, describeScheduling, realtimeAvailable, type Scheduling } from './scheduling.js';
import { serversOf, targetOf, type Run, type ServerPair } from './run.js';
import { describeReasons, fmt, log, median, percentile } from './stats.js';

/** Untimed lead-in per window at the rate: buffers and JIT settle after the previous window. */
const WARMUP_MS = 300;
/** The generator's loop-lag p99, and share of messages skipped, above which a window is run again. */
const GENERATOR_LAG_LIMIT_MS = 2;
const GENERATOR_SKIP_LIMIT = 0.01;
const MAX_RETRIES = 2;

/** One timed window at the fixed offered rate. */
export interface LatencyWindow {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  sent: number;
  /** Messages the generator did not send because it was stalled past their due time. */
  skipped: number;
  received: number;
  /** The load generator's own timekeeping over the window. */
  generator: GeneratorTiming;
  /** The server's event-loop lag over the window, when it could report it. */
  serverLoop: LoopLag | null;
  /** Server CPU over the window (warm-up included) per message sent. */
  cpuMicrosPerMessage: number;
  othersCores: number;
  /** Earlier runs of this window discarded because the generator kept bad time. */
  retries: number;
  unexpected: Reasons;
}

/** One server's windows under one scheduling, summarized: medians over windows, and every sample pooled. */
export interface LatencyResult {
  p50: number;
  p99: number;
  pooledP99: number;
  max: number;
  /** Server CPU per message over all windows: total CPU over total messages. */
  cpuMicrosPerMessage: number;
  retries: number;
  /** Messages the generator skipped, over all windows counted. */
  skipped: number;
  windows: LatencyWindow[];
}

/** Phase 3's findings under one scheduling. */
export interface LatencyRun {
  scheduling: Scheduling;
  described: string;
  stock: LatencyResult | null;
  ours: LatencyResult | null;
}

interface Timed {
  window: LatencyWindow;
  sorted: number[];
  cpuSeconds: number;
}

async function latencyWindow(server: ServerProcess, generator: Generator, group: string, perSecond: number, durationMs: number): Promise<Timed> {
  await Promise.all([server.gc(), generator.request({ op: 'gc' }, 10_000)]);
  const machineBefore = cpuSnapshot();
  const startedAt = performance.now();
  await server.loopStart();
  const cpuBefore = server.cpuSeconds();
  const result = await generator.request({ op: 'rate', group, perSecond, warmupMs: WARMUP_MS, durationMs, drainMs: 2_000 }, WARMUP_MS + durationMs + 10_000);
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  const serverLoop = (await server.loopStop()) ?? null;
  const sorted = result.latenciesMs.sort((x, y) => x - y);
  const window: LatencyWindow = {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    samples: sorted.length,
    sent: result.sent,
    skipped: result.skipped,
    received: result.received,
    generator: result.timing,
    serverLoop,
    cpuMicrosPerMessage: (cpuSeconds * 1e6) / result.sent,
    othersCores: othersCores(machineBefore, cpuSnapshot(), (performance.now() - startedAt) / 1000),
    retries: 0,
    unexpected: result.unexpected,
  };
  return { window, sorted, cpuSeconds };
}

/** A window, run again while the generator could not keep time (at most `maxRetries` times). */
async function trustedWindow(server: ServerProcess, generator: Generator, group: string, perSecond: number, durationMs: number, maxRetries: number): Promise<Timed> {
  for (let retries = 0; ; retries++) {
    const timed = await latencyWindow(server, generator, group, perSecond, durationMs);
    const { window } = timed;
    const lag = window.generator.loopLagP99Ms;
    const skipped = window.skipped / (window.sent + window.skipped);
    if ((lag <= GENERATOR_LAG_LIMIT_MS && skipped <= GENERATOR_SKIP_LIMIT) || retries === maxRetries) {
      window.retries = retries;
      return timed;
    }
    log(`${server.label}: window discarded, the load generator kept bad time (loop lag p99 ${fmt(lag, 2)} ms, ${fmt(100 * skipped, 1)}% of messages skipped); again`);
  }
}

function summarize(timed: readonly Timed[]): LatencyResult | null {
  if (timed.length === 0) return null;
  const pooled = timed.flatMap((t) => t.sorted).sort((x, y) => x - y);
  const windows = timed.map((t) => t.window);
  return {
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    pooledP99: percentile(pooled, 99),
    max: pooled.at(-1) ?? Number.NaN,
    cpuMicrosPerMessage: (timed.reduce((s, t) => s + t.cpuSeconds, 0) * 1e6) / windows.reduce((s, w) => s + w.sent, 0),
    retries: windows.reduce((s, w) => s + w.retries, 0),
    skipped: windows.reduce((s, w) => s + w.skipped, 0),
    windows,
  };
}

function describeWindow(w: LatencyWindow): string {
  const g = w.generator;
  const odd = Object.keys(w.unexpected).length > 0 ? `; unexpected: ${describeReasons(w.unexpected)}` : '';
  return (
    `p50 ${fmt(w.p50, 3)} ms, p99 ${fmt(w.p99, 3)} ms, max ${fmt(w.max, 1)} ms, ${w.received}/${w.sent} received (${w.skipped} skipped), ${fmt(w.cpuMicrosPerMessage, 1)} µs CPU/msg; ` +
    `server loop lag p99 ${fmt(w.serverLoop?.p99 ?? Number.NaN, 1)} ms (max ${fmt(w.serverLoop?.max ?? Number.NaN, 1)}); ` +
    `load generator loop lag p99 ${fmt(g.loopLagP99Ms, 2)} ms (max ${fmt(g.loopLagMaxMs, 1)}), sends late p99 ${fmt(g.sendLateP99Ms, 2)} ms (max ${fmt(g.sendLateMaxMs, 1)}); ` +
    `other processes ${fmt(w.othersCores, 2)} cores${odd}`
  );
}

/** The schedulings to measure under, target first. */
function schedulingsOf(run: Run): Scheduling[] {
  const choice = run.config.scheduling;
  if (choice === 'normal') return ['normal'];
  if (realtimeAvailable()) return choice === 'both' ? ['realtime', 'normal'] : ['realtime'];
  log('real-time scheduling is not permitted here (needs root or CAP_SYS_NICE, chrt and taskset): normal scheduling only');
  return ['normal'];
}

/** Phase 3; returns its findings and the pair, still running, for the malformed-frame phase. */
export async function latencyPhase(run: Run): Promise<{ runs: LatencyRun[]; pair: ServerPair }> {
  const { config } = run;
  const schedulings = schedulingsOf(run);
  log(
    `phase 3: ${config.perSecond} msg/s over ${config.latencyPairs} pairs, ${config.latencyWindows} × ${config.windowMs / 1000} s per server, interleaved; ` +
      `scheduling: ${schedulings.map(describeScheduling).join(', then ')}`,
  );
  const pair = await run.startPair('latency');
  const generators = new Map(serversOf(pair).map((server, i) => [server, run.spawnGenerator(ADDRESSES[i]!)]));
  const group = (server: ServerProcess): string => `${server.label}:latency`;
  const ready: ServerProcess[] = [];
  for (const [server, generator] of generators) {
    const count = config.latencyPairs * 2;
    const opened = await run.attempt(`${server.label} latency set-up`, async () => {
      const open = await generator.request({ op: 'open', group: group(server), target: targetOf(server), count, addresses: generator.addresses, concurrency: 32, maxMs: 30_000 }, 40_000);
      if (open.opened < count) log(`${server.label}: ${open.opened}/${count} latency peers opened: ${describeReasons(open.reasons)}`);
    });
    if (opened !== null) ready.push(server);
  }
  const runs: LatencyRun[] = [];
  const schedule = (scheduling: Scheduling): void => {
    for (const [server, generator] of generators) {
      applyScheduling(server.pid, scheduling, 'server');
      applyScheduling(generator.pid(), scheduling, 'generator');
    }
  };
  try {
    for (const scheduling of schedulings) {
      const applied = await run.attempt(`${scheduling} scheduling`, async () => schedule(scheduling));
      if (applied === null) continue;
      const timed = new Map<ServerProcess, Timed[]>(ready.map((s) => [s, []]));
      for (let w = 1; w <= config.latencyWindows; w++) {
        for (const [server, windows] of timed) {
          const generator = generators.get(server)!;
          const retries = scheduling === 'realtime' ? MAX_RETRIES : 0;
          const result = await run.attempt(`${server.label} latency`, () => trustedWindow(server, generator, group(server), config.perSecond, config.windowMs, retries));
          if (result === null) continue;
          windows.push(result);
          log(`latency ${scheduling} ${w}/${config.latencyWindows} ${server.label}: ${describeWindow(result.window)}`);
        }
      }
      runs.push({
        scheduling,
        described: describeScheduling(scheduling),
        stock: summarize(timed.get(pair.stock) ?? []),
        ours: summarize((pair.ours && timed.get(pair.ours)) ?? []),
      });
    }
  } finally {
    // The malformed-frame phase runs on this pair under normal scheduling.
    await run.attempt('normal scheduling after latency', async () => {
      for (const server of serversOf(pair)) if (server.alive()) applyScheduling(server.pid, 'normal', 'server');
    });
    for (const generator of generators.values()) generator.kill();
  }
  return { runs, pair };
}
