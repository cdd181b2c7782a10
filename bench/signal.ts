/**
 * `npm run bench:signal`: our PeerJS-compatible signalling endpoint against the stock PeerJS server
 * (the `peer` package), side by side in one run. Each server runs in its own process (this file,
 * run with `--serve`), a fresh pair of them per phase; simulated peers run in load-generator
 * processes (dist/bench/load/signal-peers.js) that speak the stock client's protocol. For both:
 *
 *  1. peers held: N idle peers (id fetched from the server's own /id, WebSocket, OPEN, HEARTBEAT
 *     every 5 s), and the server's RSS growth per peer (VmRSS after a GC, before and after);
 *  2. server CPU time per relayed OFFER, flat out, over a few hundred pairs (median of repeats,
 *     servers interleaved so drift hits both alike);
 *  3. relay latency p50/p99 at a fixed offered rate, timed in the generator that both sends and
 *     receives (one clock); medians of interleaved windows, with both sides' event-loop lag beside;
 *  4. last, one malformed frame to each server, and whether it is still serving afterwards.
 *
 * Env: BENCH_SIGNAL_PEERS (default 19,900, at most 19,900: the machine caps a process at 20,000
 * open files), BENCH_SIGNAL_PAIRS (flood pairs, 200), BENCH_SIGNAL_MESSAGES (per flood repeat,
 * 60,000), BENCH_SIGNAL_WINDOW (offers in flight per flood pair, 4), BENCH_REPEATS (5),
 * BENCH_SIGNAL_RATE (msg/s, 5,000), BENCH_SIGNAL_SECONDS (latency, timed seconds per server, 10),
 * BENCH_SIGNAL_MAX_SECONDS (whole-run watchdog, 290).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatTable, median, printResult, type BenchRow } from './bench-result.js';
import type { GeneratorCommand, GeneratorReply, GeneratorRequest, GeneratorResults, Reasons, Target } from './load/signal-peers.js';
import { serveChild, type LoopLag, type ServeSpec } from './servers/serve.js';
import { CLOCK_TICKS, cpuSeconds, cpuSnapshot, killChildren, openFileLimit, othersCores, prefixOutput, ServerProcess, spawnNode } from './servers/server-process.js';

const SELF = fileURLToPath(import.meta.url);
const GENERATOR = join(SELF, '..', 'load', 'signal-peers.js');
const PATH = '/swarmcdn/peerjs';
const KEY = 'peerjs';
/** The most peers one process may hold here: 20,000 open files, less a margin for the process's own. */
const MAX_PEERS = 19_900;
/** Sockets per generator process, well under the open-file cap. */
const PEERS_PER_GENERATOR = 5_000;
/** Source addresses the generators spread their sockets over (loopback only). */
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
/** Targets from the issue. */
const TARGET_CPU_RATIO = 0.67;
const TARGET_P99_MS = 2;
/** Flat-out relay runs with our rate limits raised; every other check stays at the defaults. */
const RELAY_LIMITS = { ratePerSecond: 1_000_000, rateBurst: 1_000_000 } as const;
/** A heartbeat period plus a second: every idle peer has sent one, so the server is in steady state. */
const SETTLE_MS = 6_000;
/** Peers opened and closed before the memory baseline is taken. */
const WARM_PEERS = 2_000;
/** Latency is timed in this many windows per server, interleaved, and the medians reported. */
const LATENCY_WINDOWS = 3;
/** Not JSON at all, and JSON the stock server relays blindly. */
const MALFORMED_FRAMES = ['not json', '{"type":"OFFER","dst":null}'];

function envNumber(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0 || n > max) throw new Error(`${name} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** A load-generator process and a typed request/reply channel to it. */
class Generator {
  private nextReq = 1;
  private readonly pending = new Map<number, (reply: GeneratorReply) => void>();

  // A 32 MiB young generation: the generator's garbage (a parsed frame per message) then dies
  // young instead of being promoted, so its own old-space collections, whose pauses would show
  // as relay latency, stay out of the timed windows. The servers run with node's defaults.
  private readonly child = spawnNode([GENERATOR], ['--max-semi-space-size=32']);

  constructor(
    readonly index: number,
    readonly addresses: readonly string[],
  ) {
    prefixOutput(this.child, `[load ${index}]`, () => false, []);
    this.child.on('message', (reply: GeneratorReply) => this.pending.get(reply.req)?.(reply));
    this.child.once('exit', (code, signal) => {
      for (const settle of this.pending.values()) settle({ req: 0, ok: false, error: `load generator ${index} exited (${signal ?? code})` });
    });
  }

  request<K extends keyof GeneratorResults>(command: Extract<GeneratorCommand, { op: K }>, timeoutMs: number): Promise<GeneratorResults[K]> {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle({ req, ok: false, error: `${command.op} timed out after ${timeoutMs} ms` }), timeoutMs);
      const settle = (reply: GeneratorReply): void => {
        clearTimeout(timer);
        this.pending.delete(req);
        if (reply.ok) resolve(reply.result as GeneratorResults[K]);
        else reject(new Error(`load ${this.index}: ${reply.error}`));
      };
      this.pending.set(req, settle);
      const request: GeneratorRequest = { ...command, req };
      this.child.send(request);
    });
  }

  pid(): number {
    return this.child.pid ?? -1;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function targetOf(server: ServerProcess): Target {
  // The stock client appends '/' to `path` and builds `${path}${key}/id` and `${path}peerjs?…`.
  return { port: server.port, path: `${PATH}/`, key: KEY };
}

function merge(into: Reasons, from: Reasons): Reasons {
  for (const [reason, n] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + n;
  return into;
}

const describeReasons = (reasons: Reasons): string =>
  Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${n}× ${r}`)
    .join(', ') || 'none';

function log(line: string): void {
  process.stderr.write(`bench:signal: ${line}\n`);
}

async function rssSample(server: ServerProcess): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(server.rssKiB());
    await sleep(200);
  }
  return median(samples);
}

/** Phase 1's findings for one server. */
interface HoldResult {
  requested: number;
  opened: number;
  held: number;
  beforeKiB: number;
  afterKiB: number;
  bytesPerPeer: number;
  openSeconds: number;
  failures: Reasons;
}

/** Generator `i`'s part of `count` peers split over `n` generators. */
function share(count: number, n: number, i: number): number {
  return Math.floor(count / n) + (i < count % n ? 1 : 0);
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

/** One flat-out repeat: server CPU over exactly the messages delivered (the server is idle at both reads). */
interface FloodSample {
  cpuMicrosPerMessage: number;
  messagesPerSecond: number;
  serverCpuShare: number;
  /** The load generator's CPU over the same window: near 1.0 means it, not the server, set the pace. */
  generatorCpuShare: number;
  /** Cores' worth of CPU other processes on the machine used meanwhile: noise, when well above 0. */
  othersCores: number;
  unexpected: Reasons;
}

async function floodOnce(server: ServerProcess, generator: Generator, group: string, messages: number, window: number): Promise<FloodSample> {
  const machineBefore = cpuSnapshot();
  const cpuBefore = server.cpuSeconds();
  const generatorBefore = cpuSeconds(generator.pid());
  const result = await generator.request({ op: 'flood', group, messages, window, maxMs: 20_000 }, 30_000);
  const cpu = server.cpuSeconds() - cpuBefore;
  const generatorCpu = cpuSeconds(generator.pid()) - generatorBefore;
  const machineAfter = cpuSnapshot();
  if (result.delivered === 0) throw new Error(`${server.label}: nothing delivered (${describeReasons(result.unexpected)})`);
  const seconds = result.ms / 1000;
  return {
    cpuMicrosPerMessage: (cpu * 1e6) / result.delivered,
    messagesPerSecond: result.delivered / seconds,
    serverCpuShare: cpu / seconds,
    generatorCpuShare: generatorCpu / seconds,
    othersCores: othersCores(machineBefore, machineAfter, seconds),
    unexpected: result.unexpected,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One timed window at the fixed offered rate. */
interface LatencyWindow {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  sent: number;
  received: number;
  /** The load generator's own event-loop lag over the window: p99 and max. */
  generatorLoopP99: number;
  generatorLoopMax: number;
  /** The server's event-loop lag over the window, when it could report it. */
  serverLoop: LoopLag | null;
  othersCores: number;
  unexpected: Reasons;
}

/** Phase 3's findings for one server: medians over the windows, and every sample pooled. */
interface LatencyResult {
  p50: number;
  p99: number;
  pooledP99: number;
  max: number;
  windows: LatencyWindow[];
}

async function latencyWindow(server: ServerProcess, generator: Generator, group: string, perSecond: number, seconds: number): Promise<{ window: LatencyWindow; sorted: number[] }> {
  // Half a second at the rate before timing: buffers and JIT settle after the previous window.
  const warmupMs = 500;
  const durationMs = Math.round(seconds * 1000);
  const machineBefore = cpuSnapshot();
  await server.loopStart();
  const result = await generator.request({ op: 'rate', group, perSecond, warmupMs, durationMs, drainMs: 2_000 }, warmupMs + durationMs + 10_000);
  const serverLoop = (await server.loopStop()) ?? null;
  const sorted = result.latenciesMs.sort((x, y) => x - y);
  const window: LatencyWindow = {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    samples: sorted.length,
    sent: result.sent,
    received: result.received,
    generatorLoopP99: result.loopLagP99Ms,
    generatorLoopMax: result.loopLagMaxMs,
    serverLoop,
    othersCores: othersCores(machineBefore, cpuSnapshot(), result.ms / 1000),
    unexpected: result.unexpected,
  };
  return { window, sorted };
}

function summarizeLatency(windows: readonly { window: LatencyWindow; sorted: number[] }[]): LatencyResult | null {
  if (windows.length === 0) return null;
  const pooled = windows.flatMap((w) => w.sorted).sort((x, y) => x - y);
  return {
    p50: median(windows.map((w) => w.window.p50)),
    p99: median(windows.map((w) => w.window.p99)),
    pooledP99: percentile(pooled, 99),
    max: pooled.at(-1) ?? Number.NaN,
    windows: windows.map((w) => w.window),
  };
}

/** Phase 4: what one malformed frame does to a server. */
interface FrameOutcome {
  server: string;
  frame: string;
  senderSaw: string;
  stillServing: boolean;
  detail: string;
}

async function sendMalformed(server: ServerProcess, generator: Generator, frame: string): Promise<FrameOutcome> {
  const target = targetOf(server);
  const group = `${server.label}:bad`;
  await generator.request({ op: 'open', group, target, count: 1, addresses: generator.addresses, concurrency: 1, maxMs: 5_000 }, 10_000);
  server.quiet = true;
  const sent = await generator.request({ op: 'frame', group, text: frame, waitMs: 500 }, 5_000);
  await generator.request({ op: 'close', group, maxMs: 2_000 }, 5_000);
  let stillServing = false;
  let detail: string;
  if (server.alive()) {
    const probe = await generator.request({ op: 'open', group: `${group}:probe`, target, count: 1, addresses: generator.addresses, concurrency: 1, maxMs: 5_000 }, 10_000);
    await generator.request({ op: 'close', group: `${group}:probe`, maxMs: 2_000 }, 5_000);
    stillServing = probe.opened === 1;
    detail = stillServing ? 'process up, a new peer reached OPEN' : `process up, but a new peer failed: ${describeReasons(probe.reasons)}`;
  } else {
    const error = server.tail.findLast((l) => /Error/.test(l)) ?? server.tail.at(-1) ?? '';
    detail = `process died (${server.exitStatus()}): ${error.trim().slice(0, 120)}`;
  }
  server.quiet = false;
  const senderSaw = [...sent.replies, ...(sent.closeCode === null ? [] : [`close ${sent.closeCode}`])].join('; ') || 'nothing';
  return { server: server.label, frame, senderSaw, stillServing, detail };
}

const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** The run's knobs, from the environment. */
interface Config {
  readonly peers: number;
  readonly floodPairs: number;
  readonly floodMessages: number;
  /** Offers in flight per pair during the flood. */
  readonly window: number;
  readonly repeats: number;
  readonly perSecond: number;
  readonly seconds: number;
  readonly latencyPairs: number;
}

function readConfig(): Config {
  return {
    peers: envNumber('BENCH_SIGNAL_PEERS', MAX_PEERS, MAX_PEERS),
    floodPairs: envNumber('BENCH_SIGNAL_PAIRS', 200, 2_000),
    floodMessages: envNumber('BENCH_SIGNAL_MESSAGES', 60_000, 1_000_000),
    // 4 per pair, 800 in all: enough to keep the server busy without deep queues in its buffers.
    window: envNumber('BENCH_SIGNAL_WINDOW', 4, 64),
    repeats: envNumber('BENCH_REPEATS', 5, 20),
    perSecond: envNumber('BENCH_SIGNAL_RATE', 5_000, 50_000),
    seconds: envNumber('BENCH_SIGNAL_SECONDS', 10, 60),
    // 1,000 senders at 5,000 msg/s is 5 msg/s each: far under our default 50/s per connection.
    latencyPairs: 1_000,
  };
}

/** Everything measured, for the report. `ours` is null where our server could not be measured. */
interface Findings {
  hold: { stock: HoldResult; ours: HoldResult | null };
  flood: { stock: FloodSample[]; ours: FloodSample[] };
  latency: { stock: LatencyResult | null; ours: LatencyResult | null };
  malformed: FrameOutcome[];
  errors: string[];
}

/** A stock server and ours (null when ours could not start), each in its own process. */
interface ServerPair {
  readonly stock: ServerProcess;
  readonly ours: ServerProcess | null;
}

/** What every phase shares: the knobs, the load generators, and the record of what failed. */
class Run {
  readonly errors: string[] = [];
  readonly generators: readonly Generator[];
  private readonly stockSpec: ServeSpec;
  private readonly oursSpec: ServeSpec;

  constructor(
    readonly config: Config,
    siteDir: string,
  ) {
    const common = { path: PATH, key: KEY, maxConnections: MAX_PEERS + 100 } as const;
    this.stockSpec = { kind: 'stock', ...common };
    this.oursSpec = { kind: 'swarmcdn', ...common, siteDir };
    // At least two: one floods while the other measures latency; at most one per source address.
    const count = Math.min(ADDRESSES.length, Math.max(2, Math.ceil(config.peers / PEERS_PER_GENERATOR)));
    this.generators = Array.from({ length: count }, (_, g) => new Generator(g, ADDRESSES.filter((_, i) => i % count === g)));
  }

  /** Runs a measurement; a failure is recorded, not fatal, so the rest still runs and prints. */
  async attempt<T>(what: string, run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (error) {
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      this.errors.push(message);
      log(message);
      return null;
    }
  }

  startStock(): Promise<ServerProcess> {
    return ServerProcess.start('stock', SELF, this.stockSpec, 15_000);
  }

  /**
   * A fresh pair of server processes per phase, so no phase inherits another's heap or clean-up
   * (our server releases 19,900 ids a grace period after phase 1's peers leave).
   */
  async startPair(phase: string, limits?: ServeSpec['limits']): Promise<ServerPair> {
    const spec = limits ? { ...this.oursSpec, limits } : this.oursSpec;
    const [stock, ours] = await Promise.all([
      this.startStock(),
      this.attempt(`swarmcdn start (${phase})`, () => ServerProcess.start('swarmcdn', SELF, spec, 15_000)),
    ]);
    return { stock, ours };
  }
}

/** The servers of a pair that are running, stock first. */
const serversOf = (pair: ServerPair): ServerProcess[] => (pair.ours === null ? [pair.stock] : [pair.stock, pair.ours]);

function stopPair(pair: ServerPair): void {
  for (const server of serversOf(pair)) server.kill();
}

async function peersHeldPhase(run: Run): Promise<Findings['hold']> {
  const { config, generators } = run;
  log(`phase 1: ${config.peers} idle peers per server`);
  const pair = await run.startPair('peers held');
  const limits = serversOf(pair).map((s) => `${s.label} ${openFileLimit(s.pid)}`);
  log(`open-file limits: ${limits.join(', ')}, load generators ${openFileLimit(generators[0]!.pid())} (${generators.length} processes)`);
  try {
    const stock = await holdPeers(pair.stock, generators, config.peers);
    const ours = pair.ours;
    return { stock, ours: ours && (await run.attempt('swarmcdn peers held', () => holdPeers(ours, generators, config.peers))) };
  } finally {
    stopPair(pair);
  }
}

async function floodPhase(run: Run): Promise<Findings['flood']> {
  const { config } = run;
  log(`phase 2: ${config.floodPairs} pairs flat out, ${config.repeats} × ${config.floodMessages} messages per server (swarmcdn: ratePerSecond/rateBurst 1,000,000)`);
  const pair = await run.startPair('flood', RELAY_LIMITS);
  const generator = run.generators[0]!;
  const group = (server: ServerProcess): string => `${server.label}:flood`;
  const flooded = new Map<ServerProcess, FloodSample[]>();
  try {
    for (const server of serversOf(pair)) {
      const ready = await run.attempt(`${server.label} flood set-up`, async () => {
        const count = config.floodPairs * 2;
        const open = await generator.request({ op: 'open', group: group(server), target: targetOf(server), count, addresses: generator.addresses, concurrency: 32, maxMs: 30_000 }, 40_000);
        if (open.opened < count) log(`${server.label}: ${open.opened}/${count} flood peers opened: ${describeReasons(open.reasons)}`);
        // Untimed warm-up: JIT, buffers.
        await floodOnce(server, generator, group(server), Math.min(20_000, config.floodMessages), config.window);
      });
      if (ready !== null) flooded.set(server, []);
    }
    // Repeats interleave the servers, so drift on a shared machine hits both alike.
    for (let r = 1; r <= config.repeats; r++) {
      for (const [server, samples] of flooded) {
        const sample = await run.attempt(`${server.label} flood`, () => floodOnce(server, generator, group(server), config.floodMessages, config.window));
        if (sample === null) continue;
        samples.push(sample);
        const odd = Object.keys(sample.unexpected).length > 0 ? `; unexpected: ${describeReasons(sample.unexpected)}` : '';
        log(
          `flood ${r}/${config.repeats} ${server.label}: ${fmt(sample.cpuMicrosPerMessage, 2)} µs CPU/msg, ${fmt(sample.messagesPerSecond, 0)} msg/s; ` +
            `server ${fmt(sample.serverCpuShare, 2)}, load generator ${fmt(sample.generatorCpuShare, 2)}, other processes ${fmt(sample.othersCores, 2)} cores${odd}`,
        );
      }
    }
    for (const server of flooded.keys()) await generator.request({ op: 'close', group: group(server), maxMs: 5_000 }, 10_000);
  } finally {
    stopPair(pair);
  }
  return { stock: flooded.get(pair.stock) ?? [], ours: (pair.ours && flooded.get(pair.ours)) ?? [] };
}

/** Returns the latency findings, and the pair (still running) for the malformed-frame phase. */
async function latencyPhase(run: Run): Promise<{ latency: Findings['latency']; pair: ServerPair }> {
  const { config } = run;
  const windowSeconds = config.seconds / LATENCY_WINDOWS;
  log(`phase 3: ${config.perSecond} msg/s over ${config.latencyPairs} pairs, ${LATENCY_WINDOWS} × ${windowSeconds.toFixed(1)} s per server, interleaved`);
  const pair = await run.startPair('latency');
  // Each server's pairs in a fresh load generator of their own: a generator's pauses (garbage
  // collection, a heap left large by phase 1) show as latency, so it holds only these sockets.
  const generators = new Map(serversOf(pair).map((server, i) => [server, new Generator(run.generators.length + i, [ADDRESSES[i]!])]));
  const group = (server: ServerProcess): string => `${server.label}:latency`;
  const timed = new Map<ServerProcess, { window: LatencyWindow; sorted: number[] }[]>();
  for (const [server, generator] of generators) {
    const count = config.latencyPairs * 2;
    const ready = await run.attempt(`${server.label} latency set-up`, async () => {
      const open = await generator.request({ op: 'open', group: group(server), target: targetOf(server), count, addresses: generator.addresses, concurrency: 32, maxMs: 30_000 }, 40_000);
      if (open.opened < count) log(`${server.label}: ${open.opened}/${count} latency peers opened: ${describeReasons(open.reasons)}`);
    });
    if (ready !== null) timed.set(server, []);
  }
  for (let w = 1; w <= LATENCY_WINDOWS; w++) {
    for (const [server, windows] of timed) {
      const result = await run.attempt(`${server.label} latency`, () => latencyWindow(server, generators.get(server)!, group(server), config.perSecond, windowSeconds));
      if (result === null) continue;
      windows.push(result);
      const l = result.window;
      log(
        `latency ${w}/${LATENCY_WINDOWS} ${server.label}: p50 ${fmt(l.p50, 3)} ms, p99 ${fmt(l.p99, 3)} ms, max ${fmt(l.max, 1)} ms, ${l.received}/${l.sent} received; ` +
          `event-loop lag p99: server ${fmt(l.serverLoop?.p99 ?? Number.NaN, 1)} ms (max ${fmt(l.serverLoop?.max ?? Number.NaN, 1)}), load generator ${fmt(l.generatorLoopP99, 1)} ms (max ${fmt(l.generatorLoopMax, 1)}); ` +
          `other processes ${fmt(l.othersCores, 2)} cores${Object.keys(l.unexpected).length > 0 ? `; unexpected: ${describeReasons(l.unexpected)}` : ''}`,
      );
    }
  }
  for (const generator of generators.values()) generator.kill();
  const latency = {
    stock: summarizeLatency(timed.get(pair.stock) ?? []),
    ours: summarizeLatency((pair.ours && timed.get(pair.ours)) ?? []),
  };
  return { latency, pair };
}

/** Last, because the stock server does not survive it; a dead stock server is restarted so every frame meets a live one. */
async function malformedPhase(run: Run, pair: ServerPair): Promise<FrameOutcome[]> {
  const outcomes: FrameOutcome[] = [];
  let stock = pair.stock;
  try {
    for (const frame of MALFORMED_FRAMES) {
      if (!stock.alive()) stock = await run.startStock();
      for (const server of [stock, pair.ours]) {
        if (server === null) continue;
        const outcome = await run.attempt(`${server.label} malformed frame`, () => sendMalformed(server, run.generators[0]!, frame));
        if (outcome !== null) outcomes.push(outcome);
      }
    }
  } finally {
    stopPair({ stock, ours: pair.ours });
  }
  return outcomes;
}

async function measure(config: Config, siteDir: string): Promise<Findings> {
  const run = new Run(config, siteDir);
  const hold = await peersHeldPhase(run);
  const flood = await floodPhase(run);
  const { latency, pair } = await latencyPhase(run);
  const malformed = await malformedPhase(run, pair);
  return { hold, flood, latency, malformed, errors: run.errors };
}

function report(config: Config, findings: Findings, wallSeconds: number): void {
  const { hold, flood, latency } = findings;
  const floodMedian = (samples: readonly FloodSample[], key: 'cpuMicrosPerMessage' | 'messagesPerSecond' | 'serverCpuShare' | 'generatorCpuShare'): number =>
    samples.length === 0 ? Number.NaN : median(samples.map((s) => s[key]));
  const rss = { stock: hold.stock.bytesPerPeer / 1000, ours: (hold.ours?.bytesPerPeer ?? Number.NaN) / 1000 };
  const cpu = { stock: floodMedian(flood.stock, 'cpuMicrosPerMessage'), ours: floodMedian(flood.ours, 'cpuMicrosPerMessage') };
  const heldOurs = hold.ours?.held ?? Number.NaN;
  const nan = Number.NaN;
  const p99Ours = latency.ours?.p99 ?? nan;
  /** The median over a server's latency windows of one per-window number. */
  const overWindows = (l: LatencyResult | null, pick: (w: LatencyWindow) => number | undefined): number => {
    const values = (l?.windows ?? []).flatMap((w) => pick(w) ?? []);
    return values.length === 0 ? nan : median(values);
  };
  const pass = {
    held: heldOurs >= config.peers,
    // A growth of zero or less means the sample was too small to measure, not that it passed.
    rss: rss.ours > 0 && rss.stock > 0 && rss.ours <= rss.stock,
    cpu: cpu.ours <= TARGET_CPU_RATIO * cpu.stock,
    p99: p99Ours <= TARGET_P99_MS,
  };
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
  const ratio = (ours: number, stock: number): string => (Number.isFinite(ours / stock) ? `${(ours / stock).toFixed(2)}×` : '—');
  const line = (metric: string, stock: number, ours: number, digits: number, target = '—', ok: boolean | null = null): string[] => [
    metric,
    fmt(stock, digits),
    fmt(ours, digits),
    ratio(ours, stock),
    target,
    ok === null ? '' : verdict(ok),
  ];
  const rate = `at ${config.perSecond} msg/s`;
  const table = [
    line('peers held', hold.stock.held, heldOurs, 0, `= ${config.peers}`, pass.held),
    line('RSS per idle peer (KB)', rss.stock, rss.ours, 2, '≤ 1.00× stock', pass.rss),
    line('server CPU per relayed msg (µs)', cpu.stock, cpu.ours, 2, `≤ ${TARGET_CPU_RATIO}× stock`, pass.cpu),
    line(`relay p50 ${rate} (ms)`, latency.stock?.p50 ?? nan, latency.ours?.p50 ?? nan, 3),
    line(`relay p99 ${rate} (ms)`, latency.stock?.p99 ?? nan, p99Ours, 3, `≤ ${TARGET_P99_MS} ms`, pass.p99),
    line(`relay p99, all windows pooled (ms)`, latency.stock?.pooledP99 ?? nan, latency.ours?.pooledP99 ?? nan, 3),
    line('server event-loop lag p99 meanwhile (ms)', overWindows(latency.stock, (w) => w.serverLoop?.p99), overWindows(latency.ours, (w) => w.serverLoop?.p99), 1),
    // The generator's worst stall in a window: when it nears the p99, the box, not the server, set the tail.
    line('load generator event-loop lag max (ms)', overWindows(latency.stock, (w) => w.generatorLoopMax), overWindows(latency.ours, (w) => w.generatorLoopMax), 1),
    line('flat-out relay rate (msg/s)', floodMedian(flood.stock, 'messagesPerSecond'), floodMedian(flood.ours, 'messagesPerSecond'), 0),
    line('server CPU flat out (cores)', floodMedian(flood.stock, 'serverCpuShare'), floodMedian(flood.ours, 'serverCpuShare'), 2),
    line('time to open all peers (s)', hold.stock.openSeconds, hold.ours?.openSeconds ?? nan, 1),
  ];
  const windows = [...flood.stock, ...flood.ours, ...(latency.stock?.windows ?? []), ...(latency.ours?.windows ?? [])];
  const others = Math.max(0, ...windows.map((w) => w.othersCores));
  const cores = availableParallelism();
  process.stdout.write(
    `\nsignalling: ${config.peers} idle peers; flat out over ${config.floodPairs} pairs, median of ${config.repeats} × ${config.floodMessages} messages; ` +
      `latency ${rate} over ${config.latencyPairs} pairs, median of ${LATENCY_WINDOWS} windows of ${(config.seconds / LATENCY_WINDOWS).toFixed(1)} s; ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}\n` +
      `swarmcdn's flat-out relay ran with ratePerSecond/rateBurst raised to 1,000,000 (frame validation, token-bucket accounting and ` +
      `id binding stay on); every other swarmcdn measurement used the default limits.\n\n`,
  );
  process.stdout.write(formatTable(['metric', 'stock peer', 'swarmcdn', 'ratio', 'target', ''], table) + '\n\n');
  if (others > 0.25) {
    process.stdout.write(`note: other processes used up to ${others.toFixed(2)} of ${cores} cores during the measured windows: CPU per message and latency are noisy.\n\n`);
  }
  process.stdout.write(
    formatTable(
      ['server', 'malformed frame', 'sender got', 'still serving', 'detail'],
      findings.malformed.map((o) => [o.server, JSON.stringify(o.frame), o.senderSaw, o.stillServing ? 'yes' : 'NO', o.detail]),
    ) + '\n\n',
  );
  if (findings.errors.length > 0) process.stdout.write(`did not complete:\n  ${findings.errors.join('\n  ')}\n\n`);

  // RESULT rows are higher-is-better: against the stock baseline, or against an absolute budget.
  const row = (name: string, value: number, unit: string, r: number | null, target: number | null, ok: boolean | null): BenchRow => ({
    name,
    value: round(value, 3),
    unit,
    ratio: r === null || !Number.isFinite(r) ? null : round(r, 3),
    target,
    pass: ok,
  });
  printResult({
    bench: 'signal',
    rows: [
      row('stock peer: RSS per idle peer', rss.stock, 'KB', null, null, null),
      row('swarmcdn: RSS per idle peer (ratio stock/ours)', rss.ours, 'KB', rss.stock / rss.ours, 1, pass.rss),
      row('stock peer: CPU per relayed msg', cpu.stock, 'µs', null, null, null),
      row('swarmcdn: CPU per relayed msg (ratio stock/ours)', cpu.ours, 'µs', cpu.stock / cpu.ours, round(1 / TARGET_CPU_RATIO, 3), pass.cpu),
      row(`swarmcdn: peers held (ratio held/${config.peers})`, heldOurs, 'peers', heldOurs / config.peers, 1, pass.held),
      row(`stock peer: relay p99 ${rate}`, latency.stock?.p99 ?? nan, 'ms', null, null, null),
      row(`swarmcdn: relay p99 ${rate} (ratio ${TARGET_P99_MS} ms/p99)`, p99Ours, 'ms', TARGET_P99_MS / p99Ours, 1, pass.p99),
    ],
    info: {
      ...config,
      clockTicks: CLOCK_TICKS,
      relayLimits: RELAY_LIMITS,
      othersCoresMax: round(others, 2),
      hold,
      flood,
      latency,
      malformed: findings.malformed,
      errors: findings.errors,
      wallSeconds: round(wallSeconds, 1),
    },
  });
}

async function main(): Promise<void> {
  const config = readConfig();
  const maxSeconds = envNumber('BENCH_SIGNAL_MAX_SECONDS', 290);
  const started = performance.now();
  const siteDir = mkdtempSync(join(tmpdir(), 'swarmcdn-bench-signal-'));
  const cleanup = (): void => {
    killChildren();
    rmSync(siteDir, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    log(`gave up after ${maxSeconds} s (BENCH_SIGNAL_MAX_SECONDS)`);
    cleanup();
    process.exit(1);
  }, maxSeconds * 1000);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(code);
    });
  }
  try {
    const findings = await measure(config, siteDir);
    report(config, findings, (performance.now() - started) / 1000);
  } finally {
    clearTimeout(watchdog);
    cleanup();
  }
}

// The same bundle is the server child: `signal.js --serve <spec>` (see bench/servers/serve.ts).
const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) {
  await serveChild(JSON.parse(process.argv[serveAt + 1] ?? '{}') as ServeSpec);
} else {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`bench:signal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
