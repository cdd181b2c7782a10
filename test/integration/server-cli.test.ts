/**
 * `swarmcdn serve` as a real process: starts, signs, serves, exits 0 on SIGTERM; bad flags and a
 * missing directory are one-line usage errors with exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPublicKeyPem, verifyManifest } from '../../protocol/index.js';
import { REPO_ROOT, TempDirs, hasStackTrace, keygen, swarmcdn, writeTree, type KeyFiles } from '../support/cli.js';

const SERVER_BUNDLE = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));
const temps = new TempDirs();
let site: string;
let keys: KeyFiles;

beforeAll(async () => {
  if (!existsSync(SERVER_BUNDLE)) throw new Error(`${SERVER_BUNDLE} is missing: run \`node scripts/build.mjs\` before jest`);
  const dir = await temps.make('swarmcdn-serve-');
  site = join(dir, 'site');
  await writeTree(site, { 'index.html': '<h1>served</h1>', 'a.css': 'p{}' });
  keys = await keygen(join(dir, 'keys'));
});

afterAll(() => temps.cleanup());

describe('swarmcdn serve', () => {
  it('starts, prints its URL, serves the site and a signed manifest (its version recorded in --state-dir), and exits 0 on SIGTERM', async () => {
    const stateDir = await temps.make('swarmcdn-serve-state-');
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/swarmcdn.js'), 'serve', site, '--port', '0', '--key', keys.key, '--state-dir', stateDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 15 s: ${stdout} ${stderr}`)), 15_000);
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
        const match = /serving .+ at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.on('exit', () => reject(new Error(`exited early: ${stdout} ${stderr}`)));
    });
    try {
      expect(await (await fetch(url)).text()).toBe('<h1>served</h1>');
      const manifest = await (await fetch(`${url}swarmcdn/manifest`)).text();
      const verified = await verifyManifest(manifest, { keys: [await importPublicKeyPem(await readFile(keys.pub, 'utf8'))] });
      expect(Object.keys(verified.manifest.files).sort()).toEqual(['/a.css', '/index.html']);
      // The highest published version is recorded where --state-dir says, not beside the key.
      expect((await readdir(stateDir)).filter((f) => f.startsWith('.swarmcdn-published-'))).toHaveLength(1);
      expect((await readdir(dirname(keys.key))).filter((f) => f.startsWith('.swarmcdn-published-'))).toEqual([]);
      // Its body is left unread on purpose: a client that stops reading must not hold up the shutdown.
      expect((await fetch(`${url}swarmcdn/sw.js`)).headers.get('service-worker-allowed')).toBe('/');
    } finally {
      child.kill('SIGTERM');
    }
    const exit = await exited;
    // A failed shutdown says why on stderr; show it, since the exit code alone does not.
    if (exit.code !== 0) process.stderr.write(`swarmcdn serve stderr:\n${stderr}\n`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stderr).toMatch(/SIGTERM: shutting down/);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  const usage: [string, string[], RegExp][] = [
    ['no site directory', ['serve'], /site-dir/],
    ['a missing site directory', ['serve', '/nonexistent/swarmcdn-site'], /INPUT_NOT_FOUND/],
    ['a port that is not a number', ['serve', '.', '--port', 'eighty'], /--port/],
    ['an unknown flag', ['serve', '.', '--frobnicate'], /unknown option/],
    ['--watch without --key', ['serve', '.', '--watch'], /--watch needs --key/],
    ['an unreadable public key', ['serve', '.', '--pub', '/nonexistent/swarmcdn.pub'], /INPUT_NOT_FOUND/],
  ];
  it.each(usage)('exits 2 with one line for %s', async (_name, args, pattern) => {
    const run = await swarmcdn(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 1 with the verification code when the manifest on disk is not signed by --pub', async () => {
    const other = await keygen(join(await temps.make(), 'keys'));
    const dir = join(await temps.make(), 'site');
    await writeTree(dir, { 'index.html': 'x' });
    expect((await swarmcdn(['manifest', 'build', dir, '--key', other.key])).code).toBe(0);
    const run = await swarmcdn(['serve', dir, '--port', '0', '--pub', keys.pub]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/MANIFEST_KEY_UNKNOWN/);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });
});
