/**
 * Everything the swarm path shares inside one SW: the manifest, the chunk cache, the page
 * bridges, the counters and the current settings. Built once per SW start; the entry, the
 * strategy and the message handler all take it.
 */
import type { TrustedKey } from '../protocol/index.js';
import { SW_DEFAULTS, type SwSettings } from '../protocol/messages/sw-page.js';
import { ROUTES, serverUrl } from '../protocol/wire.js';
import { AvailabilityView } from './availability.js';
import { BridgeRegistry, type ClientsLike } from './bridge-registry.js';
import { ChunkCache } from './chunk-cache.js';
import { changedPaths, refreshChanged } from './http-cache-refresh.js';
import { ManifestStore, type CurrentEnvelope } from './manifest-store.js';
import { OriginCopier } from './origin-copier.js';
import { OriginTiming } from './origin-timing.js';
import { manifestSize, observeOriginPace } from './origin-pace.js';
import { SwarmPulse } from './swarm-pulse.js';
import { PageActivity } from './page-activity.js';
import { WriteBehind } from './pending-writes.js';
import { Prefetcher } from './prefetcher.js';
import { StatsReporter } from './stats-reporter.js';
import { SwStatsCounter } from './sw-stats.js';

/** The shared state of the swarm path. */
export interface SwarmRuntime {
  readonly manifest: ManifestStore;
  readonly cache: ChunkCache;
  readonly bridges: BridgeRegistry;
  readonly stats: SwStatsCounter;
  readonly reporter: StatsReporter;
  /** Holder counts per manifest file in this site's swarm. */
  readonly availability: AvailabilityView;
  /** The origin's measured latency and throughput. */
  readonly timing: OriginTiming;
  /** Verified peer chunks arriving for the pages' requests (the first-byte hedge reads it). */
  readonly pulse: SwarmPulse;
  /** Fills the cache from peers while pages are idle. */
  readonly prefetcher: Prefetcher;
  /** The pages' own swarm requests in flight (the prefetch stays out of their way). */
  readonly pages: PageActivity;
  /** Copies what the origin served into the cache while pages are idle. */
  readonly copier: OriginCopier;
  /** Verified chunk bytes the pages' responses hold back from the cache until they end. */
  readonly writeBehind: WriteBehind;
  /** The settings in force (the latest a bridge sent, else the defaults). */
  settings(): SwSettings;
  /** Applies a bridge's settings; resolves once the cache fits its new bound. */
  applySettings(settings: SwSettings): Promise<void>;
  /** A chunk request id unique among this SW's requests. */
  nextRequestId(): number;
}

/** What the runtime is built from. */
export interface SwarmRuntimeOptions {
  /** The keys baked into this SW. */
  readonly keys: Promise<readonly TrustedKey[]>;
  /** The SW's clients (self.clients). */
  readonly clients: ClientsLike;
  /** The site's origin (self.location.origin): the site the availability view is asked for. */
  readonly origin: string;
  /** The swarmcdn server's base (wire.ts serverBaseOfScript of the SW's URL); default `origin`. */
  readonly server?: string;
}

/** The message that hands a bridge the SW's envelope (an exact-size copy: the store keeps its own bytes). */
export function envelopeMessage(envelope: CurrentEnvelope): { type: 'swarmcdn/envelope'; version: number; bytes: ArrayBuffer } {
  return { type: 'swarmcdn/envelope', version: envelope.version, bytes: envelope.bytes.slice().buffer };
}

/** Hands every bridge's page the envelope the SW now routes by, for its bridge to relay to peers behind it. */
async function pushEnvelope(manifest: ManifestStore, bridges: BridgeRegistry, clients: ClientsLike): Promise<void> {
  const envelope = manifest.envelope();
  if (!envelope) return;
  await Promise.all(
    bridges.all().map(async (handle) => {
      try {
        (await clients.get(handle.clientId))?.postMessage(envelopeMessage(envelope));
      } catch {
        // A page that went away in the meantime.
      }
    }),
  );
}

/** Builds the runtime and starts loading the manifest and the cache index. */
export function createSwarmRuntime(options: SwarmRuntimeOptions): SwarmRuntime {
  const stats = new SwStatsCounter();
  const bridges = new BridgeRegistry(options.clients);
  const cache = new ChunkCache({
    onComplete: (files) => bridges.announceAll(files),
    onWithdraw: (files) => bridges.withdrawAll(files),
  });
  const timing = new OriginTiming();
  const pulse = new SwarmPulse();
  let version: number | undefined;
  const server = options.server ?? options.origin;
  const availability = new AvailabilityView({ timing, origin: options.origin, server });
  const manifest = new ManifestStore({
    url: serverUrl(server, ROUTES.manifest),
    keys: options.keys,
    stats,
    // No old bytes for a changed path: the HTTP cache is revalidated for those before the switch.
    beforeSwitch: (previous, next) => refreshChanged(changedPaths(previous, next), { fetch: (request) => fetch(request), origin: options.origin }),
    onVersionChange: (next) => {
      // Taints hold for one manifest: a new version may list the origin's new bytes.
      cache.clearTaints();
      // The server's view follows the manifest's files: fetch it again for a new hash set (the
      // first manifest of this SW run is the one the view at start was fetched for).
      if (version !== undefined) {
        void availability.refresh();
        // Bridges relay the new version to peers still behind it (a page's bridge asks for the first one itself).
        void pushEnvelope(manifest, bridges, options.clients);
      }
      version = next.version;
    },
  });
  // The origin's pace for the rate hedge, from the SW's own Resource Timing of whole manifest files.
  observeOriginPace(timing, options.origin, manifestSize(() => manifest.current()?.files));
  const reporter = new StatsReporter(stats, bridges);
  let settings: SwSettings = SW_DEFAULTS;
  let requestId = 0;
  const nextRequestId = (): number => (requestId = (requestId + 1) % Number.MAX_SAFE_INTEGER);
  const copier = new OriginCopier({ cache, fetch: (request) => fetch(request) });
  const pages = new PageActivity();
  const prefetcher = new Prefetcher({ manifest, cache, bridges, stats, availability, settings: () => settings, nextRequestId, pages });
  return {
    manifest,
    cache,
    bridges,
    stats,
    reporter,
    availability,
    timing,
    pulse,
    prefetcher,
    pages,
    copier,
    writeBehind: new WriteBehind(),
    settings: () => settings,
    applySettings: (next) => {
      settings = next;
      return cache.setLimit(next.cacheBytes);
    },
    // Wraps well before 2^53; ids only need to be unique among requests in flight.
    nextRequestId,
  };
}
