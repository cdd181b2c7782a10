/**
 * The SW's chunk cache in a real browser. It outlives the page: after a reload, and after the
 * browser stops the idle SW, a visitor gets every asset again from IndexedDB without asking the
 * origin. It is bounded: with a small cacheBytes, a larger file pushes the least recently used one
 * out of IndexedDB entirely, and the eviction withdraws the file at the tracker, so another
 * visitor is never sent to a peer that no longer holds it.
 */
import { expect, it } from '@jest/globals';
import { readCache, type CacheView } from './support/cache-view.js';
import { checkBody, useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

const ASSETS = [PATHS.index, ...PATHS.images, PATHS.medium];

/** Orders rows by path, for comparisons that must not depend on IndexedDB's key order. */
const byPath = (p: { path: string }, q: { path: string }): number => (p.path < q.path ? -1 : 1);

const e2e = useE2e();

/** Fetches every asset in the visitor's page and checks that its SW answered all of them from its cache. */
async function expectAllFromCache(visitor: Visitor, paths: readonly string[], when: string): Promise<void> {
  const { server } = e2e();
  const mark = server.requests.mark();
  const before = await visitor.sw();
  for (const path of paths) checkBody(await visitor.fetch(path), e2e().file(path), `${visitor.name} ${when}: ${path}`);
  const after = await visitor.sw();
  const total = paths.reduce((sum, p) => sum + e2e().file(p).size, 0);
  const delta = (pick: (s: typeof after) => number): number => pick(after) - pick(before);
  expect({
    when,
    responses: { cache: delta((s) => s.responses.cache), peer: delta((s) => s.responses.peer), origin: delta((s) => s.responses.origin) },
    bytes: { cache: delta((s) => s.bytes.cache), peer: delta((s) => s.bytes.peer), origin: delta((s) => s.bytes.origin) },
  }).toEqual({
    when,
    responses: { cache: paths.length, peer: 0, origin: 0 },
    bytes: { cache: total, peer: 0, origin: 0 },
  });
  expect(server.requests.find({ visitor: visitor.name, path: paths, after: mark })).toEqual([]);
}

it('serves every asset from the cache after a reload, and after the SW was stopped', async () => {
  const { server } = e2e();
  let a: Visitor | undefined;
  try {
    await e2e().run(async () => {
      a = await e2e().visitor('a');
      const mark = server.requests.mark();
      await e2e().seed(a, ASSETS);
      // The first visit had nobody to ask: all of it came from the origin.
      const first = await a.sw();
      const total = ASSETS.reduce((sum, p) => sum + e2e().file(p).size, 0);
      expect({ responses: first.responses.origin, bytes: first.bytes.origin, cache: first.bytes.cache, peer: first.bytes.peer }).toEqual({
        responses: ASSETS.length,
        bytes: total,
        cache: 0,
        peer: 0,
      });
      for (const path of ASSETS) expect({ path, atOrigin: server.requests.count({ visitor: 'a', path, after: mark }) > 0 }).toEqual({ path, atOrigin: true });

      const peerBefore = await a.peerId();
      await a.reload();
      // A new page: a new peer, so the reload really happened.
      expect(await a.peerId()).not.toBe(peerBefore);
      await expectAllFromCache(a, ASSETS, 'after a reload');

      // The SW's in-memory index goes with it; only what IndexedDB holds remains.
      await a.stopServiceWorker();
      await a.reload();
      await expectAllFromCache(a, ASSETS, 'after the SW was stopped and the page reloaded');
    });
  } finally {
    // The next test needs a swarm where nobody else holds the files.
    await a?.close();
  }
}, 90_000);

it('evicts the least recently used file within cacheBytes, and the withdraw keeps B off that peer', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    // Z (small) and X are cached first, then Z is used again, so X is the least recently used.
    // The bound fits Y with Z but not Y with X: storing Y must push out X, and only X.
    const z = e2e().file(PATHS.images[1]);
    const x = e2e().file(PATHS.images[3]);
    const y = e2e().file(PATHS.medium);
    const cacheBytes = y.size + z.size + Math.floor(x.size / 2);
    expect(z.size).toBeLessThan(Math.floor(x.size / 2));
    expect(x.size).toBeLessThan(y.size);
    expect(y.size + x.size).toBeGreaterThan(cacheBytes);
    const [zEntry, xEntry, yEntry] = await Promise.all([site.entry(z.path), site.entry(x.path), site.entry(y.path)]);
    const shared = xEntry.chunks.filter((c) => yEntry.chunks.includes(c) || zEntry.chunks.includes(c));
    expect(shared).toEqual([]);

    // Visitor 'a' of the first test closed: wait until the tracker lists nobody for these files.
    const hashes = [zEntry.integrity, xEntry.integrity, yEntry.integrity];
    await waitFor(
      () => hashes.flatMap((h) => server.holders(h)),
      (holders) => holders.length === 0,
      { timeoutMs: 10_000, what: 'the tracker to forget the closed visitor of the previous test' },
    );

    const lru = await e2e().visitor('lru', { cacheBytes });
    const lruId = await lru.peerId();
    await e2e().seed(lru, [z.path, x.path]);
    const before = await readCache(lru);
    // Records are keyed by file SRI; shown by path so a failure reads plainly.
    const pathOf = new Map<string, string>([
      [zEntry.integrity, z.path],
      [xEntry.integrity, x.path],
      [yEntry.integrity, y.path],
    ]);
    const stored = (view: CacheView): { path: string; complete: boolean; heldChunks: number }[] =>
      view.files.map((f) => ({ path: pathOf.get(f.key) ?? f.key, complete: f.complete, heldChunks: f.heldChunks })).sort(byPath);
    expect(stored(before)).toEqual([
      { path: z.path, complete: true, heldChunks: zEntry.chunks.length },
      { path: x.path, complete: true, heldChunks: xEntry.chunks.length },
    ].sort(byPath));
    expect(before.chunkBytes).toBe(z.size + x.size);
    // A cache hit marks Z used now.
    const zHit = (await lru.sw()).responses.cache;
    checkBody(await lru.fetch(z.path), z, `lru using ${z.path} again`);
    expect((await lru.sw()).responses.cache).toBe(zHit + 1);

    await e2e().seed(lru, [y.path]);
    await waitFor(
      () => server.holders(xEntry.integrity),
      (holders) => !holders.includes(lruId),
      { timeoutMs: 10_000, what: `the tracker to drop lru (${lruId}) as a holder of ${x.path} after its eviction` },
    );
    const after = await readCache(lru);
    expect(stored(after)).toEqual([
      { path: z.path, complete: true, heldChunks: zEntry.chunks.length },
      { path: y.path, complete: true, heldChunks: yEntry.chunks.length },
    ].sort(byPath));
    expect(after.chunkBytes).toBeLessThanOrEqual(cacheBytes);
    expect(after.chunkBytes).toBe(y.size + z.size);
    expect(after.chunks.filter((c) => (xEntry.chunks as readonly string[]).includes(c.key))).toEqual([]);
    expect({ z: server.holders(zEntry.integrity), y: server.holders(yEntry.integrity) }).toEqual({ z: [lruId], y: [lruId] });

    const b = await e2e().visitor('b');
    const afterReady = server.requests.mark();
    const lruBefore = await lru.stats();
    const bBefore = await b.sw();

    // X: the tracker names no holder, so B never even connects to lru; the origin serves it.
    checkBody(await b.fetch(x.path), x, `b fetching the evicted ${x.path}`);
    const bAfterX = await b.stats();
    const lruAfterX = await lru.stats();
    expect({
      peerBytes: bAfterX.sw!.bytes.peer - bBefore.bytes.peer,
      originBytes: bAfterX.sw!.bytes.origin - bBefore.bytes.origin,
      originResponses: bAfterX.sw!.responses.origin - bBefore.responses.origin,
      connections: bAfterX.connections,
      servedByLru: lruAfterX.servedChunks - lruBefore.servedChunks,
    }).toEqual({ peerBytes: 0, originBytes: x.size, originResponses: 1, connections: 0, servedByLru: 0 });
    expect(server.requests.count({ visitor: 'b', path: x.path, after: afterReady })).toBeGreaterThanOrEqual(1);

    // Y and Z, which lru still holds, do come from lru: the swarm itself works.
    const beforeKept = server.requests.mark();
    for (const kept of [y, z]) checkBody(await b.fetch(kept.path), kept, `b fetching ${kept.path} from lru`);
    const bAfterKept = await b.sw();
    const lruAfterKept = await lru.stats();
    expect({
      peerBytes: bAfterKept.bytes.peer - bAfterX.sw!.bytes.peer,
      originBytes: bAfterKept.bytes.origin - bAfterX.sw!.bytes.origin,
      atOrigin: server.requests.find({ visitor: 'b', path: [y.path, z.path], after: beforeKept }),
    }).toEqual({ peerBytes: y.size + z.size, originBytes: 0, atOrigin: [] });
    expect(lruAfterKept.servedChunks - lruAfterX.servedChunks).toBeGreaterThanOrEqual(yEntry.chunks.length + zEntry.chunks.length);
  });
}, 90_000);
