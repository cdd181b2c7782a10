/**
 * A peer that serves bad bytes: A's cached copy of one chunk is overwritten in IndexedDB, so A
 * sends bytes that do not hash to the manifest. B's SW refuses the chunk (badChunks), its bridge
 * drops A, the chunk comes from the origin as a Range request, and B's page still gets the file
 * exactly as on disk.
 */
import { expect, it } from '@jest/globals';
import { CACHE_STORES } from '../../protocol/messages/sw-page.js';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';


const e2e = useE2e();

it('refuses a tampered chunk from A, drops A, and completes the file from the origin', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    await e2e().seed(a, [PATHS.medium]);

    const entry = await site.entry(PATHS.medium);
    expect(entry.chunks.length).toBeGreaterThan(8);
    // A chunk in the middle: B has taken good chunks from A before it meets the bad one.
    const badIndex = 5;
    const tampered = await a.tamperChunk(CACHE_STORES.chunks.db, CACHE_STORES.chunks.store, entry.chunks[badIndex]!);
    expect(tampered).toMatchObject({ found: true, size: (await site.manifest()).chunkSize });

    const b = await e2e().visitor('b', { stallMs: 1_000 });
    const afterReady = server.requests.mark();
    const result = await b.fetch(PATHS.medium);
    const file = e2e().file(PATHS.medium);
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });

    const sw = await b.sw();
    expect(sw.badChunks).toBeGreaterThanOrEqual(1);
    expect(sw.bytes.origin).toBeGreaterThan(0);
    expect((await b.stats()).droppedPeers).toBeGreaterThanOrEqual(1);
    // The bad chunk (and whatever followed it) came from the origin as byte ranges.
    const fromOrigin = server.requests.find({ visitor: 'b', path: PATHS.medium, after: afterReady });
    expect(fromOrigin.length).toBeGreaterThanOrEqual(1);
    expect(fromOrigin.every((r) => r.range !== undefined)).toBe(true);
    const chunkSize = (await site.manifest()).chunkSize;
    const badFirst = badIndex * chunkSize;
    const badLast = Math.min(badFirst + chunkSize, file.size) - 1;
    const covering = fromOrigin.filter((r) => {
      const m = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? '');
      return m !== null && Number(m[1]) <= badFirst && (m[2] === '' || Number(m[2]) >= badLast);
    });
    expect(covering.length).toBeGreaterThanOrEqual(1);
  });
}, 120_000);
