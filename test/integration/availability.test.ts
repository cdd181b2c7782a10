/**
 * The availability view against buildServer on 127.0.0.1 with a signed manifest: a joining client
 * gets the full snapshot, another client's `have` reaches it as a delta within a few intervals,
 * a hash outside the manifest never appears, a closed holder's files go to 0, the HTTP view shows
 * the same counts (its own origin by default, `?site=` honoured, a bad site refused with its code),
 * and a new manifest version sends every client a full snapshot. Every frame must pass the client parser.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  MANIFEST_PAYLOAD_TYPE,
  MANIFEST_TYPE,
  envelopeToJson,
  generateKeyPair,
  importPrivateKeyPem,
  serializeManifest,
  sha256Sri,
  signEnvelope,
  utf8,
  type ManifestFile,
  type Sha256Sri,
} from '../../protocol/index.js';
import { AVAILABILITY_PATH, parseAvailabilityView } from '../../protocol/messages/availability.js';
import { parseTrackerServerMessage, type TrackerServerMessage } from '../../protocol/messages/tracker.js';
import { buildServer } from '../../server/build-server.js';
import { signalledSocket } from './server-helpers.js';

const INTERVAL_MS = 50;
const OTHER_SITE = 'https://b.example';
const NOT_IN_MANIFEST = `sha256-${'Z'.repeat(43)}=` as Sha256Sri;

type Availability = Extract<TrackerServerMessage, { type: 'availability' }>;

let privatePem: string;
let publicPem: string;
let siteDir: string;
let app: FastifyInstance;
let origin: string;
/** Integrity of each of the site's files, by name. */
const F: Record<string, Sha256Sri> = {};

async function writeManifest(version: number, names: readonly string[]): Promise<void> {
  const files: Record<string, ManifestFile> = {};
  for (const name of names) files[`/${name}`] = { size: name.length, contentType: 'text/plain', integrity: F[name]!, chunks: [F[name]!] };
  const now = Date.now();
  const payload = serializeManifest({
    type: MANIFEST_TYPE,
    version,
    issuedAt: new Date(now - 60_000).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    chunkSize: 1024,
    files,
  });
  const envelope = await signEnvelope(MANIFEST_PAYLOAD_TYPE, payload, [await importPrivateKeyPem(privatePem)]);
  // Written by rename, as the CLI does, so the watcher never reads half a file.
  const temp = join(siteDir, `.manifest-${version}.tmp`);
  await writeFile(temp, envelopeToJson(envelope));
  await rename(temp, join(siteDir, 'swarmcdn-manifest.json'));
}

const clients: Client[] = [];

/** A tracker client: parsed server frames, and any frame the client parser refused. */
class Client {
  readonly inbox: TrackerServerMessage[] = [];
  readonly availability: Availability[] = [];
  readonly invalid: string[] = [];
  /** The view as a service worker would keep it: a full frame replaces it, a delta updates it (0 removes). */
  view: Record<string, number> = {};

  private constructor(readonly ws: WebSocket) {
    ws.removeAllListeners('message');
    ws.on('message', (data) => {
      const parsed = parseTrackerServerMessage(String(data));
      if (!parsed.ok) return void this.invalid.push(String(data));
      const message = parsed.value;
      if (message.type !== 'availability') return void this.inbox.push(message);
      this.availability.push(message);
      if (message.full) this.view = {};
      for (const [hash, count] of Object.entries(message.files)) {
        if (count === 0) delete this.view[hash];
        else this.view[hash] = count;
      }
    });
  }

  /** A page's socket (signalling and tracker in one), joined to `site`; `peerId` only names it in failures. */
  static async joined(peerId: string, site = origin): Promise<Client> {
    const { ws } = await signalledSocket(origin);
    const client = new Client(ws);
    clients.push(client);
    ws.send(JSON.stringify({ type: 'join', site }));
    await eventually(() => client.inbox.some((m) => m.type === 'joined'), `${peerId} never joined`);
    return client;
  }

  /** Announces hashes and waits until the server has handled them (a ping round trip). */
  async have(hashes: readonly string[]): Promise<void> {
    this.ws.send(JSON.stringify({ type: 'have', hashes }));
    this.ws.send(JSON.stringify({ type: 'ping' }));
    await eventually(() => this.inbox.some((m) => m.type === 'pong'), 'no pong');
    this.inbox.splice(0);
  }

  /** The first availability frame (oldest first) that matches, removing it and all before it. */
  async nextAvailability(match: (m: Availability) => boolean, timeoutMs = 20 * INTERVAL_MS): Promise<Availability> {
    let found: Availability | undefined;
    await eventually(() => {
      const at = this.availability.findIndex(match);
      if (at >= 0) found = this.availability.splice(0, at + 1)[at];
      return found !== undefined;
    }, `no matching availability within ${timeoutMs} ms; got ${JSON.stringify(this.availability)}`, timeoutMs);
    return found!;
  }
}

async function eventually(check: () => boolean, failure: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Same hashes, same counts, in any order. */
function sameView(a: Record<string, number>, b: Record<string, number>): boolean {
  const entries = (v: Record<string, number>): string => JSON.stringify(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)));
  return entries(a) === entries(b);
}

async function getView(query = ''): Promise<{ status: number; cacheControl: string | null; body: unknown }> {
  const response = await fetch(`${origin}${AVAILABILITY_PATH}${query}`);
  return { status: response.status, cacheControl: response.headers.get('cache-control'), body: await response.json() };
}

beforeAll(async () => {
  ({ privatePem, publicPem } = await generateKeyPair());
  siteDir = await mkdtemp(join(tmpdir(), 'swarmcdn-availability-'));
  for (const name of ['a.js', 'b.css', 'c.png', 'd.txt']) F[name] = await sha256Sri(utf8(name));
  await writeManifest(1, ['a.js', 'b.css', 'c.png']);
  app = buildServer({ siteDir, publicKeys: [publicPem], tracker: { availabilityIntervalMs: INTERVAL_MS } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  const frames = clients.flatMap((c) => c.invalid);
  for (const client of clients.splice(0)) client.ws.terminate();
  expect(frames).toEqual([]);
  await eventually(() => app.swarmcdn.store.tracker.counts().peers === 0, 'peers left behind');
});

afterAll(async () => {
  await app.close();
  await rm(siteDir, { recursive: true, force: true });
});

describe('availability', () => {
  it('snapshots on join, pushes a holder\'s have as a delta and its departure as 0, never a hash outside the manifest', async () => {
    const a = await Client.joined('a');
    expect(await a.nextAvailability(() => true, 500)).toEqual({ type: 'availability', full: true, files: {} });
    const b = await Client.joined('b');
    await b.have([F['a.js']!, NOT_IN_MANIFEST]);
    const started = Date.now();
    const delta = await a.nextAvailability((m) => F['a.js']! in m.files);
    expect(delta).toEqual({ type: 'availability', full: false, files: { [F['a.js']!]: 1 } });
    expect(Date.now() - started).toBeLessThan(10 * INTERVAL_MS);
    // A third client joining now gets the count in its snapshot.
    const c = await Client.joined('c');
    expect(await c.nextAvailability((m) => m.full)).toEqual({ type: 'availability', full: true, files: { [F['a.js']!]: 1 } });

    b.ws.close();
    expect(await a.nextAvailability((m) => F['a.js']! in m.files)).toEqual({ type: 'availability', full: false, files: { [F['a.js']!]: 0 } });
    expect(await c.nextAvailability((m) => F['a.js']! in m.files)).toEqual({ type: 'availability', full: false, files: { [F['a.js']!]: 0 } });
    // Give a few more intervals for anything stray, then check nothing ever named the outside hash.
    await new Promise((resolve) => setTimeout(resolve, 4 * INTERVAL_MS));
    for (const client of [a, b, c]) expect(JSON.stringify(client.availability)).not.toContain(NOT_IN_MANIFEST);
  });

  it('serves the same counts over HTTP: its own origin by default, ?site= honoured, a bad site refused', async () => {
    const a = await Client.joined('a');
    const b = await Client.joined('b');
    await a.have([F['a.js']!, F['b.css']!, NOT_IN_MANIFEST]);
    await b.have([F['a.js']!]);
    const elsewhere = await Client.joined('x', OTHER_SITE);
    await elsewhere.have([F['c.png']!]);
    const own = await getView();
    expect(own.status).toBe(200);
    expect(own.cacheControl).toBe('no-store');
    const expected = { [F['a.js']!]: 2, [F['b.css']!]: 1 };
    expect(parseAvailabilityView(own.body)).toEqual({ manifestVersion: 1, files: expected, assetMaxAgeSeconds: 300 });
    // The pushes add up to the same view, in every session of the site and only there.
    for (const client of [a, b]) await eventually(() => sameView(client.view, expected), `${JSON.stringify(client.view)}`);
    await eventually(() => sameView(elsewhere.view, { [F['c.png']!]: 1 }), `${JSON.stringify(elsewhere.view)}`);
    expect((await getView(`?site=${encodeURIComponent(origin)}`)).body).toEqual(own.body);
    expect((await getView(`?site=${encodeURIComponent(OTHER_SITE)}`)).body).toEqual({ manifestVersion: 1, files: { [F['c.png']!]: 1 }, assetMaxAgeSeconds: 300 });
    expect((await getView(`?site=${encodeURIComponent('https://nobody.example')}`)).body).toEqual({ manifestVersion: 1, files: {}, assetMaxAgeSeconds: 300 });
    for (const bad of ['?site=', '?site=a%20b', `?site=${'x'.repeat(257)}`, '?site=a&site=b']) {
      const refused = await getView(bad);
      expect([bad, refused.status, (refused.body as { code?: unknown }).code]).toEqual([bad, 400, 'REQUEST_INVALID']);
    }
  });

  it('sends every client a full snapshot when a new manifest version is published', async () => {
    const a = await Client.joined('a');
    const x = await Client.joined('x', OTHER_SITE);
    await a.have([F['a.js']!, F['b.css']!, F['d.txt']!]);
    await x.have([F['b.css']!]);
    await a.nextAvailability((m) => m.files[F['b.css']!] === 1);
    await x.nextAvailability((m) => m.files[F['b.css']!] === 1);
    // Version 2 drops a.js and adds d.txt. a announced d.txt under version 1, where it was no file:
    // the tracker kept nothing of it (only the current manifest's files are held).
    await writeManifest(2, ['b.css', 'c.png', 'd.txt']);
    await eventually(() => app.swarmcdn.currentManifest?.version === 2, 'version 2 never published', 5000);
    expect(await a.nextAvailability((m) => m.full, 5000)).toEqual({ type: 'availability', full: true, files: { [F['b.css']!]: 1 } });
    expect(await x.nextAvailability((m) => m.full, 5000)).toEqual({ type: 'availability', full: true, files: { [F['b.css']!]: 1 } });
    // Announced again under version 2, it counts.
    await a.have([F['d.txt']!]);
    await a.nextAvailability((m) => m.files[F['d.txt']!] === 1);
    expect((await getView()).body).toEqual({ manifestVersion: 2, files: { [F['b.css']!]: 1, [F['d.txt']!]: 1 }, assetMaxAgeSeconds: 300 });
  });
});
