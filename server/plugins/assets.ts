/**
 * The browser assets: `GET /swarmcdn/sw.js` (the service worker, with the site's trusted public
 * keys baked in, so a visitor's SW never takes its keys from what travels beside the manifest) and
 * `GET /swarmcdn/bridge.js` (the page bridge). Both are esbuild bundles in dist/; they are read,
 * baked and compressed (brotli and gzip) once at start-up and served from memory, each coding with
 * its own strong ETag, picked by Accept-Encoding (`Vary: accept-encoding`).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { FastifyPluginAsync } from 'fastify';
import { SwarmError } from '../../protocol/index.js';
import { ROUTES, TRUSTED_KEYS_PLACEHOLDER } from '../../protocol/wire.js';
import { preferredCoding, type ContentCoding } from '../accept-encoding.js';
import { errorSchema, ifNoneMatch } from '../http-cache.js';
import { packageRoot } from '../package-root.js';

/** Where the service worker is served (protocol/wire.ts); its scope is widened to '/' by Service-Worker-Allowed. */
const SW_ROUTE = ROUTES.sw;
/** Where the page bridge is served. */
const BRIDGE_ROUTE = ROUTES.bridge;
/** Where the bridge core is served (`?v=` its version, which bridge.js names). */
const CORE_ROUTE = ROUTES.bridgeCore;

/**
 * Cache-Control per asset.
 * - sw.js `no-cache`: browsers revalidate a service worker script themselves (and cap its HTTP
 *   caching at 24 h), and new keys or code from a deploy must reach every visitor at once.
 * - bridge.js is a render-blocking <script> in every page's <head>: `no-cache` cost one
 *   revalidation round trip per navigation before the page could go on. Fresh for 5 minutes, the
 *   browser runs its copy with no request at all; after that, within a day, it still runs its copy
 *   and refreshes it in the background (stale-while-revalidate). So a deploy reaches a visitor on
 *   their first navigation 5 minutes after their copy was fetched, or one navigation later if the
 *   copy is stale; a visitor away for more than a day waits for the new one. The bridge holds no
 *   keys (sw.js does), so the lag costs at most a navigation on the old page-side code.
 */
const CACHE_CONTROL: Readonly<Record<string, string>> = {
  [SW_ROUTE]: 'no-cache',
  [BRIDGE_ROUTE]: 'public, max-age=300, stale-while-revalidate=86400',
  // The URL names the bytes' version and no other version is ever served at it: cache it for good.
  [CORE_ROUTE]: 'public, max-age=31536000, immutable',
};

/** A bundle's version as bridge.js names the core's: the first 16 hex digits of its SHA-256 (scripts/build.mjs). */
function bundleVersion(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex').slice(0, 16);
}

/** One coding of a bundle: the bytes on the wire and their ETag. */
interface Encoded {
  readonly body: Buffer;
  readonly etag: string;
}

/** A bundle ready to serve, in every coding the server negotiates. */
type Asset = Readonly<Record<ContentCoding, Encoded>>;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

// Once per start-up, so the smallest output is worth its time: brotli 11 takes ~0.25 s on bridge.js
// (~130 KB) and saves ~2 % over 10, gzip 9 a few ms. Both run on libuv's pool, not the event loop.
async function encode(body: Buffer, tag: string): Promise<Asset> {
  const [br, gz] = await Promise.all([
    brotli(body, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
        [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
        [zlib.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gzipped(body, { level: zlib.Z_BEST_COMPRESSION }),
  ]);
  // Strong ETags must differ between codings (RFC 9110 §8.8.3.3): the bytes differ. The suffix is
  // Apache's convention; a 304 answers only the tag of the coding the request selects.
  return {
    identity: { body, etag: `"${tag}"` },
    br: { body: br, etag: `"${tag}-br"` },
    gzip: { body: gz, etag: `"${tag}-gzip"` },
  };
}

// Every server started in this process (the tests start dozens) shares the encodings of an
// identical bundle instead of paying brotli 11 again. A handful of entries at most (bridge.js, sw.js
// per key set), evicted oldest first past the cap.
const MEMO_CAP = 8;
const memo = new Map<string, Promise<Asset>>();

async function asset(source: string): Promise<Asset> {
  const body = Buffer.from(source, 'utf8');
  const tag = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  let entry = memo.get(tag);
  if (!entry) {
    entry = encode(body, tag);
    memo.set(tag, entry);
    entry.catch(() => memo.delete(tag));
    if (memo.size > MEMO_CAP) memo.delete(memo.keys().next().value as string);
  }
  return entry;
}

/** Replaces the quoted placeholder in a service worker bundle with a JSON array of SPKI PEMs. */
export function bakeTrustedKeys(source: string, pems: readonly string[]): string {
  const quoted = new RegExp(`(["'\`])${TRUSTED_KEYS_PLACEHOLDER}\\1`, 'g');
  const found = source.match(quoted)?.length ?? 0;
  // Exactly one: none means a bundle that would run without keys; more means one we do not understand.
  if (found !== 1) throw new SwarmError('INTERNAL', `the service worker bundle has ${found} key placeholders, expected 1`);
  return source.replace(quoted, () => JSON.stringify(pems));
}

async function readBundle(relPath: string): Promise<string | undefined> {
  return readFile(join(packageRoot(), relPath), 'utf8').catch(() => undefined);
}

/** Serves sw.js, bridge.js and bridge-core.js. */
export const assetsPlugin: FastifyPluginAsync = async (app) => {
  const pems = app.swarmcdn.trustedKeys;
  const [swSource, bridgeSource, coreSource] = await Promise.all([
    readBundle('dist/sw/sw.js'),
    readBundle('dist/page-bridge/bridge.js'),
    readBundle('dist/page-bridge/bridge-core.js'),
  ]);
  const [sw, bridge, core] = await Promise.all([
    swSource === undefined ? undefined : asset(bakeTrustedKeys(swSource, pems)),
    bridgeSource === undefined ? undefined : asset(bridgeSource),
    coreSource === undefined ? undefined : asset(coreSource),
  ]);
  const coreVersion = coreSource === undefined ? undefined : bundleVersion(coreSource);
  const bundles = new Map<string, Asset | undefined>([
    [SW_ROUTE, sw],
    [BRIDGE_ROUTE, bridge],
    [CORE_ROUTE, core],
  ]);
  for (const [route, bundle] of bundles) {
    if (!bundle) app.log.error({ route }, `${route} is not built: run \`npm run build\``);
  }

  for (const route of bundles.keys()) {
    app.get(route, { schema: { response: { '4xx': errorSchema, '5xx': errorSchema } } }, async (request, reply) => {
      const bundle = bundles.get(route);
      if (!bundle) throw new SwarmError('ASSET_UNAVAILABLE', `${route} is not built: run \`npm run build\``);
      if (route === CORE_ROUTE) {
        // Only the version this server's bridge.js names: an older bridge.js (a cached copy across a
        // deploy) gets a 404 and leaves its page on the origin rather than run a core it does not match.
        const version = (request.query as Record<string, unknown> | undefined)?.v;
        if (version !== coreVersion) throw new SwarmError('NOT_FOUND', `bridge core version ${String(version)} is not served here (this server has ${coreVersion})`);
        // An ES module: a page of another origin (a `server` option elsewhere) imports it in CORS mode.
        reply.header('access-control-allow-origin', '*');
      }
      const coding = preferredCoding(request.headers['accept-encoding']);
      const { body, etag } = bundle[coding];
      // @fastify/compress must leave these bodies alone (the identity one included: its own
      // negotiation could compress what we chose to send plain, under the identity ETag).
      request.raw.headers['x-no-compression'] = 'swarmcdn';
      reply.header('etag', etag).header('cache-control', CACHE_CONTROL[route]).header('vary', 'accept-encoding');
      // The SW lives under /swarmcdn/ but must control the whole site (scope '/').
      if (route === SW_ROUTE) reply.header('service-worker-allowed', '/');
      if (ifNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send();
      if (coding !== 'identity') reply.header('content-encoding', coding);
      return reply.type('application/javascript; charset=utf-8').send(body);
    });
  }
};
