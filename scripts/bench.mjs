// `npm run bench [-- name …]`: builds, then runs every bench in dist/bench/*.js one after another
// (never in parallel: they would steal each other's cores) and prints one summary of their ratios.
//
// A bench prints whatever it likes, passed through as it runs, plus one stdout line
//   RESULT {"bench": "manifest", "rows": [Row, …], "info": {…}}
// where Row is {name, value, unit, ratio, target, pass}: `value` in `unit` (e.g. MB/s), `ratio`
// higher-is-better against the bench's own baseline row (null on the baseline), `target` the least
// ratio that passes (null for none), `pass` true/false (null without a target). `info` is free-form.
// The TypeScript side of this shape is bench/bench-result.ts.
//
// The benches: manifest, signal, p2p and site (dist/bench/site.js: about 7 minutes, two real sites
// from npm in Chromium behind a shaping proxy; `npm run bench -- site` runs it alone). Each reports
// its rows in the shape above; bench:site's time rows carry the higher-is-better inverse of its own
// "SW ÷ no SW" figure (its value column), like bench:p2p's page-load row.
//
// Exit code: 1 when a bench crashed or printed no RESULT line; a MISS alone exits 0, because a
// shared machine's noise should not fail a build, and the table says MISS plainly.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = join(ROOT, 'dist', 'bench');
const PREFIX = 'RESULT ';

/** Runs one bench, echoing its output; resolves to its exit code and parsed RESULT lines. */
function runBench(file) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const results = [];
    let pending = '';
    const takeLine = (line) => {
      if (!line.startsWith(PREFIX)) return void process.stdout.write(line + '\n');
      try {
        results.push(JSON.parse(line.slice(PREFIX.length)));
      } catch (error) {
        process.stderr.write(`bench: unparsable RESULT line from ${file}: ${error.message}\n`);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (text) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop();
      lines.forEach(takeLine);
    });
    child.on('error', (error) => {
      process.stderr.write(`bench: cannot start ${file}: ${error.message}\n`);
    });
    child.on('close', (code, signal) => {
      if (pending) takeLine(pending);
      resolvePromise({ code: code ?? (signal ? 1 : 0), results });
    });
  });
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ratio = (r) => (typeof r === 'number' ? `${r.toFixed(2)}×` : '—');

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const only = process.argv.slice(2);
let files;
try {
  files = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.js')).sort();
} catch {
  files = [];
}
if (only.length > 0) files = files.filter((f) => only.includes(f.replace(/\.js$/, '')));
if (files.length === 0) {
  process.stderr.write(`bench: no benches in ${BENCH_DIR}${only.length ? ` named ${only.join(', ')}` : ''}\n`);
  process.exit(1);
}

const summary = [];
const failed = [];
for (const file of files) {
  const name = file.replace(/\.js$/, '');
  process.stdout.write(`\n=== bench ${name} ===\n`);
  const { code, results } = await runBench(join(BENCH_DIR, file));
  if (code !== 0 || results.length === 0) failed.push(`${name} (${code !== 0 ? `exit ${code}` : 'no RESULT line'})`);
  for (const result of results) {
    for (const row of result.rows ?? []) {
      const value = typeof row.value === 'number' ? `${row.value} ${row.unit ?? ''}`.trim() : '—';
      const target = typeof row.target === 'number' ? `≥ ${row.target.toFixed(2)}×` : '—';
      const verdict = row.pass === true ? 'PASS' : row.pass === false ? 'MISS' : '';
      summary.push([result.bench ?? name, row.name, value, ratio(row.ratio), target, verdict]);
    }
  }
}

process.stdout.write('\n=== summary ===\n');
if (summary.length > 0) process.stdout.write(table(['bench', 'method', 'value', 'ratio', 'target', ''], summary) + '\n');
const misses = summary.filter((r) => r[5] === 'MISS').length;
const passes = summary.filter((r) => r[5] === 'PASS').length;
process.stdout.write(`\n${passes} PASS, ${misses} MISS${failed.length ? `, failed: ${failed.join(', ')}` : ''}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
