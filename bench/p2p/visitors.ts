/**
 * The visitors row: N browser contexts open the demo (demo/site, `npm start`'s site) one after
 * another, each like a person would (the page, then its gallery, dataset and panorama once the
 * swarm is ready), and each stays open, a seeder, while the next comes (once the tracker lists it
 * as a holder of what its page used, at most 20 s: the next does not meet a page still storing). The origin sits behind the
 * bench:site shaping proxy (+60 ms per request, 40 Mbit/s per visitor): on bare loopback the
 * origin outruns any peer and the SW's rate hedge rightly hands it the bytes, which measures
 * loopback, not the swarm. Peers talk WebRTC on loopback, unthrottled (the demo's tag sets no cap).
 *
 * Per visitor: the manifest bytes its page used (every distinct manifest path the page requested,
 * at the file's size: the document, its CSS and scripts before the SW controls it, then the assets),
 * the bytes its SW counted from peers, and the manifest-file bytes the proxy sent it (page and SW
 * alike). The row's figure is Σ (used − sent by the origin) ÷ Σ used over visitors 2..N (the first
 * has no one to fetch from): SW bytes.peer ÷ used alone reads 1.0 even when the origin sent the
 * same files too (a prefetch from peers racing the page's own requests), so it is printed beside
 * it, not used as the figure. Each visitor's figures are printed too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ShapingProxy, VISITOR_COOKIE } from '../site/shaping-proxy.js';
import { openVisitor, swarmStats, withTimeout, type Visitor } from './browser.js';
import { startBenchServer, type BenchServer } from './server.js';
import { SW_DEFAULTS } from '../../protocol/messages/sw-page.js';

/** 60 ms and 40 Mbit/s: bench:site's wide-area origin (a site without a CDN, a household downlink). */
const WAN_LATENCY_MS = 60;
const WAN_BYTES_PER_SECOND = 5_000_000;
/** 90 s per visitor: the demo is ~42 MB, 9 s from the shaped origin alone. */
const VISIT_TIMEOUT_MS = 90_000;

/** What one visitor's visit measured. */
export interface VisitFigure {
  readonly name: string;
  /** Manifest bytes the page used (distinct paths × file size). */
  readonly usedBytes: number;
  /** Bytes its SW counted by source over the visit. */
  readonly peer: number;
  readonly origin: number;
  readonly cache: number;
  readonly badChunks: number;
  /** Manifest-file bytes the proxy sent this visitor (page and SW alike; hedges included). */
  readonly originFileBytes: number;
  /** The paths the origin sent most manifest-file bytes of, largest first (at most 5). */
  readonly originPaths: readonly (readonly [string, number])[];
  readonly ms: number;
  /** Open peer connections at the end of the visit. */
  readonly connections: number;
  /** The SW's route decisions over the visit, and its availability view at the end (why bytes went to the origin). */
  readonly routes: { readonly cache: number; readonly peers: number; readonly origin: number };
  /** Peers-routed responses the origin finished, by why (first-byte budget, rate hedge, peer failure). */
  readonly handovers: { readonly firstByte: number; readonly rate: number; readonly peerFailed: number };
  readonly availability: { readonly known: boolean; readonly files: number };
  readonly prefetch: { readonly files: number; readonly bytes: number; readonly planned: number };
  readonly peerId: string | undefined;
  /** Paths the page used. */
  readonly paths: readonly string[];
}

/** The row's figures over visitors 2..N, and each visitor. */
export interface VisitorsFigures {
  readonly visits: readonly VisitFigure[];
  /** Σ (used − sent by the origin) ÷ Σ used: the row's figure. */
  readonly ratio: number;
  /** Σ SW bytes.peer ÷ Σ used, for reference. */
  readonly peerCounted: number;
  readonly problems: readonly string[];
}

/** Makes sure demo/site/generated holds the current demo assets (the generator is a script of `npm start`). */
function ensureDemoAssets(root: string): string {
  const siteDir = join(root, 'demo/site');
  const script = `import(${JSON.stringify(join(root, 'scripts/demo-assets.mjs'))}).then((m) => m.ensureDemoAssets(${JSON.stringify(siteDir)}))`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 120_000 });
  return siteDir;
}

/** Opens the demo as `name`, waits for every asset, and reads what the page used and where the SW got it. */
async function visit(browser: Browser, proxy: ShapingProxy, name: string, sizes: ReadonlyMap<string, number>): Promise<{ visitor: Visitor; figure: VisitFigure }> {
  const origin = proxy.origin;
  const visitor = await openVisitor(browser, name);
  await visitor.context.addCookies([{ name: VISITOR_COOKIE, value: name, url: origin }]);
  const used = new Set<string>();
  visitor.page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === origin && sizes.has(url.pathname)) used.add(url.pathname);
  });
  const started = performance.now();
  await visitor.page.goto(`${origin}/`, { waitUntil: 'load' });
  await visitor.page.waitForSelector('body[data-demo-loaded]', { timeout: VISIT_TIMEOUT_MS });
  // The gallery's images are inserted first and load on their own; the visit ends when they have.
  await withTimeout(
    visitor.page.evaluate(async () => {
      const settled = (img: HTMLImageElement): Promise<unknown> =>
        new Promise((resolve) => {
          img.addEventListener('load', resolve, { once: true });
          img.addEventListener('error', resolve, { once: true });
        });
      await Promise.all([...document.images].filter((img) => !img.complete).map(settled));
    }),
    VISIT_TIMEOUT_MS,
    `${name}: gallery images`,
  );
  const ms = performance.now() - started;
  // The SW may count the last bytes a moment after a body ends.
  await visitor.page.waitForTimeout(300);
  const stats = await swarmStats(visitor);
  const usedBytes = [...used].reduce((sum, path) => sum + sizes.get(path)!, 0);
  const connections = typeof stats.connections === 'number' ? stats.connections : stats.connections.length;
  const { peer, origin: fromOrigin, cache } = stats.sw.bytes;
  const byPath = new Map<string, number>();
  // Keyed with sec-fetch-dest: 'empty' is a fetch() (the page's or its SW's), 'image' an <img> the SW let through.
  for (const r of proxy.recordsOf(name)) if (r.fileBytes > 0) byPath.set(`${r.path} (${r.dest})`, (byPath.get(`${r.path} (${r.dest})`) ?? 0) + r.fileBytes);
  const originFileBytes = [...byPath.values()].reduce((sum, n) => sum + n, 0);
  const originPaths = [...byPath.entries()].sort((x, y) => y[1] - x[1]).slice(0, 5);
  const extra = { routes: stats.sw.routes, handovers: stats.sw.handovers, availability: stats.sw.availability, prefetch: stats.sw.prefetch, peerId: stats.peerId, paths: [...used] };
  return { visitor, figure: { name, usedBytes, peer, origin: fromOrigin, cache, badChunks: stats.sw.badChunks, originFileBytes, originPaths, ms, connections, ...extra } };
}

/** 20 s: a visitor's SW announces a file once it holds it whole, verified and stored. */
const SEEDER_WAIT_MS = 20_000;

/**
 * Waits until the tracker lists `figure`'s visitor as a holder of every file its page used (the
 * next visitor comes to a seeder, not to a page still storing); false at the deadline.
 */
async function becameSeeder(server: BenchServer, sites: readonly string[], figure: VisitFigure): Promise<boolean> {
  if (figure.peerId === undefined) return false;
  const tracker = server.app.swarmcdn.store.tracker;
  // The document and its small scripts are not worth a peer (minPeerBytes): the SW need not hold them.
  const files = figure.paths.map((path) => server.manifest.files[path]!).filter((f) => f.size >= SW_DEFAULTS.minPeerBytes).map((f) => f.integrity);
  const deadline = Date.now() + SEEDER_WAIT_MS;
  for (;;) {
    const held = (hash: string): boolean => sites.some((site) => [...tracker.holders(site, hash)].some((p) => p.peerId === figure.peerId));
    if (files.every(held)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the row: `count` visitors one after another, all kept open until the end. */
export async function measureVisitors(browser: Browser, root: string, count: number, log: (line: string) => void): Promise<VisitorsFigures> {
  const workDir = mkdtempSync(join(tmpdir(), 'swarmcdn-bench-visitors-'));
  let server: BenchServer | undefined;
  let proxy: ShapingProxy | undefined;
  const visitors: Visitor[] = [];
  try {
    server = await startBenchServer(ensureDemoAssets(root), workDir);
    const sizes = new Map(Object.entries(server.manifest.files).map(([path, file]) => [path, file.size]));
    proxy = await ShapingProxy.start({
      upstreamPort: Number(new URL(server.origin).port),
      manifestSizes: sizes,
      tag: undefined,
      latencyMs: WAN_LATENCY_MS,
      bytesPerSecond: WAN_BYTES_PER_SECOND,
    });
    const visits: VisitFigure[] = [];
    for (let k = 1; k <= count; k++) {
      const { visitor, figure } = await visit(browser, proxy, `V${k}`, sizes);
      visitors.push(visitor);
      visits.push(figure);
      log(
        `visitor ${k}/${count}: ${(figure.ms / 1000).toFixed(1)} s, used ${(figure.usedBytes / 1e6).toFixed(1)} MB; SW: peers ${(figure.peer / 1e6).toFixed(1)} MB, ` +
          `origin ${(figure.origin / 1e6).toFixed(1)} MB (the proxy sent ${(figure.originFileBytes / 1e6).toFixed(1)} MB of manifest files), cache ${(figure.cache / 1e6).toFixed(1)} MB; ${figure.connections} peers open` +
          `; routes ${JSON.stringify(figure.routes)}, handovers ${JSON.stringify(figure.handovers)}, availability ${JSON.stringify(figure.availability)}, prefetch ${JSON.stringify(figure.prefetch)}` +
          (figure.originPaths.length > 0 && k > 1 ? `; the origin sent ${figure.originPaths.map(([path, n]) => `${path} ${(n / 1e6).toFixed(2)} MB`).join(', ')}` : ''),
      );
      if (k < count && !(await becameSeeder(server, [proxy.origin, server.origin], figure))) log(`visitor ${k}: the tracker did not list it as a holder of every file of 64 KiB or more it used within ${SEEDER_WAIT_MS / 1000} s; the next comes anyway`);
    }
    const later = visits.slice(1);
    const used = later.reduce((s, v) => s + v.usedBytes, 0);
    const peer = later.reduce((s, v) => s + v.peer, 0);
    const notOrigin = later.reduce((s, v) => s + Math.max(0, v.usedBytes - v.originFileBytes), 0);
    const problems: string[] = [];
    for (const v of visits) if (v.badChunks > 0) problems.push(`${v.name}: ${v.badChunks} chunks failed verification`);
    if (used === 0) problems.push('visitors 2..N used no manifest bytes');
    return { visits, ratio: used > 0 ? notOrigin / used : Number.NaN, peerCounted: used > 0 ? peer / used : Number.NaN, problems };
  } finally {
    for (const v of visitors.reverse()) await v.context.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}
