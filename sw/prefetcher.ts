/**
 * Prefetch: while a visitor reads a page, the SW fills its cache from peers (never the origin) with
 * what the visitor's next pages will need, so those pages load from the cache. The page bridge says
 * when the page is idle and which pages it links to; the signed manifest says which files each page
 * references (`pages`); the availability view says who holds what. Planned in order: the files of
 * the page itself and of the pages it links to, then the site's most-held files, up to a byte
 * budget per page view. Every chunk is verified like any other, and counts as peer bytes.
 */
import { canonicalUrlPath, type Manifest, type ManifestFile, type Sha256Sri } from '../protocol/index.js';
import type { SwSettings } from '../protocol/messages/sw-page.js';
import type { AvailabilityView } from './availability.js';
import type { BridgeRegistry } from './bridge-registry.js';
import type { ChunkCache } from './chunk-cache.js';
import { ChunkPipeline, type PipelineContext } from './chunk-pipeline.js';
import type { ManifestStore } from './manifest-store.js';
import type { PageActivity } from './page-activity.js';
import type { ByteSource, SwStatsCounter } from './sw-stats.js';

/** Chunk requests in flight per prefetched file: half a page request's window, so a real request still finds room on the channel. */
const PREFETCH_WINDOW = 4;
/**
 * Files prefetched at once. Each file's first chunk waits for a tracker answer (who holds it), one
 * round trip to the server: one file at a time made a site of a hundred small files cost a hundred
 * round trips (6 s behind a 60 ms origin, more than a visitor reads a page). Six overlap them and
 * keep the channel busy; with 4 chunks each, at most 24 requests are in flight.
 */
const PREFETCH_FILES_AT_ONCE = 6;
/**
 * How long a prefetched file's chunks are asked again after no peer served them (every 250 ms, of
 * whichever holders the bridge has by then): a holder still connecting, or one that stalled and
 * was given up, costs a retry, not the file. Bounded: a file no one serves frees its worker.
 */
const PREFETCH_RETRY_MS = 5_000;
/** How long a prefetch waits for the asking page's bridge (it just sent the request, so it has one). */
const BRIDGE_WAIT_MS = 5_000;

/** What the prefetcher uses. */
export interface PrefetcherDeps {
  readonly manifest: Pick<ManifestStore, 'current'>;
  readonly cache: ChunkCache;
  readonly bridges: BridgeRegistry;
  readonly stats: SwStatsCounter;
  readonly availability: Pick<AvailabilityView, 'holders' | 'mostHeld'>;
  readonly settings: () => SwSettings;
  readonly nextRequestId: () => number;
  /** The pages' own swarm requests: the prefetch waits for them and never fetches their files beside them. */
  readonly pages?: PageActivity;
}

/** What a plan reads. */
export interface PrefetchFacts {
  readonly holders: (file: Sha256Sri) => number | undefined;
  readonly mostHeld: () => readonly Sha256Sri[];
  /** True when the file is wholly in the cache (or must not be cached: tainted). */
  readonly skip: (file: ManifestFile) => boolean;
}

/** The manifest page a link names: the path itself, or its index.html for a directory URL. */
export function pageKey(manifest: Manifest, link: string): string | undefined {
  if (!manifest.pages) return undefined;
  // A directory URL ('/', '/docs/') has an empty last segment, which no manifest path has.
  const candidates = link.endsWith('/') ? [`${link}index.html`] : [link, `${link}/index.html`];
  for (const candidate of candidates) {
    const path = canonicalUrlPath(candidate);
    if (path !== undefined && Object.hasOwn(manifest.pages, path)) return path;
  }
  return undefined;
}

/** The files to prefetch for these pages, in order, within `budget` bytes: held by peers, not cached yet. */
export function planPrefetch(manifest: Manifest, pages: readonly string[], facts: PrefetchFacts, budget: number): ManifestFile[] {
  const planned: ManifestFile[] = [];
  const seen = new Set<Sha256Sri>();
  let left = budget;
  const consider = (file: ManifestFile | undefined): void => {
    if (!file || seen.has(file.integrity)) return;
    seen.add(file.integrity);
    if (file.size === 0 || file.size > left || !((facts.holders(file.integrity) ?? 0) > 0) || facts.skip(file)) return;
    planned.push(file);
    left -= file.size;
  };
  for (const link of pages) {
    const key = pageKey(manifest, link);
    for (const path of key ? manifest.pages![key]! : []) consider(manifest.files[path]);
  }
  const byHash = new Map<Sha256Sri, ManifestFile>();
  for (const file of Object.values(manifest.files)) byHash.set(file.integrity, file);
  for (const hash of facts.mostHeld()) {
    if (left <= 0) break;
    consider(byHash.get(hash));
  }
  return planned;
}

/** Runs one prefetch at a time; a newer request replaces the one running. */
export class Prefetcher {
  private generation = 0;
  /** The prefetch's pipeline per file in flight: a page asking for that file cancels it. */
  private readonly active = new Map<Sha256Sri, ChunkPipeline>();

  constructor(private readonly deps: PrefetcherDeps) {
    // What the prefetch stored stays cached, so the page's request takes those chunks from the cache.
    deps.pages?.onBegin((file) => this.active.get(file)?.cancel());
  }

  /** Prefetches for a page client; resolves when done or replaced. */
  async run(clientId: string, pages: readonly string[]): Promise<void> {
    const generation = ++this.generation;
    const { manifest: store, cache, availability, settings } = this.deps;
    const manifest = store.current();
    const budget = settings().prefetchBytes;
    if (!manifest || budget <= 0) return;
    await cache.ready;
    const pagesWant = (file: ManifestFile): boolean => this.deps.pages?.wants(file.integrity) === true;
    const skip = (file: ManifestFile): boolean => cache.isTainted(file.integrity) || file.chunks.every((c) => cache.hasChunk(c)) || pagesWant(file);
    const plan = planPrefetch(manifest, pages, { holders: (f) => availability.holders(f), mostHeld: () => availability.mostHeld(), skip }, budget);
    this.deps.stats.addPrefetchPlan(plan.length);
    if (plan.length === 0) return;
    // The page that asked just spoke to us: its own bridge, with no liveness check (a busy browser
    // can take longer than the check allows); else wait for the page to hand one over.
    const first = this.deps.bridges.get(clientId) ?? (await this.deps.bridges.choose(clientId, BRIDGE_WAIT_MS, { force: true }));
    if (!first) return;
    let next = 0;
    // A few workers take the plan in order; each stops when a newer prefetch replaced this one, the
    // manifest changed, or the page's bridge is gone.
    const worker = async (): Promise<void> => {
      while (next < plan.length) {
        const file = plan[next++]!;
        const stale = (): boolean => generation !== this.generation || store.current()?.version !== manifest.version;
        // Only while pages are quiet; a file a page is fetching now is the page's.
        if (this.deps.pages && !(await this.deps.pages.untilQuiet(stale))) return;
        if (stale()) return;
        if (pagesWant(file)) continue;
        const bridge = this.deps.bridges.get(clientId) ?? (await this.deps.bridges.choose(clientId, 0));
        if (!bridge) return;
        // A file that failed may mean the page went away (its port never answers): stop if it did.
        if (!(await this.fetchFile(file, manifest.chunkSize, bridge)) && !(await this.deps.bridges.choose(clientId, 0))) return;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PREFETCH_FILES_AT_ONCE, plan.length) }, worker));
  }

  /**
   * One file from peers into the cache, counted in the prefetch's stats; false when a chunk could
   * not be had (a page that took the file over cancelled this one: not a failure).
   */
  private async fetchFile(file: ManifestFile, chunkSize: number, bridge: Awaited<ReturnType<BridgeRegistry['choose']>>): Promise<boolean> {
    const { stats } = this.deps;
    let fetched = 0;
    const fromPeers = (source: ByteSource, n: number): void => {
      // A chunk already cached is not a byte fetched: only peer bytes count for a prefetch.
      if (source === 'cache') return;
      fetched += n;
      stats.addBytes(source, n);
    };
    const ctx: PipelineContext = {
      cache: this.deps.cache,
      bridges: this.deps.bridges,
      stats: { addBadChunk: () => stats.addBadChunk(), addBytes: fromPeers },
      stallMs: this.deps.settings().stallMs,
      window: PREFETCH_WINDOW,
      origin: 'never',
      peersUntil: Date.now() + PREFETCH_RETRY_MS,
      nextRequestId: this.deps.nextRequestId,
      keepAlive: (work) => void work.catch(() => undefined),
      bridge: () => Promise.resolve(bridge),
      fetchRange: () => Promise.reject(new Error('a prefetch never asks the origin')),
    };
    const pipeline = new ChunkPipeline(ctx, file, chunkSize, { first: 0, last: file.chunks.length - 1 });
    this.active.set(file.integrity, pipeline);
    try {
      while (await pipeline.next());
      return true;
    } catch {
      return false;
    } finally {
      stats.addPrefetch(fetched, pipeline.complete && fetched > 0);
      if (this.active.get(file.integrity) === pipeline) this.active.delete(file.integrity);
      pipeline.cancel();
      await pipeline.settled();
    }
  }
}
