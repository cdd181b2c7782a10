/**
 * A stale manifest: after the server started, one file of the site changes on disk (same size,
 * other bytes) while the signed manifest still names the old content. The site is the authority,
 * so a visitor still gets the new bytes from the origin; but origin bytes are checked against the
 * manifest too, and bytes that do not match are served and never cached or shared: no file
 * record or chunk of that file in IndexedDB, a second fetch goes to the origin again (through the
 * browser's HTTP cache, as it would without us), and another
 * visitor gets nothing of it from a peer. An untouched file in the same run is cached and shared
 * as usual, so "not cached because stale" is told apart from "nothing is cached".
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { readCache } from './support/cache-view.js';
import { checkBody, useE2e } from './support/env.js';
import { PATHS, sha256Hex, type SiteFile } from './support/site.js';


/** The file whose bytes change on disk after the manifest was signed: a dozen chunks, every one of them changed. */
const STALE = PATHS.medium;
/** Untouched files fetched in the same run: cached and shared as usual. */
const CONTROL = [PATHS.images[3], PATHS.images[1]] as const;

const e2e = useE2e();

/**
 * Overwrites a site file in place with bytes of the same length that differ in every byte. Only
 * the file is written: the manifest is not rebuilt (the server of these tests has no signing key
 * and no watch, so nothing rebuilds it). Resolves to the file as it is on disk now.
 */
async function overwriteOnDisk(path: string): Promise<SiteFile> {
  const { site } = e2e();
  const old = await site.bytes(path);
  const fresh = Buffer.from(old.map((b) => b ^ 0x5a));
  await writeFile(join(site.dir, ...path.slice(1).split('/')), fresh);
  return { path, size: fresh.length, sha256: sha256Hex(fresh) };
}

it('serves origin bytes that do not match the manifest, and never caches or shares them', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    const manifestBefore = server.published();
    const staleEntry = await site.entry(STALE);
    const controlEntries = await Promise.all(CONTROL.map((p) => site.entry(p)));
    const original = e2e().file(STALE);

    const current = await overwriteOnDisk(STALE);
    expect(current.size).toBe(original.size);
    expect(current.sha256).not.toBe(original.sha256);
    expect((await site.bytes(STALE)).length).toBe(staleEntry.size);
    // The manifest is the one signed before the change, on disk and as the server publishes it.
    expect(server.published()).toEqual(manifestBefore);
    expect(await site.entry(STALE)).toEqual(staleEntry);

    const a = await e2e().visitor('a');
    const aId = await a.peerId();
    const mark = server.requests.mark();

    // First fetch: the new bytes, counted as origin bytes.
    const aBefore = await a.sw();
    checkBody(await a.fetch(STALE), current, `a fetching the changed ${STALE}`);
    const aAfter = await a.sw();
    expect({
      originBytes: aAfter.bytes.origin - aBefore.bytes.origin,
      peerBytes: aAfter.bytes.peer - aBefore.bytes.peer,
      cacheBytes: aAfter.bytes.cache - aBefore.bytes.cache,
    }).toEqual({ originBytes: current.size, peerBytes: 0, cacheBytes: 0 });
    expect(server.requests.count({ visitor: 'a', path: STALE, after: mark })).toBe(1);

    // Control: untouched files are cached (and announced) as usual in the same visitor.
    await e2e().seed(a, CONTROL);

    const view = await readCache(a);
    // Nothing of the stale file: no record, none of its chunks.
    expect(view.files.filter((f) => f.key === staleEntry.integrity)).toEqual([]);
    expect(view.chunks.filter((c) => (staleEntry.chunks as readonly string[]).includes(c.key))).toEqual([]);
    // The control files are complete records with all their chunks.
    const controlRecords = controlEntries.map((e) => view.files.find((f) => f.key === e.integrity));
    expect(controlRecords.map((r) => (r ? { complete: r.complete, held: r.heldChunks } : undefined))).toEqual(
      controlEntries.map((e) => ({ complete: true, held: e.chunks.length })),
    );
    for (const e of controlEntries) {
      expect({ integrity: e.integrity, missing: e.chunks.filter((c) => !view.chunks.some((held) => held.key === c)) }).toEqual({ integrity: e.integrity, missing: [] });
    }
    // A announced the control files, never the stale one.
    expect(server.holders(staleEntry.integrity)).toEqual([]);
    for (const e of controlEntries) expect(server.holders(e.integrity)).toContain(aId);

    // Second fetch: the origin again (or the browser's HTTP cache, by the origin's own max-age), never our cache.
    const aBeforeSecond = await a.sw();
    checkBody(await a.fetch(STALE), current, `a fetching the changed ${STALE} again`);
    const aAfterSecond = await a.sw();
    expect(server.requests.count({ visitor: 'a', path: STALE, after: mark })).toBeGreaterThanOrEqual(1);
    expect({
      cacheBytes: aAfterSecond.bytes.cache - aBeforeSecond.bytes.cache,
      cacheResponses: aAfterSecond.responses.cache - aBeforeSecond.responses.cache,
      originResponses: aAfterSecond.responses.origin - aBeforeSecond.responses.origin,
    }).toEqual({ cacheBytes: 0, cacheResponses: 0, originResponses: 1 });
    const viewAfterSecond = await readCache(a);
    expect(viewAfterSecond.files.filter((f) => f.key === staleEntry.integrity)).toEqual([]);
    expect(viewAfterSecond.chunks.filter((c) => (staleEntry.chunks as readonly string[]).includes(c.key))).toEqual([]);
    expect(server.holders(staleEntry.integrity)).toEqual([]);

    // B: nobody holds the stale file, so no peer bytes; the origin's new bytes.
    const b = await e2e().visitor('b');
    const bMark = server.requests.mark();
    const aServedBefore = (await a.stats()).servedChunks;
    const bBefore = await b.sw();
    checkBody(await b.fetch(STALE), current, `b fetching the changed ${STALE}`);
    const bAfter = await b.sw();
    expect({
      peerBytes: bAfter.bytes.peer - bBefore.bytes.peer,
      originBytes: bAfter.bytes.origin - bBefore.bytes.origin,
      servedByA: (await a.stats()).servedChunks - aServedBefore,
    }).toEqual({ peerBytes: 0, originBytes: current.size, servedByA: 0 });
    expect(server.requests.count({ visitor: 'b', path: STALE, after: bMark })).toBeGreaterThanOrEqual(1);

    // Control: B gets a control file from A, so sharing itself works in this swarm.
    const control = e2e().file(CONTROL[0]);
    const bBeforeControl = await b.sw();
    checkBody(await b.fetch(control.path), control, `b fetching ${control.path} from a`);
    const bAfterControl = await b.sw();
    expect({
      peerBytes: bAfterControl.bytes.peer - bBeforeControl.bytes.peer,
      originRequests: server.requests.count({ visitor: 'b', path: control.path, after: bMark }),
    }).toEqual({ peerBytes: control.size, originRequests: 0 });

    const bView = await readCache(b);
    expect(bView.files.filter((f) => f.key === staleEntry.integrity)).toEqual([]);
    expect(bView.chunks.filter((c) => (staleEntry.chunks as readonly string[]).includes(c.key))).toEqual([]);

    // Nothing changed the manifest during the run.
    expect(server.published()).toEqual(manifestBefore);
    expect(await site.entry(STALE)).toEqual(staleEntry);
  });
}, 120_000);
