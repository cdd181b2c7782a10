/**
 * installSwarm(options): the swarm path in a site's own Workbox service worker, in one call. It
 * does what swarmcdn's own sw.js (main.ts) does besides its lifecycle: builds the runtime with the
 * site's keys, registers the swarm route on Workbox's default router, takes bridges from pages
 * (the message handler) and asks open pages for theirs at start and on activation. Install,
 * skipWaiting and clients.claim stay the site's decisions. The swarmcdn server may be elsewhere (a
 * path prefix or another origin: `server`, the same value the page gives startSwarm); the site's
 * files, and so the swarm's route, stay on the SW's own origin.
 */
import type { Route } from 'workbox-routing';
import { SwarmError } from '../protocol/index.js';
import { parseServerBase } from '../protocol/wire.js';
import { postHello } from './bridge-registry.js';
import { handlePageMessage } from './page-messages.js';
import type { PeerFirstStrategyOptions } from './peer-first-strategy.js';
import { registerSwarmRoute } from './register-swarm-route.js';
import { createSwarmRuntime, type SwarmRuntime } from './swarm-runtime.js';
import { importTrustedKeys } from './trusted-keys.js';

declare const self: ServiceWorkerGlobalScope;

/** What installSwarm takes. */
export interface InstallSwarmOptions {
  /** The public keys (SPKI PEM texts) that sign the site's manifest: the SW trusts no other. */
  readonly keys: readonly string[];
  /**
   * The swarmcdn server's base URL, as the page's startSwarm `server` (`/swarm`, `https://cdn.example`):
   * where the manifest and the availability view come from. Default: this SW's own origin.
   */
  readonly server?: string;
  /** The swarm route's strategy options (window, originDownWaitMs, minPeerBytes, match). */
  readonly strategy?: Omit<PeerFirstStrategyOptions, 'runtime'>;
}

/** What installSwarm set up. */
export interface InstalledSwarm {
  readonly runtime: SwarmRuntime;
  /** The swarm route on Workbox's default router. */
  readonly route: Route;
}

/** A site's SW bundle holds a handful of keys; more is a mistake in its build. */
const MAX_KEYS = 16;
/** startSwarm's bound for its string options: a base URL is far shorter. */
const MAX_SERVER_CHARS = 2048;

/** A `server` option as a base URL (wire.ts parseServerBase, relative to this SW's origin); throws CONFIG_INVALID naming it. */
function serverBase(value: unknown, origin: string): string {
  if (value === undefined) return origin;
  const base = typeof value === 'string' && value.length > 0 && value.length <= MAX_SERVER_CHARS ? parseServerBase(value, origin) : undefined;
  if (base === undefined) throw new SwarmError('CONFIG_INVALID', 'installSwarm: server must be an http(s) URL without query, fragment or credentials', { option: 'server' });
  return base;
}

/** Adds the swarm path to this SW; throws SwarmError CONFIG_INVALID when `keys` is not 1–16 PEM strings or `server` is no base URL. */
export function installSwarm(options: InstallSwarmOptions): InstalledSwarm {
  const pems: unknown = options?.keys;
  if (!Array.isArray(pems) || pems.length === 0 || pems.length > MAX_KEYS || !pems.every((pem) => typeof pem === 'string' && pem.includes('PUBLIC KEY'))) {
    throw new SwarmError('CONFIG_INVALID', `installSwarm: keys must be 1 to ${MAX_KEYS} SPKI PEM strings`, { option: 'keys' });
  }
  const server = serverBase(options.server, self.location.origin);
  const trustedKeys = importTrustedKeys(pems).then((keys) => {
    // A key that does not import is dropped, never trusted: say so, or the site just never swarms.
    if (keys.length < pems.length) console.warn(`swarmcdn: ${pems.length - keys.length} of ${pems.length} keys are not Ed25519 public keys and are ignored`);
    return keys;
  });
  const runtime = createSwarmRuntime({ keys: trustedKeys, clients: self.clients, origin: self.location.origin, server });
  const route = registerSwarmRoute(runtime, options.strategy);
  self.addEventListener('message', (event) =>
    handlePageMessage(event, runtime, () => trustedKeys.then((keys) => keys.map((k) => k.keyid))),
  );
  // Pages the previous SW controlled get a controllerchange only if this one claims them: ask them all.
  self.addEventListener('activate', (event) => event.waitUntil(postHello(self.clients).catch(() => undefined)));
  // A restarted SW has lost every bridge: ask open pages to send theirs again.
  void Promise.resolve()
    .then(() => postHello(self.clients))
    .catch(() => undefined);
  return { runtime, route };
}
