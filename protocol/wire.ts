/**
 * The wire contract: every URL path, key and bound that the server, the service worker, the page
 * bridge and the build must agree on, defined here once. Each side imports these; none spells a
 * `/swarmcdn/…` path or the trusted-keys placeholder itself.
 *
 * A site may point the bridge at a server under a path prefix (`https://example.com/swarm`) or at
 * another origin: every URL is derived from that one base with `serverUrl`. swarmcdn's own SW
 * recovers the base from its own script URL (`serverBaseOfScript`); a site's own SW is told it
 * (installSwarm's `server`), since a browser registers a SW only from the page's own origin.
 */

/** The path every swarmcdn route lives under, relative to the server's base. */
export const SWARMCDN_PATH = '/swarmcdn';
/** SWARMCDN_PATH with its slash: what a request path starts with when it is one of ours. */
export const SWARMCDN_PREFIX = `${SWARMCDN_PATH}/`;

/** The server's routes, relative to its base (join them with `serverUrl`). */
export const ROUTES = Object.freeze({
  /** GET: the current signed envelope. */
  manifest: `${SWARMCDN_PATH}/manifest`,
  /** GET [?site=…]: holder counts per manifest file. */
  availability: `${SWARMCDN_PATH}/availability`,
  /** GET: the server's counters. */
  stats: `${SWARMCDN_PATH}/stats`,
  /** GET: the service worker bundle, trusted keys baked in. */
  sw: `${SWARMCDN_PATH}/sw.js`,
  /** GET: the page bridge bundle. */
  bridge: `${SWARMCDN_PATH}/bridge.js`,
  /** GET ?v=<version>: the bridge core, an ES module bridge.js imports (that version only). */
  bridgeCore: `${SWARMCDN_PATH}/bridge-core.js`,
  /** The PeerJS signalling endpoint (`…/id` and the WebSocket), which also carries the tracker. */
  peerjs: `${SWARMCDN_PATH}/peerjs`,
});

/** One of the server's routes. */
export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** The PeerJS `key` the server accepts by default and the bridge sends (the stock PeerJS default). */
export const PEERJS_KEY = 'peerjs';

/**
 * The string literal in the SW bundle that the server replaces, quotes included, with a JSON array
 * of SPKI PEMs. The build checks that minification left exactly one.
 */
export const TRUSTED_KEYS_PLACEHOLDER = '__SWARMCDN_TRUSTED_KEYS__';

/**
 * The server's default tracker limits a well-behaved page stays under (the server's options may
 * raise them; a page never learns them, so it keeps to the defaults).
 */
export const TRACKER_DEFAULTS = Object.freeze({
  /** Files one peer may hold at the tracker: a large site's manifest lists a few thousand. */
  maxHavePerPeer: 10_000,
  /** Tracker messages per second per socket, and the burst above it: beyond them the server closes the socket. */
  ratePerSecond: 50,
  rateBurst: 200,
});

/** An inclusive integer range. */
export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * Bounds of the settings a bridge hands the SW: startSwarm refuses values outside them (naming the
 * option), and the SW refuses a settings message outside them (keeping its own).
 */
export const SW_SETTING_BOUNDS = Object.freeze({
  cacheBytes: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** 50 ms: a stall shorter than a chunk's round trip would abandon every peer; 60 s: longer is no fallback. */
  stallMs: { min: 50, max: 60_000 },
  prefetchBytes: { min: 0, max: Number.MAX_SAFE_INTEGER },
  minPeerBytes: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** 0 means "measured"; over 60 s the origin would never take over in a page's lifetime. */
  hedgeMs: { min: 0, max: 60_000 },
} satisfies Record<string, IntegerBounds>);

/** True when `value` is an integer within `bounds`. */
export function withinBounds(value: unknown, bounds: IntegerBounds): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= bounds.min && value <= bounds.max;
}

/**
 * A `server` option as a base URL (`https://example.com`, `https://example.com/swarm`): resolved
 * against `relativeTo` (the page's or the SW's origin, so `/swarm` is a path prefix there), trailing
 * slashes dropped. Undefined when it is not an http(s) URL or carries a query, fragment or credentials.
 */
export function parseServerBase(value: string, relativeTo: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value, relativeTo);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.search || url.hash || url.username || url.password) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * A server base (`https://example.com` or `https://example.com/swarm`, as startSwarm normalizes
 * it, a trailing slash tolerated) joined with a route: `https://example.com/swarm/swarmcdn/manifest`.
 */
export function serverUrl(base: string, route: Route): string {
  return `${base.replace(/\/+$/, '')}${route}`;
}

/**
 * The server base a bundle was served from, given the bundle's own URL and its route
 * (`https://example.com/swarm/swarmcdn/sw.js`, ROUTES.sw → `https://example.com/swarm`), or
 * undefined when the URL is not that route under some base. Query and fragment are ignored.
 */
export function serverBaseOfScript(scriptUrl: string, route: Route): string | undefined {
  let url: URL;
  try {
    url = new URL(scriptUrl);
  } catch {
    return undefined;
  }
  if (!url.pathname.endsWith(route)) return undefined;
  return `${url.origin}${url.pathname.slice(0, -route.length)}`;
}
