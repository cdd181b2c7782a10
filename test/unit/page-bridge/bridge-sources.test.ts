/**
 * The bridge with several holders of one file: concurrent chunk requests spread over them, a
 * holder that failed goes last, a `hedge` request goes only to a holder not already sending that
 * chunk (PEER_NONE at once when there is none), and the bytes each peer delivered are counted.
 */
import { describe, expect, it } from '@jest/globals';
import { createBridgeApi, type BridgePool, type BridgeTracker } from '../../../page-bridge/bridge-api.js';
import { PageCounters } from '../../../page-bridge/counters.js';
import type { RequestResult } from '../../../page-bridge/peer-session.js';
import type { ErrorCode } from '../../../protocol/errors.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import type { ChunkRequest } from '../../../protocol/messages/sw-page.js';

const FILE: Sha256Sri = `sha256-${'F'.repeat(43)}=`;
const chunk = (n: number): Sha256Sri => `sha256-${String(n).padStart(43, 'C')}=`;
const SIZE = 1000;

/** A request the test answers by hand. */
interface Asked {
  readonly peerId: string;
  readonly chunk: Sha256Sri;
  readonly answer: (result: RequestResult) => void;
}

function world(holders: string[], options: { failConnect?: Record<string, ErrorCode> } = {}) {
  const asked: Asked[] = [];
  const open = new Set<string>(holders);
  const pool: BridgePool = {
    peerId: 'me',
    isDropped: () => false,
    hasOpenSession: (p) => open.has(p),
    connect: async (peerId) => {
      const code = options.failConnect?.[peerId];
      if (code) return { ok: false, code };
      return {
        ok: true,
        session: {
          request: (c, _size, signal) =>
            new Promise<RequestResult>((resolve) => {
              asked.push({ peerId, chunk: c, answer: resolve });
              signal?.addEventListener('abort', () => resolve({ ok: false, code: 'REQUEST_CANCELLED' }), { once: true });
            }),
          answerEnded: () => new Promise((r) => setTimeout(r, 1)),
        },
      };
    },
    drop: () => undefined,
  };
  const tracker: BridgeTracker = {
    want: async () => holders,
    have: () => undefined,
    lost: () => undefined,
    report: () => undefined,
    forgetPeer: () => undefined,
    addStats: () => undefined,
  };
  const counters = new PageCounters();
  return { asked, counters, ...createBridgeApi(pool, tracker, counters) };
}

const request = (id: number, n: number, over: Partial<ChunkRequest> = {}): ChunkRequest => ({ id, file: FILE, chunk: chunk(n), size: SIZE, ...over });
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
const bytes = (): ArrayBuffer => new Uint8Array(SIZE).buffer;

describe('many sources', () => {
  it('spreads concurrent requests for one file over its holders, and counts what each delivered', async () => {
    const w = world(['a', 'b', 'c']);
    const pending = [1, 2, 3, 4, 5, 6].map((n) => w.api.getChunk(request(n, n)));
    await settle();
    const perPeer = (peerId: string): number => w.asked.filter((q) => q.peerId === peerId).length;
    expect([perPeer('a'), perPeer('b'), perPeer('c')]).toEqual([2, 2, 2]);
    for (const q of w.asked) q.answer({ ok: true, bytes: bytes() });
    const results = await Promise.all(pending);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(w.counters.snapshotBytesByPeer()).toEqual({ a: 2 * SIZE, b: 2 * SIZE, c: 2 * SIZE });
  });

  it('moves a failed request to another holder, and ranks the failed one last afterwards', async () => {
    const w = world(['a', 'b']);
    const first = w.api.getChunk(request(1, 1));
    await settle();
    expect(w.asked.map((q) => q.peerId)).toEqual(['a']);
    w.asked[0]!.answer({ ok: false, code: 'PEER_CLOSED' });
    await settle();
    expect(w.asked.map((q) => q.peerId)).toEqual(['a', 'b']);
    w.asked[1]!.answer({ ok: true, bytes: bytes() });
    expect(await first).toMatchObject({ ok: true, peerId: 'b' });
    // b is measured now and a failed: the next request goes to b.
    const next = w.api.getChunk(request(2, 2));
    await settle();
    expect(w.asked[2]!.peerId).toBe('b');
    w.asked[2]!.answer({ ok: true, bytes: bytes() });
    await next;
    expect(w.counters.snapshotBytesByPeer()).toEqual({ b: 2 * SIZE });
  });

  it('sends a hedge to a holder not already sending the chunk; with none, PEER_NONE at once and nobody asked', async () => {
    const w = world(['a', 'b']);
    const original = w.api.getChunk(request(1, 7));
    await settle();
    const sender = w.asked[0]!.peerId;
    const hedge = w.api.getChunk(request(2, 7, { hedge: true }));
    await settle();
    expect(w.asked.length).toBe(2);
    expect(w.asked[1]!.peerId).not.toBe(sender);
    w.asked[1]!.answer({ ok: true, bytes: bytes() });
    expect(await hedge).toMatchObject({ ok: true, peerId: w.asked[1]!.peerId });
    // The SW cancels the loser.
    await w.api.cancelChunk(1);
    expect(await original).toEqual({ ok: false, code: 'REQUEST_CANCELLED' });

    const lone = world(['a']);
    void lone.api.getChunk(request(1, 9));
    await settle();
    expect(await lone.api.getChunk(request(2, 9, { hedge: true }))).toEqual({ ok: false, code: 'PEER_NONE' });
    expect(lone.asked.length).toBe(1);
    // A hedge for a chunk nobody is sending is an ordinary request.
    const fresh = lone.api.getChunk(request(3, 10, { hedge: true }));
    await settle();
    expect(lone.asked.map((q) => q.peerId)).toEqual(['a', 'a']);
    lone.asked[1]!.answer({ ok: true, bytes: bytes() });
    expect((await fresh).ok).toBe(true);
    lone.dispose();
  });

  it('a holder that cannot be reached goes last: the next request tries the others first', async () => {
    const w = world(['x', 'y'], { failConnect: { x: 'PEER_CONNECT_TIMEOUT' } });
    const first = w.api.getChunk(request(1, 1));
    await settle();
    expect(w.asked.map((q) => q.peerId)).toEqual(['y']);
    w.asked[0]!.answer({ ok: true, bytes: bytes() });
    await first;
    // Two at once: y is measured, x failed; both go to y rather than to x.
    const more = [w.api.getChunk(request(2, 2)), w.api.getChunk(request(3, 3))];
    await settle();
    expect(w.asked.slice(1).map((q) => q.peerId)).toEqual(['y', 'y']);
    for (const q of w.asked.slice(1)) q.answer({ ok: true, bytes: bytes() });
    await Promise.all(more);
  });

  it('refuses a hedge flag that is not a boolean', async () => {
    const w = world(['a']);
    expect(await w.api.getChunk({ ...request(1, 1), hedge: 'yes' } as unknown as ChunkRequest)).toEqual({ ok: false, code: 'REQUEST_INVALID' });
  });
});
