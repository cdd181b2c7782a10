/**
 * Manifest publishing: served with an ETag, pushed to tracker clients within a second of a new
 * file, a rolled-back or forged file refused (the last good one stays), built and signed by the
 * server itself with a key, and rebuilt on a site change with `watch`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importPublicKeyPem, parseEnvelope, verifyManifest } from '../../protocol/index.js';
import { buildServer } from '../../server/build-server.js';
import { TempDirs, assertCliBuilt, keygen, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';
import { LogCapture, WsClient, startServer, type Started } from './server-helpers.js';

const temps = new TempDirs();
let keys: KeyFiles;
let otherKeys: KeyFiles;
let pub: string;
const running: { close(): Promise<unknown> }[] = [];
const clients: WsClient[] = [];

async function site(files: Record<string, string> = { 'index.html': '<h1>hi</h1>', 'app.js': 'console.log(1)' }): Promise<string> {
  const dir = join(await temps.make('swarmcdn-manifest-'), 'site');
  await writeTree(dir, files);
  return dir;
}

async function build(siteDir: string, key: string, extra: string[] = []): Promise<number> {
  const run = await swarmcdnJson<{ version: number }>(['manifest', 'build', siteDir, '--key', key, '--threads', '0', ...extra]);
  if (run.code !== 0) throw new Error(`build failed: ${JSON.stringify(run)}`);
  return run.json.version;
}

async function started(options: Parameters<typeof startServer>[0]): Promise<Started> {
  const s = await startServer(options);
  running.push(s.app);
  return s;
}

beforeAll(async () => {
  assertCliBuilt();
  keys = await keygen(await temps.make('swarmcdn-keys-'));
  otherKeys = await keygen(await temps.make('swarmcdn-keys-'));
  pub = await readFile(keys.pub, 'utf8');
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((a) => a.close()));
});

afterAll(() => temps.cleanup());

describe('GET /swarmcdn/manifest', () => {
  it('serves the verified envelope byte for byte, with an ETag, no-cache and 304 on If-None-Match', async () => {
    const dir = await site();
    await build(dir, keys.key);
    const onDisk = await readFile(join(dir, 'swarmcdn-manifest.json'), 'utf8');
    const app = buildServer({ siteDir: dir, publicKeys: [pub] });
    running.push(app);
    const r = await app.inject({ url: '/swarmcdn/manifest' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.body).toBe(onDisk);
    const etag = String(r.headers.etag);
    expect(etag).toMatch(/^"v1-[0-9a-f]{32}"$/);
    const again = await app.inject({ url: '/swarmcdn/manifest', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(app.swarmcdn.currentManifest?.version).toBe(1);
  });

  it('is the only URL of the manifest: the file itself is not served from the site root', async () => {
    const dir = await site();
    await build(dir, keys.key);
    const app = buildServer({ siteDir: dir, publicKeys: [pub] });
    running.push(app);
    const r = await app.inject({ url: '/swarmcdn-manifest.json' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers MANIFEST_UNAVAILABLE when there is no manifest and no key', async () => {
    const app = buildServer({ siteDir: await site() });
    running.push(app);
    const r = await app.inject({ url: '/swarmcdn/manifest' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'MANIFEST_UNAVAILABLE' });
  });
});

describe('refusals at start-up', () => {
  it('refuses to start with a manifest but no trusted key (CONFIG_INVALID)', async () => {
    const dir = await site();
    await build(dir, keys.key);
    const app = buildServer({ siteDir: dir });
    await expect(app.ready()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await app.close();
  });

  it('refuses to start with a manifest the trusted keys did not sign (MANIFEST_KEY_UNKNOWN)', async () => {
    const dir = await site();
    await build(dir, otherKeys.key);
    const app = buildServer({ siteDir: dir, publicKeys: [pub] });
    await expect(app.ready()).rejects.toMatchObject({ code: 'MANIFEST_KEY_UNKNOWN' });
    await app.close();
  });
});

describe('a changed manifest file', () => {
  it('is pushed to tracker clients within a second and served at once', async () => {
    const dir = await site();
    await build(dir, keys.key);
    const s = await started({ siteDir: dir, publicKeys: [pub] });
    const client = await WsClient.signalled(s.url);
    clients.push(client);
    client.send({ type: 'join', site: 'default' });
    await client.next((m) => m.type === 'joined');

    await build(dir, keys.key, ['--version', '5']);
    const written = Date.now();
    const push = await client.next((m) => m.type === 'manifest', 1_000);
    expect(Date.now() - written).toBeLessThan(1_000);
    const r = await fetch(`${s.url}/swarmcdn/manifest`);
    expect(push).toEqual({ type: 'manifest', version: 5, etag: r.headers.get('etag') });
    const { manifest } = await verifyManifest(await r.text(), { keys: [await importPublicKeyPem(pub)] });
    expect(manifest.version).toBe(5);
  });

  it('is refused when rolled back, forged or tampered with, and the last good one keeps being served', async () => {
    const dir = await site();
    const file = join(dir, 'swarmcdn-manifest.json');
    const saved = join(dir, '..', 'v1.json');
    await build(dir, keys.key);
    await copyFile(file, saved);
    await build(dir, keys.key, ['--version', '3']);
    const logs = new LogCapture();
    const s = await started({ siteDir: dir, publicKeys: [pub], logger: logs.logger('warn') });
    const client = await WsClient.signalled(s.url);
    clients.push(client);
    client.send({ type: 'join', site: 'default' });
    await client.next((m) => m.type === 'joined');
    const good = await (await fetch(`${s.url}/swarmcdn/manifest`)).text();

    const refused = (code: string) => logs.next((e) => e.code === code);
    await copyFile(saved, file); // v1 over v3
    await refused('MANIFEST_ROLLBACK');
    await build(dir, otherKeys.key, ['--version', '9']); // signed by a key nobody trusts
    await refused('MANIFEST_KEY_UNKNOWN');
    const envelope = parseEnvelope(good);
    const tampered = { ...envelope, payload: Buffer.from(Buffer.from(envelope.payload, 'base64').toString().replace('"version":3', '"version":7')).toString('base64') };
    await writeFile(file, JSON.stringify(tampered));
    await refused('MANIFEST_SIGNATURE_INVALID');
    await writeFile(file, '{ not json');
    await refused('MANIFEST_MALFORMED');

    expect(await (await fetch(`${s.url}/swarmcdn/manifest`)).text()).toBe(good);
    expect(s.app.swarmcdn.currentManifest?.version).toBe(3);
    expect(client.messages.filter((m) => m.type === 'manifest')).toEqual([]);
  });
});

describe('a manifest that appears after start-up', () => {
  it('is verified and published as soon as the file is written', async () => {
    const dir = await site();
    const s = await started({ siteDir: dir, publicKeys: [pub] });
    expect((await fetch(`${s.url}/swarmcdn/manifest`)).status).toBe(404);
    const published = new Promise<number>((resolve) => s.app.swarmcdn.events.once('manifest', (u) => resolve(u.version)));
    await build(dir, keys.key);
    expect(await published).toBe(1);
    expect((await fetch(`${s.url}/swarmcdn/manifest`)).status).toBe(200);
  });
});

describe('signing on the server', () => {
  it('builds and signs at start-up with the key; the envelope verifies with the public key', async () => {
    const dir = await site();
    const app = buildServer({ siteDir: dir, signingKeyFile: keys.key });
    running.push(app);
    const r = await app.inject({ url: '/swarmcdn/manifest' });
    expect(r.statusCode).toBe(200);
    const { manifest, keyids } = await verifyManifest(r.body, { keys: [await importPublicKeyPem(pub)] });
    expect(keyids).toEqual([keys.keyid]);
    expect(Object.keys(manifest.files).sort()).toEqual(['/app.js', '/index.html']);
    expect(manifest.version).toBe(1);
  });

  it('refuses to start when the signing key is not among the trusted public keys', async () => {
    const app = buildServer({ siteDir: await site(), signingKeyFile: otherKeys.key, publicKeys: [pub] });
    await expect(app.ready()).rejects.toMatchObject({ code: 'MANIFEST_KEY_UNKNOWN' });
    await app.close();
  });

  it('rebuilds after a change in the site with watch, and pushes the new version', async () => {
    const dir = await site();
    const s = await started({ siteDir: dir, signingKeyFile: keys.key, watch: true, watchDebounceMs: 100 });
    expect(s.app.swarmcdn.currentManifest?.version).toBe(1);
    const pushed = new Promise<number>((resolve) => s.app.swarmcdn.events.once('manifest', (u) => resolve(u.version)));
    await writeFile(join(dir, 'new.css'), 'body { margin: 0 }');
    expect(await pushed).toBe(2);
    const { manifest } = await verifyManifest(await (await fetch(`${s.url}/swarmcdn/manifest`)).text(), {
      keys: [await importPublicKeyPem(pub)],
    });
    expect(Object.keys(manifest.files)).toContain('/new.css');
    // Its own output (the manifest and the builder's temp file) does not trigger another rebuild.
    await new Promise((r) => setTimeout(r, 600));
    expect(s.app.swarmcdn.currentManifest?.version).toBe(2);
  });
});
