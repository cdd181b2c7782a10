/**
 * Range requests through the SW, served from a peer: a range in the middle of the large file
 * (across chunk boundaries) and an open-ended tail both answer 206 with the right Content-Range and
 * the right bytes, and B never asks the origin for the file.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PATHS, sha256Hex } from './support/site.js';


const e2e = useE2e({ large: true });

it('answers Range requests into the large file from A: 206, Content-Range, the right bytes, no origin request', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    await e2e().seed(a, [PATHS.large]);
    const b = await e2e().visitor('b');
    const afterReady = server.requests.mark();

    const bytes = await site.bytes(PATHS.large);
    const size = bytes.length;
    const chunkSize = (await site.manifest()).chunkSize;
    // Starts and ends mid-chunk, spanning several chunk boundaries.
    const first = 10 * 1024 * 1024 + 12_345;
    const last = first + 3 * chunkSize + 777;
    const middle = await b.fetch(PATHS.large, { headers: { Range: `bytes=${first}-${last}` } });
    expect(middle).toEqual({
      status: 206,
      size: last - first + 1,
      sha256: sha256Hex(bytes.subarray(first, last + 1)),
      contentRange: `bytes ${first}-${last}/${size}`,
    });

    const tailFrom = size - 1000;
    const tail = await b.fetch(PATHS.large, { headers: { Range: `bytes=${tailFrom}-` } });
    expect(tail).toEqual({
      status: 206,
      size: 1000,
      sha256: sha256Hex(bytes.subarray(tailFrom)),
      contentRange: `bytes ${tailFrom}-${size - 1}/${size}`,
    });

    expect(server.requests.find({ visitor: 'b', path: PATHS.large, after: afterReady })).toEqual([]);
    const sw = await b.sw();
    expect(sw.bytes.peer).toBeGreaterThanOrEqual(last - first + 1 + 1000);
    expect(sw.bytes.origin).toBe(0);
    expect(sw.responses.peer).toBe(2);
  });
}, 120_000);
