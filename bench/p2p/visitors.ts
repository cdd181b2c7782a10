/**
 * The visitors row: N browser contexts open the demo (demo/site, `npm start`'s site) one after
 * another, each like a person would (the page, then its gallery, dataset and panorama once the
 * swarm is ready), and each stays open, a seeder, while the next comes. The origin sits behind the
 * bench:site shaping proxy (+60 ms per request, 40 Mbit/s per visitor): on bare loopback the
 * origin outruns any peer and the SW's rate hedge rightly hands it the bytes, which measures
 * loopback, not the swarm. Peers talk WebRTC on loopback, unthrottled (the demo's tag sets no cap).
 *
 * Per visitor: the manifest bytes its page used (every distinct manifest path the page requested,
 * at the file's size: the document, its CSS and scripts before the SW controls it, then the assets)
 * and the bytes its SW counted from peers. The figure is Σ peer ÷ Σ used over visitors 2..N (the
 * first has no one to fetch from); each visitor's own ratio is printed beside it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ShapingProxy, VISITOR_COOKIE } from '../site/shaping-proxy.js';
import { openVisitor, swarmStats, withTimeout, type Visitor } from './browser.js';
import { startBenchServer, type BenchServer } from './server.js';

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
  readonly ms: number;
  /** Open peer connections at the end of the visit. */
  readonly connections: number;
}

/** The row's figures: Σ peer ÷ Σ used over visitors 2..N, and each visitor. */
export interface VisitorsFigures {
  readonly visits: readonly VisitFigure[];
  readonly ratio: number;
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
  const originFileBytes = proxy.recordsOf(name).reduce((sum, r) => sum + r.fileBytes, 0);
  return { visitor, figure: { name, usedBytes, peer, origin: fromOrigin, cache, badChunks: stats.sw.badChunks, originFileBytes, ms, connections } };
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
          (figure.usedBytes > 0 ? `; from peers ${(figure.peer / figure.usedBytes).toFixed(3)}` : ''),
      );
    }
    const later = visits.slice(1);
    const used = later.reduce((s, v) => s + v.usedBytes, 0);
    const peer = later.reduce((s, v) => s + v.peer, 0);
    const problems: string[] = [];
    for (const v of visits) if (v.badChunks > 0) problems.push(`${v.name}: ${v.badChunks} chunks failed verification`);
    if (used === 0) problems.push('visitors 2..N used no manifest bytes');
    return { visits, ratio: used > 0 ? peer / used : Number.NaN, problems };
  } finally {
    for (const v of visitors.reverse()) await v.context.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}
