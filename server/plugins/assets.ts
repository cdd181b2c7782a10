/**
 * The browser assets: `GET /swarmcdn/sw.js` (the service worker, with the site's trusted public
 * keys baked in, so a visitor's SW never takes its keys from what travels beside the manifest) and
 * `GET /swarmcdn/bridge.js` (the page bridge). Both are esbuild bundles in dist/; they are read
 * and baked once at start-up and served from memory with a strong ETag.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { SwarmError } from '../../protocol/index.js';
import { errorSchema, ifNoneMatch } from '../http-cache.js';
import { packageRoot } from '../package-root.js';

/** Where the service worker is served; its scope is widened to '/' by Service-Worker-Allowed. */
export const SW_ROUTE = '/swarmcdn/sw.js';
/** Where the page bridge is served. */
export const BRIDGE_ROUTE = '/swarmcdn/bridge.js';
/** The string literal in sw/main.ts that the server replaces, quotes included, with the keys. */
export const TRUSTED_KEYS_PLACEHOLDER = '__SWARMCDN_TRUSTED_KEYS__';

/** A bundle ready to serve. */
interface Asset {
  readonly body: string;
  readonly etag: string;
}

/** Replaces the quoted placeholder in a service worker bundle with a JSON array of SPKI PEMs. */
export function bakeTrustedKeys(source: string, pems: readonly string[]): string {
  const quoted = new RegExp(`(["'\`])${TRUSTED_KEYS_PLACEHOLDER}\\1`, 'g');
  const found = source.match(quoted)?.length ?? 0;
  // Exactly one: none means a bundle that would run without keys; more means one we do not understand.
  if (found !== 1) throw new SwarmError('INTERNAL', `the service worker bundle has ${found} key placeholders, expected 1`);
  return source.replace(quoted, () => JSON.stringify(pems));
}

function asset(body: string): Asset {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

async function loadBundle(relPath: string, bake?: (source: string) => string): Promise<Asset | undefined> {
  const source = await readFile(join(packageRoot(), relPath), 'utf8').catch(() => undefined);
  return source === undefined ? undefined : asset(bake ? bake(source) : source);
}

/** Serves sw.js and bridge.js. */
export const assetsPlugin: FastifyPluginAsync = async (app) => {
  const pems = app.swarmcdn.trustedKeys;
  const bundles = new Map<string, Asset | undefined>([
    [SW_ROUTE, await loadBundle('dist/sw/sw.js', (source) => bakeTrustedKeys(source, pems))],
    [BRIDGE_ROUTE, await loadBundle('dist/page-bridge/bridge.js')],
  ]);
  for (const [route, bundle] of bundles) {
    if (!bundle) app.log.error({ route }, `${route} is not built: run \`npm run build\``);
  }

  for (const route of bundles.keys()) {
    app.get(route, { schema: { response: { '4xx': errorSchema, '5xx': errorSchema } } }, async (request, reply) => {
      const bundle = bundles.get(route);
      if (!bundle) throw new SwarmError('ASSET_UNAVAILABLE', `${route} is not built: run \`npm run build\``);
      // no-cache: a new deploy (new keys, new code) must reach visitors on their next navigation.
      reply.header('etag', bundle.etag).header('cache-control', 'no-cache');
      // The SW lives under /swarmcdn/ but must control the whole site (scope '/').
      if (route === SW_ROUTE) reply.header('service-worker-allowed', '/');
      if (ifNoneMatch(request.headers['if-none-match'], bundle.etag)) return reply.code(304).send();
      return reply.type('application/javascript; charset=utf-8').send(bundle.body);
    });
  }
};
