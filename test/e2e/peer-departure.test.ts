/**
 * A peer that leaves mid-transfer: A serves the large file throttled (uploadBytesPerSecond), B
 * starts fetching it, and A's whole browser context closes once B has some of it. B's fetch still
 * completes, byte for byte: part from A, the rest from the origin as byte ranges.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startE2e, type E2eEnv } from './support/env.js';
import { PATHS } from './support/site.js';
import { withTimeout } from './support/wait.js';

let env: E2eEnv | undefined;
/** 4 MB/s: the 24 MiB file would take ~6 s from A, so closing A lands mid-transfer. */
const UPLOAD_BYTES_PER_SECOND = 4_000_000;

beforeAll(async () => {
  env = await startE2e({ large: true });
}, 60_000);

afterAll(async () => {
  await env?.close();
}, 30_000);

it('completes the large file from the origin when A leaves mid-transfer', async () => {
  const { server } = env!;
  await env!.run(async () => {
    const a = await env!.visitor('a', { uploadBytesPerSecond: UPLOAD_BYTES_PER_SECOND });
    await env!.seed(a, [PATHS.large]);
    const b = await env!.visitor('b', { stallMs: 1_000 });
    const afterReady = server.requests.mark();

    const transfer = b.startFetch(PATHS.large);
    transfer.catch(() => undefined); // awaited below, bounded; do not let an early rejection go unhandled
    const file = env!.file(PATHS.large);
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
