/**
 * bench:signal's fixed numbers and the knobs read from the environment. Env: BENCH_SIGNAL_PEERS
 * (default 19,900, at most 19,900: the machine caps a process at 20,000 open files),
 * BENCH_SIGNAL_PAIRS (flood pairs, 200), BENCH_SIGNAL_MESSAGES (per flood repeat, 60,000),
 * BENCH_SIGNAL_WINDOW (offers in flight per flood pair, 4), BENCH_REPEATS (flood repeats, 7),
 * BENCH_SIGNAL_RATE (msg/s, 5,000), BENCH_SIGNAL_WINDOWS (latency windows per server, 5),
 * BENCH_SIGNAL_WINDOW_MS (timed ms per latency window, 2,000), BENCH_SIGNAL_SCHEDULING (`both`:
 * latency under real-time priority, the target, then normal priority, for information; `realtime`;
 * `normal`), BENCH_SIGNAL_PHASES (comma list of hold, flood, latency, malformed; all by default),
 * BENCH_SIGNAL_MAX_SECONDS (whole-run watchdog, 290).
 */

/** The server-side path prefix both servers serve. */
export const PATH = '/swarmcdn/peerjs';
/** The PeerJS key (the stock default). */
export const KEY = 'peerjs';
/** The most peers one process may hold here: 20,000 open files, less a margin for the process's own. */
export const MAX_PEERS = 19_900;
/** Sockets per generator process, well under the open-file cap. */
export const PEERS_PER_GENERATOR = 5_000;
/** Source addresses the generators spread their sockets over (loopback only). */
export const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
/** Target from the issue: our server CPU per relayed message, as a share of the stock server's. */
export const TARGET_CPU_RATIO = 0.67;
/** Target from the issue: relay p99 at the fixed rate, ms. */
export const TARGET_P99_MS = 2;
/** Flat-out relay runs with our rate limits raised; every other check stays at the defaults. */
export const RELAY_LIMITS = { ratePerSecond: 1_000_000, rateBurst: 1_000_000 } as const;
/**
 * Every simulated peer comes from ADDRESSES (about 2,500 per address at MAX_PEERS), so our server
 * runs every phase with its per-address caps raised to hold them, as a deployment behind one large
 * NAT would; the stock server has no such caps. Frames are relayed and checked as by default.
 */
export const ADDRESS_LIMITS = { maxConnectionsPerAddress: MAX_PEERS + 100, maxUnclaimedIdsPerAddress: MAX_PEERS + 100 } as const;

/** The phases, in the order they run. */
export const PHASES = ['hold', 'flood', 'latency', 'malformed'] as const;
/** One phase. */
export type Phase = (typeof PHASES)[number];
/** How the latency windows are scheduled: see scheduling.ts. */
export type SchedulingChoice = 'both' | 'realtime' | 'normal';

/** The run's knobs. */
export interface Config {
  readonly peers: number;
  readonly floodPairs: number;
  readonly floodMessages: number;
  /** Offers in flight per pair during the flood. */
  readonly window: number;
  readonly repeats: number;
  readonly perSecond: number;
  /** Latency windows per server and scheduling, and the timed length of each. */
  readonly latencyWindows: number;
  readonly windowMs: number;
  readonly latencyPairs: number;
  readonly scheduling: SchedulingChoice;
  readonly phases: readonly Phase[];
  readonly maxSeconds: number;
}

function envNumber(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0 || n > max) throw new Error(`${name} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

function envChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!(choices as readonly string[]).includes(text)) throw new Error(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  return text as T;
}

function envPhases(): readonly Phase[] {
  const text = process.env.BENCH_SIGNAL_PHASES;
  if (text === undefined || text === '') return PHASES;
  const asked = text.split(',').map((s) => s.trim());
  for (const phase of asked) if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`BENCH_SIGNAL_PHASES: unknown phase ${JSON.stringify(phase)} (${PHASES.join(', ')})`);
  return PHASES.filter((p) => asked.includes(p));
}

/** The knobs, from the environment, validated. */
export function readConfig(): Config {
  return {
    peers: envNumber('BENCH_SIGNAL_PEERS', MAX_PEERS, MAX_PEERS),
    floodPairs: envNumber('BENCH_SIGNAL_PAIRS', 200, 2_000),
    floodMessages: envNumber('BENCH_SIGNAL_MESSAGES', 60_000, 1_000_000),
    // 4 per pair, 800 in all: enough to keep the server busy without deep queues in its buffers.
    window: envNumber('BENCH_SIGNAL_WINDOW', 4, 64),
    repeats: envNumber('BENCH_REPEATS', 7, 20),
    perSecond: envNumber('BENCH_SIGNAL_RATE', 5_000, 50_000),
    latencyWindows: envNumber('BENCH_SIGNAL_WINDOWS', 5, 20),
    windowMs: envNumber('BENCH_SIGNAL_WINDOW_MS', 2_000, 20_000),
    // 1,000 senders at 5,000 msg/s is 5 msg/s each: far under our default 50/s per connection.
    latencyPairs: 1_000,
    scheduling: envChoice('BENCH_SIGNAL_SCHEDULING', ['both', 'realtime', 'normal'] as const, 'both'),
    phases: envPhases(),
    maxSeconds: envNumber('BENCH_SIGNAL_MAX_SECONDS', 290),
  };
}
