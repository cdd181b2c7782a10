/**
 * The swarmcdn service worker entry: builds the runtime and wires events, nothing else. The keys
 * are baked in by the server (server/plugins/assets.ts), never fetched beside the manifest they check.
 */
import { postHello } from './bridge-registry.js';
import { handlePageMessage } from './page-messages.js';
import { registerSwarmRoute } from './register-swarm-route.js';
import { addStaticRoutes } from './static-routes.js';
import { createSwarmRuntime } from './swarm-runtime.js';
import { ROUTES, TRUSTED_KEYS_PLACEHOLDER, serverBaseOfScript } from '../protocol/wire.js';
import { importTrustedKeys } from './trusted-keys.js';

declare const self: ServiceWorkerGlobalScope;

// The server replaces this string literal, quotes included, with a JSON array of SPKI PEMs (the
// bundle must hold it once: scripts/build.mjs checks). Served unbaked (a bundle opened straight
// from dist/), it stays a string and the SW trusts no key.
const BAKED_KEYS: unknown = TRUSTED_KEYS_PLACEHOLDER;
// Where the server is: the base this script was served under (a server mounted at /swarm serves
// /swarm/swarmcdn/sw.js), so the manifest and the availability view come from the same server.
const server = serverBaseOfScript(self.location.href, ROUTES.sw) ?? self.location.origin;

const trustedKeys = importTrustedKeys(BAKED_KEYS);
const runtime = createSwarmRuntime({ keys: trustedKeys, clients: self.clients, origin: self.location.origin, server });

// Before the message listener: Workbox adds one of its own, and ours should be the last word.
registerSwarmRoute(runtime);

// A new SW (new keys, new code) takes over without waiting for every tab to close. Static routes are
// registered first: addRoutes is only allowed while the install event is being dispatched.
self.addEventListener('install', (event) => event.waitUntil(Promise.all([addStaticRoutes(event), self.skipWaiting()])));

self.addEventListener('activate', (event) =>
  event.waitUntil(
    self.clients
      .claim()
      .then(() => postHello(self.clients))
      .catch(() => undefined),
  ),
);

self.addEventListener('message', (event) =>
  handlePageMessage(event, runtime, () => trustedKeys.then((keys) => keys.map((k) => k.keyid))),
);

// A restarted SW has lost every bridge: ask open pages to send theirs again.
void Promise.resolve()
  .then(() => postHello(self.clients))
  .catch(() => undefined);
