/**
 * The Workbox strategy of the swarm path. Each request is routed the moment it arrives
 * (route-decision.ts): from the cache, from peers with the origin hedging behind them, or straight
 * to the origin (its bytes copied into the cache once pages are idle). Every chunk from the cache or a
 * peer is verified before it is served. When the origin fails for a listed file, peers that hold
 * it get a bounded wait to serve it instead. A site with its own Workbox SW can register it on its
 * own routes.
 */
import { Strategy, type StrategyHandler, type StrategyOptions } from 'workbox-strategies';
import type { ManifestFile } from '../protocol/index.js';
import type { BridgeHandle } from './bridge-registry.js';
import { parseRange } from './byte-range.js';
import { ChunkPipeline, type FirstByteBudget, type PipelineChunk, type PipelineContext } from './chunk-pipeline.js';
import { chunkLength, chunkSpan, type ChunkSpan } from './chunk-span.js';
import { withDeadline } from './deadline.js';
import { fromHttpCache } from './http-cache-probe.js';
import { timedFetch } from './origin-timing.js';
import { decideRoute } from './route-decision.js';
import { matchSwarmRequest, type MatchOptions } from './route-match.js';
import { notSatisfiable, responseSource, streamBody, swarmHeaders } from './swarm-response.js';
import type { SwarmRuntime } from './swarm-runtime.js';

/** The strategy's options. */
export interface PeerFirstStrategyOptions extends StrategyOptions {
  readonly runtime: SwarmRuntime;
  /** Chunk requests in flight per response; default 8 (2 MiB at 256 KiB chunks), 16 for a file several peers hold. */
  readonly window?: number;
  /** When the origin fails for a listed file, how long to wait for peers that hold it; default 10 s (0: never). */
  readonly originDownWaitMs?: number;
  /** Spans needing fewer uncached bytes than this go to the origin rather than wait for a peer; default: the page's setting. */
  readonly minPeerBytes?: number;
  /** What the swarm may answer (the same options the route matched with). */
  readonly match?: MatchOptions;
}

/** 8 × 256 KiB in flight keeps a loopback data channel (~35 MB/s) busy; at most 16 chunks (4 MiB) run ahead of the reader. */
const DEFAULT_WINDOW = 8;
/**
 * A file several peers hold gets twice the default window: the bridge gives each holder a queue of
 * its own, and a holder's queue that runs dry between answers leaves it idle for a round trip
 * (bench:p2p's many-sources row, three seeders capped at 2 MB/s against one, on a loaded 2-core
 * box: 1.3–2.1× with 8 in flight, 2.0–2.8× with 16). 16 × 256 KiB ahead of the reader is 4 MiB.
 */
const MULTI_SOURCE_WINDOW = 16;
/** 10 s: long enough for a new page's bridge to come up and reach a holder, short enough that a dead site fails visibly. */
const DEFAULT_ORIGIN_DOWN_WAIT_MS = 10_000;
/** The cache index loads from IndexedDB at SW start; past this a request does without. */
const STATE_READY_WAIT_MS = 2_000;
/** A SW with no availability view at all (none kept) waits this long for the server's: one round trip, bounded. */
const VIEW_WAIT_MS = 500;

/** Origin answers that mean "the origin cannot serve this now": peers may. */
function originFailed(response: Response | undefined): boolean {
  return !response || response.type === 'error' || response.status >= 500 || response.status === 404 || response.status === 410;
}

/** Cache, peers or the origin, decided on arrival; verified before anything from the swarm is served. */
export class PeerFirstStrategy extends Strategy {
  private readonly runtime: SwarmRuntime;
  private readonly window: number | undefined;
  private readonly originDownWaitMs: number;
  private readonly minPeerBytes: number | undefined;
  private readonly swarmMatch: MatchOptions;

  constructor(options: PeerFirstStrategyOptions) {
    super(options);
    this.runtime = options.runtime;
    this.window = options.window === undefined ? undefined : Math.max(1, Math.floor(options.window));
    this.originDownWaitMs = Math.max(0, options.originDownWaitMs ?? DEFAULT_ORIGIN_DOWN_WAIT_MS);
    this.minPeerBytes = options.minPeerBytes;
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
    if (file.size === 0) {
      rt.stats.addResponse('cache');
      return new Response(null, swarmHeaders(file, bounds));
    }
    const start = bounds?.start ?? 0;
    const end = bounds?.end ?? file.size - 1;
    const span = chunkSpan(start, end, manifest.chunkSize);
    await Promise.all([withDeadline(rt.cache.ready, STATE_READY_WAIT_MS), rt.availability.known(VIEW_WAIT_MS)]);

    let missingBytes = 0;
    for (let i = span.first; i <= span.last; i++) {
      if (!rt.cache.hasChunk(file.chunks[i]!)) missingBytes += chunkLength(i, file.size, manifest.chunkSize);
    }
    const holders = rt.availability.holders(file.integrity);
    const bridge = missingBytes > 0 && (holders ?? 0) > 0 ? await rt.bridges.choose(this.clientId(handler), 0) : undefined;
    const route = decideRoute({ allCached: missingBytes === 0, holders, bridgeUp: bridge !== undefined, missingBytes, minPeerBytes: this.minPeerBytes ?? rt.settings().minPeerBytes });
    rt.stats.addRoute(route);
    // What this request waits on from the swarm: its missing bytes until a pipeline serves it, then what that pipeline still lacks from peers.
    const stake = { waitsOn: (): number => (route === 'peers' ? missingBytes : 0) };
    const pageDone = route === 'cache' ? () => undefined : rt.pages.begin(file.integrity, () => stake.waitsOn());
    const job: SwarmJob = { request, handler, file, chunkSize: manifest.chunkSize, span, bounds: { start, end }, ranged: bounds !== undefined, holders, pageDone, stake };
    try {
      return await this.serve(job, route, bridge, missingBytes);
    } catch (error) {
      pageDone();
      throw error;
    }
  }

  /** The response for a routed request (the rest of _handle). */
  private async serve(job: SwarmJob, route: ReturnType<typeof decideRoute>, bridge: BridgeHandle | undefined, missingBytes: number): Promise<Response> {
    const rt = this.runtime;
    const { request, handler, file, holders } = job;
    const { start, end } = job.bounds;
    const spanBytes = end - start + 1;
    // Nothing cached: the origin's own response. Part cached (a prefetch cut short by a
    // navigation): the pipeline serves the cached chunks and asks the origin for the rest only.
    if (route === 'origin' && missingBytes >= spanBytes) return this.fromOrigin(job, holders);
    if (route === 'cache' && !job.ranged) {
      const cached = await fromHttpCache(request.url, file.size, (r) => handler.fetch(r));
      if (cached) {
        rt.stats.addResponse('cache');
        rt.stats.addBytes('cache', file.size);
        // Still a use of the cached file (LRU), whichever cache answered.
        void handler.waitUntil(rt.cache.touch(file.integrity));
        return cached;
      }
    }
    const waited = route === 'peers' ? performance.now() : undefined;
    const { hedgeMs, stallMs, rateHedge } = rt.settings();
    const peers = route === 'peers';
    const ctx = this.context(job, peers ? bridge : undefined, {
      firstByte: peers ? this.firstByteBudget(hedgeMs, stallMs) : undefined,
      originPace: peers && rateHedge ? { ttfbMs: () => rt.timing.ttfbMs(), bytesPerMs: () => rt.timing.bytesPerMs() } : undefined,
    });
    const answer = await this.respond(job, ctx, waited);
    if (!answer) job.pageDone();
    return answer ?? this.passThrough(request, handler);
  }

  /**
   * The origin at once, with nothing added: its response goes to the page as it is, and a
   * whole-file 200 is copied into the cache once pages are idle. When the origin fails, peers that
   * hold the file (or might: no view yet) get a bounded wait; if they fail too, the page gets the
   * origin's answer.
   */
  private async fromOrigin(job: SwarmJob, holders: number | undefined): Promise<Response> {
    const rt = this.runtime;
    let response: Response | undefined;
    try {
      response = await timedFetch(rt.timing, () => job.handler.fetch(job.request));
    } catch {
      response = undefined;
    }
    if (!originFailed(response)) {
      // The origin's download does not compete with peers' channels: the prefetch need not wait for it.
      job.pageDone();
      rt.stats.addResponse('origin');
      return this.copied(job, response!);
    }
    const rescued = this.originDownWaitMs > 0 && holders !== 0 ? await this.fromPeersOnly(job) : undefined;
    if (rescued) {
      void response?.body?.cancel().catch(() => undefined);
      return rescued;
    }
    job.pageDone();
    // The page sees what it would have seen without us.
    rt.stats.addResponse('origin');
    return response ?? Response.error();
  }

  /** The origin failed: peers only, bounded by the origin-down wait (a bridge may still be coming up). */
  private async fromPeersOnly(job: SwarmJob): Promise<Response | undefined> {
    const rt = this.runtime;
    const ctx = this.context(job, undefined, { origin: 'never', peersUntil: Date.now() + this.originDownWaitMs });
    const rescued = await this.respond(job, ctx, performance.now());
    rt.stats.addOriginDown(rescued !== undefined);
    return rescued;
  }

  /** The origin's response for the page, as it is; a whole-file 200 is noted for a copy into the cache once pages are idle. */
  private copied(job: SwarmJob, response: Response): Response {
    const rt = this.runtime;
    if (response.status !== 200 || job.ranged) return response;
    // The body is the page's, untouched: its length is the file's (the manifest's, for the counters).
    rt.stats.addBytes('origin', job.file.size);
    rt.reporter.poke();
    // A file larger than the whole cache could never be kept.
    if (job.file.size <= rt.settings().cacheBytes && !rt.cache.isTainted(job.file.integrity)) {
      void job.handler.waitUntil(rt.copier.note(job.request.url, job.file, job.chunkSize).then(() => rt.cache.touch(job.file.integrity)));
    }
    // Passed through untouched (a native body): the origin's pace is read from Resource Timing (origin-pace.ts).
    return response;
  }

  /**
   * Streams the span through a pipeline; headers wait for the first verified chunk, so a page
   * never gets a broken 200. Undefined when not even the first chunk could be had.
   */
  private async respond(job: SwarmJob, ctx: PipelineContext, waitedFrom: number | undefined): Promise<Response | undefined> {
    const rt = this.runtime;
    const pipeline = new ChunkPipeline(ctx, job.file, job.chunkSize, job.span);
    job.stake.waitsOn = () => pipeline.waitingOnPeers;
    let first: PipelineChunk | undefined;
    try {
      first = await pipeline.next();
    } catch {
      pipeline.cancel();
      await pipeline.settled();
      return undefined;
    } finally {
      if (waitedFrom !== undefined) rt.stats.addSwarmWait(performance.now() - waitedFrom);
    }
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    void job.handler.waitUntil(done);
    const body = streamBody(pipeline, first, { ...job.bounds, chunkSize: job.chunkSize }, ({ sources }) => {
      job.pageDone();
      rt.stats.addResponse(responseSource(sources));
      rt.reporter.poke();
      void Promise.all([pipeline.settled(), rt.cache.touch(job.file.integrity)]).finally(ended);
    });
    const { status, headers } = swarmHeaders(job.file, job.ranged ? job.bounds : undefined);
    // The origin's lifetime for the file: the browser's memory cache then reuses this answer on the
    // next page as it would the origin's, instead of asking the SW (and IndexedDB) again.
    const cacheControl = rt.availability.cacheControl();
    if (cacheControl) headers.set('cache-control', cacheControl);
    return new Response(body, { status, headers });
  }

  /** The request as it is, to the network; counted as an origin answer. */
  private passThrough(request: Request, handler: StrategyHandler): Promise<Response> {
    this.runtime.stats.addResponse('origin');
    return handler.fetch(request);
  }

  /** The requesting page (navigations have no clientId; the page being loaded is resultingClientId and has no bridge yet). */
  private clientId(handler: StrategyHandler): string | undefined {
    const event = handler.event as Partial<FetchEvent>;
    return event.clientId || event.resultingClientId || undefined;
  }

  /**
   * The first-byte budget: a fixed `hedgeMs` setting, else the one for what the pages wait on from
   * the swarm now, looked at again when it runs out (more requests may have joined).
   */
  private firstByteBudget(hedgeMs: number, stallMs: number): FirstByteBudget {
    const rt = this.runtime;
    return {
      budgetMs: () => hedgeMs || rt.timing.hedgeBudgetMs(stallMs, rt.pages.bytesInFlight),
      bytesAtStake: () => rt.pages.bytesInFlight,
      originMs: (bytes) => rt.timing.originMs(bytes),
    };
  }

  private context(job: SwarmJob, bridge: BridgeHandle | undefined, mode: Pick<PipelineContext, 'firstByte' | 'origin' | 'peersUntil' | 'originPace'>): PipelineContext {
    const rt = this.runtime;
    const clientId = this.clientId(job.handler);
    return {
      ...mode,
      cache: rt.cache,
      bridges: rt.bridges,
      stats: rt.stats,
      stallMs: rt.settings().stallMs,
      window: this.window ?? ((job.holders ?? 0) > 1 ? MULTI_SOURCE_WINDOW : DEFAULT_WINDOW),
      originDownWaitMs: this.originDownWaitMs,
      onHandover: (reason) => rt.stats.addHandover(reason),
      owe: (bytes) => rt.timing.owe(bytes),
      pulse: rt.pulse,
      writeBehind: rt.writeBehind,
      nextRequestId: rt.nextRequestId,
      keepAlive: (work) => void job.handler.waitUntil(work.then(() => undefined, () => undefined)),
      bridge: () => Promise.resolve(bridge),
      chooseBridge: (waitMs) => rt.bridges.choose(clientId, waitMs, { force: true }),
      fetchRange: (range, signal) =>
        timedFetch(rt.timing, () => job.handler.fetch(new Request(job.request.url, { headers: { range }, credentials: 'same-origin', mode: 'same-origin', signal }))),
    };
  }
}

/** One request being answered. */
interface SwarmJob {
  readonly request: Request;
  readonly handler: StrategyHandler;
  readonly file: ManifestFile;
  readonly chunkSize: number;
  readonly span: ChunkSpan;
  readonly bounds: { readonly start: number; readonly end: number };
  /** A Range request (206), not the whole file (200). */
  readonly ranged: boolean;
  /** Peers holding the file, by the availability view (undefined: no view). */
  readonly holders: number | undefined;
  /** Ends this request's page activity (idempotent): the prefetch waits while pages fetch. */
  readonly pageDone: () => void;
  /** What the request waits on from the swarm now (the first-byte hedge's bytes at stake); its pipeline replaces it. */
  readonly stake: { waitsOn: () => number };
}
