/**
 * `npm run bench:signal`: our PeerJS-compatible signalling endpoint against the stock PeerJS server
 * (the `peer` package), side by side in one run. Each server runs in its own process (this bundle,
 * run with `--serve`), a fresh pair of them per phase; simulated peers run in load-generator
 * processes (dist/bench/load/signal-peers.js) that speak the stock client's protocol. For both:
 *
 *  1. peers held, and RSS per idle peer (signal/hold-phase.ts);
 *  2. server CPU time per relayed OFFER, flat out, fed by two load generators so the server sets
 *     the pace (signal/flood-phase.ts);
 *  3. relay latency p50/p99 and CPU per message at a fixed offered rate (signal/latency-phase.ts),
 *     under real-time scheduling where permitted (signal/scheduling.ts says why), then normal;
 *  4. last, one malformed frame to each server, and whether it is still serving afterwards
 *     (signal/malformed-phase.ts).
 *
 * The knobs are environment variables (signal/config.ts); the table and the RESULT line come from
 * signal/report.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChild, type ServeSpec } from './servers/serve.js';
import { killChildren } from './servers/server-process.js';
import { readConfig, type Config } from './signal/config.js';
import { floodPhase } from './signal/flood-phase.js';
import { peersHeldPhase } from './signal/hold-phase.js';
import { latencyPhase } from './signal/latency-phase.js';
import { malformedPhase } from './signal/malformed-phase.js';
import { report, type Findings } from './signal/report.js';
import { Run, type ServerPair } from './signal/run.js';
import { log } from './signal/stats.js';

async function measure(config: Config, siteDir: string): Promise<Findings> {
  const run = new Run(config, siteDir);
  const phases = new Set(config.phases);
  const hold = phases.has('hold') ? await peersHeldPhase(run) : null;
  const flood = phases.has('flood') ? await floodPhase(run) : null;
  let pair: ServerPair | null = null;
  let latency: Findings['latency'] = [];
  if (phases.has('latency')) ({ runs: latency, pair } = await latencyPhase(run));
  if (pair !== null && !phases.has('malformed')) for (const server of [pair.stock, pair.ours]) server?.kill();
  const malformed = phases.has('malformed') ? await malformedPhase(run, pair) : [];
  return { hold, flood, latency, malformed, bufferutil: Object.fromEntries(run.bufferutil), errors: run.errors };
}

async function main(): Promise<void> {
  const config = readConfig();
  const started = performance.now();
  const siteDir = mkdtempSync(join(tmpdir(), 'swarmcdn-bench-signal-'));
  const cleanup = (): void => {
    killChildren();
    rmSync(siteDir, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    log(`gave up after ${config.maxSeconds} s (BENCH_SIGNAL_MAX_SECONDS)`);
    cleanup();
    process.exit(1);
  }, config.maxSeconds * 1000);
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
