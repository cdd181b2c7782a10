/**
 * A swarmcdn server on another origin than the site, in real Chromium. The site (a small Fastify
 * app with @fastify/static on one port) serves its own pages, files and service worker: a Workbox
 * SW with `installSwarm({ keys, server })` and a page bundle calling
 * `startSwarm({ server, serviceWorker: '/sw.js' })`, both bundled by esbuild from this repository's
 * sources. `buildServer` on another port (another origin) publishes the manifest of the same files
 * (built in-process at start), signalling with the tracker, and availability. Visitor B gets every
 * asset from visitor A: byte for byte, counted as peer bytes by its SW, and not one request for
 * them reached the site; the SW read the manifest cross-origin, and the tracker grouped both
 * visitors under the page's origin.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fastifyStatic from '@fastify/static';
import { build } from 'esbuild';
import Fastify, { type FastifyInstance, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { generateKeyPair } from '../../protocol/index.js';
import { siteEntry, sha256Hex } from './support/site.js';
import { checkBody } from './support/env.js';
import { E2eBrowser } from './support/browser.js';
import { VISITOR_UA_PREFIX } from './support/server.js';
import type { Visitor } from './support/visitor.js';
import { waitFor, withTimeout } from './support/wait.js';
import { buildServer } from '../../server/build-server.js';
import { REPO_ROOT, bytesOf, writeTree } from '../support/cli.js';

/** One, two and four 256 KiB chunks. */
const ASSETS: Readonly<Record<string, number>> = { '/img/one.bin': 200_000, '/img/two.bin': 400_000, '/media/four.bin': 1_000_000 };
/** Loopback WebRTC, and no size threshold, prefetch or measured hedges: the peer path itself, one fetch at a time (as test/e2e/support/site.ts). */
const START_OPTIONS = { iceServers: [], minPeerBytes: 0, prefetchBytes: 0, hedgeMs: 2000, rateHedge: false };

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>a site, swarmcdn elsewhere</title><link rel="icon" href="data:,">
<script src="/page.js"></script>
</head><body>the site's own page</body></html>
`;

/** One request either server received. */
interface Logged {
  readonly visitor: string;
  readonly path: string;
  readonly query: string;
}

let dir: string;
let site: FastifyInstance;
let swarm: FastifyInstance;
let siteUrl: string;
let swarmUrl: string;
let browser: E2eBrowser | undefined;
const siteRequests: Logged[] = [];
const swarmRequests: Logged[] = [];
const files = new Map<string, { path: string; size: number; sha256: string }>();

/** Records a request by visitor (the user agent names it: every visitor is 127.0.0.1). */
function logTo(log: Logged[]): onRequestHookHandler {
  return async (request: FastifyRequest) => {
    const ua = request.headers['user-agent'];
    const [path = '', query = ''] = request.url.split('?');
    log.push({ visitor: ua?.startsWith(VISITOR_UA_PREFIX) ? ua.slice(VISITOR_UA_PREFIX.length) : 'other', path, query });
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

/** Bundles an entry written as source text (imports resolve from the repository) into the site. */
async function bundle(source: string, out: string): Promise<void> {
  await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'ts', sourcefile: out },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome111',
    // Workbox reads process.env.NODE_ENV.
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile: join(dir, 'site', out),
    logLevel: 'warning',
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmcdn-other-origin-'));
  const siteDir = join(dir, 'site');
  const contents: Record<string, Buffer> = { '/index.html': Buffer.from(PAGE_HTML) };
  Object.entries(ASSETS).forEach(([path, size], i) => (contents[path] = bytesOf(size, 31 + i)));
  await writeTree(siteDir, Object.fromEntries(Object.entries(contents).map(([path, bytes]) => [path.slice(1), bytes])));
  for (const [path, bytes] of Object.entries(contents)) files.set(path, { path, size: bytes.length, sha256: sha256Hex(bytes) });
  const pair = await generateKeyPair();
  await writeFile(join(dir, 'swarmcdn.key'), pair.privatePem, { mode: 0o600 });

  // The swarmcdn server: the manifest of the same files, signed in-process at start.
  swarm = buildServer({ siteDir, signingKeyFile: join(dir, 'swarmcdn.key'), logger: false });
  // Its routes live in scopes loaded at listen: an onRoute hook reaches them all (as test/e2e/support/server.ts).
  swarm.addHook('onRoute', (route) => {
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [logTo(swarmRequests), ...existing];
  });
  swarmUrl = await listen(swarm);

  // The site's own SW and page, told where swarmcdn is. Written after the build: not in the manifest, as a site's build tooling would be.
  await bundle(
    `import { installSwarm } from './sw/install-swarm.ts';
import { clientsClaim } from 'workbox-core';
self.addEventListener('install', () => self.skipWaiting());
clientsClaim();
installSwarm({ keys: [${JSON.stringify(pair.publicPem)}], server: ${JSON.stringify(swarmUrl)} });
`,
    'sw.js',
  );
  await bundle(
    `import { startSwarm } from './page-bridge/index.ts';
const w = window as unknown as Record<string, unknown>;
w.swarmcdnE2e = {};
try {
  w.swarmcdn = { swarm: startSwarm({ ...${JSON.stringify(START_OPTIONS)}, server: ${JSON.stringify(swarmUrl)}, serviceWorker: '/sw.js' }) };
} catch (error) {
  w.swarmcdnE2e = { startError: String((error as { code?: string }).code ?? error) };
}
`,
    'page.js',
  );

  // The site: its own server, on another port (another origin), serving the files, the page and the SW.
  site = Fastify({ logger: false });
  site.addHook('onRequest', logTo(siteRequests));
  await site.register(fastifyStatic, { root: siteDir });
  siteUrl = await listen(site);
  browser = await E2eBrowser.launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await withTimeout(swarm?.close() ?? Promise.resolve(), 10_000, 'close the swarmcdn server').catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}, 30_000);

async function visitor(name: string): Promise<Visitor> {
  if (!browser) throw new Error('Chromium did not start (see beforeAll)');
  const v = await browser.visitor(name);
  await v.page.goto(`${siteUrl}/`, { timeout: 15_000, waitUntil: 'load' });
  await v.ready();
  return v;
}

/** The integrity of each asset, from the manifest the swarmcdn server built. */
async function integrities(): Promise<string[]> {
  return Promise.all(Object.keys(ASSETS).map(async (path) => (await siteEntry(join(dir, 'site'), path)).integrity));
}

it('B gets every asset from A through the site\'s own SW, with the swarmcdn server on another origin', async () => {
  try {
    expect(new URL(swarmUrl).origin).not.toBe(new URL(siteUrl).origin);
    const a = await visitor('a');
    expect(await a.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${siteUrl}/sw.js`);
    expect((await a.sw()).manifestVersion).toBe(1);
    for (const path of Object.keys(ASSETS)) checkBody(await a.fetch(path), files.get(path)!, `a seeding ${path}`);
    // The tracker lists A under the page's origin, the site it joined as.
    const peerA = await a.peerId();
    const hashes = await integrities();
    await waitFor(
      () => hashes.filter((hash) => ![...swarm.swarmcdn.store.tracker.holders(siteUrl, hash)].some((p) => p.peerId === peerA)),
      (missing) => missing.length === 0,
      { timeoutMs: 15_000, intervalMs: 100, what: `the tracker to list a (${peerA}) under ${siteUrl} for every asset` },
    );

    const b = await visitor('b');
    const mark = siteRequests.length;
    const results = [];
    for (const path of Object.keys(ASSETS)) results.push({ path, ...(await b.fetch(path)) });
    for (const r of results) expect({ path: r.path, status: r.status, size: r.size, sha256: r.sha256 }).toEqual({ ...files.get(r.path), status: 200 });
    expect(siteRequests.slice(mark).filter((r) => r.visitor === 'b' && r.path in ASSETS)).toEqual([]);
    const total = Object.values(ASSETS).reduce((sum, size) => sum + size, 0);
    const sw = await b.sw();
    expect({ peer: sw.bytes.peer, origin: sw.bytes.origin, responses: sw.responses.peer, badChunks: sw.badChunks }).toEqual({
      peer: total,
      origin: 0,
      responses: Object.keys(ASSETS).length,
      badChunks: 0,
    });

    // B's SW read the manifest and asked the view for its own origin from the swarmcdn server; the site never saw a /swarmcdn/ request.
    const fromB = swarmRequests.filter((r) => r.visitor === 'b');
    expect(fromB.some((r) => r.path === '/swarmcdn/manifest')).toBe(true);
    expect(fromB.filter((r) => r.path === '/swarmcdn/availability').map((r) => r.query)).toContain(`site=${encodeURIComponent(siteUrl)}`);
    expect(siteRequests.filter((r) => r.path.startsWith('/swarmcdn/'))).toEqual([]);
    // What the SW's availability fetch reads, read the same way from B's SW: CORS lets it through, and it names A's files.
    const worker = b.context.serviceWorkers().find((w) => w.url() === `${siteUrl}/sw.js`);
    if (!worker) throw new Error('b: no service worker at /sw.js');
    const view = await worker.evaluate(
      async (url) => ((await (await fetch(url, { cache: 'no-store', credentials: 'omit' })).json()) as { files: Record<string, number> }).files,
      `${swarmUrl}/swarmcdn/availability?site=${encodeURIComponent(siteUrl)}`,
    );
    for (const hash of hashes) expect(view[hash]).toBeGreaterThanOrEqual(1);
    await a.close();
    await b.close();
  } catch (error) {
    const report = await withTimeout(browser!.report(), 10_000, 'the failure report').catch((e: unknown) => `no report: ${String(e)}`);
    const tail = (log: Logged[]): string => log.filter((r) => !r.path.startsWith('/swarmcdn/peerjs')).slice(-30).map((r) => `${r.visitor} ${r.path}${r.query ? `?${r.query}` : ''}`).join('\n');
    if (error instanceof Error) error.message += `\n\n=== diagnostics ===\n${report}\n--- site requests ---\n${tail(siteRequests)}\n--- swarmcdn requests ---\n${tail(swarmRequests)}`;
    throw error;
  }
}, 60_000);
