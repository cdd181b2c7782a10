/**
 * What the tracker integration tests share: a server on 127.0.0.1:0 with tracker options of the
 * test's choosing, a stand-in published manifest (the tracker keeps only `have`s of its files),
 * and a `Client`: a page's signalling socket used for the tracker, named by the test (`id(name)`
 * is the id the server issued it, `names(ids)` reads an answer back as names). `pair(a, b)` makes
 * the server relay an OFFER and its ANSWER between two clients, as two pages negotiating a
 * connection do. Every tracker frame the server sends must pass the client parser.
 */
import { afterAll, afterEach, expect } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { MANIFEST_TYPE, serializeManifest, toBase64, type ManifestFile } from '../../protocol/index.js';
import { parseTrackerServerMessage, type TrackerServerMessage } from '../../protocol/messages/tracker.js';
import { buildServer } from '../../server/build-server.js';
import type { ServerOptions, SignallingOptions, TrackerOptions } from '../../server/options.js';
import { signalledSocket } from './server-helpers.js';

export const SITE = 'https://a.example';
export const OTHER_SITE = 'https://b.example';
/** A distinct, well-formed sha256 SRI value per number. */
export const hash = (n: number): string => `sha256-${n.toString(36).padStart(43, 'C')}=`;

type Message<T extends TrackerServerMessage['type']> = Extract<TrackerServerMessage, { type: T }>;

const servers: FastifyInstance[] = [];
const siteDirs: string[] = [];
const clients: Client[] = [];
let requestIds = 0;
let versions = 0;
/** Test name → the id the server issued that client (the latest client of that name). */
const issued = new Map<string, string>();

/** The id the server issued the client the test named `name`. */
export const id = (name: string): string => issued.get(name) ?? name;
/** Issued ids back to the test's names. */
export const names = (ids: readonly string[]): string[] => ids.map((i) => [...issued].find(([, v]) => v === i)?.[0] ?? i);

/** Polls `check` every 5 ms until it holds, or fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 2000, failure = 'condition not met in time'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A server listening on 127.0.0.1 with these tracker (and signalling) options, closed after the file's tests. */
export async function startServer(
  tracker: Partial<TrackerOptions>,
  signalling: Partial<SignallingOptions> = {},
  more: Pick<ServerOptions, 'logger'> = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const siteDir = await mkdtemp(join(tmpdir(), 'swarmcdn-tracker-'));
  siteDirs.push(siteDir);
  // ws refuses frames over the largest endpoint cap itself (close 1009, no error frame); a larger
  // signalling cap lets a frame just over the tracker's reach the tracker's check and its code.
  const app = buildServer({ siteDir, tracker, signalling: { maxMessageBytes: 1024 * 1024, ...signalling }, ...more });
  await app.listen({ host: '127.0.0.1', port: 0 });
  servers.push(app);
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

/**
 * Publishes a stand-in manifest whose files have these integrities (the tracker only unpacks the
 * envelope it is given; verifying signatures is the manifest plugin's job, tested elsewhere).
 */
export function publish(app: FastifyInstance, integrities: readonly string[]): void {
  const files: Record<string, ManifestFile> = {};
  for (const [i, integrity] of integrities.entries()) files[`/f${i}`] = { size: 0, contentType: 'text/plain', integrity: integrity as ManifestFile['integrity'], chunks: [] };
  const version = ++versions;
  const payload = serializeManifest({ type: MANIFEST_TYPE, version, issuedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z', chunkSize: 1024, files });
  const envelopeJson = JSON.stringify({ payloadType: 'application/vnd.swarmcdn.manifest+json', payload: toBase64(payload), signatures: [{ keyid: 'k', sig: 'AA==' }] });
  app.swarmcdn.currentManifest = { envelopeJson, version, etag: `"v${version}"` };
}

/** A page's socket used for the tracker: an inbox of parsed tracker frames, refusals, and the close code and reason. */
export class Client {
  readonly inbox: TrackerServerMessage[] = [];
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    readonly id: string,
    readonly token: string,
  ) {
    ws.removeAllListeners('message');
    ws.on('message', (data) => {
      const text = String(data);
      const parsed = parseTrackerServerMessage(text);
      if (parsed.ok) return void this.inbox.push(parsed.value);
      const frame = JSON.parse(text) as { type?: string; payload?: { code?: string; msg?: string } };
      // A refusal of the signalling relay (PeerJS's ERROR frame) reads as the tracker's error, with its code.
      if (frame.type === 'ERROR' && frame.payload?.code) this.inbox.push({ type: 'error', code: frame.payload.code, message: frame.payload.msg ?? '' } as TrackerServerMessage);
      // An OFFER or ANSWER another client sent this one (pair) is signalling's, not the tracker's.
      else if (frame.type !== 'OFFER' && frame.type !== 'ANSWER') this.invalid.push(text);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** A signalling socket from `localAddress` (any 127.x.y.z on Linux; network-key.ts groups IPv4 by /24). */
  static async open(url: string, localAddress = '127.0.0.1', name?: string): Promise<Client> {
    const socket = await signalledSocket(url, { localAddress });
    const client = new Client(socket.ws, socket.id, socket.token);
    clients.push(client);
    if (name !== undefined) issued.set(name, socket.id);
    return client;
  }

  static async joined(url: string, name: string, options: { site?: string; region?: string; localAddress?: string } = {}): Promise<Client> {
    const client = await Client.open(url, options.localAddress, name);
    client.send({ type: 'join', site: options.site ?? SITE, ...(options.region ? { region: options.region } : {}) });
    expect(await client.next('joined')).toMatchObject({ peerId: client.id });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next unread message of this type, waiting at most `timeoutMs`. */
  async next<T extends TrackerServerMessage['type']>(type: T, timeoutMs = 2000, match: (m: Message<T>) => boolean = () => true): Promise<Message<T>> {
    let found: Message<T> | undefined;
    await eventually(() => {
      const at = this.inbox.findIndex((m) => m.type === type && match(m as Message<T>));
      if (at >= 0) found = this.inbox.splice(at, 1)[0] as Message<T>;
      return found !== undefined;
    }, timeoutMs, `no ${type} within ${timeoutMs} ms`);
    return found!;
  }

  /** A ping round trip: everything sent before it has been handled by the server. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong');
  }

  async want(h: string): Promise<Message<'peers'>> {
    const requestId = ++requestIds;
    this.send({ type: 'want', hash: h, requestId });
    return this.next('peers', 2000, (m) => m.requestId === requestId);
  }

  async have(hashes: string[]): Promise<void> {
    this.send({ type: 'have', hashes });
    return this.sync();
  }

  /** Sends a report and waits until the server handled it. */
  async report(accused: string, h: string): Promise<void> {
    this.send({ type: 'report', peerId: accused, hash: h });
    return this.sync();
  }
}

/** `offerer` offers `answerer` a connection and it answers, through the server (which sees them pair). */
export async function pair(offerer: Client, answerer: Client): Promise<void> {
  const sdp = (type: string) => ({ sdp: { type, sdp: 'v=0\r\n' }, type: 'data', connectionId: `dc_${offerer.id}` });
  offerer.send({ type: 'OFFER', dst: answerer.id, payload: sdp('offer') });
  await offerer.sync();
  answerer.send({ type: 'ANSWER', dst: offerer.id, payload: sdp('answer') });
  await answerer.sync();
}

afterAll(async () => {
  for (const dir of siteDirs) await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  const invalid = clients.flatMap((c) => c.invalid);
  for (const client of clients.splice(0)) client.ws.terminate();
  expect(invalid).toEqual([]);
  // Every close reaches the server, so the next test may reuse peer ids, and the gauge comes back to 0.
  await eventually(() => servers.every((s) => s.swarmcdn.connections.tracker === 0 && s.swarmcdn.store.tracker.counts().peers === 0));
  issued.clear();
});
