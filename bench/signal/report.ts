/** bench:signal's output: the table for a human, then the RESULT line scripts/bench.mjs collects. */
import { availableParallelism, cpus } from 'node:os';
import { formatTable, printResult, type BenchRow } from '../bench-result.js';
import { CLOCK_TICKS } from '../servers/server-process.js';
import { ADDRESSES, ADDRESS_LIMITS, RELAY_LIMITS, TARGET_CPU_RATIO, TARGET_P99_MS, type Config } from './config.js';
import { FLOOD_GENERATORS, type FloodResult, type FloodSample } from './flood-phase.js';
import type { HoldResult } from './hold-phase.js';
import type { LatencyResult, LatencyRun, LatencyWindow } from './latency-phase.js';
import type { FrameOutcome } from './malformed-phase.js';
import { fmt, median, round } from './stats.js';

/** Everything measured. `null` where a server could not be measured; phases not run are empty. */
export interface Findings {
  hold: { stock: HoldResult | null; ours: HoldResult | null } | null;
  flood: FloodResult | null;
  latency: LatencyRun[];
  malformed: FrameOutcome[];
  bufferutil: Record<string, string>;
  errors: string[];
}

const nan = Number.NaN;

function floodMedian(samples: readonly FloodSample[] | undefined, pick: (s: FloodSample) => number): number {
  return samples === undefined || samples.length === 0 ? nan : median(samples.map(pick));
}

/** The median over a result's windows of one per-window number. */
function overWindows(l: LatencyResult | null | undefined, pick: (w: LatencyWindow) => number | undefined): number {
  const values = (l?.windows ?? []).flatMap((w) => pick(w) ?? []);
  return values.length === 0 ? nan : median(values);
}

const ratioText = (ours: number, stock: number): string => (Number.isFinite(ours / stock) ? `${(ours / stock).toFixed(2)}×` : '—');
const verdict = (ok: boolean | null): string => (ok === null ? '' : ok ? 'PASS' : 'MISS');
const spread = (values: readonly number[], digits: number): string =>
  values.length === 0 ? '—' : `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;

/** Prints the table, the notes and the RESULT line. */
export function report(config: Config, findings: Findings, wallSeconds: number): void {
  const { hold, flood, latency } = findings;
  const target = latency[0];
  const normal = latency.find((r) => r.scheduling === 'normal' && r !== target);
  const rss = { stock: (hold?.stock?.bytesPerPeer ?? nan) / 1000, ours: (hold?.ours?.bytesPerPeer ?? nan) / 1000 };
  const cpu = { stock: floodMedian(flood?.stock, (s) => s.cpuMicrosPerMessage), ours: floodMedian(flood?.ours, (s) => s.cpuMicrosPerMessage) };
  const held = { stock: hold?.stock?.held ?? nan, ours: hold?.ours?.held ?? nan };
  const p99 = { stock: target?.stock?.p99 ?? nan, ours: target?.ours?.p99 ?? nan };
  const pass = {
    held: hold === null ? null : held.ours >= config.peers,
    // A growth of zero or less means the sample was too small to measure, not that it passed.
    rss: hold === null ? null : rss.ours > 0 && rss.stock > 0 && rss.ours <= rss.stock,
    cpu: flood === null ? null : cpu.ours <= TARGET_CPU_RATIO * cpu.stock,
    p99: target === undefined ? null : p99.ours <= TARGET_P99_MS,
  };
  const line = (metric: string, stock: number, ours: number, digits: number, goal = '—', ok: boolean | null = null): string[] => [
    metric,
    fmt(stock, digits),
    fmt(ours, digits),
    ratioText(ours, stock),
    goal,
    verdict(ok),
  ];
  const rate = `at ${config.perSecond} msg/s`;
  const rt = target === undefined ? '' : ` (${target.scheduling})`;
  const both = (pick: (l: LatencyResult) => number, run = target): [number, number] => [run?.stock ? pick(run.stock) : nan, run?.ours ? pick(run.ours) : nan];
  const rows = [
    line('peers held', held.stock, held.ours, 0, `= ${config.peers}`, pass.held),
    line('RSS per idle peer (KB)', rss.stock, rss.ours, 2, '≤ 1.00× stock', pass.rss),
    line('server CPU per relayed msg, flat out (µs)', cpu.stock, cpu.ours, 2, `≤ ${TARGET_CPU_RATIO}× stock`, pass.cpu),
    line(`server CPU per relayed msg ${rate} (µs)`, ...both((l) => l.cpuMicrosPerMessage), 2),
    line(`relay p50 ${rate}${rt} (ms)`, ...both((l) => l.p50), 3),
    line(`relay p99 ${rate}${rt} (ms)`, p99.stock, p99.ours, 3, `≤ ${TARGET_P99_MS} ms`, pass.p99),
    line(`relay p99${rt}, all windows pooled (ms)`, ...both((l) => l.pooledP99), 3),
    ...(normal === undefined ? [] : [line(`relay p99 ${rate} (normal priority) (ms)`, ...both((l) => l.p99, normal), 3)]),
    line(`server event-loop lag p99${rt} (ms)`, ...both((l) => overWindows(l, (w) => w.serverLoop?.p99)), 1),
    // The generator's own timekeeping: when its lag nears the p99, the box, not the server, set the tail.
    line(`load generator loop lag p99${rt} (ms)`, ...both((l) => overWindows(l, (w) => w.generator.loopLagP99Ms)), 2),
    line(`load generator loop lag max${rt} (ms)`, ...both((l) => overWindows(l, (w) => w.generator.loopLagMaxMs)), 1),
    line(`latency windows run again${rt}`, ...both((l) => l.retries), 0),
    line(`messages the load generator skipped${rt}`, ...both((l) => l.skipped), 0),
    line('flat-out relay rate (msg/s)', floodMedian(flood?.stock, (s) => s.messagesPerSecond), floodMedian(flood?.ours, (s) => s.messagesPerSecond), 0),
    line('server CPU flat out (cores)', floodMedian(flood?.stock, (s) => s.serverCpuShare), floodMedian(flood?.ours, (s) => s.serverCpuShare), 2),
    line('syscalls per msg flat out (read+write)', floodMedian(flood?.stock, (s) => s.readsPerMessage + s.writesPerMessage), floodMedian(flood?.ours, (s) => s.readsPerMessage + s.writesPerMessage), 2),
    line('time to open all peers (s)', hold?.stock?.openSeconds ?? nan, hold?.ours?.openSeconds ?? nan, 1),
  ];
  const windows = [...(flood?.stock ?? []), ...(flood?.ours ?? []), ...latency.flatMap((r) => [...(r.stock?.windows ?? []), ...(r.ours?.windows ?? [])])];
  const cores = availableParallelism();
  // Capped: the machine-wide reading also counts kernel threads and spans a little more than the window.
  const others = Math.min(cores, Math.max(0, ...windows.map((w) => w.othersCores)));
  const bufferutil = Object.entries(findings.bufferutil).map(([server, status]) => `${server} ${status}`).join(', ') || 'unknown';
  process.stdout.write(
    `\nsignalling: ${config.peers} idle peers; flat out over ${config.floodPairs} pairs from ${FLOOD_GENERATORS} load generators, median of ${config.repeats} × ${config.floodMessages} messages; ` +
      `latency ${rate} over ${config.latencyPairs} pairs, median of ${config.latencyWindows} windows of ${config.windowMs / 1000} s; ` +
      `${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}; bufferutil: ${bufferutil}\n` +
      `swarmcdn's flat-out relay ran with ratePerSecond/rateBurst raised to 1,000,000 (frame validation, token-bucket accounting and ` +
      `id binding stay on); every other swarmcdn measurement used the default limits, except the per-address caps, raised in every ` +
      `phase to ${ADDRESS_LIMITS.maxConnectionsPerAddress} (all peers come from ${ADDRESSES.length} loopback addresses).\n` +
      latency.map((r) => `latency under ${r.scheduling} scheduling: ${r.described}, both servers alike.\n`).join('') +
      `flat-out CPU ratio swarmcdn/stock per repeat: median (min–max) ${spread(flood?.pairedRatios ?? [], 2)}.\n\n`,
  );
  process.stdout.write(formatTable(['metric', 'stock peer', 'swarmcdn', 'ratio', 'target', ''], rows) + '\n\n');
  if (others > 0.25) {
    process.stdout.write(`note: other processes used up to ${others.toFixed(2)} of ${cores} cores during the measured windows: CPU per message and latency are noisy.\n\n`);
  }
  if (findings.malformed.length > 0) {
    process.stdout.write(
      formatTable(
        ['server', 'malformed frame', 'sender got', 'still serving', 'detail'],
        findings.malformed.map((o) => [o.server, JSON.stringify(o.frame), o.senderSaw, o.stillServing ? 'yes' : 'NO', o.detail]),
      ) + '\n\n',
    );
  }
  if (findings.errors.length > 0) process.stdout.write(`did not complete:\n  ${findings.errors.join('\n  ')}\n\n`);

  // RESULT rows are higher-is-better: against the stock baseline, or against an absolute budget.
  const row = (name: string, value: number, unit: string, r: number | null, goal: number | null, ok: boolean | null): BenchRow => ({
    name,
    value: round(value, 3),
    unit,
    ratio: r === null || !Number.isFinite(r) ? null : round(r, 3),
    target: goal,
    pass: ok,
  });
  printResult({
    bench: 'signal',
    rows: [
      row('stock peer: RSS per idle peer', rss.stock, 'KB', null, null, null),
      row('swarmcdn: RSS per idle peer (ratio stock/ours)', rss.ours, 'KB', rss.stock / rss.ours, 1, pass.rss),
      row('stock peer: CPU per relayed msg', cpu.stock, 'µs', null, null, null),
      row('swarmcdn: CPU per relayed msg (ratio stock/ours)', cpu.ours, 'µs', cpu.stock / cpu.ours, round(1 / TARGET_CPU_RATIO, 3), pass.cpu),
      row(`swarmcdn: peers held (ratio held/${config.peers})`, held.ours, 'peers', held.ours / config.peers, 1, pass.held),
      row(`stock peer: relay p99 ${rate}`, p99.stock, 'ms', null, null, null),
      row(`swarmcdn: relay p99 ${rate} (ratio ${TARGET_P99_MS} ms/p99)`, p99.ours, 'ms', TARGET_P99_MS / p99.ours, 1, pass.p99),
    ],
    info: {
      ...config,
      clockTicks: CLOCK_TICKS,
      relayLimits: RELAY_LIMITS,
      addressLimits: ADDRESS_LIMITS,
      othersCoresMax: round(others, 2),
      bufferutil: findings.bufferutil,
      hold,
      flood,
      latency,
      malformed: findings.malformed,
      errors: findings.errors,
      wallSeconds: round(wallSeconds, 1),
    },
  });
}
