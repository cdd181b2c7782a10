/**
 * swarmcdn mounted under a path prefix in a host's Fastify app (the host serves its own `/`): every
 * URL the bridge and the SW derive from `server: <origin>/swarm` (protocol/wire.ts) answers — the
 * SW script and the base it finds again from its own URL, the manifest the server built in-process
 * at start-up, the availability view, and PeerJS signalling (id, then the WebSocket's OPEN).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { peerOptions } from '../../page-bridge/peer-options.js';
import { resolveSwarmOptions } from '../../page-bridge/options.js';
import { generateKeyPair, importPublicKeyPem, verifyManifest } from '../../protocol/index.js';
import { ROUTES, serverBaseOfScript, serverUrl } from '../../protocol/wire.js';
import { swarmcdnPlugin } from '../../server/plugin.js';

let dir: string;
let app: FastifyInstance;
let origin: string;
let base: string;
let publicPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmcdn-prefix-'));
  const site = join(dir, 'site');
  const keys = join(dir, 'keys');
  await Promise.all([mkdir(site), mkdir(keys)]);
  await writeFile(join(site, 'index.html'), '<h1>prefixed</h1>');
  const pair = await generateKeyPair();
  publicPem = pair.publicPem;
  await writeFile(join(keys, 'swarmcdn.key'), pair.privatePem, { mode: 0o600 });
  app = Fastify({ pluginTimeout: 0 });
  app.get('/', async () => 'the host');
  await app.register(
    async (child) => {
      await child.register(swarmcdnPlugin, { siteDir: site, signingKeyFile: join(keys, 'swarmcdn.key'), logger: false });
    },
    { prefix: '/swarm' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  origin = `http://127.0.0.1:${address.port}`;
  // What a page on the host gets from startSwarm({ server: '/swarm' }).
  base = resolveSwarmOptions({ server: '/swarm' }, origin).server;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('swarmcdn under a path prefix', () => {
  it('leaves the host its own routes', async () => {
    expect(base).toBe(`${origin}/swarm`);
    expect(await (await fetch(`${origin}/`)).text()).toBe('the host');
  });

  it('serves the SW under the base, and the SW finds the base again from its own URL', async () => {
    const swUrl = serverUrl(base, ROUTES.sw);
    const response = await fetch(swUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('service-worker-allowed')).toBe('/');
    await response.arrayBuffer();
    expect(serverBaseOfScript(swUrl, ROUTES.sw)).toBe(base);
  });

  it('publishes the manifest it built in-process at <base>/swarmcdn/manifest', async () => {
    const response = await fetch(serverUrl(base, ROUTES.manifest));
    expect(response.status).toBe(200);
    const verified = await verifyManifest(new Uint8Array(await response.arrayBuffer()), { keys: [await importPublicKeyPem(publicPem)] });
    expect(Object.keys(verified.manifest.files)).toEqual(['/index.html']);
    // Nothing at the root: the prefix is the only place.
    expect((await fetch(`${origin}${ROUTES.manifest}`)).status).toBe(404);
  });

  it('answers the availability view at <base>/swarmcdn/availability', async () => {
    const response = await fetch(`${serverUrl(base, ROUTES.availability)}?site=${encodeURIComponent(origin)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ files: {} });
  });

  it('signals on the PeerJS path the bridge derives: an id, then OPEN on the WebSocket', async () => {
    const peer = peerOptions({ server: base, iceServers: undefined });
    expect([peer.host, peer.port, peer.path]).toEqual(['127.0.0.1', Number(new URL(origin).port), '/swarm/swarmcdn/peerjs']);
    // The stock client's URLs: `${path}/${key}/id`, then `${path}/peerjs?key&id&token`.
    const id = await (await fetch(`http://${peer.host}:${peer.port}${peer.path}/${peer.key}/id`)).text();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const ws = new WebSocket(`ws://${peer.host}:${peer.port}${peer.path}/peerjs?key=${peer.key}&id=${id}&token=t0ken`);
    try {
      const first = await new Promise<unknown>((resolve, reject) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.once('error', reject);
      });
      expect(first).toMatchObject({ type: 'OPEN' });
    } finally {
      ws.close();
    }
  });
});
