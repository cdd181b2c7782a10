/**
 * One round of bench:site on one site, every visitor a fresh browser context:
 *  1. loopback, no shaping: W walks with the SW, N walks the same pages without the tag (the
 *     order alternates by round);
 *  2. wide area (the shaping proxy): A walks with the SW; once the tracker lists A as the holder of
 *     what A used, B walks with A online, and B' walks without the SW (order alternates);
 *  3. bytes from peers: what B's pages used against what the proxy sent B;
 *  4. origin gone: B closes, the site's non-HTML files are moved out of the served directory (the
 *     server keeps running), C walks with A online and every manifest-file response is hashed
 *     against the original file; then the files go back.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { openVisitor, type Visitor } from '../p2p/browser.js';
import type { BenchServer } from '../p2p/server.js';
import { VISITOR_COOKIE, type ShapingProxy } from './shaping-proxy.js';
import type { PreparedSite } from './sites.js';
import { walkSite, type WalkResult } from './walk.js';

/** The four proxies in front of one server. */
export interface SiteOrigins {
  /** Loopback, no shaping: with the tag (W), without (N). */
  readonly fastSw: ShapingProxy;
  readonly fastPlain: ShapingProxy;
  /** Loopback, with a bare pass-through SW and nothing of swarmcdn: the ceiling of any SW design. */
  readonly fastBare: ShapingProxy;
  /** Shaped: with the tag (A, B, C), without (B'). */
  readonly wanSw: ShapingProxy;
  readonly wanPlain: ShapingProxy;
}

/** What a round measured. */
export interface SiteRound {
  readonly w: WalkResult;
  readonly n: WalkResult;
  /** The same walk with the bare SW (the ceiling row). */
  readonly s: WalkResult;
  readonly a: WalkResult;
  readonly b: WalkResult;
  readonly bPlain: WalkResult;
  readonly c: WalkResult;
  /** Manifest bytes B's pages used, and manifest-file bytes the proxy sent B (navigations excluded). */
  readonly bUsedBytes: number;
  readonly bOriginBytes: number;
  /** Body bytes on the wire through the shaped link, all requests: B's and B''s (B' gets compressed text). */
  readonly bWireBytes: number;
  readonly bPlainWireBytes: number;
  /** Files A used that the tracker did not list A as holding when B started. */
  readonly aUnannounced: number;
  /** Paths A's pages used that C's pages never requested (a page that broke early). */
  readonly cMissing: readonly string[];
}

/** What a round needs. */
export interface RoundContext {
  readonly browser: Browser;
  readonly site: PreparedSite;
  readonly server: BenchServer;
  readonly origins: SiteOrigins;
  readonly pageTimeoutMs: number;
  /** The pause on each page for W, N, A and C. */
  readonly dwellMs: number;
  /**
   * The pause on each page (landing included) for B and B': a visitor reading, the idle moment in
   * which a page asks its SW to prefetch the linked pages' assets from peers. B' reads as long.
   */
  readonly readMs: number;
  readonly log: (line: string) => void;
}

/** URL path → size, for every manifest file. */
export function manifestSizes(server: BenchServer): Map<string, number> {
  return new Map(Object.entries(server.manifest.files).map(([path, f]) => [path, f.size]));
}

async function visitor(ctx: RoundContext, name: string): Promise<Visitor> {
  const v = await openVisitor(ctx.browser, name);
  await v.context.addCookies([{ name: VISITOR_COOKIE, value: name, domain: '127.0.0.1', path: '/' }]);
  return v;
}

/** Waits until the tracker lists a holder for each path on `site`; resolves to how many still have none. */
async function waitForHolders(server: BenchServer, site: string, paths: Iterable<string>, timeoutMs: number): Promise<number> {
  const tracker = server.app.swarmcdn.store.tracker;
  const integrities = [...paths].map((p) => server.manifest.files[p]!.integrity);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = integrities.filter((h) => [...tracker.holders(site, h)].length === 0).length;
    if (missing === 0 || Date.now() > deadline) return missing;
    await sleep(100);
  }
}

/** Moves every non-HTML manifest file out of the site; returns a function that puts them back. */
function removeNonHtml(site: PreparedSite, server: BenchServer, stash: string): () => void {
  const moved: [string, string][] = [];
  const restore = (): void => {
    for (const [from, to] of moved.splice(0)) renameSync(to, from);
  };
  try {
    for (const path of Object.keys(server.manifest.files)) {
      if (/\.html?$/i.test(path)) continue;
      const rel = decodeURIComponent(path).slice(1);
      const from = join(site.dir, rel);
      const to = join(stash, rel);
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
      moved.push([from, to]);
    }
  } catch (error) {
    restore();
    throw error;
  }
  return restore;
}

async function walk(ctx: RoundContext, name: string, proxy: ShapingProxy, withSw: boolean, verify?: Parameters<typeof walkSite>[1]['verify']): Promise<[Visitor, WalkResult]> {
  const v = await visitor(ctx, name);
  const dwellMs = name.startsWith('B') ? ctx.readMs : ctx.dwellMs;
  const result = await walkSite(v, { origin: proxy.origin, site: ctx.site, withSw, manifestSizes: manifestSizes(ctx.server), pageTimeoutMs: ctx.pageTimeoutMs, dwellMs, verify });
  const ms = result.pages.map((p) => (Number.isFinite(p.ms) ? p.ms.toFixed(0) : 'FAIL')).join(' / ');
  ctx.log(`  ${name.padEnd(4)} ${withSw ? 'SW   ' : 'no SW'} ${ms} ms${result.problems.length ? `  PROBLEMS: ${result.problems.join('; ')}` : ''}`);
  return [v, result];
}

/** Runs round `i` (1-based). */
export async function runSiteRound(ctx: RoundContext, i: number): Promise<SiteRound> {
  const { origins, server, site } = ctx;
  const open: Visitor[] = [];
  try {
    // 1. Loopback, no shaping.
    const fast: Record<string, WalkResult> = {};
    for (const [name, proxy, withSw] of i % 2 === 1 ? ([[`W${i}`, origins.fastSw, true], [`N${i}`, origins.fastPlain, false]] as const) : ([[`N${i}`, origins.fastPlain, false], [`W${i}`, origins.fastSw, true]] as const)) {
      const [v, r] = await walk(ctx, name, proxy, withSw);
      fast[name[0]!] = r;
      await v.context.close();
    }

    // The ceiling beside row 1: the same walk with a bare SW that only passes requests on.
    {
      const v = await visitor(ctx, `S${i}`);
      const r = await walkSite(v, { origin: origins.fastBare.origin, site: ctx.site, withSw: false, waitControlled: true, manifestSizes: manifestSizes(ctx.server), pageTimeoutMs: ctx.pageTimeoutMs, dwellMs: ctx.dwellMs });
      ctx.log(`  S${i}   bare SW ${r.pages.map((p) => (Number.isFinite(p.ms) ? p.ms.toFixed(0) : 'FAIL')).join(' / ')} ms${r.problems.length ? `  PROBLEMS: ${r.problems.join('; ')}` : ''}`);
      fast.S = r;
      await v.context.close();
    }

    // 2. Wide area.
    const [aV, a] = await walk(ctx, `A${i}`, origins.wanSw, true);
    open.push(aV);
    const aUnannounced = await waitForHolders(server, origins.wanSw.origin, a.used, 20_000);
    if (aUnannounced > 0) ctx.log(`  the tracker lists no holder for ${aUnannounced} of the ${a.used.size} files A used`);
    const wan: Record<string, [Visitor, WalkResult]> = {};
    for (const [name, proxy, withSw] of i % 2 === 1 ? ([[`B${i}`, origins.wanSw, true], [`Bp${i}`, origins.wanPlain, false]] as const) : ([[`Bp${i}`, origins.wanPlain, false], [`B${i}`, origins.wanSw, true]] as const)) {
      const pair = await walk(ctx, name, proxy, withSw);
      open.push(pair[0]);
      wan[withSw ? 'b' : 'p'] = pair;
    }
    const [bV, b] = wan.b!;
    const bPlain = wan.p![1];

    // 3. Bytes from peers: B started empty, so what B used and the origin did not send came from peers.
    const sizes = manifestSizes(server);
    const bUsedBytes = [...b.used].reduce((s, p) => s + sizes.get(p)!, 0);
    const bOriginBytes = origins.wanSw
      .recordsOf(`B${i}`)
      .filter((r) => sizes.has(r.path) && r.dest !== 'document' && r.dest !== 'iframe')
      .reduce((s, r) => s + r.fileBytes, 0);
    const wire = (proxy: ShapingProxy, name: string): number => proxy.recordsOf(name).reduce((s, r) => s + r.wireBytes, 0);
    const bWireBytes = wire(origins.wanSw, `B${i}`);
    const bPlainWireBytes = wire(origins.wanPlain, `Bp${i}`);
    await bV.context.close();

    // 4. Origin gone.
    const stash = join(site.workDir, `moved-${i}`);
    const restore = removeNonHtml(site, server, stash);
    let c: WalkResult;
    try {
      const verify = {
        sha256: new Map(Object.entries(server.manifest.files).map(([p, f]) => [p, f.integrity.replace(/^sha256-/, '')])),
        bytes: (path: string) => readFileSync(join(stash, decodeURIComponent(path).slice(1))),
      };
      const [cV, cResult] = await walk(ctx, `C${i}`, origins.wanSw, true, verify);
      open.push(cV);
      c = cResult;
    } finally {
      restore();
    }
    const cMissing = [...a.used].filter((p) => !c.used.has(p));
    return { w: fast.W!, n: fast.N!, s: fast.S!, a, b, bPlain, c, bUsedBytes, bOriginBytes, bWireBytes, bPlainWireBytes, aUnannounced, cMissing };
  } finally {
    await Promise.allSettled(open.map((v) => v.context.close()));
  }
}
