/**
 * The BridgeApi over a fake pool and tracker: which peers are tried and in what order, the bound
 * on attempts, the codes that come back, cancellation, argument checks, and what a report does.
 */
import { describe, expect, it } from '@jest/globals';
import { MAX_ATTEMPTS_PER_CHUNK, createBridgeApi, type BridgePool, type BridgeTracker, type ChunkSource } from '../../../page-bridge/bridge-api.js';
import type { RequestResult } from '../../../page-bridge/peer-session.js';
import type { ErrorCode } from '../../../protocol/errors.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import type { ByteCounts, ChunkRequest } from '../../../protocol/messages/sw-page.js';

const FILE: Sha256Sri = `sha256-${'F'.repeat(43)}=`;
const CHUNK: Sha256Sri = `sha256-${'C'.repeat(43)}=`;
const request = (over: Partial<ChunkRequest> = {}): ChunkRequest => ({ id: 1, file: FILE, chunk: CHUNK, size: 4, ...over });

/** Per peer: how connect goes and what a request answers. */
type PeerScript = { connect?: ErrorCode; answer?: RequestResult | ((signal?: AbortSignal) => Promise<RequestResult>) };

class FakePool implements BridgePool {
  peerId: string | undefined = 'me';
  readonly dropped = new Map<string, ErrorCode>();
  readonly open = new Set<string>();
  readonly attempts: string[] = [];

  constructor(private readonly scripts: Record<string, PeerScript>) {}

  isDropped(peerId: string): boolean {
    return this.dropped.has(peerId);
  }

  hasOpenSession(peerId: string): boolean {
    return this.open.has(peerId);
  }

  async connect(peerId: string): Promise<{ ok: true; session: ChunkSource } | { ok: false; code: ErrorCode }> {
    this.attempts.push(peerId);
    const script = this.scripts[peerId] ?? {};
    if (script.connect) return { ok: false, code: script.connect };
    return {
      ok: true,
      session: {
        request: async (_chunk, _size, signal) => {
          const answer = script.answer ?? { ok: true, bytes: new Uint8Array([1, 2, 3, 4]).buffer };
          return typeof answer === 'function' ? answer(signal) : answer;
        },
        answerEnded: (maxMs) => new Promise((r) => setTimeout(r, Math.min(maxMs, 2))),
      },
    };
  }

  drop(peerId: string, code: ErrorCode): void {
    this.dropped.set(peerId, code);
  }
}

class FakeTracker implements BridgeTracker {
  readonly held: Sha256Sri[] = [];
  readonly lostFiles: Sha256Sri[] = [];
  readonly reports: [string, Sha256Sri][] = [];
  readonly forgotten: string[] = [];
  readonly stats: ByteCounts[] = [];
  wants = 0;

  constructor(private readonly holders: string[]) {}

  async want(): Promise<readonly string[]> {
    this.wants += 1;
    return this.holders;
  }
  have(files: readonly Sha256Sri[]): void {
    this.held.push(...files);
  }
  lost(files: readonly Sha256Sri[]): void {
    this.lostFiles.push(...files);
  }
  report(peerId: string, file: Sha256Sri): void {
    this.reports.push([peerId, file]);
  }
  forgetPeer(peerId: string): void {
    this.forgotten.push(peerId);
  }
  addStats(delta: ByteCounts): void {
    this.stats.push(delta);
  }
}

function bridge(holders: string[], scripts: Record<string, PeerScript> = {}, busyPatienceMs?: number) {
  const pool = new FakePool(scripts);
  const tracker = new FakeTracker(holders);
  return { pool, tracker, ...createBridgeApi(pool, tracker, undefined, undefined, busyPatienceMs) };
}

describe('getChunk', () => {
  it('returns the bytes and the peer they came from', async () => {
    const { api } = bridge(['a']);
    const result = await api.getChunk(request());
    expect(result.ok && { peerId: result.peerId, bytes: Array.from(new Uint8Array(result.bytes)) }).toEqual({ peerId: 'a', bytes: [1, 2, 3, 4] });
  });

  it('PEER_NONE when nobody (usable) holds the file: none, only us, only excluded or dropped peers', async () => {
    expect(await bridge([]).api.getChunk(request())).toEqual({ ok: false, code: 'PEER_NONE' });
    expect(await bridge(['me']).api.getChunk(request())).toEqual({ ok: false, code: 'PEER_NONE' });
    expect(await bridge(['x']).api.getChunk(request({ exclude: ['x'] }))).toEqual({ ok: false, code: 'PEER_NONE' });
    const b = bridge(['d']);
    b.pool.dropped.set('d', 'PEER_PROTOCOL');
    expect(await b.api.getChunk(request())).toEqual({ ok: false, code: 'PEER_NONE' });
    expect(b.pool.attempts).toEqual([]);
  });

  it('tries peers with an open connection first, then the others in the tracker’s order', async () => {
    const fail: PeerScript = { answer: { ok: false, code: 'PEER_ABSENT' } };
    const b = bridge(['a', 'b', 'c'], { a: fail, b: fail });
    b.pool.open.add('c');
    b.pool.open.add('b');
    const result = await b.api.getChunk(request());
    expect(result.ok && result.peerId).toBe('c');
    expect(b.pool.attempts).toEqual(['b', 'c']);
  });

  it(`moves to the next peer on failure, at most ${MAX_ATTEMPTS_PER_CHUNK} peers, and answers the last failure’s code`, async () => {
    const b = bridge(['a', 'b', 'c', 'd'], {
      a: { connect: 'PEER_CONNECT_TIMEOUT' },
      b: { answer: { ok: false, code: 'PEER_STALLED' } },
      c: { answer: { ok: false, code: 'PEER_CLOSED' } },
    });
    expect(await b.api.getChunk(request())).toEqual({ ok: false, code: 'PEER_CLOSED' });
    expect(b.pool.attempts).toEqual(['a', 'b', 'c']);
    const ok = bridge(['a', 'b'], { a: { connect: 'PEER_CONNECT_TIMEOUT' } });
    const result = await ok.api.getChunk(request());
    expect(result.ok && result.peerId).toBe('b');
  });

  it('a lone holder that answers busy is asked again until it serves: busy is late, not failed', async () => {
    let asks = 0;
    const b = bridge(['a'], { a: { answer: async () => (++asks <= 3 ? { ok: false, code: 'PEER_BUSY' } : { ok: true, bytes: new Uint8Array([9, 9, 9, 9]).buffer }) } });
    const result = await b.api.getChunk(request());
    expect(result.ok && { peerId: result.peerId, bytes: Array.from(new Uint8Array(result.bytes)) }).toEqual({ peerId: 'a', bytes: [9, 9, 9, 9] });
    expect({ asks, connects: b.pool.attempts }).toEqual({ asks: 4, connects: ['a'] });
  });

  it('a busy holder with another left goes to the other at once; a lone one always busy ends PEER_BUSY after the patience', async () => {
    let busyAsks = 0;
    const busy: PeerScript = { answer: async () => (busyAsks++, { ok: false, code: 'PEER_BUSY' }) };
    const other = bridge(['a', 'b'], { a: busy });
    other.pool.open.add('a');
    const result = await other.api.getChunk(request());
    expect({ peerId: result.ok && result.peerId, busyAsks }).toEqual({ peerId: 'b', busyAsks: 1 });

    busyAsks = 0;
    const lone = bridge(['a'], { a: busy }, 40);
    const started = Date.now();
    expect(await lone.api.getChunk(request())).toEqual({ ok: false, code: 'PEER_BUSY' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(busyAsks).toBeGreaterThan(1);
  });

  it('a cancel while waiting on a busy holder ends with REQUEST_CANCELLED', async () => {
    let asks = 0;
    const b = bridge(['a'], { a: { answer: async () => (asks++, { ok: false, code: 'PEER_BUSY' }) } });
    const pending = b.api.getChunk(request({ id: 5 }));
    await new Promise((r) => setTimeout(r, 20));
    await b.api.cancelChunk(5);
    expect(await pending).toEqual({ ok: false, code: 'REQUEST_CANCELLED' });
    expect(asks).toBeGreaterThan(1);
  });

  it('cancelChunk ends the request with REQUEST_CANCELLED and no further peer is tried', async () => {
    const slow: PeerScript = {
      answer: (signal) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve({ ok: false, code: 'REQUEST_CANCELLED' }))),
    };
    const b = bridge(['a', 'b'], { a: slow });
    const pending = b.api.getChunk(request({ id: 9 }));
    await new Promise((r) => setTimeout(r, 5));
    await b.api.cancelChunk(9);
    expect(await pending).toEqual({ ok: false, code: 'REQUEST_CANCELLED' });
    expect(b.pool.attempts).toEqual(['a']);
    // Cancelling an id not in flight is harmless.
    await b.api.cancelChunk(12345);
  });

  it('refuses malformed requests with REQUEST_INVALID, and an id already in flight with PEER_BUSY', async () => {
    const { api } = bridge(['a']);
    for (const bad of [
      null,
      { ...request(), id: -1 },
      { ...request(), file: 'nope' },
      { ...request(), chunk: 'sha1-x' },
      { ...request(), size: 0 },
      { ...request(), size: 16 * 1024 * 1024 + 1 },
      { ...request(), exclude: 'a' },
      { ...request(), exclude: [1] },
    ]) {
      expect(await api.getChunk(bad as unknown as ChunkRequest)).toEqual({ ok: false, code: 'REQUEST_INVALID' });
    }
    const never: PeerScript = { answer: () => new Promise(() => undefined) };
    const b = bridge(['a'], { a: never });
    void b.api.getChunk(request({ id: 3 }));
    await new Promise((r) => setTimeout(r, 5));
    expect(await b.api.getChunk(request({ id: 3 }))).toEqual({ ok: false, code: 'PEER_BUSY' });
    b.dispose();
  });

  it('after dispose, answers PEER_NONE', async () => {
    const b = bridge(['a']);
    b.dispose();
    expect(await b.api.getChunk(request())).toEqual({ ok: false, code: 'PEER_NONE' });
  });
});

describe('the other BridgeApi calls', () => {
  it('reportPeer drops the peer; only CHUNK_MISMATCH is reported to the tracker', async () => {
    const b = bridge(['a']);
    await b.api.reportPeer('a', FILE, 'PEER_STALLED');
    await b.api.reportPeer('b', FILE, 'CHUNK_MISMATCH');
    expect([...b.pool.dropped]).toEqual([
      ['a', 'PEER_STALLED'],
      ['b', 'CHUNK_MISMATCH'],
    ]);
    expect(b.tracker.reports).toEqual([['b', FILE]]);
    expect(b.tracker.forgotten).toEqual(['a', 'b']);
    await b.api.reportPeer('c', 'bad' as Sha256Sri, 'CHUNK_MISMATCH');
    await b.api.reportPeer('c', FILE, 'NOT_A_CODE' as ErrorCode);
    expect(b.pool.dropped.has('c')).toBe(false);
  });

  it('announce and withdraw go to the tracker; malformed lists are ignored', async () => {
    const b = bridge([]);
    await b.api.announce([FILE]);
    await b.api.withdraw([FILE]);
    await b.api.announce(['x' as Sha256Sri]);
    await b.api.withdraw('x' as unknown as Sha256Sri[]);
    expect(b.tracker.held).toEqual([FILE]);
    expect(b.tracker.lostFiles).toEqual([FILE]);
  });

  it('reportStats forwards valid deltas only', async () => {
    const b = bridge([]);
    await b.api.reportStats({ peer: 1, cache: 2, origin: 3, upload: 0 });
    await b.api.reportStats({ peer: -1, cache: 2, origin: 3, upload: 0 });
    await b.api.reportStats({ peer: 1, cache: 2, origin: 3 } as ByteCounts);
    expect(b.tracker.stats).toEqual([{ peer: 1, cache: 2, origin: 3, upload: 0 }]);
  });

  it('the exposed API object has exactly the BridgeApi methods and is frozen', () => {
    const { api } = bridge([]);
    expect(Object.keys(api).sort()).toEqual(['announce', 'cancelChunk', 'getChunk', 'reportPeer', 'reportStats', 'warm', 'withdraw']);
    expect(Object.isFrozen(api)).toBe(true);
  });
});
