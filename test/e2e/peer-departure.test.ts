/**
 * A peer that leaves mid-transfer: A serves the large file throttled (uploadBytesPerSecond), B
 * starts fetching it, and A's whole browser context closes once B has some of it. B's fetch still
 * completes, byte for byte: part from A, the rest from the origin as byte ranges.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import { withTimeout } from './support/wait.js';

/** 4 MB/s: the 24 MiB file would take ~6 s from A, so closing A lands mid-transfer. */
const UPLOAD_BYTES_PER_SECOND = 4_000_000;

const e2e = useE2e({ large: true });

it('completes the large file from the origin when A leaves mid-transfer', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a', { uploadBytesPerSecond: UPLOAD_BYTES_PER_SECOND });
    await e2e().seed(a, [PATHS.large]);
    const b = await e2e().visitor('b', { stallMs: 1_000 });
    const afterReady = server.requests.mark();

    const transfer = b.startFetch(PATHS.large);
    transfer.catch(() => undefined); // awaited below, bounded; do not let an early rejection go unhandled
    const file = e2e().file(PATHS.large);
    const during = await b.waitForStats((s) => (s.sw?.bytes.peer ?? 0) > 0, 'some peer bytes of the large file', 20_000);
    const peerAtClose = during.sw!.bytes.peer;
    expect(peerAtClose).toBeLessThan(file.size / 2);
    await a.close();

    const result = await withTimeout(transfer, 60_000, 'b: the large file after A left');
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });

    const sw = await b.sw();
    expect(sw.bytes.peer).toBeGreaterThanOrEqual(peerAtClose);
    expect(sw.bytes.peer).toBeLessThan(file.size);
    expect(sw.bytes.origin).toBeGreaterThan(0);
    expect(sw.bytes.peer + sw.bytes.origin).toBeGreaterThanOrEqual(file.size);
    expect(sw.badChunks).toBe(0);
    // The rest came from the origin as byte ranges, never as the whole file again.
    const fromOrigin = server.requests.find({ visitor: 'b', path: PATHS.large, after: afterReady });
    expect(fromOrigin.length).toBeGreaterThanOrEqual(1);
    expect(fromOrigin.every((r) => r.range !== undefined)).toBe(true);
  });
}, 150_000);
