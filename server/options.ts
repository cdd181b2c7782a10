/**
 * buildServer's options: one object, defaults in one place, validated once at the boundary and
 * then frozen. Each plugin receives the slice it needs.
 */
import { join, resolve } from 'node:path';
import { SwarmError } from '../protocol/index.js';
import { TRACKER_LIMITS } from '../protocol/messages/tracker.js';
import { PEERJS_KEY, ROUTES, TRACKER_DEFAULTS } from '../protocol/wire.js';

/** Limits and timeouts of the PeerJS-compatible signalling endpoint. */
export interface SignallingOptions {
  /** URL prefix the stock client is given as `path`. */
  path: string;
  /** The PeerJS "key" (the stock default is 'peerjs'). */
  key: string;
  /** Open WebSockets at most (19,900 peers fit one process here). */
  maxConnections: number;
  /**
   * Open WebSockets from one client address (an IPv4 address, an IPv6 /64), which also caps that
   * address's tracker sessions. Default 1,000: a page holds one socket, and a university's or a
   * carrier-grade NAT puts hundreds of visitors behind one IPv4 address, so the cap is set far
   * above any real NAT, yet one address can take at most 5 % of the default maxConnections.
   * Behind a reverse proxy every client has the proxy's address: use Fastify's `trustProxy`, or raise this.
   */
  maxConnectionsPerAddress: number;
  /**
   * Ids issued by `GET …/id` and not yet claimed by a socket, per client address. Default 500: an
   * id is unclaimed only from that request to its socket's open (milliseconds), or for idTtlMs
   * when a page goes away in between, so even a NAT full of page loads holds a few dozen at once.
   */
  maxUnclaimedIdsPerAddress: number;
  /** A socket silent for this long (no message, no HEARTBEAT) is closed; the stock client beats every 5 s. */
  aliveTimeoutMs: number;
  /** Messages for an absent peer wait this long, then the sender gets EXPIRE. */
  expireTimeoutMs: number;
  /** Largest frame accepted; an SDP offer with many candidates is a few KiB. */
  maxMessageBytes: number;
  /** Token bucket per connection: sustained messages per second, and burst. */
  ratePerSecond: number;
  rateBurst: number;
  /** Messages queued per absent destination, and in all. */
  queuePerPeer: number;
  queueTotal: number;
  /**
   * Messages one sender may have queued at once, over all destinations (an OFFER and its
   * CANDIDATEs are a dozen or two per destination); its address's senders together may queue
   * a sixteenth of the queue. So no one sender, and no one address, fills it for everyone.
   */
  queuePerSender: number;
  /** An id issued by GET …/id must be claimed within this time. */
  idTtlMs: number;
}

/** Tracker tuning. */
export interface TrackerOptions {
  /** Peers per `want` answer (K). */
  maxPeersPerAnswer: number;
  /**
   * Votes after which a peer is quarantined in its site: one per reporter network, only from peers
   * the server saw pair with it, each halving every reportHalfLifeMs (server/tracker/report-votes.ts).
   */
  quarantineReports: number;
  /** A reporter's report waits until it has been joined this long (fresh identities quarantine no one). */
  reportMinAgeMs: number;
  /** A vote's weight halves every this long. */
  reportHalfLifeMs: number;
  /** A pairing the signalling server saw counts for reports and upload credit this long. */
  pairTtlMs: number;
  /** Upload credit a receiver may give, and a sender may get per receiver network, per second (bytes). */
  creditBytesPerSecond: number;
  /** Bytes per source one client may add to /swarmcdn/stats, per second since its join. */
  statsBytesPerSecond: number;
  /** Files of the current manifest one peer may announce (more are ignored). */
  maxHavePerPeer: number;
  /** Hashes in one `have`/`lost` message. */
  maxHashesPerMessage: number;
  maxMessageBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  /** How often each site's availability changes are pushed to its sessions, as one delta. */
  availabilityIntervalMs: number;
}

/** What buildServer takes. Only siteDir is required. */
export interface ServerOptions {
  /** The site root the origin serves. */
  siteDir: string;
  /** The signed manifest file; default `<siteDir>/swarmcdn-manifest.json`. */
  manifestFile?: string;
  /** A private key (PKCS#8 PEM path): build and sign the manifest at start-up. */
  signingKeyFile?: string;
  /** Public keys (SPKI PEM texts) baked into sw.js; default: the signing key's public half. */
  publicKeys?: readonly string[];
  /** Where the highest published manifest version is kept across restarts; default the key's directory, else the manifest's. */
  stateDir?: string;
  /** Rebuild the manifest when the site changes (needs signingKeyFile). */
  watch?: boolean;
  /** Quiet time after the last change in the site before a rebuild starts, ms. */
  watchDebounceMs?: number;
  /** Cache-Control max-age for site files, seconds. */
  maxAgeSeconds?: number;
  signalling?: Partial<SignallingOptions>;
  tracker?: Partial<TrackerOptions>;
  /** Serve Prometheus metrics at /swarmcdn/metrics (default off: operator data, see README). */
  metrics?: boolean;
  /** Serve the live dashboard at /swarmcdn/dashboard (default off: operator data, see README). */
  dashboard?: boolean;
  /** Fastify's logger option (true, false or pino options). */
  logger?: boolean | Record<string, unknown>;
}

/** The options after defaults and validation. */
export interface ResolvedServerOptions {
  readonly siteDir: string;
  readonly manifestFile: string;
  readonly signingKeyFile: string | undefined;
  readonly publicKeys: readonly string[];
  readonly stateDir: string | undefined;
  readonly watch: boolean;
  readonly watchDebounceMs: number;
  readonly maxAgeSeconds: number;
  readonly signalling: Readonly<SignallingOptions>;
  readonly tracker: Readonly<TrackerOptions>;
  readonly metrics: boolean;
  readonly dashboard: boolean;
  readonly logger: boolean | Record<string, unknown>;
}

/** Every default, in one place. */
export const DEFAULTS = Object.freeze({
  maxAgeSeconds: 300,
  // Off: both show an operator's data (process memory, refusals, the most held files) to anyone
  // who asks; `swarmcdn serve --metrics --dashboard` and `npm start` turn them on.
  metrics: false,
  dashboard: false,
  /** 300 ms: an editor's save or a deploy's copy lands as a burst; one rebuild covers it. */
  watchDebounceMs: 300,
  signalling: Object.freeze<SignallingOptions>({
    path: ROUTES.peerjs,
    key: PEERJS_KEY,
    maxConnections: 20_000,
    maxConnectionsPerAddress: 1_000,
    maxUnclaimedIdsPerAddress: 500,
    aliveTimeoutMs: 60_000,
    expireTimeoutMs: 5_000,
    maxMessageBytes: 64 * 1024,
    ratePerSecond: 50,
    rateBurst: 200,
    queuePerPeer: 64,
    queueTotal: 100_000,
    queuePerSender: 128,
    idTtlMs: 60_000,
  }),
  tracker: Object.freeze<TrackerOptions>({
    maxPeersPerAnswer: 5,
    quarantineReports: 3,
    // 30 s: a sybil must keep each socket up that long; an honest visitor's report merely waits.
    reportMinAgeMs: 30_000,
    // 10 min: about a browsing session; a grudge older than ~40 min is forgotten.
    reportHalfLifeMs: 600_000,
    // 15 min: pages live seconds to minutes; a connection older than this renegotiated or is idle.
    pairTtlMs: 900_000,
    // 100 Mbit/s: a fast household link; only ranks uploaders, so a low cap costs nothing real.
    creditBytesPerSecond: 12_500_000,
    // 1 Gbit/s per source: more than any page moves; a liar adds at most that since its join.
    statsBytesPerSecond: 125_000_000,
    // Only files of the manifest are kept, so this is a manifest's size: large sites list a few thousand files.
    maxHavePerPeer: TRACKER_DEFAULTS.maxHavePerPeer,
    maxHashesPerMessage: TRACKER_LIMITS.maxHashesPerMessage,
    maxMessageBytes: TRACKER_LIMITS.maxMessageChars,
    ratePerSecond: TRACKER_DEFAULTS.ratePerSecond,
    rateBurst: TRACKER_DEFAULTS.rateBurst,
    // 1 s: fresh enough for a page's next requests, and one frame per site per second at most.
    availabilityIntervalMs: 1000,
  }),
});

function fail(message: string): never {
  throw new SwarmError('CONFIG_INVALID', message);
}

function positiveIntegers(name: string, value: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'number' && (!Number.isSafeInteger(v) || v <= 0)) fail(`${name}.${k} must be a positive integer`);
  }
}

function urlPrefix(name: string, value: string): string {
  if (!/^\/[A-Za-z0-9/_-]*$/.test(value) || value.endsWith('/')) fail(`${name} must be a URL path like /swarmcdn/x`);
  return value;
}

/** Applies defaults, checks every value once, and freezes the result. */
export function resolveOptions(options: ServerOptions): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  if (typeof options.siteDir !== 'string' || options.siteDir === '') fail('siteDir is required');
  // Absolute from here on: the origin's containment check compares real paths against it.
  const siteDir = resolve(options.siteDir);
  const signalling = { ...DEFAULTS.signalling, ...options.signalling };
  const tracker = { ...DEFAULTS.tracker, ...options.tracker };
  positiveIntegers('signalling', signalling as unknown as Record<string, unknown>);
  positiveIntegers('tracker', tracker as unknown as Record<string, unknown>);
  urlPrefix('signalling.path', signalling.path);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(signalling.key)) fail('signalling.key must be 1-64 letters, digits, _ or -');
  if (options.watch && !options.signingKeyFile) fail('watch needs signingKeyFile: only a server that signs can rebuild');
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULTS.maxAgeSeconds;
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) fail('maxAgeSeconds must be a non-negative integer');
  const watchDebounceMs = options.watchDebounceMs ?? DEFAULTS.watchDebounceMs;
  if (!Number.isSafeInteger(watchDebounceMs) || watchDebounceMs < 0) fail('watchDebounceMs must be a non-negative integer');
  if (options.manifestFile !== undefined && (typeof options.manifestFile !== 'string' || options.manifestFile === '')) {
    fail('manifestFile must be a path');
  }
  if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '')) fail('stateDir must be a path');
  if (options.signingKeyFile !== undefined && (typeof options.signingKeyFile !== 'string' || options.signingKeyFile === '')) {
    fail('signingKeyFile must be a path');
  }
  for (const flag of ['metrics', 'dashboard'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') fail(`${flag} must be a boolean`);
  }
  const publicKeys = options.publicKeys ?? [];
  if (!Array.isArray(publicKeys) || !publicKeys.every((k) => typeof k === 'string' && k.includes('PUBLIC KEY'))) {
    fail('publicKeys must be SPKI PEM texts');
  }
  return Object.freeze({
    siteDir,
    manifestFile: options.manifestFile === undefined ? join(siteDir, 'swarmcdn-manifest.json') : resolve(options.manifestFile),
    signingKeyFile: options.signingKeyFile === undefined ? undefined : resolve(options.signingKeyFile),
    publicKeys: Object.freeze([...publicKeys]),
    stateDir: options.stateDir === undefined ? undefined : resolve(options.stateDir),
    watch: Boolean(options.watch),
    watchDebounceMs,
    maxAgeSeconds,
    signalling: Object.freeze(signalling),
    tracker: Object.freeze(tracker),
    metrics: options.metrics ?? DEFAULTS.metrics,
    dashboard: options.dashboard ?? DEFAULTS.dashboard,
    logger: options.logger ?? false,
  });
}
