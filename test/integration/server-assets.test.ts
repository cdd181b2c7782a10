/**
 * The browser assets (sw.js with the keys baked in, bridge.js), the stats route, options
 * validation, and swarmcdn registered as a plugin into an app of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { isSwarmError } from '../../protocol/index.js';
import { buildServer } from '../../server/build-server.js';
import { worthCompressing } from '../../server/compression.js';
import type { ServerOptions } from '../../server/options.js';
import { swarmcdnPlugin } from '../../server/plugin.js';
import { bakeTrustedKeys } from '../../server/plugins/assets.js';
import { TempDirs, keygen, writeTree, type KeyFiles } from '../support/cli.js';
import { WsClient, startServer } from './server-helpers.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

const temps = new TempDirs();
let siteDir: string;
let a: KeyFiles;
let b: KeyFiles;
let pemA: string;
let pemB: string;

beforeAll(async () => {
  siteDir = join(await temps.make('swarmcdn-assets-'), 'site');
  await writeTree(siteDir, { 'index.html': '<h1>assets</h1>' });
  a = await keygen(await temps.make('swarmcdn-keys-'));
  b = await keygen(await temps.make('swarmcdn-keys-'));
  [pemA, pemB] = await Promise.all([readFile(a.pub, 'utf8'), readFile(b.pub, 'utf8')]);
});

afterAll(() => temps.cleanup());

/**
 * Runs a served sw.js in a bare global scope and asks it, as a page would, which keys it trusts.
 * The scope has no network: what the SW fetches at start-up fails, as it would offline.
 */
async function keyidsTrustedBy(source: string): Promise<string[]> {
  const listeners = new Map<string, (event: unknown) => void>();
  const self = {
    addEventListener: (type: string, fn: (event: unknown) => void) => listeners.set(type, fn),
    location: { origin: 'http://127.0.0.1' },
  };
  const fetch = (): Promise<never> => Promise.reject(new TypeError('no network in this scope'));
  const globals = { crypto, atob, btoa, TextEncoder, TextDecoder, console, URL, AbortController, setTimeout, clearTimeout };
  runInNewContext(source, { self, fetch, ...globals });
  return new Promise((resolve) => {
    listeners.get('message')?.({
      data: { type: 'swarmcdn/keyids' },
      waitUntil: () => undefined,
      source: { postMessage: (m: { keyids: string[] }) => resolve(m.keyids) },
    });
  });
}

describe('GET /swarmcdn/sw.js', () => {
  it('serves the service worker with the trusted keys baked in, Service-Worker-Allowed and an ETag', async () => {
    const app = buildServer({ siteDir, publicKeys: [pemA, pemB] });
    const r = await app.inject({ url: '/swarmcdn/sw.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/javascript/);
    expect(r.headers['service-worker-allowed']).toBe('/');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers.vary).toBe('accept-encoding');
    expect(r.body).not.toContain('__SWARMCDN_TRUSTED_KEYS__');
    expect(r.body).toContain(JSON.stringify([pemA, pemB]));
    expect((await keyidsTrustedBy(r.body)).sort()).toEqual([a.keyid, b.keyid].sort());
    const again = await app.inject({ url: '/swarmcdn/sw.js', headers: { 'if-none-match': String(r.headers.etag) } });
    expect(again.statusCode).toBe(304);
    await app.close();
  });

  it('bakes the public half of the signing key when no public key is given, and nothing without keys', async () => {
    const signing = buildServer({ siteDir: await temps.make(), signingKeyFile: a.key });
    const baked = (await signing.inject({ url: '/swarmcdn/sw.js' })).body;
    expect(await keyidsTrustedBy(baked)).toEqual([a.keyid]);
    await signing.close();
    const none = buildServer({ siteDir });
    expect(await keyidsTrustedBy((await none.inject({ url: '/swarmcdn/sw.js' })).body)).toEqual([]);
    await none.close();
  });

  it('refuses a bundle without exactly one key placeholder', () => {
    expect(() => bakeTrustedKeys('const k = 1;', [pemA])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => bakeTrustedKeys('"__SWARMCDN_TRUSTED_KEYS__"+"__SWARMCDN_TRUSTED_KEYS__"', [])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(bakeTrustedKeys("const k = '__SWARMCDN_TRUSTED_KEYS__';", ['x"y'])).toBe('const k = ["x\\"y"];');
  });
});

describe('GET /swarmcdn/bridge.js', () => {
  it('serves the page bridge as JavaScript with an ETag, cacheable for 5 minutes and stale for a day', async () => {
    const app = buildServer({ siteDir });
    const r = await app.inject({ url: '/swarmcdn/bridge.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/javascript/);
    expect(r.headers.etag).toMatch(/^".+"$/);
    expect(r.headers['cache-control']).toBe('public, max-age=300, stale-while-revalidate=86400');
    expect(r.headers.vary).toBe('accept-encoding');
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.body).toContain('serviceWorker');
    await app.close();
  });

  it('is minified', async () => {
    const app = buildServer({ siteDir });
    const bridge = await app.inject({ url: '/swarmcdn/bridge.js' });
    const sw = await app.inject({ url: '/swarmcdn/sw.js' });
    // An unminified esbuild bundle marks every module with a `// path/to/module.ts` comment line.
    const moduleComment = /^\s*\/\/ (?:page-bridge|sw|protocol|node_modules)\//m;
    expect(bridge.body).not.toMatch(moduleComment);
    expect(sw.body).not.toMatch(moduleComment);
    expect(bridge.body).toContain('@license'); // comlink's licence notice is kept
    // The render-blocking part only: 24 KB when the core moved out (131 KB before). The bound leaves
    // some room for growth, so anything heavy in every page's <head> is a decision, not drift.
    expect(bridge.rawPayload.length).toBeLessThan(32_000);
    expect(bridge.body).not.toMatch(/RTCPeerConnection/); // PeerJS and webrtc-adapter are in the core
    await app.close();
  });
});

describe('GET /swarmcdn/bridge-core.js', () => {
  let app: FastifyInstance;
  let version: string;
  beforeAll(async () => {
    app = buildServer({ siteDir });
    const bridge = await app.inject({ url: '/swarmcdn/bridge.js' });
    version = /\?v=([0-9a-f]{16})\b/.exec(bridge.body)?.[1] ?? '';
  });
  afterAll(() => app.close());

  it('serves the version bridge.js names: an ES module, cached for good, importable from another origin', async () => {
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    const r = await app.inject({ url: `/swarmcdn/bridge-core.js?v=${version}` });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/javascript/);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.body).toMatch(/export\s*\{[^}]*\bstartCore\b/);
    expect(r.body).toMatch(/RTCPeerConnection/);
    // The version is the bytes' own: another build cannot be served under it.
    expect(createHash('sha256').update(r.body).digest('hex').slice(0, 16)).toBe(version);
  });

  it('answers any other version, or none, 404 NOT_FOUND (an old bridge.js stays on the origin)', async () => {
    for (const url of ['/swarmcdn/bridge-core.js', '/swarmcdn/bridge-core.js?v=0000000000000000', `/swarmcdn/bridge-core.js?v=${version}&v=${version}`]) {
      const r = await app.inject({ url });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});

describe('compressed bundles', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = buildServer({ siteDir, publicKeys: [pemA] });
    await app.ready();
  });
  afterAll(() => app.close());

  const get = (url: string, headers: Record<string, string>): Promise<LightMyRequestResponse> => app.inject({ url, headers });
  const decoders: Record<string, (b: Buffer) => Buffer> = { br: brotliDecompressSync, gzip: gunzipSync };
  const routes = ['/swarmcdn/sw.js', '/swarmcdn/bridge.js'];

  it.each(routes)('%s: br and gzip decode to the identity bytes, each with its own ETag and a 304 for it', async (url) => {
    const identity = await get(url, { 'accept-encoding': 'identity' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    const etags = [String(identity.headers.etag)];
    for (const coding of ['br', 'gzip']) {
      const r = await get(url, { 'accept-encoding': coding });
      expect([coding, r.statusCode, r.headers['content-encoding'], r.headers.vary]).toEqual([coding, 200, coding, 'accept-encoding']);
      expect(r.rawPayload.length).toBeLessThan(identity.rawPayload.length / 2);
      expect(Number(r.headers['content-length'])).toBe(r.rawPayload.length);
      expect(decoders[coding]!(r.rawPayload).equals(identity.rawPayload)).toBe(true);
      etags.push(String(r.headers.etag));
    }
    // A strong ETag names one sequence of bytes: the three codings need three tags.
    expect(new Set(etags).size).toBe(3);
    for (const [i, coding] of ['identity', 'br', 'gzip'].entries()) {
      const again = await get(url, { 'accept-encoding': coding, 'if-none-match': etags[i]! });
      expect([coding, again.statusCode, again.headers.etag, again.headers.vary, again.rawPayload.length]).toEqual([coding, 304, etags[i], 'accept-encoding', 0]);
      expect(again.headers['cache-control']).toBe(identity.headers['cache-control']);
      // The tag of another coding is not this representation: the full body, not a 304.
      const other = await get(url, { 'accept-encoding': coding, 'if-none-match': etags[(i + 1) % 3]! });
      expect([coding, other.statusCode]).toEqual([coding, 200]);
    }
  });

  it('bakes the keys into the minified service worker in every coding', async () => {
    for (const coding of ['br', 'gzip']) {
      const r = await get('/swarmcdn/sw.js', { 'accept-encoding': coding });
      const source = decoders[coding]!(r.rawPayload).toString('utf8');
      expect(source).not.toContain('__SWARMCDN_TRUSTED_KEYS__');
      expect(source).toContain(JSON.stringify([pemA]));
      expect(await keyidsTrustedBy(source)).toEqual([a.keyid]);
    }
  });

  const negotiated: [string, string | undefined][] = [
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, br;q=0.4', 'gzip'],
    ['x-gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['identity;q=1, br;q=0.5', undefined],
    ['deflate', undefined],
    ['br;q=2', undefined],
    ['', undefined],
  ];
  it.each(negotiated)('Accept-Encoding %j gets %s', async (accept, coding) => {
    const r = await get('/swarmcdn/bridge.js', { 'accept-encoding': accept });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe(coding);
  });

  it('reaches a real HTTP client intact', async () => {
    const s = await startServer({ siteDir });
    const identity = await get('/swarmcdn/bridge.js', { 'accept-encoding': 'identity' });
    for (const coding of ['br', 'gzip']) {
      // fetch decodes the body by its Content-Encoding; a wrong Content-Length would cut it.
      const r = await fetch(`${s.url}/swarmcdn/bridge.js`, { headers: { 'accept-encoding': coding } });
      expect(r.headers.get('content-encoding')).toBe(coding);
      expect(await r.text()).toBe(identity.body);
    }
    await s.app.close();
  });
});

describe('GET /swarmcdn/stats', () => {
  it('reports peers, swarms, content entries, bytes by source and the manifest version', async () => {
    const siteDir = await temps.make();
    const content = 'a file of the signed manifest';
    await writeFile(join(siteDir, 'a.txt'), content);
    const s = await startServer({ siteDir, signingKeyFile: a.key });
    const client = await WsClient.signalled(s.url);
    client.send({ type: 'join', site: 'https://site.example' });
    await client.next((m) => m.type === 'joined');
    // The tracker keeps only files of the current manifest: a.txt counts, a made-up hash does not.
    client.send({ type: 'have', hashes: [`sha256-${createHash('sha256').update(content).digest('base64')}`, `sha256-${'A'.repeat(43)}=`] });
    client.send({ type: 'stats', peer: 1000, cache: 200, origin: 30 });
    const stats = async () => (await fetch(`${s.url}/swarmcdn/stats`)).json();
    for (let i = 0; i < 50 && (await stats()).bytes.peer === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await stats()).toEqual({
      // One socket: the page's signalling connection carries its tracker session.
      peers: { signalling: 1, tracker: 1, tracked: 1 },
      swarms: 1,
      contentEntries: 1,
      bytes: { peer: 1000, cache: 200, origin: 30 },
      manifestVersion: 1,
      uptimeSeconds: expect.any(Number),
    });
    client.close();
    await s.app.close();
  });
});

describe('options', () => {
  const invalid: [string, ServerOptions][] = [
    ['no siteDir', {} as ServerOptions],
    ['watch without a key', { siteDir: '.', watch: true }],
    ['a negative max-age', { siteDir: '.', maxAgeSeconds: -1 }],
    ['a signalling path that is not a URL path', { siteDir: '.', signalling: { path: 'peerjs' } }],
    ['a zero connection cap', { siteDir: '.', signalling: { maxConnections: 0 } }],
    ['public keys that are not PEM', { siteDir: '.', publicKeys: ['nope'] }],
  ];
  it.each(invalid)('buildServer throws CONFIG_INVALID for %s', (_name, options) => {
    let thrown: unknown;
    try {
      buildServer(options);
    } catch (error) {
      thrown = error;
    }
    expect(isSwarmError(thrown) && thrown.code).toBe('CONFIG_INVALID');
  });

  it('rejects at start-up with CONFIG_INVALID what needs the file system to tell', async () => {
    const dir = await temps.make();
    await writeFile(join(dir, 'file.txt'), 'x');
    await writeFile(join(dir, 'bad.key'), 'not a key');
    const bad: ServerOptions[] = [
      { siteDir: join(dir, 'missing') },
      { siteDir: join(dir, 'file.txt') },
      { siteDir, signingKeyFile: join(dir, 'missing.key') },
      { siteDir, signingKeyFile: join(dir, 'bad.key') },
      { siteDir, publicKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'] },
    ];
    for (const options of bad) {
      const app = buildServer(options);
      await expect(app.ready()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await app.close();
    }
  });
});

describe('swarmcdnPlugin in an existing app', () => {
  it('adds every route and the decoration, and leaves the host routes and 404 page alone', async () => {
    const host = Fastify();
    host.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('host 404'));
    host.get('/api/hello', async () => ({ hello: 'world' }));
    host.get('/api/big', async () => ({ text: 'x'.repeat(8192) }));
    await host.register(swarmcdnPlugin, { siteDir });
    await host.ready();
    expect(host.swarmcdn.options.siteDir).toBe(siteDir);
    expect((await host.inject({ url: '/api/hello' })).json()).toEqual({ hello: 'world' });
    expect((await host.inject({ url: '/' })).body).toBe('<h1>assets</h1>');
    expect((await host.inject({ url: '/swarmcdn/stats' })).statusCode).toBe(200);
    expect((await host.inject({ url: '/swarmcdn/sw.js' })).statusCode).toBe(200);
    expect((await host.inject({ url: '/nope.txt' })).body).toBe('host 404');
    // Compression stays inside swarmcdn's scope.
    const big = await host.inject({ url: '/api/big', headers: { 'accept-encoding': 'br' } });
    expect(big.headers['content-encoding']).toBeUndefined();
    await host.close();
  });
});

describe('compression policy', () => {
  it('compresses text-like types of 1 KiB or more, and nothing else', () => {
    for (const type of ['text/html; charset=utf-8', 'text/css', 'application/javascript', 'application/json', 'image/svg+xml', 'application/wasm', 'application/ld+json']) {
      expect([type, worthCompressing(type, 4096)]).toEqual([type, true]);
    }
    for (const type of ['image/jpeg', 'video/mp4', 'font/woff2', 'application/octet-stream', 'application/zip', 'text/event-stream', undefined]) {
      expect([type, worthCompressing(type, 4096)]).toEqual([type, false]);
    }
    expect(worthCompressing('text/css', 1023)).toBe(false);
  });
});
