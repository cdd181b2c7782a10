/** Registers the swarm route on Workbox's default router: manifest paths to PeerFirstStrategy. */
import { registerRoute, type Route } from 'workbox-routing';
import { PeerFirstStrategy, type PeerFirstStrategyOptions } from './peer-first-strategy.js';
import { matchSwarmRequest } from './route-match.js';
import type { SwarmRuntime } from './swarm-runtime.js';

/** Adds the route; every request that does not match is left to the network (no respondWith). */
export function registerSwarmRoute(runtime: SwarmRuntime, options: Omit<PeerFirstStrategyOptions, 'runtime'> = {}): Route {
  const strategy = new PeerFirstStrategy({ ...options, runtime });
  return registerRoute(({ request, event }) => {
    // Every fetch event reaches this matcher: counted, so a test can see what static routing kept away.
    runtime.stats.addFetchEvent(request);
    // Refreshed here, on any fetch, not only in the strategy: an expired manifest matches nothing,
    // and it is the refresh that brings routing back.
    const refresh = runtime.manifest.refreshIfStale();
    if (refresh) event.waitUntil(refresh);
    return matchSwarmRequest(request, self.location.origin, runtime.manifest.current()?.files, options.match) !== undefined;
  }, strategy);
}
