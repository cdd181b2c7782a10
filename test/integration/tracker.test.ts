/**
 * The tracker over real WebSockets against buildServer listening on 127.0.0.1: answers bounded
 * to K with the holders count, region first, the asker and quarantined peers left out, lost and
 * closed peers gone, manifest pushes within a second, and every kind of offender closed with its
 * code while the others keep working. Every frame the server sends must pass the client parser.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { parseTrackerServerMessage, type TrackerServerMessage } from '../../protocol/messages/tracker.js';
import { buildServer } from '../../server/build-server.js';
import type { TrackerOptions } from '../../server/options.js';

const SITE = 'https://a.example';
const OTHER_SITE = 'https://b.example';
const hash = (n: number): string => `sha256-${n.toString(36).padStart(43, 'C')}=`;
const H = hash(1);

type Message<T extends TrackerServerMessage['type']> = Extract<TrackerServerMessage, { type: T }>;

const servers: FastifyInstance[] = [];
const siteDirs: string[] = [];

async function startServer(tracker: Partial<TrackerOptions>): Promise<{ app: FastifyInstance; url: string }> {
  const siteDir = await mkdtemp(join(tmpdir(), 'swarmcdn-tracker-'));
  siteDirs.push(siteDir);
  // ws refuses frames over the largest endpoint cap itself (close 1009, no error frame); a larger
  // signalling cap lets a frame just over the tracker's reach the tracker's check and its code.
  const app = buildServer({ siteDir, tracker, signalling: { maxMessageBytes: 1024 * 1024 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  servers.push(app);
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `ws://127.0.0.1:${port}${app.swarmcdn.options.tracker.path}` };
}

const clients: Client[] = [];
let requestIds = 0;

/** A tracker client: an inbox of parsed server frames, and the close code and reason. */
class Client {
  readonly inbox: TrackerServerMessage[] = [];
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = parseTrackerServerMessage(String(data));
      if (parsed.ok) this.inbox.push(parsed.value);
      else this.invalid.push(String(data));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string, localAddress = '127.0.0.1'): Promise<Client> {
    const ws = new WebSocket(url, { localAddress });
    const client = new Client(ws);
    clients.push(client);
    await once(ws, 'open');
    return client;
  }

  static async joined(url: string, peerId: string, options: { site?: string; region?: string; localAddress?: string } = {}): Promise<Client> {
    const client = await Client.open(url, options.localAddress);
    client.send({ type: 'join', peerId, site: options.site ?? SITE, ...(options.region ? { region: options.region } : {}) });
    await client.next('joined');
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
}

afterAll(async () => {
  for (const dir of siteDirs) await rm(dir, { recursive: true, force: true });
});

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 2000, failure = 'condition not met in time'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(async () => {
  const invalid = clients.flatMap((c) => c.invalid);
  for (const client of clients.splice(0)) client.ws.terminate();
  expect(invalid).toEqual([]);
  // Every close reaches the server, so the next test may reuse peer ids, and the gauge comes back to 0.
  await eventually(() => servers.every((s) => s.swarmcdn.connections.tracker === 0 && s.swarmcdn.store.tracker.counts().peers === 0));
});

describe('tracker', () => {
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startServer({
      maxPeersPerAnswer: 3,
      quarantineReports: 2,
      maxHashesPerMessage: 5000,
      maxHavePerPeer: 6000,
      maxMessageBytes: 400_000,
      ratePerSecond: 20,
      rateBurst: 40,
    }));
  });
  afterAll(() => app.close());

  it('answers a want with at most K holders, never the asker, plus how many hold it', async () => {
    const asker = await Client.joined(url, 'asker');
    const holders = await Promise.all(Array.from({ length: 6 }, (_, i) => Client.joined(url, `h${i}`, { localAddress: `127.0.0.${2 + (i % 3)}` })));
    await Promise.all(holders.map((h) => h.have([H, hash(2)])));
    await asker.have([H]);
    const answer = await asker.want(H);
    expect(answer.peers).toHaveLength(3);
    expect(answer.peers).not.toContain('asker');
    expect(new Set(answer.peers).size).toBe(3);
    expect(answer.holders).toBe(7);
    expect(answer).toMatchObject({ type: 'peers', hash: H });
    expect(app.swarmcdn.connections.tracker).toBe(7);
    expect(await asker.want(hash(99))).toMatchObject({ peers: [], holders: 0 });
    // Reported bytes reach the server's counters.
    asker.send({ type: 'stats', peer: 1000, cache: 200, origin: 30, upload: 500 });
    await asker.sync();
    expect(app.swarmcdn.bytes).toEqual({ peer: 1000, cache: 200, origin: 30 });
  });

  it('answers the same region first', async () => {
    const asker = await Client.joined(url, 'asker', { region: 'eu' });
    const far = await Promise.all(Array.from({ length: 5 }, (_, i) => Client.joined(url, `us${i}`, { region: 'us' })));
    const near = await Promise.all(['eu0', 'eu1'].map((id) => Client.joined(url, id, { region: 'eu', localAddress: '127.0.0.2' })));
    await Promise.all([...far, ...near].map((c) => c.have([H])));
    for (let i = 0; i < 5; i++) {
      const answer = await asker.want(H);
      expect(answer.peers.slice(0, 2).sort()).toEqual(['eu0', 'eu1']);
      expect(answer.peers[2]).toMatch(/^us/);
    }
  });

  it('quarantines after N distinct reporters, in every site; one reporter repeating is not enough', async () => {
    const bad = await Client.joined(url, 'bad');
    const badElsewhere = await Client.joined(url, 'bad', { site: OTHER_SITE });
    const good = await Client.joined(url, 'good');
    const goodElsewhere = await Client.joined(url, 'good2', { site: OTHER_SITE });
    await Promise.all([bad, badElsewhere, good, goodElsewhere].map((c) => c.have([H])));
    const r1 = await Client.joined(url, 'r1');
    const r2 = await Client.joined(url, 'r2');
    for (let i = 0; i < 3; i++) r1.send({ type: 'report', peerId: 'bad', hash: H });
    await r1.sync();
    expect((await r2.want(H)).peers).toContain('bad');
    r2.send({ type: 'report', peerId: 'bad', hash: H });
    await r2.sync();
    expect((await r1.want(H)).peers).toEqual(['good']);
    expect((await good.want(H)).peers).toEqual([]);
    expect((await goodElsewhere.want(H)).peers).toEqual([]);
  });

  it('forgets what a peer lost, and a peer whose socket closed', async () => {
    const asker = await Client.joined(url, 'asker');
    const a = await Client.joined(url, 'a');
    const b = await Client.joined(url, 'b');
    await Promise.all([a.have([H, hash(2)]), b.have([H])]);
    a.send({ type: 'lost', hashes: [H] });
    await a.sync();
    expect(await asker.want(H)).toMatchObject({ peers: ['b'], holders: 1 });
    expect(await asker.want(hash(2))).toMatchObject({ peers: ['a'], holders: 1 });
    a.ws.close();
    await a.closed;
    await eventually(async () => (await asker.want(hash(2))).holders === 0);
    expect(app.swarmcdn.store.tracker.getPeer(SITE, 'a')).toBeUndefined();
    // Its id is free again.
    await Client.joined(url, 'a');
  });

  it('pushes a new manifest to every connected client within a second, and reports it in joined', async () => {
    const joinedClients = await Promise.all(['m1', 'm2', 'm3'].map((id) => Client.joined(url, id)));
    const notJoined = await Client.open(url);
    const update = { envelopeJson: '{}', version: 12, etag: '"v12"' };
    app.swarmcdn.currentManifest = update;
    app.swarmcdn.events.emit('manifest', update);
    const pushes = await Promise.all([...joinedClients, notJoined].map((c) => c.next('manifest', 1000)));
    for (const push of pushes) expect(push).toEqual({ type: 'manifest', version: 12, etag: '"v12"' });
    const late = await Client.open(url);
    late.send({ type: 'join', peerId: 'late', site: SITE });
    expect(await late.next('joined')).toEqual({ type: 'joined', peerId: 'late', manifestVersion: 12 });
  });

  it('closes malformed, oversized, early, greedy and flooding clients with their codes; the others keep working', async () => {
    const bystander = await Client.joined(url, 'bystander');
    const holder = await Client.joined(url, 'holder');
    await holder.have([H]);

    const offenders: [Client, unknown, string, number][] = [
      [await Client.joined(url, 'o1'), 'not json', 'TRACKER_MALFORMED', 1008],
      [await Client.joined(url, 'o2'), { type: 'have', hashes: ['nope'] }, 'TRACKER_MALFORMED', 1008],
      [await Client.joined(url, 'o3'), 'x'.repeat(400_001), 'TRACKER_FRAME_TOO_LARGE', 1009],
      [await Client.joined(url, 'o4'), { type: 'have', hashes: Array.from({ length: 5001 }, (_, i) => hash(i)) }, 'TRACKER_TOO_MANY_HASHES', 1008],
      [await Client.open(url), { type: 'want', hash: H }, 'TRACKER_NOT_JOINED', 1008],
      [await Client.joined(url, 'o6'), { type: 'join', peerId: 'o6b', site: SITE }, 'TRACKER_ALREADY_JOINED', 1008],
      [await Client.open(url), { type: 'join', peerId: 'holder', site: SITE }, 'TRACKER_ID_TAKEN', 1008],
    ];
    for (const [client, frame] of offenders) client.send(frame);
    const binary = await Client.joined(url, 'o8');
    binary.ws.send(Buffer.from([1, 2, 3]));
    const flooder = await Client.joined(url, 'o9');
    for (let i = 0; i < 60; i++) flooder.send({ type: 'ping' });

    const expected = [...offenders.map(([c, , code, close]) => [c, code, close] as const), [binary, 'TRACKER_MALFORMED', 1008] as const, [flooder, 'TRACKER_RATE_LIMITED', 1008] as const];
    for (const [client, code, close] of expected) {
      expect((await client.next('error')).code).toBe(code);
      expect(await client.closed).toEqual({ code: close, reason: code });
    }
    // Past the largest cap of any endpoint, ws itself refuses the frame: same close code, no error frame.
    const huge = await Client.joined(url, 'o10');
    huge.send('x'.repeat(1024 * 1024 + 1));
    expect((await huge.closed).code).toBe(1009);
    // A closed offender takes its announcements with it; the others never noticed.
    expect(await bystander.want(H)).toMatchObject({ peers: ['holder'], holders: 1 });
    await holder.sync();
    await eventually(() => app.swarmcdn.connections.tracker === 2);
  });

  it('takes 5,000 hashes from one peer in one message and answers for any of them', async () => {
    const big = await Client.joined(url, 'big');
    const asker = await Client.joined(url, 'asker');
    const hashes = Array.from({ length: 5000 }, (_, i) => hash(10_000 + i));
    await big.have(hashes);
    await big.have(hashes.slice(0, 1000));
    for (const h of [hashes[0]!, hashes[2500]!, hashes[4999]!]) expect(await asker.want(h)).toMatchObject({ peers: ['big'], holders: 1 });
    big.ws.close();
    await eventually(() => app.swarmcdn.store.tracker.counts().contentEntries === 0);
  });
});

describe('tracker limits', () => {
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startServer({ aliveTimeoutMs: 200, maxConnections: 2 }));
  });
  afterAll(() => app.close());

  it('closes a silent socket from the shared sweep, keeps a chatty one, and refuses connections past the cap', async () => {
    const silent = await Client.joined(url, 'silent');
    const chatty = await Client.joined(url, 'chatty');
    const full = await Client.open(url);
    expect((await full.next('error')).code).toBe('TRACKER_FULL');
    expect(await full.closed).toEqual({ code: 1013, reason: 'TRACKER_FULL' });

    const timer = setInterval(() => chatty.send({ type: 'ping' }), 50);
    try {
      expect((await silent.next('error', 1000)).code).toBe('TRACKER_TIMEOUT');
      expect(await silent.closed).toEqual({ code: 1001, reason: 'TRACKER_TIMEOUT' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(chatty.ws.readyState).toBe(WebSocket.OPEN);
      expect(app.swarmcdn.store.tracker.getPeer(SITE, 'silent')).toBeUndefined();
    } finally {
      clearInterval(timer);
    }
  });
});
