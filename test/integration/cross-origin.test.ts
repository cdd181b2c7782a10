/**
 * The routes a site's own SW reads from a swarmcdn server on another origin (installSwarm's
 * `server`): the manifest and the availability view answer with CORS `*` on every outcome (200,
 * 304, refusals), and the availability view names the site from `?site=`, else from the Origin of a
 * cross-origin request (the page's origin, the site its pages joined as), else the server's own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CATALOGUE, generateKeyPair, importPublicKeyPem, verifyManifest, type Sha256Sri } from '../../protocol/index.js';
import { parseAvailabilityView } from '../../protocol/messages/availability.js';
import { ROUTES } from '../../protocol/wire.js';
import { startServer, WsClient, type Started } from './server-helpers.js';

/** The page's origin: another port on loopback than the server's. */
const SITE = 'http://127.0.0.1:1';
const OTHER_SITE = 'http://127.0.0.1:2';

let dir: string;
let server: Started;
let bare: Started;
let files: Record<string, Sha256Sri>;
const sockets: WsClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmcdn-cross-origin-'));
  const site = join(dir, 'site');
  const empty = join(dir, 'empty');
  await Promise.all([mkdir(site), mkdir(empty)]);
  await writeFile(join(site, 'a.js'), 'console.log("a");\n');
  await writeFile(join(site, 'b.css'), 'body { color: red }\n');
  const pair = await generateKeyPair();
  await writeFile(join(dir, 'swarmcdn.key'), pair.privatePem, { mode: 0o600 });
  server = await startServer({ siteDir: site, signingKeyFile: join(dir, 'swarmcdn.key'), logger: false, tracker: { availabilityIntervalMs: 50 } });
  // Trusts a key but has no manifest yet: MANIFEST_UNAVAILABLE.
  bare = await startServer({ siteDir: empty, publicKeys: [pair.publicPem], logger: false });
  const envelope = new Uint8Array(await (await fetch(`${server.url}${ROUTES.manifest}`)).arrayBuffer());
  const { manifest } = await verifyManifest(envelope, { keys: [await importPublicKeyPem(pair.publicPem)] });
  files = Object.fromEntries(Object.entries(manifest.files).map(([path, file]) => [path, file.integrity]));
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.socket.terminate();
  await server?.app.close();
  await bare?.app.close();
  await rm(dir, { recursive: true, force: true });
});

/** A page of `site` on the server's signalling socket, joined to the tracker and holding `paths`. */
async function holder(site: string, paths: readonly string[]): Promise<void> {
  const client = await WsClient.signalled(server.url);
  sockets.push(client);
  client.send({ type: 'join', site });
  await client.next((m) => m.type === 'joined');
  client.send({ type: 'have', hashes: paths.map((p) => files[p]) });
  client.send({ type: 'ping' });
  await client.next((m) => m.type === 'pong');
}

/** GET an availability URL with optional request headers: status, the CORS and Vary headers, the parsed view. */
async function view(query: string, headers: Record<string, string> = {}): Promise<{ status: number; acao: string | null; vary: string; files: unknown }> {
  const response = await fetch(`${server.url}${ROUTES.availability}${query}`, { headers });
  const body = (await response.json()) as unknown;
  return { status: response.status, acao: response.headers.get('access-control-allow-origin'), vary: response.headers.get('vary') ?? '', files: parseAvailabilityView(body)?.files ?? body };
}

describe('a swarmcdn server on another origin than the site', () => {
  it('answers the manifest with CORS *: 200, 304 on revalidation, and a refusal', async () => {
    const first = await fetch(`${server.url}${ROUTES.manifest}`, { headers: { origin: SITE } });
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    expect({ status: first.status, acao: first.headers.get('access-control-allow-origin'), etag: typeof etag }).toEqual({ status: 200, acao: '*', etag: 'string' });
    // The browser's revalidation of its copy: a 304 without the header would make the cached copy unreadable cross-origin.
    const again = await fetch(`${server.url}${ROUTES.manifest}`, { headers: { origin: SITE, 'if-none-match': etag! } });
    expect({ status: again.status, acao: again.headers.get('access-control-allow-origin') }).toEqual({ status: 304, acao: '*' });
    const refused = await fetch(`${bare.url}${ROUTES.manifest}`, { headers: { origin: SITE } });
    expect({ status: refused.status, acao: refused.headers.get('access-control-allow-origin'), body: await refused.json() }).toMatchObject({
      status: ERROR_CATALOGUE.MANIFEST_UNAVAILABLE.status,
      acao: '*',
      body: { code: 'MANIFEST_UNAVAILABLE' },
    });
  });

  it("names the site from ?site=, else the request's Origin, else its own origin; CORS * and Vary: Origin on each", async () => {
    await holder(SITE, ['/a.js', '/b.css']);
    await holder(OTHER_SITE, ['/a.js']);
    const ofSite = { [files['/a.js']!]: 1, [files['/b.css']!]: 1 };
    // What a cross-origin SW sends (installSwarm's server elsewhere): ?site= its own origin, and that Origin.
    const named = await view(`?site=${encodeURIComponent(SITE)}`, { origin: SITE });
    expect(named).toMatchObject({ status: 200, acao: '*', files: ofSite });
    expect(named.vary.toLowerCase()).toContain('origin');
    // ?site= wins over Origin (a proxy may rewrite either; the SW always names its site).
    expect(await view(`?site=${encodeURIComponent(OTHER_SITE)}`, { origin: SITE })).toMatchObject({ status: 200, files: { [files['/a.js']!]: 1 } });
    // No ?site=: a cross-origin request's Origin is the site…
    expect(await view('', { origin: SITE })).toMatchObject({ status: 200, acao: '*', files: ofSite });
    // …an opaque origin names none, and without Origin it is the server's own origin, where nobody joined.
    expect(await view('', { origin: 'null' })).toMatchObject({ status: 200, files: {} });
    expect(await view('')).toMatchObject({ status: 200, files: {} });
  });

  it('refuses a bad ?site= with its code, readable cross-origin', async () => {
    expect(await view('?site=a&site=b', { origin: SITE })).toMatchObject({ status: 400, acao: '*', files: { code: 'REQUEST_INVALID' } });
  });
});
