/**
 * A holder with fewer upload slots than a response's window answers `busy` to the rest of the
 * window. Busy is late, not failed: the downloader asks that holder again as its own answers end,
 * and takes the whole file from it, with nothing sent to the origin.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';

const e2e = useE2e();

it('a lone holder with two upload slots serves a whole file to a SW asking eight chunks at once; nothing goes to the origin', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a', { maxUploads: 2 });
    await e2e().seed(a, [PATHS.medium]);
    const b = await e2e().visitor('b');
    const mark = server.requests.mark();
    const result = await b.fetch(PATHS.medium);
    const file = e2e().file(PATHS.medium);
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });
    const sw = await b.sw();
    // Before, each `busy` failed its chunk over, and the origin took the rest of the file from there.
    expect({ peer: sw.bytes.peer, origin: sw.bytes.origin, handovers: sw.handovers }).toEqual({ peer: file.size, origin: 0, handovers: { firstByte: 0, rate: 0, peerFailed: 0 } });
    expect(server.requests.count({ visitor: 'b', path: PATHS.medium, after: mark })).toBe(0);
  });
}, 60_000);
