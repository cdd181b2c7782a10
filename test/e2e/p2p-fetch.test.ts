/**
 * The transparent P2P fetch path: visitor A loads the site from the origin and caches every asset;
 * visitor B then gets every asset through its SW from A — not one origin request for a manifest
 * path after B is ready, the SW counts all of it as peer bytes, and every body is the file on disk.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';

const ASSETS = [PATHS.index, ...PATHS.images, PATHS.medium];

const e2e = useE2e();

it('B gets every manifest asset from A, none from the origin, byte for byte', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    // The fixture lists exactly these, so "every manifest asset" is checked, not assumed.
    expect([...site.files.keys()].sort()).toEqual([...ASSETS].sort());
    const a = await e2e().visitor('a');
    expect((await a.sw()).manifestVersion).toBe(1);
    await e2e().seed(a, ASSETS);
    const aBefore = await a.stats();

    const b = await e2e().visitor('b');
    const afterReady = server.requests.mark();
    const results = [];
    for (const path of ASSETS) results.push({ path, ...(await b.fetch(path)) });

    for (const r of results) {
      const file = e2e().file(r.path);
      expect({ path: r.path, status: r.status, size: r.size, sha256: r.sha256 }).toEqual({ path: r.path, status: 200, size: file.size, sha256: file.sha256 });
    }
    expect(server.requests.find({ visitor: 'b', path: ASSETS, after: afterReady })).toEqual([]);

    const total = ASSETS.reduce((sum, p) => sum + e2e().file(p).size, 0);
    const sw = await b.sw();
    expect(sw.bytes.peer).toBe(total);
    expect(sw.bytes.origin).toBe(0);
    expect(sw.responses.peer).toBe(ASSETS.length);
    expect(sw.badChunks).toBe(0);

    // A served them: its upload counters moved by at least every chunk B needed.
    const chunks = (await Promise.all(ASSETS.map((p) => site.entry(p)))).reduce((sum, e) => sum + e.chunks.length, 0);
    const aAfter = await a.stats();
    expect(aAfter.servedChunks - aBefore.servedChunks).toBeGreaterThanOrEqual(chunks);
    expect(aAfter.uploadBytes - aBefore.uploadBytes).toBeGreaterThanOrEqual(total);
  });
}, 120_000);
