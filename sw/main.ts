/**
 * The swarmcdn service worker entry. For now it only takes control of the site at once and holds
 * the site's trusted keys; the peer-to-peer fetch path comes with the next issue. The keys are
 * baked in by the server (server/plugins/assets.ts), never fetched beside the manifest they check.
 */
import { importPublicKeyPem, type TrustedKey } from '../protocol/index.js';

declare const self: ServiceWorkerGlobalScope;

// The server replaces this string literal, quotes included, with a JSON array of SPKI PEMs. Served
// unbaked (a bundle opened straight from dist/), it stays a string and the SW trusts no key.
const BAKED_KEYS: unknown = '__SWARMCDN_TRUSTED_KEYS__';

/** The baked PEMs; anything that is not an array of strings means no keys. */
function bakedPems(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((pem): pem is string => typeof pem === 'string') : [];
}

// Imported once; a key that does not import is dropped rather than trusted.
const trustedKeys: Promise<TrustedKey[]> = Promise.all(bakedPems(BAKED_KEYS).map((pem) => importPublicKeyPem(pem).catch(() => undefined))).then(
  (keys) => keys.filter((k): k is TrustedKey => k !== undefined),
);

// A new SW (new keys, new code) takes over without waiting for every tab to close.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Lets the page (and tests) see which keys this SW trusts.
self.addEventListener('message', (event) => {
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null || (data as { type?: unknown }).type !== 'swarmcdn/keyids') return;
  event.waitUntil(trustedKeys.then((keys) => event.source?.postMessage({ type: 'swarmcdn/keyids', keyids: keys.map((k) => k.keyid) })));
});
