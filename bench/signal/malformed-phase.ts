/**
 * Phase 4, last because the stock server does not survive it: one malformed frame to each server,
 * what the sender hears, and whether the server still admits a new peer afterwards. A dead stock
 * server is restarted, so every frame meets a live one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerProcess } from '../servers/server-process.js';
import type { Generator } from './generator.js';
import { stopPair, targetOf, type Run, type ServerPair } from './run.js';
import { describeReasons } from './stats.js';

/** Not JSON at all, and JSON the stock server relays blindly. */
const MALFORMED_FRAMES = ['not json', '{"type":"OFFER","dst":null}'];

/** What one malformed frame did to a server. */
export interface FrameOutcome {
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
  let detail = '';
  if (server.alive()) {
    const probe = await generator.request({ op: 'open', group: `${group}:probe`, target, count: 1, addresses: generator.addresses, concurrency: 1, maxMs: 5_000 }, 10_000);
    await generator.request({ op: 'close', group: `${group}:probe`, maxMs: 2_000 }, 5_000);
    stillServing = probe.opened === 1;
    // A process on its way out refuses connections before it is gone: give it a moment to say which.
    if (!stillServing) await sleep(1_000);
    if (stillServing || server.alive()) {
      detail = stillServing ? 'process up, a new peer reached OPEN' : `process up, but a new peer failed: ${describeReasons(probe.reasons)}`;
    }
  }
  if (!server.alive()) {
    stillServing = false;
    const error = server.tail.findLast((l) => /Error/.test(l)) ?? server.tail.at(-1) ?? '';
    detail = `process died (${server.exitStatus()}): ${error.trim().slice(0, 120)}`;
  }
  server.quiet = false;
  const senderSaw = [...sent.replies, ...(sent.closeCode === null ? [] : [`close ${sent.closeCode}`])].join('; ') || 'nothing';
  return { server: server.label, frame, senderSaw, stillServing, detail };
}

/** Phase 4 on `pair` (or a fresh one), which it stops at the end. */
export async function malformedPhase(run: Run, given: ServerPair | null): Promise<FrameOutcome[]> {
  const pair = given ?? (await run.startPair('malformed'));
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
