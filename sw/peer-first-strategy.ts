/**
 * The Workbox strategy of the swarm path: answers a manifest file from the cache and from peers,
 * every chunk verified against the signed manifest before it is served, with the origin behind
 * every failure. A site with its own Workbox SW can register it on its own routes.
 */
import { Strategy, type StrategyHandler, type StrategyOptions } from 'workbox-strategies';
import { parseRange } from './byte-range.js';
import { ChunkPipeline, type PipelineContext } from './chunk-pipeline.js';
import { chunkSpan } from './chunk-span.js';
import { withDeadline } from './deadline.js';
import { matchSwarmRequest, type MatchOptions } from './route-match.js';
import { notSatisfiable, responseSource, streamBody, swarmHeaders } from './swarm-response.js';
import type { SwarmRuntime } from './swarm-runtime.js';

/** The strategy's options. */
export interface PeerFirstStrategyOptions extends StrategyOptions {
  readonly runtime: SwarmRuntime;
  /** Chunk requests in flight per response; default 8 (2 MiB at 256 KiB chunks). */
  readonly window?: number;
  /** How long a request waits for a page bridge when there is none; default 1 s. */
  readonly bridgeWaitMs?: number;
  /** What the swarm may answer (the same options the route matched with). */
  readonly match?: MatchOptions;
}

/** 8 × 256 KiB in flight keeps a loopback data channel (~35 MB/s) busy; at most 16 chunks (4 MiB) run ahead of the reader. */
const DEFAULT_WINDOW = 8;
/** A first visit has no bridge yet; a second is all a page may lose to the swarm. */
const DEFAULT_BRIDGE_WAIT_MS = 1_000;
/** The cache index loads from IndexedDB at SW start; past this a request does without it. */
const CACHE_READY_WAIT_MS = 2_000;

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/** Cache, then peers, then the origin, chunk by chunk; verified before anything is served. */
export class PeerFirstStrategy extends Strategy {
  private readonly runtime: SwarmRuntime;
  private readonly window: number;
  private readonly bridgeWaitMs: number;
  private readonly swarmMatch: MatchOptions;

  constructor(options: PeerFirstStrategyOptions) {
    super(options);
    this.runtime = options.runtime;
    this.window = Math.max(1, Math.floor(options.window ?? DEFAULT_WINDOW));
    this.bridgeWaitMs = Math.max(0, options.bridgeWaitMs ?? DEFAULT_BRIDGE_WAIT_MS);
    this.swarmMatch = { ...options.match };
  }

  protected override async _handle(request: Request, handler: StrategyHandler): Promise<Response> {
    const rt = this.runtime;
    const refresh = rt.manifest.refreshIfStale();
    if (refresh) void handler.waitUntil(refresh);
    const manifest = rt.manifest.current();
    const match = matchSwarmRequest(request, self.location.origin, manifest?.files, this.swarmMatch);
    // The route matched against the manifest of a moment ago; if it changed since, the network decides.
    if (!manifest || !match || rt.cache.isTainted(match.file.integrity)) return this.passThrough(request, handler);
    const { file } = match;
    const range = parseRange(request.headers.get('range'), file.size);
    // If-Range needs a validator we do not have; the origin can evaluate it.
    if (range.kind === 'unsupported' || (range.kind === 'range' && request.headers.has('if-range'))) {
      return this.passThrough(request, handler);
    }
    if (range.kind === 'unsatisfiable') return notSatisfiable(file.size);
    const bounds = range.kind === 'range' ? { start: range.start, end: range.end } : undefined;
    const { status, headers } = swarmHeaders(file, bounds);
    if (file.size === 0) {
      rt.stats.addResponse('cache');
      return new Response(null, { status, headers });
    }
    const start = bounds?.start ?? 0;
    const end = bounds?.end ?? file.size - 1;
    await withDeadline(rt.cache.ready, CACHE_READY_WAIT_MS);

    const pipeline = new ChunkPipeline(this.context(request, handler), file, manifest.chunkSize, chunkSpan(start, end, manifest.chunkSize));
    let first;
    try {
      // Headers wait for the first verified chunk: if even the origin fails, the page gets the
      // origin's own answer (its 404 or 500) rather than a broken 200.
      first = await pipeline.next();
    } catch {
      pipeline.cancel();
      await pipeline.settled();
      return this.passThrough(request, handler);
    }
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    void handler.waitUntil(done);
    const body = streamBody(pipeline, first, { start, end, chunkSize: manifest.chunkSize }, ({ sources }) => {
      rt.stats.addResponse(responseSource(sources));
      rt.reporter.poke();
      void Promise.all([pipeline.settled(), rt.cache.touch(file.integrity)]).finally(ended);
    });
    return new Response(body, { status, headers });
  }

  /** The request as it is, to the network; counted as an origin answer. */
  private passThrough(request: Request, handler: StrategyHandler): Promise<Response> {
    this.runtime.stats.addResponse('origin');
    return handler.fetch(request);
  }

  private context(request: Request, handler: StrategyHandler): PipelineContext {
    const rt = this.runtime;
    const event = handler.event as Partial<FetchEvent>;
    // Navigations have no clientId; the page being loaded is resultingClientId (it has no bridge yet).
    const clientId = event.clientId || event.resultingClientId || undefined;
    return {
      cache: rt.cache,
      bridges: rt.bridges,
      stats: rt.stats,
      stallMs: rt.settings().stallMs,
      window: this.window,
      nextRequestId: rt.nextRequestId,
      keepAlive: (work) => void handler.waitUntil(work.then(() => undefined, () => undefined)),
      bridge: once(() => rt.bridges.choose(clientId, this.bridgeWaitMs)),
      fetchRange: (range, signal) =>
        handler.fetch(new Request(request.url, { headers: { range }, credentials: 'same-origin', mode: 'same-origin', signal })),
    };
  }
}
