/**
 * The end game: when a chunk is overdue, which chunks hold a response up, and, through a real
 * pipeline with a fake bridge, that an overdue chunk is asked again as a hedge, the first verified
 * answer wins, the other ask is cancelled, and its bytes count once; a hedge that finds no other
 * holder changes nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { sha256Sri, type ManifestFile, type Sha256Sri } from '../../../protocol/index.js';
import type { ChunkRequest, ChunkResult } from '../../../protocol/messages/sw-page.js';
import type { BridgeHandle } from '../../../sw/bridge-registry.js';
import { ChunkPipeline, type PipelineContext } from '../../../sw/chunk-pipeline.js';
import { chunkSpan } from '../../../sw/chunk-span.js';
import { EndGame, holdingUp, MAX_REASKS_IN_FLIGHT, REASK_FACTOR, REASK_MIN_MS, type AwaitedSlot } from '../../../sw/end-game.js';
import { SwStatsCounter } from '../../../sw/sw-stats.js';

describe('EndGame timing', () => {
  it('knows nothing is overdue before two answers; then REASK_FACTOR × the median, at least REASK_MIN_MS', () => {
    const game = new EndGame();
    game.note(400);
    expect(game.overdueAfterMs()).toBeUndefined();
    game.note(100);
    game.note(300);
    expect(game.overdueAfterMs()).toBe(REASK_FACTOR * 300);
    const quick = new EndGame();
    quick.note(5);
    quick.note(5);
    expect(quick.overdueAfterMs()).toBe(REASK_MIN_MS);
  });

  it('plans the overdue chunks oldest first within the cap, and the next due time', () => {
    const game = new EndGame();
    game.note(100);
    game.note(100);
    const waiting = [
      { index: 5, askedAt: 1_000 },
      { index: 3, askedAt: 900 },
      { index: 8, askedAt: 1_150 },
    ];
    expect(game.plan(waiting, 0, 1_100)).toEqual({ now: [3], nextAt: 1_200 });
    expect(game.plan(waiting, MAX_REASKS_IN_FLIGHT - 1, 1_200)).toEqual({ now: [3], nextAt: 1_350 });
    expect(game.plan(waiting, MAX_REASKS_IN_FLIGHT, 1_200)).toEqual({ now: [], nextAt: 1_350 });
  });

  it('holds the response up: the reader’s chunk, or every asked chunk once the whole span is launched', () => {
    const slot = (index: number, over: Partial<AwaitedSlot> = {}): AwaitedSlot => ({ index, settled: false, reasked: false, askedAt: 10, asking: 1, ...over });
    const slots = [slot(2), slot(3), slot(4, { settled: true }), slot(5, { reasked: true }), slot(6, { askedAt: undefined }), slot(7, { asking: 0 }), slot(8)];
    const view = (launchedTo: number, origin: number[] = []) => ({ cursor: 2, last: 9, launched: (i: number) => i <= launchedTo, fromOrigin: (i: number) => origin.includes(i) });
    expect(holdingUp(slots, view(8)).map((c) => c.index)).toEqual([2]);
    expect(holdingUp(slots, view(9)).map((c) => c.index)).toEqual([2, 3, 8]);
    expect(holdingUp(slots, view(9, [2, 3])).map((c) => c.index)).toEqual([8]);
  });
});

const CS = 1024;
const SIZE = 8 * CS;
const DATA = (() => {
  let x = 777;
  return new Uint8Array(SIZE).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
})();
const chunkOf = (i: number): ArrayBuffer => DATA.slice(i * CS, (i + 1) * CS).buffer;

async function manifestEntry(): Promise<ManifestFile> {
  const chunks: Sha256Sri[] = [];
  for (let at = 0; at < SIZE; at += CS) chunks.push(await sha256Sri(DATA.subarray(at, at + CS)));
  return { size: SIZE, contentType: 'application/octet-stream', integrity: await sha256Sri(DATA), chunks };
}

/** A pipeline over a fake bridge whose answers `answer` decides (undefined: never answers). */
function pipelineWith(entry: ManifestFile, answer: (req: ChunkRequest, index: number) => Promise<ChunkResult> | undefined) {
  const stats = new SwStatsCounter();
  const requests: ChunkRequest[] = [];
  const cancels: number[] = [];
  const ranges: string[] = [];
  let id = 0;
  const ctx: PipelineContext = {
    window: 4,
    stallMs: 5_000,
    stats,
    nextRequestId: () => ++id,
    keepAlive: () => undefined,
    bridge: async () => ({ clientId: 'page' }) as unknown as BridgeHandle,
    cache: { hasChunk: () => false, readChunk: async () => undefined, storeChunk: async () => undefined, dropChunk: async () => undefined, isTainted: () => false, taint: () => undefined },
    bridges: {
      getChunk: (_b, req) => {
        requests.push(req);
        return answer(req, entry.chunks.indexOf(req.chunk)) ?? new Promise<ChunkResult>(() => undefined);
      },
      cancelChunk: async (_b, cancelled) => void cancels.push(cancelled),
      reportPeer: async () => undefined,
    },
    fetchRange: async (range) => {
      ranges.push(range);
      return new Response('no', { status: 500 });
    },
  };
  return { stats, requests, cancels, ranges, pipeline: new ChunkPipeline(ctx, entry, CS, chunkSpan(0, SIZE - 1, CS)) };
}

async function readAll(pipeline: ChunkPipeline): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let c = await pipeline.next(); c; c = await pipeline.next()) parts.push(c.bytes);
  await pipeline.settled();
  return new Uint8Array(Buffer.concat(parts));
}

const after = (ms: number, result: ChunkResult): Promise<ChunkResult> => new Promise((r) => setTimeout(() => r(result), ms));

describe('the end game in a pipeline', () => {
  it('asks an overdue chunk again as a hedge; the first verified answer wins, the other is cancelled, bytes count once', async () => {
    const entry = await manifestEntry();
    // Chunk 5's first holder never answers; its hedge goes to a live one.
    const p = pipelineWith(entry, (req, i) => (i === 5 && !req.hedge ? undefined : after(5, { ok: true, bytes: chunkOf(i), peerId: req.hedge ? 'B' : 'A' })));
    const started = Date.now();
    const body = await readAll(p.pipeline);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    const hedges = p.requests.filter((r) => r.hedge);
    expect(hedges.map((r) => entry.chunks.indexOf(r.chunk))).toEqual([5]);
    const stuck = p.requests.find((r) => !r.hedge && entry.chunks.indexOf(r.chunk) === 5)!;
    expect(p.cancels).toEqual([stuck.id]);
    expect(p.stats.snapshot(1).bytes).toMatchObject({ peer: SIZE, origin: 0 });
    expect(p.ranges).toEqual([]);
  });

  it('a hedge no other holder can take changes nothing: the first ask still serves the chunk', async () => {
    const entry = await manifestEntry();
    // One holder: chunk 2 is slow (past the overdue time), the hedge finds nobody else.
    const p = pipelineWith(entry, (req, i) =>
      req.hedge ? Promise.resolve({ ok: false, code: 'PEER_NONE' }) : after(i === 2 ? 400 : 5, { ok: true, bytes: chunkOf(i), peerId: 'A' }),
    );
    const body = await readAll(p.pipeline);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(p.requests.filter((r) => r.hedge).map((r) => entry.chunks.indexOf(r.chunk))).toEqual([2]);
    expect(p.cancels).toEqual([]);
    expect(p.stats.snapshot(1).bytes).toMatchObject({ peer: SIZE, origin: 0 });
    expect(p.ranges).toEqual([]);
  });

  it('when both asks fail, the chunk fails over as before (here: to the origin)', async () => {
    const entry = await manifestEntry();
    const p = pipelineWith(entry, (req, i) => (i === 3 ? after(req.hedge ? 5 : 400, { ok: false, code: 'PEER_CLOSED' }) : after(5, { ok: true, bytes: chunkOf(i), peerId: 'A' })));
    await expect(readAll(p.pipeline)).rejects.toThrow();
    // The origin (failing here) was asked only once both asks for chunk 3 had failed.
    expect(p.requests.filter((r) => r.hedge).length).toBe(1);
    expect(p.ranges.length).toBe(1);
    p.pipeline.cancel();
  });
});
