/**
 * A real third-party site no one here wrote: SB Admin 2 (`startbootstrap-sb-admin-2` from npm, the
 * bench:site multi-page site: jQuery, Bootstrap, Font Awesome webfonts, Chart.js, DataTables…), with
 * nothing changed but our plain script tag first in each `<head>`. Visitor A walks its pages from a
 * landing page outside the walk; then B does: every stylesheet, script, font and image B's pages
 * use comes from peers (prefetch or on request), byte-identical, and the origin sends B none of
 * them. Then the origin loses every asset file and C walks: every subresource still arrives whole.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { makeNpmSite, type NpmSite } from './support/npm-site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';
import { visitPage, type PageResponse } from './support/walk.js';

const e2e = useE2e<NpmSite>({ site: () => makeNpmSite('sb-admin-2') });

async function land(name: string): Promise<Visitor> {
  const { browser, server, site } = e2e();
  const visitor = await browser.visitor(name);
  await visitor.page.goto(`${server.url}${site.prepared.landing}`, { waitUntil: 'load' });
  await visitor.ready();
  return visitor;
}

/** Walks the site's pages; every listed file a page got must be the file on disk. Returns the assets used. */
async function walk(visitor: Visitor): Promise<Map<string, PageResponse>> {
  const { server, site } = e2e();
  const watched = new Set(site.assets);
  const used = new Map<string, PageResponse>();
  const unread = new Set<string>();
  for (const path of site.prepared.walk) {
    const visit = await visitPage(visitor, server.url, path, watched, 30_000);
    for (const [asset, got] of visit.responses) {
      const file = e2e().file(asset);
      // The browser's memory cache can serve a response whose body the devtools protocol no longer
      // has (a webfont on a later page): such a response is checked through the SW below.
      if (got.size < 0) {
        unread.add(asset);
        continue;
      }
      expect({ page: path, asset, got }).toEqual({ page: path, asset, got: { status: 200, size: file.size, sha256: file.sha256 } });
      used.set(asset, got);
    }
  }
  for (const asset of unread) {
    if (used.has(asset)) continue;
    const got = await visitor.fetch(asset);
    const file = e2e().file(asset);
    expect({ asset, status: got.status, size: got.size, sha256: got.sha256 }).toEqual({ asset, status: 200, size: file.size, sha256: file.sha256 });
    used.set(asset, { status: got.status, size: got.size, sha256: got.sha256 });
  }
  expect(used.size).toBeGreaterThan(10);
  return used;
}

/**
 * Waits until the visitor's prefetch has fetched every file it planned, or has fetched something
 * and then made no progress for 5 s (a file that failed is never counted). A loaded CI machine can
 * take well over a second between two files, so "quiet for a moment" alone is not "done".
 */
async function prefetchSettled(visitor: Visitor): Promise<void> {
  let last = -1;
  let since = Date.now();
  await waitFor(
    async () => (await visitor.sw()).prefetch,
    ({ files, planned }) => {
      if (files !== last) {
        last = files;
        since = Date.now();
      }
      return files > 0 && (files >= planned || Date.now() - since >= 5_000);
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `${visitor.name}: prefetch to fetch files and settle` },
  );
}

const bytesOf = (used: ReadonlyMap<string, PageResponse>): number => [...used.values()].reduce((sum, r) => sum + r.size, 0);

let aUsed: Map<string, PageResponse>;

it('B walks SB Admin 2 after A: every stylesheet, script, font and image from peers, byte-identical', async () => {
  await e2e().run(async () => {
    const { server, site } = e2e();
    const a = await land('a');
    aUsed = await walk(a);
    // The last page's peer (each page has its own; its core starts after the page's load).
    const aId = await a.joinedPeerId();
    const hashes = await Promise.all([...aUsed.keys()].map(async (p) => ({ path: p, hash: (await site.entry(p)).integrity })));
    await waitFor(
      () => hashes.filter(({ hash }) => !server.holders(hash).includes(aId)).map(({ path }) => path),
      (missing) => missing.length === 0,
      { timeoutMs: 20_000, intervalMs: 200, what: 'the tracker to list a as a holder of every asset it used (missing shown)' },
    );
    const aSw = await a.sw();
    expect(aSw.swarmWait.requests).toBe(0);
    // What the tracker lists, A's cache holds whole.
    expect(aSw.held.files).toBeGreaterThanOrEqual(new Set(hashes.map((h) => h.hash)).size);

    const b = await land('b');
    await prefetchSettled(b);
    const mark = server.requests.mark();
    const bUsed = await walk(b);
    const fromOrigin = server.requests.find({ visitor: 'b', path: [...bUsed.keys()], after: mark }).map((r) => r.path);
    expect(fromOrigin).toEqual([]);
    const sw = await b.sw();
    expect(sw.bytes.peer).toBeGreaterThanOrEqual(bytesOf(bUsed));
    expect(sw.prefetch.bytes).toBeGreaterThan(0);
  });
}, 240_000);

it('with the origin\'s asset files gone, C walks SB Admin 2 with every subresource byte-identical', async () => {
  await e2e().run(async () => {
    const { server, site } = e2e();
    await site.removeAssets();
    expect((await fetch(`${server.url}${[...aUsed.keys()][0]!}`)).status).toBe(404);
    const c = await land('c');
    await prefetchSettled(c);
    const cUsed = await walk(c);
    expect([...cUsed.keys()].sort()).toEqual([...aUsed.keys()].sort());
    expect((await c.sw()).bytes.origin).toBe(0);
  });
}, 240_000);
