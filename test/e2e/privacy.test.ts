/**
 * Privacy: only exact manifest paths on plain GETs ever touch peers. A path the manifest leaves
 * out, a credentialed request and a request with an Authorization header go to the origin — B's
 * peer bytes do not move and A serves nothing — while a plain GET of a manifest path, asked right
 * after as the control, does come from A.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import type { FetchOptions } from './support/visitor.js';


const e2e = useE2e();

it('sends unlisted paths, credentialed and authorized requests to the origin, never to peers', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    // A holds every listed file, so a peer could have answered any manifest path below.
    await e2e().seed(a, [PATHS.index, ...PATHS.images, PATHS.medium]);
    const b = await e2e().visitor('b');
    const aBefore = await a.stats();
    const bBefore = await b.sw();

    // Each case uses its own path: B's HTTP cache must not answer a later case from an earlier one.
    const cases: { path: string; options: FetchOptions; authorization: boolean }[] = [
      { path: PATHS.outside, options: {}, authorization: false },
      { path: PATHS.images[1], options: { credentials: 'include' }, authorization: false },
      { path: PATHS.images[2], options: { headers: { Authorization: 'Bearer e2e-secret' } }, authorization: true },
    ];
    for (const c of cases) {
      const mark = server.requests.mark();
      const result = await b.fetch(c.path, c.options);
      const file = e2e().file(c.path);
      expect({ path: c.path, status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ path: c.path, status: 200, size: file.size, sha256: file.sha256 });
      const atOrigin = server.requests.find({ visitor: 'b', path: c.path, after: mark });
      expect({ path: c.path, requests: atOrigin.length, ranged: atOrigin.some((r) => r.range !== undefined), authorization: atOrigin[0]?.authorization }).toEqual({
        path: c.path,
        requests: 1,
        ranged: false,
        authorization: c.authorization,
      });
    }

    const bAfter = await b.sw();
    const aAfter = await a.stats();
    expect(bAfter.bytes.peer).toBe(bBefore.bytes.peer);
    expect(bAfter.responses.peer).toBe(bBefore.responses.peer);
    expect(aAfter.servedChunks).toBe(aBefore.servedChunks);
    expect(aAfter.uploadBytes).toBe(aBefore.uploadBytes);

    // The control: a plain GET of a manifest path is served by A, so the refusals above were choices.
    const control = PATHS.images[3];
    const mark = server.requests.mark();
    const result = await b.fetch(control);
    expect(result.sha256).toBe(e2e().file(control).sha256);
    expect(server.requests.count({ visitor: 'b', path: control, after: mark })).toBe(0);
    expect((await b.sw()).bytes.peer - bAfter.bytes.peer).toBe(e2e().file(control).size);
    expect((await a.stats()).servedChunks).toBeGreaterThan(aAfter.servedChunks);
  });
}, 120_000);
