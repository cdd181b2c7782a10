/**
 * The sources of the scratch app the package-install test builds in an empty directory: what a
 * site that installed the `swarmcdn` tarball writes itself. Plain JavaScript, importing only the
 * package's public entry points (`swarmcdn/server`, `/sw`, `/bridge`, `/protocol`) and libraries.
 */

/**
 * The app's server: its own Fastify app with its own route, swarmcdn registered beside it as a
 * plugin. Every request is printed as a JSON line (the user agent names the visitor), then one line
 * with the URL once it listens.
 */
export const SERVER_JS = `import Fastify from 'fastify';
import { swarmcdnPlugin } from 'swarmcdn/server';

const app = Fastify({ logger: false });
// Added before the plugin, so its encapsulated routes inherit it too.
app.addHook('onRequest', async (request) => {
  const line = { request: { ua: request.headers['user-agent'] ?? '', method: request.method, path: request.url.split('?')[0] } };
  process.stdout.write(JSON.stringify(line) + '\\n');
});
app.get('/api/hello', async () => ({ hello: 'scratch app', route: 'own' }));
await app.register(swarmcdnPlugin, { siteDir: process.env.SITE_DIR, signingKeyFile: process.env.KEY_FILE });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();
process.stdout.write(JSON.stringify({ listening: 'http://127.0.0.1:' + port }) + '\\n');
`;

/** The start options every visitor page uses (loopback WebRTC, no prefetch or hedging games), then the hash's. */
const START_OPTIONS = `Object.assign({ iceServers: [], minPeerBytes: 0, prefetchBytes: 0, hedgeMs: 2000, rateHedge: false }, JSON.parse(decodeURIComponent(location.hash.slice(1) || '%7B%7D')))`;

/** Scenario (a)'s page: the ready-made bridge.js the plugin serves, started by hand with the options. */
export const PLUGIN_PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>scratch app (plugin)</title>
<script src="/swarmcdn/bridge.js" data-manual></script>
<script>
  window.swarmcdnE2e = {};
  try { swarmcdn.startSwarm(${START_OPTIONS}); } catch (error) { window.swarmcdnE2e.startError = String(error && error.code || error); }
</script>
</head><body>scratch app, plugin page</body></html>
`;

/** Scenario (b)'s page: its own bundle (page.js, from page.src.js) that starts the bridge with the site's SW. */
export const OWN_SW_PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>scratch app (own SW)</title>
<script src="/page.js"></script>
</head><body>scratch app, own service worker</body></html>
`;

/** The page bundle's source: `swarmcdn/bridge` told to leave the SW at /sw.js, the site's own. */
export const PAGE_SRC_JS = `import { startSwarm } from 'swarmcdn/bridge';

window.swarmcdnE2e = {};
try {
  const swarm = startSwarm(Object.assign(${START_OPTIONS}, { serviceWorker: '/sw.js' }));
  window.swarmcdn = { swarm };
} catch (error) {
  window.swarmcdnE2e.startError = String((error && error.code) || error);
}
`;

/**
 * The site's own Workbox SW: its own routes first (Workbox takes the first that matches), then the
 * swarm path from \`swarmcdn/sw\`. SWARMCDN_PUBLIC_KEY is defined at bundle time (the site's key).
 */
export const SW_SRC_JS = `import { installSwarm } from 'swarmcdn/sw';
import { clientsClaim } from 'workbox-core';
import { registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

self.addEventListener('install', () => self.skipWaiting());
clientsClaim();

// Answered by the SW alone: the server has no such route.
registerRoute(
  ({ url }) => url.pathname === '/sw-info',
  async () => new Response(JSON.stringify({ from: 'the site SW' }), { headers: { 'content-type': 'application/json' } }),
);
registerRoute(({ url }) => url.pathname.startsWith('/api/'), new NetworkFirst({ cacheName: 'scratch-api' }));

installSwarm({ keys: [SWARMCDN_PUBLIC_KEY] });
`;

/**
 * A Node check of \`swarmcdn/protocol\` and \`swarmcdn/server\` together: verifies the served
 * manifest with the site's public key, then a tampered copy, and prints what it found.
 */
export const VERIFY_JS = `import { readFile } from 'node:fs/promises';
import { importPublicKeyPem, verifyManifest, SwarmError as ProtocolError } from 'swarmcdn/protocol';
import { SwarmError as ServerError } from 'swarmcdn/server';

const [url, pubFile] = process.argv.slice(2);
const keys = [await importPublicKeyPem(await readFile(pubFile, 'utf8'))];
const bytes = new Uint8Array(await (await fetch(url + '/swarmcdn/manifest')).arrayBuffer());
const { manifest } = await verifyManifest(bytes, { keys });
const envelope = JSON.parse(new TextDecoder().decode(bytes));
const payload = Buffer.from(envelope.payload, 'base64').toString('utf8').replace('"version":', '"version": ');
envelope.payload = Buffer.from(payload).toString('base64');
const tampered = await verifyManifest(JSON.stringify(envelope), { keys }).then(() => 'accepted', (error) => error);
process.stdout.write(JSON.stringify({
  version: manifest.version,
  files: Object.keys(manifest.files).sort(),
  tamperedCode: tampered.code ?? String(tampered),
  sameErrorClass: ProtocolError === ServerError && tampered instanceof ServerError,
}) + '\\n');
`;

/** A consumer's type check of the Node and page entry points (lib DOM; skipLibCheck off). */
export const TYPES_CHECK_TS = `import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { buildServer, swarmcdnPlugin, type ServerOptions } from 'swarmcdn/server';
import { startSwarm, type Swarm, type PageStats, type SwarmOptions } from 'swarmcdn/bridge';
import { verifyManifest, SwarmError, type Manifest, type VerifiedManifest } from 'swarmcdn/protocol';

const options: ServerOptions = { siteDir: './site' };
const server: FastifyInstance = buildServer(options);
const app = Fastify();
void app.register(swarmcdnPlugin, { siteDir: './site', maxAgeSeconds: 60 });
const swOptions: SwarmOptions = { serviceWorker: '/sw.js', iceServers: [] };
const swarm: Swarm = startSwarm(swOptions);
const stats: Promise<PageStats> = swarm.stats();
const verified: Promise<VerifiedManifest> = verifyManifest('{}', { keys: [] });
const version = (m: Manifest): number => m.version;
const code: string = new SwarmError('CONFIG_INVALID', 'x').code;
export { server, stats, verified, version, code };
`;

/** The same for a site's service worker (lib WebWorker: a SW is typed apart from its pages). */
export const SW_TYPES_CHECK_TS = `import { installSwarm, PeerFirstStrategy, registerSwarmRoute, type InstalledSwarm } from 'swarmcdn/sw';
import { registerRoute } from 'workbox-routing';

const installed: InstalledSwarm = installSwarm({ keys: ['-----BEGIN PUBLIC KEY-----'], strategy: { originDownWaitMs: 5_000 } });
registerRoute(({ url }) => url.pathname === '/x', new PeerFirstStrategy({ runtime: installed.runtime }));
const again = (): unknown => registerSwarmRoute(installed.runtime, { match: { documents: false } });
export { again };
`;
