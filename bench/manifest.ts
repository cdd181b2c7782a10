/**
 * `npm run bench:manifest`: how fast `swarmcdn manifest build` hashes a site, side by side with
 * `sha256sum` over the same files in the same run, so the ratio holds on any machine.
 *
 * The CLI runs as a separate process (what users run) and is timed from spawn to exit, so node's
 * start-up, the walk, signing and writing the manifest all count; its own hashMs is shown beside.
 * Runs interleave (a, b, c, a, b, c, …) so drift on a shared machine hits every method alike.
 *
 * Env: BENCH_MANIFEST_MB (tree size in MB, default 1100: just over 1 GiB), BENCH_REPEATS (default 3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRatio, formatTable, formatVerdict, median, printResult, type BenchRow } from './bench-result.js';
import { planSiteTree, writeSiteTree, type SiteTree } from './site-tree.js';

// This file runs as dist/bench/manifest.js; the repo root is two levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'bin/swarmcdn.js');
// Fixed so every run hashes the same layout and runs stay comparable.
const SEED = 0x5eed;
/** Least speed ratio against sha256sum: one core must keep up, all cores must pull ahead. */
const TARGET_ONE_THREAD = 0.9;
const TARGET_ALL_CORES = 1.6;

function envNumber(name: string, fallback: number, integer: boolean): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** One timed run: wall time of the whole process, and the hashing time the CLI reports. */
interface Sample {
  readonly wallMs: number;
  readonly hashMs: number | null;
}

/** A way of hashing the tree, and the ratio it must reach against sha256sum. */
interface Method {
  readonly name: string;
  readonly target: number | null;
  run(): Promise<Sample>;
}

let workDir: string | undefined;
let running: ChildProcess | undefined;

/** Kills the running child (its whole process group) and deletes the temp tree; safe to call twice. */
function cleanup(): void {
  if (running?.pid !== undefined && running.exitCode === null) {
    try {
      process.kill(-running.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(code);
  });
}

/** Runs a process to completion; resolves to its wall time and stdout, rejects on a non-zero exit. */
function timed(command: string, args: readonly string[]): Promise<{ wallMs: number; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    // Its own process group, so cleanup() can kill a whole `find | xargs sha256sum` pipeline.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    running = child;
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      running = undefined;
      if (code === 0) resolvePromise({ wallMs, stdout });
      else reject(new Error(`${command} ${args.join(' ')} failed: ${signal ?? `exit ${code}`}`));
    });
  });
}

function sha256sumMethod(site: string): Method {
  // One process at a time through xargs, which batches the names under ARG_MAX: a single core.
  const script = 'find "$1" -type f -print0 | xargs -0 sha256sum > /dev/null';
  return {
    name: 'sha256sum',
    target: null,
    run: async () => ({ wallMs: (await timed('sh', ['-c', script, 'sh', site])).wallMs, hashMs: null }),
  };
}

function swarmcdnMethod(name: string, target: number, site: string, key: string, out: string, tree: SiteTree, threads?: number): Method {
  const args = [CLI, 'manifest', 'build', site, '--key', key, '--out', out, '--json'];
  if (threads !== undefined) args.push('--threads', String(threads));
  return {
    name,
    target,
    run: async () => {
      // A fresh output each time: otherwise every run reads the last manifest to bump its version.
      rmSync(out, { force: true });
      const { wallMs, stdout } = await timed(process.execPath, args);
      const last = stdout.trim().split('\n').pop() ?? '';
      const stats = JSON.parse(last) as { files: number; bytes: number; hashMs: number };
      // A build that silently skipped files would look fast; insist it hashed exactly the tree.
      if (stats.files !== tree.files.length || stats.bytes !== tree.bytes) {
        throw new Error(`${name} hashed ${stats.files} files / ${stats.bytes} bytes, expected ${tree.files.length} / ${tree.bytes}`);
      }
      return { wallMs, hashMs: stats.hashMs };
    },
  };
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const megabytes = envNumber('BENCH_MANIFEST_MB', 1100, false);
  const repeats = envNumber('BENCH_REPEATS', 3, true);
  const cores = availableParallelism();

  workDir = mkdtempSync(join(tmpdir(), 'swarmcdn-bench-manifest-'));
  const site = join(workDir, 'site');
  const keyDir = join(workDir, 'key');
  mkdirSync(site);
  const plan = planSiteTree(Math.round(megabytes * 1e6), SEED);
  process.stderr.write(`bench:manifest: writing ${plan.length} files, ${megabytes} MB under ${site}\n`);
  let t = performance.now();
  const tree = writeSiteTree(site, plan);
  process.stderr.write(`bench:manifest: wrote the tree in ${seconds(performance.now() - t)} s\n`);
  // Key and manifest live beside the tree, not in it, so both tools hash exactly the same files.
  await timed(process.execPath, [CLI, 'keygen', '--out', keyDir, '--json']);
  const key = join(keyDir, 'swarmcdn.key');
  const out = join(workDir, 'manifest.json');

  const methods: Method[] = [
    sha256sumMethod(site),
    swarmcdnMethod('swarmcdn --threads 1', TARGET_ONE_THREAD, site, key, out, tree, 1),
    swarmcdnMethod(`swarmcdn (${cores} cores)`, TARGET_ALL_CORES, site, key, out, tree),
  ];
  // Untimed warm-up: fills the page cache so disk reads do not dominate, and loads node and the CLI once.
  t = performance.now();
  await methods[0]!.run();
  await methods[2]!.run();
  process.stderr.write(`bench:manifest: warm-up took ${seconds(performance.now() - t)} s\n`);

  const samples = methods.map((): Sample[] => []);
  for (let r = 1; r <= repeats; r++) {
    for (const [i, method] of methods.entries()) {
      const sample = await method.run();
      samples[i]!.push(sample);
      const hash = sample.hashMs === null ? '' : ` (hash ${seconds(sample.hashMs)} s)`;
      process.stderr.write(`bench:manifest: run ${r}/${repeats} ${method.name}: ${seconds(sample.wallMs)} s${hash}\n`);
    }
  }

  const wall = samples.map((s) => median(s.map((x) => x.wallMs)));
  const hash = samples.map((s) => (s[0]?.hashMs == null ? null : median(s.map((x) => x.hashMs ?? 0))));
  const baseline = wall[0]!;
  const mbPerSec = (ms: number): number => tree.bytes / 1e6 / (ms / 1000);
  const rows: BenchRow[] = methods.map((m, i) => {
    const ratio = i === 0 ? null : baseline / wall[i]!;
    return {
      name: m.name,
      value: Number(mbPerSec(wall[i]!).toFixed(1)),
      unit: 'MB/s',
      ratio: ratio === null ? null : Number(ratio.toFixed(3)),
      target: m.target,
      pass: m.target === null || ratio === null ? null : ratio >= m.target,
    };
  });

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nmanifest build: ${tree.files.length} files, ${(tree.bytes / 1e6).toFixed(0)} MB, median of ${repeats}, ${cores} cores (${cpu})\n\n`,
  );
  const table = rows.map((row, i) => {
    const h = hash[i];
    return [row.name, seconds(wall[i]!), row.value.toFixed(0), h == null ? '—' : seconds(h), formatRatio(row.ratio), ...formatVerdict(row)];
  });
  process.stdout.write(formatTable(['method', 'median s', 'MB/s', 'hash s (CLI)', 'vs sha256sum', 'target', 'result'], table) + '\n\n');

  printResult({
    bench: 'manifest',
    rows,
    info: {
      files: tree.files.length,
      bytes: tree.bytes,
      repeats,
      cores,
      cpu,
      node: process.version,
      wallSeconds: Object.fromEntries(methods.map((m, i) => [m.name, samples[i]!.map((s) => Number(seconds(s.wallMs)))])),
      cliHashSeconds: Object.fromEntries(methods.slice(1).map((m, i) => [m.name, samples[i + 1]!.map((s) => Number(seconds(s.hashMs ?? 0)))])),
    },
  });
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:manifest: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  cleanup();
}
