/**
 * Upload fairness, requests and pieces nobody asked for, between real pages.
 * - A serves a file at a capped rate. H downloads it as hard as the protocol lets one peer (sixteen
 *   chunk requests in flight through its bridge, the next one out the moment one ends), which alone
 *   takes every one of A's sixteen upload slots. B then loads the file through its SW: A takes slots
 *   back from H for B's requests, and B gets the file from A, instead of `busy` and the origin.
 * - Y's page sends thirty-two extra requests with every request its bridge sends, and ignores their
 *   answers: more unanswered requests than the protocol allows. A drops Y (PEER_PROTOCOL, counted in droppedPeers) and still serves C.
 * - X serves a file but follows the last piece of every chunk with a copy of it: a piece for a
 *   request D has already finished. D drops X, still gets the file whole (the origin takes what X
 *   did not send), and still gets files from an honest peer.
 */
import { expect, it } from '@jest/globals';
import type { Sha256Sri } from '../../protocol/manifest/types.js';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

/** Runs in X's page: every piece frame that ends its chunk is sent twice. */
const REPEAT_LAST_PIECE = `(() => {
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    send.call(this, data);
    if (data instanceof Uint8Array && data[0] === 2 && data.length > 13) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (view.getUint32(5) + data.length - 13 === view.getUint32(9)) send.call(this, data);
    }
  };
})();`;

/**
 * Runs in Y's page: every request frame goes out with thirty-two more for the same chunk, under ids
 * its bridge never uses, and answers to those ids never reach its bridge (a requester that ignores
 * them, so only the holder can end this). From Y's first request on, the holder has more than the
 * sixteen unanswered the protocol allows, whatever it answered in between.
 */
const EXTRA_REQUESTS = `(() => {
  const FAKE_FROM = 0x70000000;
  const send = RTCDataChannel.prototype.send;
  let next = FAKE_FROM;
  RTCDataChannel.prototype.send = function (data) {
    send.call(this, data);
    if (data instanceof Uint8Array && data[0] === 1 && data.length === 37) {
      for (let i = 0; i < 32; i++) {
        const extra = data.slice();
        new DataView(extra.buffer).setUint32(1, next++);
        send.call(this, extra);
      }
    }
  };
  const fake = (data) => {
    if (!(data instanceof ArrayBuffer) || data.byteLength < 5) return false;
    const view = new DataView(data);
    return (view.getUint8(0) === 2 || view.getUint8(0) === 3) && view.getUint32(1) >= FAKE_FROM;
  };
  // peerjs reads its data channel through onmessage.
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true,
    get() { return onmessage.get.call(this); },
    set(handler) {
      onmessage.set.call(this, typeof handler === 'function' ? function (event) { if (!fake(event.data)) return handler.call(this, event); } : handler);
    },
  });
})();`;

/** 4 MB/s: A's answers take long enough (a 256 KiB chunk every ~65 ms) that its slots are always full. */
const A_UPLOAD_BYTES_PER_SECOND = 4_000_000;
/** Request ids far above the SW's own, so the page's loops never collide with a SW request. */
const LOOP_ID_BASE = 2_000_000_000;

interface LoopCounts {
  readonly ok: number;
  readonly failed: Readonly<Record<string, number>>;
}

/**
 * Starts `workers` loops in the visitor's page, each asking its bridge for the file's chunks in turn;
 * after a failure a loop pauses 250 ms, as the SW does before it asks peers again.
 */
async function startLoops(v: Visitor, workers: number, file: Sha256Sri, chunks: readonly Sha256Sri[], sizes: readonly number[], base: number): Promise<void> {
  await v.page.evaluate(
    ({ workers, file, chunks, sizes, base }) => {
      type Result = { ok: true } | { ok: false; code: string };
      const w = window as unknown as {
        swarmcdn: { swarm: { bridge: { getChunk(r: object): Promise<Result> } } };
        __loops: { ok: number; failed: Record<string, number>; stop: boolean };
      };
      const state = { ok: 0, failed: {} as Record<string, number>, stop: false };
      w.__loops = state;
      let next = 0;
      for (let worker = 0; worker < workers; worker++) {
        void (async () => {
          for (let k = worker; !state.stop; k++) {
            const at = k % chunks.length;
            const result = await w.swarmcdn.swarm.bridge.getChunk({ id: base + next++, file, chunk: chunks[at], size: sizes[at] });
            if (result.ok) state.ok += 1;
            else {
              state.failed[result.code] = (state.failed[result.code] ?? 0) + 1;
              await new Promise((r) => setTimeout(r, 250));
            }
          }
        })();
      }
    },
    { workers, file, chunks: [...chunks], sizes: [...sizes], base },
  );
}

function loops(v: Visitor, stop = false): Promise<LoopCounts> {
  return v.page.evaluate((stop) => {
    const state = (window as unknown as { __loops: { ok: number; failed: Record<string, number>; stop: boolean } }).__loops;
    if (stop) state.stop = true;
    return { ok: state.ok, failed: { ...state.failed } };
  }, stop);
}

const e2e = useE2e();

it('a downloader that keeps every upload slot busy does not keep a second one from being served', async () => {
  const { site, server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a', { uploadBytesPerSecond: A_UPLOAD_BYTES_PER_SECOND });
    await e2e().seed(a, [PATHS.medium]);
    const entry = await site.entry(PATHS.medium);
    const chunkSize = (await site.manifest()).chunkSize;
    const sizes = entry.chunks.map((_, i) => Math.min(chunkSize, entry.size - i * chunkSize));
    const h = await e2e().visitor('h');
    const b = await e2e().visitor('b');

    // More loops than the 16 requests a session keeps in flight: the next waits in H's session and goes out the moment one ends.
    await startLoops(h, 32, entry.integrity, entry.chunks, sizes, LOOP_ID_BASE);
    await waitFor(() => loops(h), (c) => c.ok >= 8, { timeoutMs: 15_000, intervalMs: 100, what: 'h: chunks flowing from A' });

    // B loads the file as a page does, through its SW: a peer that answers `busy` sends that span to the origin.
    const afterStart = server.requests.mark();
    const result = await b.fetch(PATHS.medium);
    const hCounts = await loops(h, true);
    const file = e2e().file(PATHS.medium);
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });
    const sw = await b.sw();
    // Before slots were shared, H took back nearly every slot it freed and B got most of the file from the origin.
    expect(sw.bytes.peer).toBeGreaterThanOrEqual(0.9 * file.size);
    expect(server.requests.count({ visitor: 'b', path: PATHS.medium, after: afterStart })).toBe(0);
    // H was held to its share, not dropped: asking hard is not a violation.
    expect(hCounts.ok).toBeGreaterThanOrEqual(8);
    expect((await a.stats()).droppedPeers).toBe(0);
    // The next tests want A as the only holder of the file.
    await Promise.all([h.close(), b.close()]);
  });
}, 60_000);

it('a requester with more requests unanswered than the protocol allows is dropped; an honest one is still served', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = e2e().browser.visitors.find((v) => v.name === 'a' && !v.isClosed) ?? (await e2e().visitor('a'));
    await e2e().seed(a, [PATHS.medium]);
    const droppedBefore = (await a.stats()).droppedPeers;
    // The downloaders of the test above are gone from A too: a session still closing would hold upload
    // slots, leaving Y its fair share (8) and never the seventeenth unanswered request.
    await a.waitForStats((s) => s.connections === 0, 'a: no session left from the test above', 15_000);
    const y = await e2e().browser.visitor('y');
    await y.context.addInitScript(EXTRA_REQUESTS);
    await y.open(server.url);
    await y.ready();
    const taken = await y.fetch(PATHS.medium);
    expect(taken.sha256).toBe(e2e().file(PATHS.medium).sha256);
    await a.waitForStats((s) => s.droppedPeers === droppedBefore + 1, 'a: Y dropped', 10_000);
    await y.close();

    const c = await e2e().visitor('c');
    const result = await c.fetch(PATHS.medium);
    expect(result.sha256).toBe(e2e().file(PATHS.medium).sha256);
    expect((await c.sw()).bytes.peer).toBeGreaterThan(0);
  });
}, 60_000);

it('a peer that sends a piece for a request already finished is dropped; the downloader still gets every byte', async () => {
  await e2e().run(async () => {
    const photo = PATHS.images[3];
    const x = await e2e().browser.visitor('x');
    await x.context.addInitScript(REPEAT_LAST_PIECE);
    await x.open(e2e().server.url);
    await x.ready();
    await e2e().seed(x, [photo]);

    const d = await e2e().visitor('d');
    const result = await d.fetch(photo);
    const file = e2e().file(photo);
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });
    const stats = await d.waitForStats((s) => s.droppedPeers >= 1, 'd: X dropped', 10_000);
    expect(stats.droppedPeers).toBe(1);
    expect(stats.sw?.bytes.peer).toBeGreaterThan(0);
    expect(stats.sw?.badChunks).toBe(0);

    // An honest holder (A, from the first tests, or a new one) still serves D.
    if (!e2e().browser.visitors.some((v) => v.name === 'a' && !v.isClosed)) await e2e().seed(await e2e().visitor('a'), [PATHS.medium]);
    const medium = await d.fetch(PATHS.medium);
    expect(medium.sha256).toBe(e2e().file(PATHS.medium).sha256);
    expect((await d.sw()).bytes.peer).toBeGreaterThan(stats.sw!.bytes.peer);
  });
}, 60_000);
