/**
 * Phase 2: server CPU time per relayed OFFER, flat out: a few hundred pairs keep a few offers each
 * in flight, so the server always has work. Each repeat reads the server's CPU time (from /proc)
 * around exactly the messages delivered, the server idle at both reads. Repeats interleave the
 * servers, so drift on a shared machine hits both alike, and each repeat also gives a paired ratio.
 *
 * The pairs are split over FLOOD_GENERATORS load generators: one generator costs about as much
 * per message as our server does, so alone it, not the server, would set the pace, and the
 * server's CPU per message would measure how thinly the generator's trickle spreads over reads.
 */
import type { Reasons } from '../load/protocol.js';
import type { ServerProcess } from '../servers/server-process.js';
import { cpuSeconds, cpuSnapshot, othersCores } from '../servers/server-process.js';
import { RELAY_LIMITS } from './config.js';
import type { Generator } from './generator.js';
import { serversOf, share, stopPair, targetOf, type Run } from './run.js';
import { describeReasons, fmt, log, merge } from './stats.js';

/** One flat-out repeat for one server. */
export interface FloodSample {
  cpuMicrosPerMessage: number;
  messagesPerSecond: number;
  serverCpuShare: number;
  /** The load generators' CPU over the same window, in cores. */
  generatorCpuShare: number;
  /** Read and write syscalls per message: how many messages each syscall carried, inversely. */
  readsPerMessage: number;
  writesPerMessage: number;
  /** Cores' worth of CPU other processes on the machine used meanwhile: noise, when well above 0. */
  othersCores: number;
  unexpected: Reasons;
}

/** Generator processes sharing the flood's pairs. */
export const FLOOD_GENERATORS = 2;

/** Phase 2's findings: each server's repeats, in order, and ours/stock per repeat where both ran. */
export interface FloodResult {
  stock: FloodSample[];
  ours: FloodSample[];
  pairedRatios: number[];
}

async function floodOnce(server: ServerProcess, generators: readonly Generator[], group: string, messages: number, window: number): Promise<FloodSample> {
  const machineBefore = cpuSnapshot();
  const cpuBefore = server.cpuSeconds();
  const ioBefore = server.syscalls();
  const generatorsCpu = (): number => generators.reduce((sum, g) => sum + cpuSeconds(g.pid()), 0);
  const generatorBefore = generatorsCpu();
  const results = await Promise.all(
    generators.map((g, i) => g.request({ op: 'flood', group, messages: share(messages, generators.length, i), window, maxMs: 20_000 }, 30_000)),
  );
  const cpu = server.cpuSeconds() - cpuBefore;
  const ioAfter = server.syscalls();
  const generatorCpu = generatorsCpu() - generatorBefore;
  const machineAfter = cpuSnapshot();
  const delivered = results.reduce((sum, r) => sum + r.delivered, 0);
  const unexpected = results.reduce<Reasons>((all, r) => merge(all, r.unexpected), {});
  if (delivered === 0) throw new Error(`${server.label}: nothing delivered (${describeReasons(unexpected)})`);
  const seconds = Math.max(...results.map((r) => r.ms)) / 1000;
  const per = (n: number | undefined): number => (n === undefined ? Number.NaN : n / delivered);
  return {
    cpuMicrosPerMessage: (cpu * 1e6) / delivered,
    messagesPerSecond: delivered / seconds,
    serverCpuShare: cpu / seconds,
    generatorCpuShare: generatorCpu / seconds,
    readsPerMessage: per(ioAfter && ioBefore ? ioAfter.reads - ioBefore.reads : undefined),
    writesPerMessage: per(ioAfter && ioBefore ? ioAfter.writes - ioBefore.writes : undefined),
    othersCores: othersCores(machineBefore, machineAfter, seconds),
    unexpected,
  };
}

/** Phase 2 for both servers, interleaved. */
export async function floodPhase(run: Run): Promise<FloodResult> {
  const { config } = run;
  log(`phase 2: ${config.floodPairs} pairs flat out, ${config.repeats} × ${config.floodMessages} messages per server (swarmcdn: ratePerSecond/rateBurst 1,000,000)`);
  const pair = await run.startPair('flood', RELAY_LIMITS);
  const generators = run.generators.slice(0, FLOOD_GENERATORS);
  const group = (server: ServerProcess): string => `${server.label}:flood`;
  const flooded = new Map<ServerProcess, FloodSample[]>();
  const pairedRatios: number[] = [];
  try {
    for (const server of serversOf(pair)) {
      const ready = await run.attempt(`${server.label} flood set-up`, async () => {
        const count = config.floodPairs * 2;
        const opens = await Promise.all(
          generators.map((g, i) =>
            // Whole pairs per generator: a pair's two peers live in one process.
            g.request({ op: 'open', group: group(server), target: targetOf(server), count: 2 * share(config.floodPairs, generators.length, i), addresses: g.addresses, concurrency: 32, maxMs: 30_000 }, 40_000),
          ),
        );
        const opened = opens.reduce((n, o) => n + o.opened, 0);
        if (opened < count) log(`${server.label}: ${opened}/${count} flood peers opened: ${describeReasons(opens.reduce<Reasons>((all, o) => merge(all, o.reasons), {}))}`);
        // Untimed warm-up: JIT, buffers.
        await floodOnce(server, generators, group(server), Math.min(20_000, config.floodMessages), config.window);
      });
      if (ready !== null) flooded.set(server, []);
    }
    for (let r = 1; r <= config.repeats; r++) {
      const round = new Map<ServerProcess, FloodSample>();
      for (const [server, samples] of flooded) {
        const sample = await run.attempt(`${server.label} flood`, () => floodOnce(server, generators, group(server), config.floodMessages, config.window));
        if (sample === null) continue;
        samples.push(sample);
        round.set(server, sample);
        const odd = Object.keys(sample.unexpected).length > 0 ? `; unexpected: ${describeReasons(sample.unexpected)}` : '';
        log(
          `flood ${r}/${config.repeats} ${server.label}: ${fmt(sample.cpuMicrosPerMessage, 2)} µs CPU/msg, ${fmt(sample.messagesPerSecond, 0)} msg/s, ` +
            `${fmt(sample.readsPerMessage, 2)} reads and ${fmt(sample.writesPerMessage, 2)} writes/msg; ` +
            `server ${fmt(sample.serverCpuShare, 2)}, load generators ${fmt(sample.generatorCpuShare, 2)}, other processes ${fmt(sample.othersCores, 2)} cores${odd}`,
        );
      }
      const stock = round.get(pair.stock);
      const ours = pair.ours && round.get(pair.ours);
      if (stock && ours) pairedRatios.push(ours.cpuMicrosPerMessage / stock.cpuMicrosPerMessage);
    }
    for (const server of flooded.keys()) await Promise.all(generators.map((g) => g.request({ op: 'close', group: group(server), maxMs: 5_000 }, 10_000)));
  } finally {
    stopPair(pair);
  }
  return { stock: flooded.get(pair.stock) ?? [], ours: (pair.ours && flooded.get(pair.ours)) ?? [], pairedRatios };
}
