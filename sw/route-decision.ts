/**
 * Where a manifest-path request goes the moment it arrives, from what the SW already knows: no
 * round trip, no wait. A request may wait for the swarm only where the swarm can win:
 * - every chunk it needs is cached → the cache;
 * - peers hold the file (the availability view), a bridge is up in one of this site's pages, and the
 *   bytes still needed are at least MIN_PEER_BYTES → peers, with the origin hedging behind them;
 * - anything else (no holders, no view, no bridge, a small file) → the origin at once, its bytes
 *   checked and cached on the side, so this visitor becomes a holder for the next one.
 */
import { SW_DEFAULTS } from '../protocol/messages/sw-page.js';

/**
 * 64 KiB (SW_DEFAULTS.minPeerBytes; a site may set another). From bench:p2p and the e2e runs here: a chunk from a peer over an open data channel takes
 * 20–45 ms to its first verified byte, plus a tracker round trip when the holder list is stale. The
 * same 64 KiB from an origin 60 ms away at 40 Mbit/s takes ~75 ms, from loopback ~3 ms. Below this
 * size a peer cannot beat even a distant origin by enough to pay for the hop through the bridge;
 * such files still reach peers through prefetch, where no page is waiting.
 */
export const MIN_PEER_BYTES = SW_DEFAULTS.minPeerBytes;

/** Where a request goes. */
export type RouteDecision = 'cache' | 'peers' | 'origin';

/** What the decision reads; all of it is known in memory when the request arrives. */
export interface RouteFacts {
  /** Every chunk of the requested span is in the cache. */
  readonly allCached: boolean;
  /** Holders of the file per the availability view, undefined when there is no view. */
  readonly holders: number | undefined;
  /** A page bridge is registered with a live client now. */
  readonly bridgeUp: boolean;
  /** Bytes of the span that are not cached. */
  readonly missingBytes: number;
  /** The threshold in force (MIN_PEER_BYTES unless a site set another). */
  readonly minPeerBytes?: number;
}

/** The route for one request. */
export function decideRoute(facts: RouteFacts): RouteDecision {
  if (facts.allCached) return 'cache';
  const holders = facts.holders ?? 0;
  if (holders > 0 && facts.bridgeUp && facts.missingBytes >= (facts.minPeerBytes ?? MIN_PEER_BYTES)) return 'peers';
  return 'origin';
}
