/**
 * Publishing under attack, each case as it was reproduced against the server and CLI:
 * - a restart does not reset the version floor: a lower manifest is re-signed above the highest
 *   version published (with the key) or refused with MANIFEST_ROLLBACK (without it);
 * - the version already published, with other content, is refused (MANIFEST_VERSION_CONFLICT);
 * - `manifest build` (and `sign`) never sign what `manifest verify` refuses: over the size cap, a
 *   path over 4,096 characters, more signatures than verifiers take, an expiry past year 9999;
 * - `serve --key` on a site that cannot be signed keeps serving the origin and says why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateKeyPair, importPublicKeyPem, verifyManifest } from '../../protocol/index.js';
import { buildServer } from '../../server/build-server.js';
import type { ServerOptions } from '../../server/options.js';
import { REPO_ROOT, TempDirs, assertCliBuilt, hasStackTrace, keygen, readEnvelope, swarmcdn, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';
import { LogCapture } from './server-helpers.js';

const temps = new TempDirs();
const running: FastifyInstance[] = [];
let keys: KeyFiles;
let pub: string;

beforeAll(async () => {
  assertCliBuilt();
  keys = await keygen(await temps.make('swarmcdn-abuse-keys-'));
  pub = await readFile(keys.pub, 'utf8');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.close()));
});

afterAll(() => temps.cleanup());

async function site(files: Record<string, string> = { 'index.html': '<h1>v1</h1>', 'app.js': 'console.log(1)' }): Promise<string> {
  const dir = join(await temps.make('swarmcdn-abuse-'), 'site');
  await writeTree(dir, files);
  return dir;
}

async function build(dir: string, extra: string[] = [], key = keys.key): Promise<number> {
  const run = await swarmcdnJson<{ version: number }>(['manifest', 'build', dir, '--key', key, '--threads', '0', ...extra]);
  if (run.code !== 0) throw new Error(`build failed: ${JSON.stringify(run)}`);
  return run.json.version;
}

/** A server that is ready (or the error its start-up failed with), closed after the test. */
async function serve(options: ServerOptions): Promise<FastifyInstance> {
  const app = buildServer(options);
  running.push(app);
  await app.ready();
  return app;
}

async function publishedVersion(app: FastifyInstance): Promise<number> {
  const r = await app.inject({ url: '/swarmcdn/manifest' });
  expect(r.statusCode).toBe(200);
  return (await verifyManifest(r.body, { keys: [await importPublicKeyPem(pub)] })).manifest.version;
}

async function startupError(options: ServerOptions): Promise<{ code?: string; message?: string }> {
  const app = buildServer(options);
  try {
    await app.ready();
  } catch (error) {
    return error as { code?: string; message?: string };
  } finally {
    await app.close();
  }
  throw new Error('the server started');
}

describe('a restart does not reset the version floor', () => {
  it('without the key: a lower manifest on disk after a restart is refused with MANIFEST_ROLLBACK', async () => {
    const dir = await site();
    await build(dir, ['--version', '7']);
    const first = await serve({ siteDir: dir, publicKeys: [pub] });
    expect(await publishedVersion(first)).toBe(7);
    await first.close();

    await build(dir, ['--version', '3']); // an old deploy, a restored backup, a replayed file
    const error = await startupError({ siteDir: dir, publicKeys: [pub] });
    expect(error.code).toBe('MANIFEST_ROLLBACK');
    expect(error.message).toMatch(/v7 is the highest version this server has published/);
  });

  it('with the key: a lower manifest file is re-signed above the highest published version, and the log says so', async () => {
    const dir = await site();
    await build(dir, ['--version', '6']);
    const first = await serve({ siteDir: dir, signingKeyFile: keys.key });
    expect(await publishedVersion(first)).toBe(7);
    await first.close();

    await build(dir, ['--version', '3']);
    const logs = new LogCapture();
    const second = await serve({ siteDir: dir, signingKeyFile: keys.key, logger: logs.logger('info') });
    expect(await publishedVersion(second)).toBe(8);
    const said = await logs.next((e) => e.level === 40 && e.version === 8);
    expect(said).toMatchObject({ fileVersion: 3, highest: 7 });
    expect(String(said.msg)).toMatch(/held v3, below v7 .* signed v8/);
  });

  it('with the key: a deploy that removed the manifest file does not restart the site at v1', async () => {
    const dir = await site();
    await build(dir, ['--version', '6']);
    const first = await serve({ siteDir: dir, signingKeyFile: keys.key });
    expect(await publishedVersion(first)).toBe(7);
    await first.close();

    await rm(join(dir, 'swarmcdn-manifest.json'));
    const second = await serve({ siteDir: dir, signingKeyFile: keys.key });
    expect(await publishedVersion(second)).toBe(8);
  });

  it('keeps the record in the key directory, beside nothing that is served', async () => {
    const dir = await site();
    const app = await serve({ siteDir: dir, signingKeyFile: keys.key });
    const version = await publishedVersion(app);
    const records = (await readdir(keys.dir)).filter((n) => n.startsWith('.swarmcdn-published-'));
    const mine = [];
    for (const name of records) {
      const record = JSON.parse(await readFile(join(keys.dir, name), 'utf8')) as { site: string; version: number; payloadSha256: string };
      if (record.site === dir) mine.push(record);
    }
    expect(mine).toEqual([expect.objectContaining({ version, payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    expect((await readdir(dir)).filter((n) => n.includes('published'))).toEqual([]);
  });
});

describe('the record itself', () => {
  it('lives in stateDir when given; a record that is not one stops the start-up (CONFIG_INVALID), never a silent v0', async () => {
    const dir = await site();
    const stateDir = join(await temps.make('swarmcdn-abuse-state-'), 'state');
    await build(dir, ['--version', '4']);
    const app = await serve({ siteDir: dir, publicKeys: [pub], stateDir });
    expect(await publishedVersion(app)).toBe(4);
    await app.close();
    const [name] = await readdir(stateDir);
    expect(JSON.parse(await readFile(join(stateDir, name!), 'utf8'))).toMatchObject({ type: 'swarmcdn/publish-state@1', site: dir, version: 4 });

    await writeFile(join(stateDir, name!), '{"type":"swarmcdn/publish-state@1","site":"elsewhere"');
    const error = await startupError({ siteDir: dir, publicKeys: [pub], stateDir });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(name!);

    // A stateDir that cannot be written is a configuration error, not a silent record in memory.
    const blocked = join(stateDir, name!, 'state');
    expect((await startupError({ siteDir: dir, publicKeys: [pub], stateDir: blocked })).code).toBe('CONFIG_INVALID');
  });
});

describe('the version already published, with other content', () => {
  it('is refused while running (MANIFEST_VERSION_CONFLICT) and the live manifest stays', async () => {
    const dir = await site();
    await build(dir, ['--version', '5']);
    const logs = new LogCapture();
    const app = await serve({ siteDir: dir, publicKeys: [pub], logger: logs.logger('info') });
    const live = (await app.inject({ url: '/swarmcdn/manifest' })).body;
    const pushed: number[] = [];
    app.swarmcdn.events.on('manifest', (u) => pushed.push(u.version));

    await writeFile(join(dir, 'app.js'), 'console.log("something else")');
    await build(dir, ['--version', '5']);
    const refusal = await logs.next((e) => e.code === 'MANIFEST_VERSION_CONFLICT');
    expect(refusal.serving).toBe(5);
    expect((await app.inject({ url: '/swarmcdn/manifest' })).body).toBe(live);
    expect(pushed).toEqual([]);
  });

  it('is refused at a restart too', async () => {
    const dir = await site();
    await build(dir, ['--version', '5']);
    const first = await serve({ siteDir: dir, publicKeys: [pub] });
    expect(await publishedVersion(first)).toBe(5);
    await first.close();

    await writeFile(join(dir, 'index.html'), '<h1>other content, same number</h1>');
    await build(dir, ['--version', '5']);
    expect((await startupError({ siteDir: dir, publicKeys: [pub] })).code).toBe('MANIFEST_VERSION_CONFLICT');
  });

  it('the same version with the same content is a no-op: published again after a restart, no push for a rewrite', async () => {
    const dir = await site();
    await build(dir, ['--version', '4']);
    const file = join(dir, 'swarmcdn-manifest.json');
    const first = await serve({ siteDir: dir, publicKeys: [pub] });
    const etag = (await first.inject({ url: '/swarmcdn/manifest' })).headers.etag;
    await first.close();

    const logs = new LogCapture();
    const second = await serve({ siteDir: dir, publicKeys: [pub], logger: logs.logger('info') });
    expect((await second.inject({ url: '/swarmcdn/manifest' })).headers.etag).toBe(etag);
    const pushed: number[] = [];
    second.swarmcdn.events.on('manifest', (u) => pushed.push(u.version));
    await writeFile(file, await readFile(file, 'utf8'));
    await new Promise((r) => setTimeout(r, 300));
    expect(pushed).toEqual([]);
    expect(logs.entries.filter((e) => typeof e.code === 'string')).toEqual([]);
  });
});

describe('manifest build refuses what manifest verify refuses', () => {
  let root: string;
  beforeAll(async () => {
    root = await temps.make('swarmcdn-abuse-cli-');
  });

  async function refusedBuild(dir: string, extra: string[], keyArgs = ['--key', keys.key]): Promise<{ code: string; message: string; exit: number }> {
    const out = join(root, `out-${Math.random().toString(36).slice(2)}.json`);
    const run = await swarmcdnJson<{ ok?: boolean; code: string; message: string }>(['manifest', 'build', dir, ...keyArgs, '--out', out, '--threads', '0', ...extra]);
    expect(run.json.ok).toBe(false);
    expect(existsSync(out)).toBe(false); // nothing signed, nothing written
    expect(hasStackTrace(run.stderr)).toBe(false);
    return { code: run.json.code, message: run.json.message, exit: run.code };
  }

  it('an envelope over the 32 MiB cap (MANIFEST_TOO_LARGE), before hashing, with its size', async () => {
    const dir = await site();
    // 500 MB in 1 KiB chunks: 512,000 chunk hashes, about 37 MB signed. Sparse: no disk used.
    await writeFile(join(dir, 'big.bin'), '');
    await truncate(join(dir, 'big.bin'), 500 * 1024 * 1024);
    const started = Date.now();
    const r = await refusedBuild(dir, ['--chunk-size', '1024']);
    expect([r.exit, r.code]).toEqual([1, 'MANIFEST_TOO_LARGE']);
    expect(r.message).toMatch(/would be 3\d\.\d MB .* 512002 chunks.*over the 33\.6 MB verifiers accept/);
    // Refused from the listing: hashing 500 MB on this VM alone takes longer.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a path over 4,096 characters once percent-encoded (MANIFEST_PATH_INVALID), naming the file', async () => {
    const dir = await site();
    const deep = join(dir, ...Array.from({ length: 6 }, () => '中'.repeat(84))); // 6 × 756 characters encoded
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'x.txt'), 'x');
    const r = await refusedBuild(dir, []);
    expect([r.exit, r.code]).toEqual([1, 'MANIFEST_PATH_INVALID']);
    expect(r.message).toMatch(/x\.txt: its URL path is 45\d\d characters percent-encoded, over the 4096/);
  });

  it('more signatures than verifiers take (MANIFEST_MALFORMED), in build and in sign', async () => {
    const dir = await site();
    const keyArgs: string[] = [];
    for (let i = 0; i < 17; i++) {
      const path = join(root, `k${i}.key`);
      await writeFile(path, (await generateKeyPair()).privatePem, { mode: 0o600 });
      keyArgs.push('--key', path);
    }
    const r = await refusedBuild(dir, [], keyArgs);
    expect([r.exit, r.code]).toEqual([1, 'MANIFEST_MALFORMED']);
    expect(r.message).toMatch(/signatures/);
    // The same key twice is one signature, not two.
    const twice = await swarmcdnJson<{ keyids: string[] }>(['manifest', 'build', dir, '--key', keys.key, '--key', keys.key, '--threads', '0']);
    expect(twice.json.keyids).toEqual([keys.keyid]);

    // 16 signatures verify; a 17th added by `manifest sign` is refused and the file is left as it was.
    const out = join(root, 'sixteen.json');
    expect((await swarmcdn(['manifest', 'build', dir, ...keyArgs.slice(0, 32), '--out', out, '--threads', '0'])).code).toBe(0);
    const before = await readFile(out, 'utf8');
    const sign = await swarmcdnJson<{ code: string }>(['manifest', 'sign', out, ...keyArgs.slice(32)]);
    expect([sign.code, sign.json.code]).toEqual([1, 'MANIFEST_MALFORMED']);
    expect(await readFile(out, 'utf8')).toBe(before);
    expect((await readEnvelope(out)).envelope.signatures).toHaveLength(16);
  });

  it('an expiry the manifest format cannot write (CONFIG_INVALID)', async () => {
    const dir = await site();
    const r = await refusedBuild(dir, ['--expires', '100000y']);
    expect([r.exit, r.code]).toEqual([2, 'CONFIG_INVALID']);
  });

  it('what it does sign verifies, and a --min-version above the file version wins', async () => {
    const dir = await site();
    await build(dir, ['--version', '2']);
    const run = await swarmcdnJson<{ version: number; previousVersion: number }>(['manifest', 'build', dir, '--key', keys.key, '--min-version', '9', '--threads', '0']);
    expect([run.json.version, run.json.previousVersion]).toEqual([9, 2]);
    const verify = await swarmcdn(['manifest', 'verify', join(dir, 'swarmcdn-manifest.json'), '--pub', keys.pub]);
    expect(verify.code).toBe(0);
  });
});

describe('a site the server cannot sign', () => {
  it('buildServer with the key starts, serves the origin, answers MANIFEST_UNAVAILABLE and logs the code (too large)', async () => {
    const dir = await site();
    // 7,000 files whose paths are ~3,800 characters percent-encoded: a 36 MB envelope.
    const deep = join(dir, ...Array.from({ length: 5 }, () => '中'.repeat(84)));
    await mkdir(deep, { recursive: true });
    await Promise.all(Array.from({ length: 7_000 }, (_, i) => writeFile(join(deep, `${i}.txt`), '')));
    const logs = new LogCapture();
    const app = await serve({ siteDir: dir, signingKeyFile: keys.key, logger: logs.logger('warn') });
    const said = await logs.next((e) => e.code === 'MANIFEST_TOO_LARGE');
    expect(String(said.msg)).toMatch(/manifest not published: .*would be 3\d\.\d MB/);
    const manifest = await app.inject({ url: '/swarmcdn/manifest' });
    expect([manifest.statusCode, manifest.json().code]).toEqual([404, 'MANIFEST_UNAVAILABLE']);
    expect((await app.inject({ url: '/index.html' })).body).toBe('<h1>v1</h1>');
  }, 60_000);

  it('`swarmcdn serve --key` keeps running (a path too long) and says why on stderr, without a stack trace', async () => {
    const dir = await site();
    const deep = join(dir, ...Array.from({ length: 6 }, () => '中'.repeat(84)));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'x.txt'), 'x');
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/swarmcdn.js'), 'serve', dir, '--port', '0', '--key', keys.key], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
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
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect(await (await fetch(url)).text()).toBe('<h1>v1</h1>');
      const manifest = await fetch(`${url}swarmcdn/manifest`);
      expect([manifest.status, ((await manifest.json()) as { code: string }).code]).toEqual([404, 'MANIFEST_UNAVAILABLE']);
      expect(stderr).toMatch(/MANIFEST_PATH_INVALID/);
      expect(stderr).toMatch(/x\.txt: its URL path is 45\d\d characters/);
      expect(hasStackTrace(stderr)).toBe(false);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
