/**
 * startSwarm's options: one object, defaults in one frozen place, validated once at the boundary
 * (a bad value throws CONFIG_INVALID naming the option), then frozen. Each component takes a
 * `Pick<SwarmConfig, …>` slice of the result, never the whole object.
 */
import { SwarmError } from '../protocol/errors.js';
import { SW_DEFAULTS } from '../protocol/messages/sw-page.js';
import { parseTrackerClientMessage } from '../protocol/messages/tracker.js';
import { SW_SETTING_BOUNDS, parseServerBase, type IntegerBounds } from '../protocol/wire.js';

/** What a site may pass to startSwarm; every field is optional. */
export interface SwarmOptions {
  /** Base URL of the swarmcdn server (origin, optionally a path prefix); default: the page's origin. */
  server?: string;
  /** ICE servers for WebRTC; default: PeerJS's own configuration. `[]` means host candidates only. */
  iceServers?: RTCIceServer[];
  /** Open peer connections at most; the least recently used idle one is closed beyond it. */
  maxPeers?: number;
  /** Open peer connections the pool refills to after losing some (peer exchange, then the tracker); 0: no refill. At most maxPeers. */
  minPeers?: number;
  /** A peer data connection that does not open within this time is given up. */
  connectTimeoutMs?: number;
  /** The SW's cache bound in bytes (handed to the SW with the bridge port). */
  cacheBytes?: number;
  /** A peer that sends nothing for this long is abandoned (the SW and the bridge both apply it). */
  stallMs?: number;
  /** Serve chunks this visitor holds to other visitors. */
  upload?: boolean;
  /** Requests from other visitors served at once; more are answered `absent busy`. */
  maxUploads?: number;
  /** Bytes per second this visitor serves at most, over all peers; default unlimited. */
  uploadBytesPerSecond?: number;
  /** A region hint for the tracker (`eu-west`): peers of the same region are offered first. */
  region?: string;
  /** Bytes prefetched from peers per page view while the page is idle (0: no prefetch). Never under Save-Data. */
  prefetchBytes?: number;
  /** Requests needing fewer uncached bytes than this go straight to the origin (default 64 KiB, measured: see the README). */
  minPeerBytes?: number;
  /** A fixed budget (ms) for peers' first verified bytes before the origin takes over; 0 (default): twice the origin's measured latency. */
  hedgeMs?: number;
  /** Hand the rest of a file to the origin when peers deliver slower than its measured pace (default true). */
  rateHedge?: boolean;
  /**
   * The service worker registered at scope `/`: default swarmcdn's `<server>/swarmcdn/sw.js`. A site
   * whose own Workbox SW adds the swarm path (`swarmcdn/sw`) names that script (same origin as the
   * page), or passes `false` when it registers the SW itself.
   */
  serviceWorker?: string | false;
}

/** The options after defaults and validation. */
export interface SwarmConfig {
  /** Normalized base URL without a trailing slash (`https://example.com` or `https://example.com/cdn`). */
  readonly server: string;
  readonly iceServers: readonly RTCIceServer[] | undefined;
  readonly maxPeers: number;
  readonly minPeers: number;
  readonly connectTimeoutMs: number;
  readonly cacheBytes: number;
  readonly stallMs: number;
  readonly upload: boolean;
  readonly maxUploads: number;
  readonly uploadBytesPerSecond: number | undefined;
  readonly region: string | undefined;
  readonly prefetchBytes: number;
  readonly minPeerBytes: number;
  readonly hedgeMs: number;
  readonly rateHedge: boolean;
  /** The SW script to register; undefined: `<server>/swarmcdn/sw.js`; false: the site registers its own. */
  readonly serviceWorker: string | false | undefined;
}

/** Every default, in one place (server's default is the page's origin, known only at run time). */
export const SWARM_DEFAULTS = Object.freeze({
  maxPeers: 8,
  /** 2: one peer leaving still leaves an open channel, for a handful of idle connections per page (lower when maxPeers is). */
  minPeers: 2,
  /** 3 s: set-up takes 20–70 ms on a LAN and rarely over a second through TURN; past that the origin wins. */
  connectTimeoutMs: 3_000,
  cacheBytes: SW_DEFAULTS.cacheBytes,
  stallMs: SW_DEFAULTS.stallMs,
  prefetchBytes: SW_DEFAULTS.prefetchBytes,
  minPeerBytes: SW_DEFAULTS.minPeerBytes,
  hedgeMs: SW_DEFAULTS.hedgeMs,
  rateHedge: SW_DEFAULTS.rateHedge,
  upload: true,
  /** 16: two chunks per default peer slot; each costs at most one chunk of memory while it is read and sent. */
  maxUploads: 16,
});

const KNOWN = new Set<string>([
  'server',
  'iceServers',
  'maxPeers',
  'minPeers',
  'connectTimeoutMs',
  'cacheBytes',
  'stallMs',
  'upload',
  'maxUploads',
  'uploadBytesPerSecond',
  'region',
  'prefetchBytes',
  'minPeerBytes',
  'hedgeMs',
  'rateHedge',
  'serviceWorker',
]);

/** ICE server entries and URLs per entry: a real configuration has a handful. */
const MAX_ICE_SERVERS = 16;
const MAX_ICE_URLS = 16;
const MAX_STRING = 2048;

function fail(option: string, message: string): never {
  throw new SwarmError('CONFIG_INVALID', `startSwarm: ${option} ${message}`, { option });
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** An option the SW also checks: the bounds are the wire's, so a value startSwarm takes the SW takes too. */
function swSetting(option: keyof typeof SW_SETTING_BOUNDS, value: unknown): number {
  const bounds: IntegerBounds = SW_SETTING_BOUNDS[option];
  return integer(option, value, bounds.min, bounds.max);
}

function flag(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(option, 'must be a boolean');
  return value;
}

function shortString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STRING) fail(option, 'must be a non-empty string');
  return value;
}

function serverUrl(value: unknown, pageOrigin: string): string {
  // The one rule for a server base (wire.ts), which a site's own SW applies to installSwarm's `server` too.
  return parseServerBase(shortString('server', value), pageOrigin) ?? fail('server', 'must be an http(s) URL without query, fragment or credentials');
}

function serviceWorkerUrl(value: unknown, pageOrigin: string): string | false {
  if (value === false) return false;
  const text = shortString('serviceWorker', value);
  let url: URL;
  try {
    url = new URL(text, pageOrigin);
  } catch {
    return fail('serviceWorker', 'is not a URL');
  }
  // A browser registers only a same-origin script; refusing here names the option instead of a console warning.
  if (url.origin !== pageOrigin || url.hash || url.username || url.password) fail('serviceWorker', "must be a URL of the page's own origin, without fragment or credentials");
  return url.href;
}

function iceServers(value: unknown): readonly RTCIceServer[] {
  if (!Array.isArray(value) || value.length > MAX_ICE_SERVERS) fail('iceServers', `must be an array of at most ${MAX_ICE_SERVERS} RTCIceServer objects`);
  return Object.freeze(
    value.map((entry: unknown, i): RTCIceServer => {
      const name = `iceServers[${i}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(name, 'must be an object');
      const { urls, username, credential } = entry as Record<string, unknown>;
      const list = typeof urls === 'string' ? [urls] : urls;
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ICE_URLS) fail(`${name}.urls`, 'must be a URL or a non-empty array of URLs');
      for (const url of list) if (typeof url !== 'string' || !/^(stun|stuns|turn|turns):\S+$/.test(url) || url.length > MAX_STRING) fail(`${name}.urls`, 'holds a value that is not a stun:/turn: URL');
      const server: RTCIceServer = { urls: [...(list as string[])] };
      if (username !== undefined) server.username = shortString(`${name}.username`, username);
      if (credential !== undefined) server.credential = shortString(`${name}.credential`, credential);
      return Object.freeze(server);
    }),
  );
}

function region(value: unknown): string {
  // The tracker's own parser is the one rule for a region hint; a value it refuses would close our socket.
  const probe = parseTrackerClientMessage(JSON.stringify({ type: 'join', peerId: 'probe', site: 'probe', region: value }));
  if (typeof value !== 'string' || !probe.ok) fail('region', 'must be a short token of letters, digits and _ . : -');
  return value;
}

/**
 * Applies defaults and validates. `pageOrigin` is the default server (the page's origin). Throws
 * SwarmError CONFIG_INVALID, with `details.option` naming the first bad option.
 */
export function resolveSwarmOptions(input: unknown, pageOrigin: string): SwarmConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) fail('options', 'must be an object');
  const options = (input ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) fail(key, 'is not an option');
  const given = (key: string): unknown => (Object.hasOwn(options, key) ? options[key] : undefined);
  const upload = given('upload') ?? SWARM_DEFAULTS.upload;
  if (typeof upload !== 'boolean') fail('upload', 'must be a boolean');
  const rate = given('uploadBytesPerSecond');
  const hint = given('region');
  const ice = given('iceServers');
  const worker = given('serviceWorker');
  const maxPeers = integer('maxPeers', given('maxPeers') ?? SWARM_DEFAULTS.maxPeers, 1, 256);
  const minPeers = given('minPeers');
  return Object.freeze({
    server: serverUrl(given('server') ?? pageOrigin, pageOrigin),
    iceServers: ice === undefined ? undefined : iceServers(ice),
    maxPeers,
    minPeers: minPeers === undefined ? Math.min(SWARM_DEFAULTS.minPeers, maxPeers) : integer('minPeers', minPeers, 0, maxPeers),
    connectTimeoutMs: integer('connectTimeoutMs', given('connectTimeoutMs') ?? SWARM_DEFAULTS.connectTimeoutMs, 100, 60_000),
    cacheBytes: swSetting('cacheBytes', given('cacheBytes') ?? SWARM_DEFAULTS.cacheBytes),
    // The SW refuses settings outside the same bounds (parseSwSettings); refusing them here names the option.
    stallMs: swSetting('stallMs', given('stallMs') ?? SWARM_DEFAULTS.stallMs),
    upload,
    maxUploads: integer('maxUploads', given('maxUploads') ?? SWARM_DEFAULTS.maxUploads, 1, 1024),
    // 1 KiB/s at least: below it one piece takes minutes and every requester stalls anyway.
    uploadBytesPerSecond: rate === undefined ? undefined : integer('uploadBytesPerSecond', rate, 1024, Number.MAX_SAFE_INTEGER),
    region: hint === undefined ? undefined : region(hint),
    prefetchBytes: swSetting('prefetchBytes', given('prefetchBytes') ?? SWARM_DEFAULTS.prefetchBytes),
    minPeerBytes: swSetting('minPeerBytes', given('minPeerBytes') ?? SWARM_DEFAULTS.minPeerBytes),
    hedgeMs: swSetting('hedgeMs', given('hedgeMs') ?? SWARM_DEFAULTS.hedgeMs),
    rateHedge: flag('rateHedge', given('rateHedge') ?? SWARM_DEFAULTS.rateHedge),
    serviceWorker: worker === undefined ? undefined : serviceWorkerUrl(worker, pageOrigin),
  });
}
