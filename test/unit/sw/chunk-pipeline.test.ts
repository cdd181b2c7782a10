/**
 * The per-response pipeline with a fake cache, bridge and origin: where every chunk came from, what
 * was reported, and that the bytes served are the file's, whatever failed on the way.
 */
import { describe, expect, it } from '@jest/globals';
import { sha256Sri, type ErrorCode, type ManifestFile, type Sha256Sri } from '../../../protocol/index.js';
import type { ChunkRequest, ChunkResult } from '../../../protocol/messages/sw-page.js';
import type { BridgeHandle } from '../../../sw/bridge-registry.js';
import { ChunkPipeline, type FirstByteBudget, type PipelineContext } from '../../../sw/chunk-pipeline.js';
import { chunkSpan } from '../../../sw/chunk-span.js';
import { streamBody, responseSource } from '../../../sw/swarm-response.js';
import { SwStatsCounter, type ByteSource } from '../../../sw/sw-stats.js';
import { SwarmPulse } from '../../../sw/swarm-pulse.js';
import { OriginTiming } from '../../../sw/origin-timing.js';

const CS = 1024;
const SIZE = 10 * CS + 500;
// A non-periodic pattern: every chunk differs (a period dividing CS would make all chunks equal).
const DATA = (() => {
  let x = 12345;
  return new Uint8Array(SIZE).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
})();

async function manifestEntry(data: Uint8Array): Promise<ManifestFile> {
  const chunks: Sha256Sri[] = [];
  for (let at = 0; at < data.length; at += CS) chunks.push(await sha256Sri(data.subarray(at, at + CS)));
  return { size: data.length, contentType: 'application/octet-stream', integrity: await sha256Sri(data), chunks };
}

const STALL = Symbol('stall');
type PeerScript = (req: ChunkRequest, attempt: number) => Promise<ChunkResult | typeof STALL> | ChunkResult | typeof STALL;

interface Harness {
  ctx: PipelineContext;
  stats: SwStatsCounter;
  stored: Map<number, Uint8Array>;
  cached: Map<Sha256Sri, ArrayBuffer>;
  reports: { peerId: string; code: ErrorCode }[];
  cancels: number[];
  ranges: string[];
  tainted: Set<Sha256Sri>;
  maxInFlight: number;
}

function chunkOf(index: number): ArrayBuffer {
  return DATA.slice(index * CS, Math.min(SIZE, (index + 1) * CS)).buffer;
}

function harness(options: {
  peer?: PeerScript;
  noBridge?: boolean;
  origin?: 'range' | 'full' | 'corrupt' | 'error';
  cached?: number[];
  entry: ManifestFile;
}): Harness {
  const h: Harness = {
    ctx: undefined as unknown as PipelineContext,
    stats: new SwStatsCounter(),
    stored: new Map(),
    cached: new Map(),
    reports: [],
    cancels: [],
    ranges: [],
    tainted: new Set(),
    maxInFlight: 0,
  };
  for (const i of options.cached ?? []) h.cached.set(options.entry.chunks[i]!, chunkOf(i));
  const attempts = new Map<number, number>();
  let inFlight = 0;
  const bridge = { clientId: 'page-1' } as unknown as BridgeHandle;
  const originBytes = options.origin === 'corrupt' ? DATA.map((b, i) => (i === 3 * CS + 5 ? b ^ 1 : b)) : DATA;
  h.ctx = {
    window: 4,
    stallMs: 100,
    stats: h.stats,
    nextRequestId: (() => {
      let n = 0;
      return () => ++n;
    })(),
    keepAlive: () => undefined,
    onHandover: (reason) => h.stats.addHandover(reason),
    bridge: async () => (options.noBridge ? undefined : bridge),
    cache: {
      hasChunk: (c) => h.cached.has(c),
      readChunk: async (c) => h.cached.get(c),
      storeChunk: async (_shape, index, bytes) => {
        h.stored.set(index, new Uint8Array(bytes.slice(0)));
      },
      dropChunk: async (c) => {
        h.cached.delete(c);
      },
      isTainted: (f) => h.tainted.has(f),
      taint: (f) => void h.tainted.add(f),
    },
    bridges: {
      getChunk: async (_b, req) => {
        const index = options.entry.chunks.indexOf(req.chunk);
        const attempt = (attempts.get(index) ?? 0) + 1;
        attempts.set(index, attempt);
        inFlight += 1;
        h.maxInFlight = Math.max(h.maxInFlight, inFlight);
        try {
          const answer = await (options.peer ?? (() => ({ ok: true, bytes: chunkOf(index), peerId: 'A' }) as ChunkResult))(req, attempt);
          // A stall: nothing ever comes back; the pipeline's own bound must give up.
          return answer === STALL ? new Promise<ChunkResult>(() => undefined) : answer;
        } finally {
          inFlight -= 1;
        }
      },
      cancelChunk: async (_b, id) => void h.cancels.push(id),
      reportPeer: async (_b, peerId, _file, code) => void h.reports.push({ peerId, code }),
    },
    fetchRange: async (range) => {
      h.ranges.push(range);
      if (options.origin === 'error') return new Response('nope', { status: 500 });
      const m = /^bytes=(\d+)-(\d+)$/.exec(range)!;
      const [a, b] = [Number(m[1]), Number(m[2])];
      if (options.origin === 'full') return new Response(originBytes.slice(), { status: 200 });
      return new Response(originBytes.slice(a, b + 1), { status: 206, headers: { 'content-range': `bytes ${a}-${b}/${SIZE}` } });
    },
  };
  return h;
}

/** Runs a response for bytes start..end and returns its body and the sources it used. */
async function serve(h: Harness, entry: ManifestFile, start = 0, end = SIZE - 1): Promise<{ body: Uint8Array; source: ByteSource }> {
  const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(start, end, CS));
  const first = await pipeline.next();
  let source: ByteSource = 'cache';
  const stream = streamBody(pipeline, first, { start, end, chunkSize: CS }, (e) => (source = responseSource(e.sources)));
  const body = new Uint8Array(await new Response(stream).arrayBuffer());
  await pipeline.settled();
  return { body, source };
}

describe('ChunkPipeline', () => {
  it('serves every chunk from peers, verified, in order, with a bounded window, and caches them', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry });
    const { body, source } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('peer');
    expect(h.maxInFlight).toBeGreaterThan(1);
    expect(h.maxInFlight).toBeLessThanOrEqual(4);
    expect([...h.stored.keys()].sort((a, b) => a - b)).toEqual([...entry.chunks.keys()]);
    expect(h.stats.snapshot(1).bytes).toEqual({ peer: SIZE, cache: 0, origin: 0, upload: 0 });
    expect(h.stats.snapshot(1).handovers).toEqual({ firstByte: 0, rate: 0, peerFailed: 0 });
    expect(h.ranges).toEqual([]);
  });

  it('asks one chunk until the first arrives, then opens its window (a burst of files queues every first chunk first)', async () => {
    const entry = await manifestEntry(DATA);
    const asked: [number, number][] = [];
    let inFlight = 0;
    const h = harness({
      entry,
      peer: async (req) => {
        inFlight += 1;
        asked.push([entry.chunks.indexOf(req.chunk), inFlight]);
        await new Promise((r) => setTimeout(r, 30));
        inFlight -= 1;
        return { ok: true, bytes: chunkOf(entry.chunks.indexOf(req.chunk)), peerId: 'A' };
      },
    });
    const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
    const first = pipeline.next();
    await new Promise((r) => setTimeout(r, 15));
    // Only chunk 0 is asked while nothing has arrived.
    expect(asked).toEqual([[0, 1]]);
    expect((await first)?.index).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    // Then the window (4) fills at once.
    expect(asked.slice(1).map(([i]) => i)).toEqual([1, 2, 3, 4]);
    expect(Math.max(...asked.map(([, n]) => n))).toBe(4);
    pipeline.cancel();
    await pipeline.settled();
  });

  it('reports a peer whose chunk does not hash and retries the chunk elsewhere, excluding it', async () => {
    const entry = await manifestEntry(DATA);
    const seen: ChunkRequest[] = [];
    const h = harness({
      entry,
      peer: (req, attempt) => {
        const index = entry.chunks.indexOf(req.chunk);
        if (index === 2) seen.push(req);
        if (index === 2 && attempt === 1) return { ok: true, bytes: new Uint8Array(CS).fill(9).buffer, peerId: 'EVIL' };
        return { ok: true, bytes: chunkOf(index), peerId: 'GOOD' };
      },
    });
    const { body, source } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('peer');
    expect(h.reports).toEqual([{ peerId: 'EVIL', code: 'CHUNK_MISMATCH' }]);
    expect(seen.map((r) => r.exclude)).toEqual([[], ['EVIL']]);
    expect(h.stats.snapshot(1).badChunks).toBe(1);
    expect(h.ranges).toEqual([]);
  });

  it('goes to the origin after a second bad chunk in a row', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({
      entry,
      origin: 'range',
      peer: (req) => {
        const index = entry.chunks.indexOf(req.chunk);
        if (index === 5) return { ok: true, bytes: new Uint8Array(CS + 1).buffer, peerId: `P${req.id}` };
        return { ok: true, bytes: chunkOf(index), peerId: 'GOOD' };
      },
    });
    const { body, source } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('origin');
    expect(h.reports.map((r) => r.code)).toEqual(['CHUNK_MISMATCH', 'CHUNK_MISMATCH']);
    expect(h.stats.snapshot(1).badChunks).toBe(2);
    expect(h.ranges[0]).toMatch(/^bytes=\d+-10739$/);
    expect(Number(/^bytes=(\d+)-/.exec(h.ranges[0]!)![1]) % CS).toBe(0);
    expect(Number(/^bytes=(\d+)-/.exec(h.ranges[0]!)![1])).toBeLessThanOrEqual(5 * CS);
  });

  it('cancels a stalled request and fetches the rest from the origin, from the first missing chunk', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({
      entry,
      origin: 'range',
      peer: (req) => {
        const index = entry.chunks.indexOf(req.chunk);
        return index >= 3 ? STALL : { ok: true, bytes: chunkOf(index), peerId: 'A' };
      },
    });
    const t0 = Date.now();
    const { body, source } = await serve(h, entry);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('origin');
    expect(h.cancels.length).toBeGreaterThanOrEqual(1);
    expect(h.ranges).toEqual([`bytes=${3 * CS}-${SIZE - 1}`]);
    const bytes = h.stats.snapshot(1).bytes;
    expect(bytes.peer).toBe(3 * CS);
    expect(bytes.origin).toBe(SIZE - 3 * CS);
    expect(h.stats.snapshot(1).handovers).toEqual({ firstByte: 0, rate: 0, peerFailed: 1 });
  });

  it('does not read a slow but live channel as a stall: each answer gives the others more time', async () => {
    const entry = await manifestEntry(DATA);
    // One answer every 100 ms, in order, as one data channel would: with 4 in flight, the last of
    // them answers ~400 ms after it was asked, well past stallMs (300 ms; the 200 ms between the
    // answers' pace and the stall bound is room for a loaded machine's late timers). The one
    // holder is already sending every chunk: the end game's second asks find no one else
    // (PEER_NONE, as the bridge answers them), instead of queueing behind the first ones.
    let queue = Promise.resolve();
    const h = harness({
      entry,
      origin: 'error',
      peer: (req) => {
        if (req.hedge) return { ok: false, code: 'PEER_NONE' };
        const index = entry.chunks.indexOf(req.chunk);
        const answer = queue.then(() => new Promise<ChunkResult>((r) => setTimeout(() => r({ ok: true, bytes: chunkOf(index), peerId: 'A' }), 100)));
        queue = answer.then(() => undefined);
        return answer;
      },
    });
    h.ctx = { ...h.ctx, stallMs: 300 };
    const { body, source } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('peer');
    expect(h.cancels).toEqual([]);
    expect(h.ranges).toEqual([]);
  });

  it('turns a bridge failure into an origin fetch', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, origin: 'range', peer: () => ({ ok: false, code: 'PEER_NONE' }) });
    const { body, source } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('origin');
    expect(h.ranges).toEqual([`bytes=0-${SIZE - 1}`]);
    expect(h.stored.size).toBe(entry.chunks.length);
  });

  it('reads an origin that ignores Range from the start, skipping to the offset', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, noBridge: true, origin: 'full', cached: [0, 1] });
    const start = 1500;
    const end = 7000;
    const { body, source } = await serve(h, entry, start, end);
    expect(Buffer.from(body).equals(Buffer.from(DATA.subarray(start, end + 1)))).toBe(true);
    expect(source).toBe('origin');
    expect(h.ranges).toEqual([`bytes=${2 * CS}-${7 * CS - 1}`]);
    // The whole body up to the span was read (and counted): real bytes, not the ones used.
    expect(h.stats.snapshot(1).bytes.origin).toBeGreaterThanOrEqual(7 * CS);
  });

  it('serves origin bytes that do not match, but taints the file: nothing more is cached', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, noBridge: true, origin: 'corrupt' });
    const { body, source } = await serve(h, entry);
    expect(body[3 * CS + 5]).toBe(DATA[3 * CS + 5]! ^ 1);
    expect(source).toBe('origin');
    expect(h.tainted.has(entry.integrity)).toBe(true);
    expect([...h.stored.keys()].every((i) => i < 3)).toBe(true);
  });

  it('never mixes versions: origin bytes that differ from the manifest after peer chunks fail the response instead of joining it', async () => {
    const entry = await manifestEntry(DATA);
    const stallFrom3 = (req: ChunkRequest): ChunkResult | typeof STALL => {
      const index = entry.chunks.indexOf(req.chunk);
      return index >= 3 ? STALL : { ok: true, bytes: chunkOf(index), peerId: 'A' };
    };
    const h = harness({ entry, origin: 'corrupt', peer: stallFrom3 });
    await expect(serve(h, entry)).rejects.toThrow();
    expect(h.tainted.has(entry.integrity)).toBe(true);
  });

  it('never mixes versions: with peers given the chance (origin-down wait), the rest comes from peers, all of the manifest\'s version', async () => {
    const entry = await manifestEntry(DATA);
    // Chunks 3+ stall on the first ask and arrive on the next: the origin's differing bytes are never used.
    const h = harness({
      entry,
      origin: 'corrupt',
      peer: (req, attempt) => {
        const index = entry.chunks.indexOf(req.chunk);
        return index >= 3 && attempt === 1 ? STALL : { ok: true, bytes: chunkOf(index), peerId: 'A' };
      },
    });
    h.ctx = { ...h.ctx, originDownWaitMs: 5_000 };
    const { body } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
  });

  it('answers from the cache alone when every needed chunk is held, a range too', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, noBridge: true, origin: 'error', cached: [4, 5, 6] });
    const { body, source } = await serve(h, entry, 4 * CS + 10, 6 * CS + 20);
    expect(Buffer.from(body).equals(Buffer.from(DATA.subarray(4 * CS + 10, 6 * CS + 21)))).toBe(true);
    expect(source).toBe('cache');
    expect(h.ranges).toEqual([]);
    expect(h.stats.snapshot(1).bytes.cache).toBe(3 * CS);
  });

  it('drops a cached chunk that no longer verifies and gets it elsewhere', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, cached: [0] });
    h.cached.set(entry.chunks[0]!, new Uint8Array(CS).buffer);
    const { body, source } = await serve(h, entry, 0, 100);
    expect(Buffer.from(body).equals(Buffer.from(DATA.subarray(0, 101)))).toBe(true);
    expect(source).toBe('peer');
    expect(h.cached.has(entry.chunks[0]!)).toBe(false);
  });

  it('gives a cached chunk that fails its check an origin request of its own when the rest already has one', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, noBridge: true, origin: 'range', cached: [0] });
    h.cached.set(entry.chunks[0]!, new Uint8Array(CS).buffer);
    const { body, source } = await serve(h, entry);
    expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
    expect(source).toBe('origin');
    // The requests tile the file: no byte asked twice, none missing.
    const spans = h.ranges.map((r) => /^bytes=(\d+)-(\d+)$/.exec(r)!.slice(1).map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
    expect(spans[0]![0]).toBe(0);
    expect(spans.at(-1)![1]).toBe(SIZE - 1);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1] + 1);
  });

  it('keeps the window of requests full while the reader is slow, up to two windows ahead of it', async () => {
    const entry = await manifestEntry(DATA);
    const asked: number[] = [];
    const h = harness({
      entry,
      peer: (req) => {
        const index = entry.chunks.indexOf(req.chunk);
        asked.push(index);
        return new Promise<ChunkResult>((r) => setTimeout(() => r({ ok: true, bytes: chunkOf(index), peerId: 'A' }), 5));
      },
    });
    const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
    expect((await pipeline.next())?.index).toBe(0);
    // The reader takes nothing for a while: answers arriving still start the next requests.
    await new Promise((r) => setTimeout(r, 100));
    expect([...asked].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.maxInFlight).toBeLessThanOrEqual(4);
    for (let i = 1; i < entry.chunks.length; i++) expect((await pipeline.next())?.index).toBe(i);
    expect(await pipeline.next()).toBeUndefined();
    expect(asked.length).toBe(entry.chunks.length);
    await pipeline.settled();
  });

  it('rejects the first chunk when the origin fails too, so the strategy can pass the request through', async () => {
    const entry = await manifestEntry(DATA);
    const h = harness({ entry, noBridge: true, origin: 'error' });
    const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
    await expect(pipeline.next()).rejects.toThrow();
    pipeline.cancel();
  });

  describe('peers only (prefetch, or the origin already failed)', () => {
    /** No peer serves chunk 2 for its first two asks (no holder connected yet); then one does. */
    const lateHolder = (entry: ManifestFile): PeerScript => (req, attempt) => {
      const index = entry.chunks.indexOf(req.chunk);
      return index === 2 && attempt <= 2 ? { ok: false, code: 'PEER_NONE' } : { ok: true, bytes: chunkOf(index), peerId: 'A' };
    };

    it('asks a chunk no peer served again until the deadline, and never asks the origin', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: lateHolder(entry) });
      h.ctx = { ...h.ctx, origin: 'never', peersUntil: Date.now() + 5_000 };
      const { body, source } = await serve(h, entry);
      expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
      expect(source).toBe('peer');
      expect(h.ranges).toEqual([]);
    });

    it('reads no stall while the swarm delivers to the page\'s other responses; once it is silent too, asks again', async () => {
      const entry = await manifestEntry(DATA);
      // While the other responses are served, chunk 1's asks go unanswered (queued behind theirs at a busy holder).
      let othersServed = true;
      const h = harness({ entry, origin: 'range', peer: (req) => (entry.chunks.indexOf(req.chunk) === 1 && othersServed ? STALL : { ok: true, bytes: chunkOf(entry.chunks.indexOf(req.chunk)), peerId: 'A' }) });
      const pulse = new SwarmPulse();
      const others = setInterval(() => pulse.note(262_144), 20);
      h.ctx = { ...h.ctx, origin: 'never', peersUntil: Date.now() + 5_000, stallMs: 100, pulse };
      const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
      try {
        expect((await pipeline.next())?.index).toBe(0);
        await new Promise((r) => setTimeout(r, 400));
        // Four stall times later nothing was given up (the end game's second ask may be out too).
        expect(h.cancels).toEqual([]);
      } finally {
        clearInterval(others);
        othersServed = false;
      }
      // The swarm goes silent: the asks stall, are cancelled, and the chunk is asked again.
      const got: number[] = [];
      for (let c = await pipeline.next(); c; c = await pipeline.next()) got.push(c.index);
      expect(got).toEqual(Array.from({ length: entry.chunks.length - 1 }, (_, i) => i + 1));
      expect(h.cancels.length).toBeGreaterThanOrEqual(1);
      expect(h.ranges).toEqual([]);
      await pipeline.settled();
    });

    it('fails the chunk once the deadline has passed, still without the origin', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: lateHolder(entry) });
      h.ctx = { ...h.ctx, origin: 'never', peersUntil: Date.now() };
      const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
      const got: number[] = [];
      await expect(
        (async () => {
          for (let c = await pipeline.next(); c; c = await pipeline.next()) got.push(c.index);
        })(),
      ).rejects.toThrow('no peer served the chunk in time');
      expect(got).toEqual([0, 1]);
      expect(h.ranges).toEqual([]);
      pipeline.cancel();
      await pipeline.settled();
    });
  });

  describe('the first-byte hedge', () => {
    /** A budget of `ms` (the same each time it is looked at, unless `more` says otherwise), nothing at stake. */
    const budget = (ms: number, more: Partial<FirstByteBudget> = {}): FirstByteBudget => ({ budgetMs: () => ms, bytesAtStake: () => 0, originMs: () => 0, ...more });

    /** Peers that answer every chunk 150 ms after it was asked: five times the 30 ms budget. */
    const late = (entry: ManifestFile): PeerScript => (req) =>
      new Promise((resolve) => setTimeout(() => resolve({ ok: true, bytes: chunkOf(entry.chunks.indexOf(req.chunk)), peerId: 'A' }), 150));

    it('hands the span to the origin when no verified bytes came within the budget and the swarm delivers nothing else', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: late(entry) });
      const pulse = new SwarmPulse();
      h.ctx = { ...h.ctx, stallMs: 2_000, firstByte: budget(30), pulse };
      const { body, source } = await serve(h, entry);
      expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
      expect(source).toBe('origin');
      expect(h.ranges).toEqual([`bytes=0-${SIZE - 1}`]);
      expect(h.stats.snapshot(1).handovers).toEqual({ firstByte: 1, rate: 0, peerFailed: 0 });
    });

    it('counts what it waits on from peers, live: all of it before the hand-over, none after; the origin owes the span until it is read', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: late(entry) });
      const timing = new OriginTiming();
      const owedAtRequest: number[] = [];
      const fetchRange = h.ctx.fetchRange;
      h.ctx = {
        ...h.ctx,
        stallMs: 2_000,
        firstByte: budget(30),
        owe: (bytes) => timing.owe(bytes),
        fetchRange: (range, signal) => {
          owedAtRequest.push(timing.owed());
          return fetchRange(range, signal);
        },
      };
      const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
      expect(pipeline.waitingOnPeers).toBe(SIZE);
      const first = await pipeline.next();
      expect(first?.source).toBe('origin');
      // Handed over whole: the page waits on nothing from peers, and the origin owed the whole span when asked.
      expect(pipeline.waitingOnPeers).toBe(0);
      expect(owedAtRequest).toEqual([SIZE]);
      const stream = streamBody(pipeline, first, { start: 0, end: SIZE - 1, chunkSize: CS }, () => undefined);
      expect(Buffer.from(await new Response(stream).arrayBuffer()).equals(Buffer.from(DATA))).toBe(true);
      await pipeline.settled();
      expect(timing.owed()).toBe(0);
    });

    it('settles the origin\'s debt when its span fails, and waits on nothing once cancelled', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'error', peer: late(entry) });
      const timing = new OriginTiming();
      h.ctx = { ...h.ctx, stallMs: 2_000, firstByte: budget(30), owe: (bytes) => timing.owe(bytes) };
      const pipeline = new ChunkPipeline(h.ctx, entry, CS, chunkSpan(0, SIZE - 1, CS));
      await expect(pipeline.next()).rejects.toThrow();
      expect(h.ranges.length).toBe(1);
      expect(timing.owed()).toBe(0);
      pipeline.cancel();
      expect(pipeline.waitingOnPeers).toBe(0);
      await pipeline.settled();
    });

    it('waits its turn while the swarm delivers the pages\' requests and would drain them before a distant origin sent this one', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: late(entry) });
      // Another response's 256 KiB chunks keep arriving every 10 ms (26 MB/s), as they would from the
      // same peers: the 1 MB the pages wait on drains in ~40 ms; the origin needs 500 ms to headers.
      const pulse = new SwarmPulse();
      const other = setInterval(() => pulse.note(262_144), 10);
      try {
        h.ctx = { ...h.ctx, stallMs: 2_000, firstByte: budget(30, { bytesAtStake: () => 1_000_000, originMs: (bytes) => 500 + bytes / 1_000 }), pulse };
        const { body, source } = await serve(h, entry);
        expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
        expect(source).toBe('peer');
        expect(h.ranges).toEqual([]);
        expect(h.stats.snapshot(1).handovers).toEqual({ firstByte: 0, rate: 0, peerFailed: 0 });
      } finally {
        clearInterval(other);
      }
    });

    it('waits out a budget that grew meanwhile (more bytes at stake) before it hands over', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: late(entry) });
      // 30 ms when the response began; 400 ms by the time those ran out (a burst joined it).
      let looks = 0;
      h.ctx = { ...h.ctx, stallMs: 2_000, firstByte: budget(30, { budgetMs: () => (looks++ === 0 ? 30 : 400) }), pulse: new SwarmPulse() };
      const { body, source } = await serve(h, entry);
      expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
      expect(source).toBe('peer');
      expect(h.ranges).toEqual([]);
      expect(h.stats.snapshot(1).handovers.firstByte).toBe(0);
    });

    it('does not wait its turn when the origin would send this response before the swarm drained what the pages wait on', async () => {
      const entry = await manifestEntry(DATA);
      const h = harness({ entry, origin: 'range', peer: late(entry) });
      const pulse = new SwarmPulse();
      const other = setInterval(() => pulse.note(262_144), 10);
      try {
        // The same 26 MB/s swarm, but 26 MB ahead of this small response (~1 s), against an origin 5 ms away at 10 MB/s.
        h.ctx = { ...h.ctx, stallMs: 2_000, firstByte: budget(30, { bytesAtStake: () => 26_000_000, originMs: (bytes) => 5 + bytes / 10_000 }), pulse };
        await new Promise((resolve) => setTimeout(resolve, 50));
        const { body, source } = await serve(h, entry);
        expect(Buffer.from(body).equals(Buffer.from(DATA))).toBe(true);
        expect(source).toBe('origin');
        expect(h.stats.snapshot(1).handovers.firstByte).toBe(1);
      } finally {
        clearInterval(other);
      }
    });
  });
});
