/**
 * What a page loads with elements rather than fetch(). An <img> without a crossorigin attribute is
 * a no-cors request whose credentials mode is 'include', and the SW still routes it (route-match):
 * B's images come from A, decoded at their real size. An <audio> element reads a WAV the way media
 * players do, with Range requests (from 0, then from the seek position), and the SW answers them
 * from the swarm too: 206s, bytes from the peer (the seek's chunk may already be in the viewer's own
 * cache, read ahead by the first response), no request for the file at the origin.
 */
import { expect, it } from '@jest/globals';
import type { Response } from 'playwright-core';
import { useE2e } from './support/env.js';
import { IMAGE_SIZES, MEDIA_SECONDS, PATHS } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor, withTimeout } from './support/wait.js';


const e2e = useE2e({ media: true });

/** What the browser reported of one response the page received for a path. */
interface SeenResponse {
  readonly path: string;
  readonly resourceType: string;
  readonly range: string | null;
  readonly status: number;
  readonly fromServiceWorker: boolean;
}

/** Records the responses the visitor's page gets for `paths` (DevTools view: resource type, Range, SW or not). */
function watchResponses(visitor: Visitor, paths: readonly string[]): SeenResponse[] {
  const seen: SeenResponse[] = [];
  visitor.page.on('response', (response: Response) => {
    const request = response.request();
    const path = new URL(request.url()).pathname;
    if (!paths.includes(path)) return;
    seen.push({
      path,
      resourceType: request.resourceType(),
      range: request.headers()['range'] ?? null,
      status: response.status(),
      fromServiceWorker: response.fromServiceWorker(),
    });
  });
  return seen;
}

it('loads <img> elements from a peer: decoded at their size, no origin request', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    const images = [...PATHS.images];
    const a = await e2e().visitor('a');
    await e2e().seed(a, images);

    const b = await e2e().visitor('b');
    const seen = watchResponses(b, images);
    const afterReady = server.requests.mark();
    const aBefore = await a.stats();
    const bBefore = await b.sw();

    const decoded = await withTimeout(
      b.page.evaluate(async (paths) => {
        const load = async (path: string) => {
          const img = document.createElement('img');
          img.src = path;
          document.body.append(img);
          await img.decode();
          return { path, width: img.naturalWidth, height: img.naturalHeight };
        };
        return Promise.all(paths.map(load));
      }, images),
      20_000,
      'b: every <img> to load and decode',
    );
    expect(decoded).toEqual(images.map((path) => ({ path, ...IMAGE_SIZES[path] })));

    await waitFor(() => seen.length, (n) => n >= images.length, { timeoutMs: 5_000, what: 'b: the browser to report every image response' });
    const total = images.reduce((sum, p) => sum + e2e().file(p).size, 0);
    const bAfter = await b.sw();
    expect({
      peerBytes: bAfter.bytes.peer - bBefore.bytes.peer,
      originBytes: bAfter.bytes.origin - bBefore.bytes.origin,
      peerResponses: bAfter.responses.peer - bBefore.responses.peer,
      originResponses: bAfter.responses.origin - bBefore.responses.origin,
    }).toEqual({ peerBytes: total, originBytes: 0, peerResponses: images.length, originResponses: 0 });
    expect(server.requests.find({ visitor: 'b', path: images, after: afterReady })).toEqual([]);
    // They were element loads (not fetches), and the SW answered each.
    const byPath = (p: { path: string }, q: { path: string }): number => (p.path < q.path ? -1 : 1);
    expect(seen.map(({ path, resourceType, fromServiceWorker, status }) => ({ path, resourceType, fromServiceWorker, status })).sort(byPath)).toEqual(
      images.map((path) => ({ path, resourceType: 'image', fromServiceWorker: true, status: 200 })).sort(byPath),
    );

    const chunks = (await Promise.all(images.map((p) => site.entry(p)))).reduce((sum, e) => sum + e.chunks.length, 0);
    expect((await a.stats()).servedChunks - aBefore.servedChunks).toBeGreaterThanOrEqual(chunks);
  });
}, 90_000);

it('answers an <audio> element\'s Range requests, the seek included, from the swarm', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const media = e2e().file(PATHS.media);
    const seeder = await e2e().visitor('media-seeder');
    await e2e().seed(seeder, [PATHS.media]);

    const viewer = await e2e().visitor('media-viewer');
    const seen = watchResponses(viewer, [PATHS.media]);
    const afterReady = server.requests.mark();
    const before = await viewer.sw();

    // Seek near the end: past anything a metadata-only preload has read.
    const seekTo = MEDIA_SECONDS - 3;
    const played = await withTimeout(
      viewer.page.evaluate(
        async ({ path, seekTo }) => {
          const audio = document.createElement('audio');
          audio.preload = 'metadata';
          const event = (name: string) =>
            new Promise<void>((resolve, reject) => {
              audio.addEventListener(name, () => resolve(), { once: true });
              audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}: ${audio.error?.message}`)), { once: true });
            });
          const metadata = event('loadedmetadata');
          audio.src = path;
          document.body.append(audio);
          await metadata;
          const seeked = event('seeked');
          audio.currentTime = seekTo;
          await seeked;
          return { duration: audio.duration, currentTime: audio.currentTime, readyState: audio.readyState };
        },
        { path: PATHS.media, seekTo },
      ),
      20_000,
      'media-viewer: <audio> metadata, then a seek',
    );
    expect(played.duration).toBeCloseTo(MEDIA_SECONDS, 1);
    expect(played.currentTime).toBeCloseTo(seekTo, 1);

    // Response events reach the test over the same channel as the evaluate, but do not rely on it.
    await waitFor(() => seen.length, (n) => n >= 2, { timeoutMs: 5_000, what: 'media-viewer: the browser to report both media responses' });
    const after = await viewer.sw();
    expect({
      originBytes: after.bytes.origin - before.bytes.origin,
      originResponses: after.responses.origin - before.responses.origin,
      badChunks: after.badChunks - before.badChunks,
    }).toEqual({ originBytes: 0, originResponses: 0, badChunks: 0 });
    expect(after.bytes.peer - before.bytes.peer).toBeGreaterThan(0);
    expect(server.requests.find({ visitor: 'media-viewer', path: PATHS.media, after: afterReady })).toEqual([]);

    // The element asked by Range, once from somewhere past the start (the seek), and the SW answered every request with a 206.
    const starts = seen.map((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1] ?? NaN));
    expect(seen.every((r) => r.resourceType === 'media' && r.fromServiceWorker && r.status === 206)).toBe(true);
    expect(starts.every((s) => Number.isInteger(s))).toBe(true);
    expect(Math.max(...starts)).toBeGreaterThan(media.size / 2);
  });
}, 90_000);
