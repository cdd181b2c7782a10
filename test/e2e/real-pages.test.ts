/**
 * The fetch path on pages shaped like real sites (support/pages-site.ts): the plain script tag
 * first in every `<head>`, default options, and every page a navigation whose parser asks for its
 * stylesheets, scripts, fonts and images before any script of ours runs.
 * - Alone, a visitor waits on the swarm for nothing: every request goes to the origin at once, and
 *   its bytes are copied into the cache on the side, so the visitor becomes a holder.
 * - A second visitor prefetches from the first, while its landing page is idle, what the linked
 *   pages need, and then walks them without one asset request to the origin.
 * - With the origin's asset files gone, a third visitor still gets every byte, from the other two.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PAGES, PAGE_ASSETS, SHARED_ASSETS, makePagesSite, type PagesSite } from './support/pages-site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';
import { visitPage, type PageVisit } from './support/walk.js';

const e2e = useE2e<PagesSite>({ site: makePagesSite });

/** The visitor opens the landing page and waits for its swarm (the SW now controls the page). */
async function land(name: string): Promise<Visitor> {
  const { browser, server } = e2e();
  const visitor = await browser.visitor(name);
  await visitor.page.goto(`${server.url}${PAGES.landing}`, { waitUntil: 'load' });
  await visitor.ready();
  return visitor;
}

/** Walks every page; each page's own and shared assets must have arrived whole and byte-identical. */
async function walk(visitor: Visitor): Promise<PageVisit[]> {
  const { server, site } = e2e();
  const watched = new Set(site.assets);
  const visits: PageVisit[] = [];
  for (const path of PAGES.walk) {
    const visit = await visitPage(visitor, server.url, path, watched);
    for (const asset of [...SHARED_ASSETS, ...PAGE_ASSETS[path]]) {
      // A shared asset the browser's memory cache served again shows no response on a later page.
      if (!visit.responses.has(asset) && path !== PAGES.walk[0] && SHARED_ASSETS.includes(asset as (typeof SHARED_ASSETS)[number])) continue;
      const file = e2e().file(asset);
      expect({ page: path, asset, got: visit.responses.get(asset) }).toEqual({ page: path, asset, got: { status: 200, size: file.size, sha256: file.sha256 } });
    }
    visits.push(visit);
  }
  return visits;
}

let a: Visitor;
let b: Visitor;

it('alone, a visitor waits on the swarm for nothing, and becomes a holder of what it loaded', async () => {
  await e2e().run(async () => {
    a = await land('a');
    await walk(a);
    const sw = await a.sw();
    expect({ swarmWait: sw.swarmWait, peersRoute: sw.routes.peers, peerBytes: sw.bytes.peer }).toEqual({ swarmWait: { requests: 0, ms: 0 }, peersRoute: 0, peerBytes: 0 });
    expect(sw.routes.origin).toBeGreaterThanOrEqual(e2e().site.assets.length);
    // Static routing: the walk's navigations and the bridge script never reached the fetch handler.
    expect({ navigate: sw.fetchEvents.navigate, swarmcdn: sw.fetchEvents.swarmcdn }).toEqual({ navigate: 0, swarmcdn: 0 });
    expect(sw.fetchEvents.other).toBeGreaterThan(0);
    // The origin's bytes were copied into the cache (read back from the browser's HTTP cache, not
    // fetched twice), verified, and announced.
    const twice = e2e().site.assets.filter((p) => e2e().server.requests.count({ visitor: 'a', path: p }) > 1);
    // The last page's peer (each page has its own; its core starts after the page's load).
    const aId = await a.joinedPeerId();
    const hashes = await Promise.all(e2e().site.assets.map(async (p) => ({ path: p, hash: (await e2e().site.entry(p)).integrity })));
    await waitFor(
      () => hashes.filter(({ hash }) => !e2e().server.holders(hash).includes(aId)).map(({ path }) => path),
      (missing) => missing.length === 0,
      { timeoutMs: 15_000, intervalMs: 100, what: 'the tracker to list a as a holder of every asset (missing shown)' },
    );
    expect(twice.concat(e2e().site.assets.filter((p) => e2e().server.requests.count({ visitor: 'a', path: p }) > 1))).toEqual([]);
  });
}, 120_000);

it('a second visitor prefetches from the first while its landing page is idle, then walks with no asset from the origin', async () => {
  await e2e().run(async () => {
    const { server, site } = e2e();
    b = await land('b');
    const prefetched = await b.waitForStats((s) => (s.sw?.prefetch.files ?? 0) >= site.assets.length, 'prefetch of every asset the linked pages need', 30_000);
    const mark = server.requests.mark();
    await walk(b);
    expect(server.requests.find({ visitor: 'b', path: site.assets, after: mark })).toEqual([]);
    const sw = await b.sw();
    const assetBytes = site.assets.reduce((sum, p) => sum + e2e().file(p).size, 0);
    // Every asset byte came from a peer (the prefetch); the walk itself read them from the cache.
    expect(prefetched.sw!.prefetch.bytes).toBe(assetBytes);
    expect(sw.bytes.peer).toBeGreaterThanOrEqual(assetBytes);
    expect(sw.bytes.origin).toBe(0);
    expect(sw.routes.origin).toBe(0);
    expect(sw.routes.cache).toBeGreaterThanOrEqual(site.assets.length);
  });
}, 120_000);

it('with the origin\'s asset files gone, a third visitor gets every subresource byte-identical from the other two', async () => {
  await e2e().run(async () => {
    const { server, site } = e2e();
    await site.removeAssets();
    const gone = await fetch(`${server.url}${SHARED_ASSETS[0]}`);
    expect(gone.status).toBe(404);
    const c = await land('c');
    await c.waitForStats((s) => (s.sw?.prefetch.files ?? 0) >= site.assets.length, 'prefetch of every asset from a and b', 30_000);
    await walk(c);
    const sw = await c.sw();
    expect(sw.bytes.origin).toBe(0);
    expect(b.isClosed || a.isClosed).toBe(false);
  });
}, 120_000);
