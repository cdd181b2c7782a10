/**
 * The tracker over real WebSockets against buildServer listening on 127.0.0.1, carried by each
 * page's signalling socket (an issued id, proven with its token): answers bounded to K with the
 * holders count, region first, the asker and quarantined peers left out, lost and closed peers
 * gone, manifest pushes within a second, no identity but the socket's own, and every kind of
 * offender closed with its code while the others keep working, quarantine by reports from the
 * networks of peers that paired with the accused. Every tracker frame the server sends must pass
 * the client parser (tracker-helpers.ts). Clients are named in the tests; `id(name)` is the id
 * the server issued them, and `names(ids)` reads an answer back as names.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { LogCapture, signalledSocket } from './server-helpers.js';
import { Client, SITE, eventually, hash, id, names, pair, publish, startServer } from './tracker-helpers.js';

const H = hash(1);
/** The files of the test manifest: the tracker keeps only `have`s of these. */
const FILES = [H, hash(2), ...Array.from({ length: 5000 }, (_, i) => hash(10_000 + i))];

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
      // Reports count at once here; tracker-abuse.test.ts holds a young reporter's.
      reportMinAgeMs: 1,
    }));
    publish(app, FILES);
  });
  afterAll(() => app.close());

  it('answers a want with at most K holders, never the asker, plus how many hold it', async () => {
    const asker = await Client.joined(url, 'asker');
    const holders = await Promise.all(Array.from({ length: 6 }, (_, i) => Client.joined(url, `h${i}`, { localAddress: `127.0.0.${2 + (i % 3)}` })));
    await Promise.all(holders.map((h) => h.have([H, hash(2)])));
    await asker.have([H]);
    const answer = await asker.want(H);
    expect(answer.peers).toHaveLength(3);
    expect(answer.peers).not.toContain(id('asker'));
    expect(new Set(answer.peers).size).toBe(3);
    expect(answer.holders).toBe(7);
    expect(answer).toMatchObject({ type: 'peers', hash: H });
    expect(app.swarmcdn.connections.tracker).toBe(7);
    expect(await asker.want(hash(99))).toMatchObject({ peers: [], holders: 0 });
    // Reported bytes reach the server's counters (a page's plausible few KB; tracker-abuse.test.ts caps the implausible).
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
      expect(names(answer.peers.slice(0, 2)).sort()).toEqual(['eu0', 'eu1']);
      expect(names(answer.peers)[2]).toMatch(/^us/);
    }
  });

  it('quarantines on reports from peers of distinct networks that paired with it; one network repeating is not enough', async () => {
    // Distinct /24s on the loopback (network-key.ts groups IPv4 by /24).
    const bad = await Client.joined(url, 'bad', { localAddress: '127.0.9.1' });
    const good = await Client.joined(url, 'good', { localAddress: '127.0.8.1' });
    await Promise.all([bad, good].map((c) => c.have([H])));
    const r1 = await Client.joined(url, 'r1', { localAddress: '127.0.1.1' });
    const r2 = await Client.joined(url, 'r2', { localAddress: '127.0.2.1' });
    await pair(r1, bad);
    await pair(bad, r2);
    for (let i = 0; i < 3; i++) await r1.report(id('bad'), H);
    expect(names((await r2.want(H)).peers)).toContain('bad');
    await r2.report(id('bad'), H);
    expect(names((await r1.want(H)).peers)).toEqual(['good']);
    expect((await good.want(H)).peers).toEqual([]);
    // Quarantined in this site only: the same id's reports count for nothing here, but it still counts as a holder.
    expect((await r1.want(H)).holders).toBe(2);
  });

  it('forgets what a peer lost, and a peer whose socket closed', async () => {
    const asker = await Client.joined(url, 'asker');
    const a = await Client.joined(url, 'a');
    const b = await Client.joined(url, 'b');
    await Promise.all([a.have([H, hash(2)]), b.have([H])]);
    a.send({ type: 'lost', hashes: [H] });
    await a.sync();
    expect(await asker.want(H)).toMatchObject({ peers: [id('b')], holders: 1 });
    expect(await asker.want(hash(2))).toMatchObject({ peers: [id('a')], holders: 1 });
    a.ws.close();
    await a.closed;
    await eventually(async () => (await asker.want(hash(2))).holders === 0);
    expect(app.swarmcdn.store.tracker.getPeer(SITE, a.id)).toBeUndefined();
  });

  it('knows a peer only by the id its socket proved: no forged joins, and the id stays its owner\'s through the reconnect grace', async () => {
    const asker = await Client.joined(url, 'asker');
    const owner = await Client.joined(url, 'owner');
    await owner.have([H]);
    // The tracker has no socket of its own to join on without an issued id: the old path answers nothing.
    const bare = new WebSocket(url.replace('http', 'ws') + '/swarmcdn/tracker');
    const heard: string[] = [];
    bare.on('message', (data) => heard.push(String(data)));
    bare.on('error', () => undefined);
    bare.on('open', () => bare.send(JSON.stringify({ type: 'join', site: SITE })));
    await new Promise((resolve) => {
      bare.on('close', resolve);
      bare.on('unexpected-response', resolve);
      setTimeout(resolve, 500);
    });
    bare.terminate();
    expect(heard).toEqual([]);
    // A join naming another peer's id is refused; the owner keeps its place.
    const forger = await Client.open(url);
    forger.send({ type: 'join', peerId: owner.id, site: SITE });
    expect((await forger.next('error')).code).toBe('TRACKER_ID_NOT_OWNED');
    expect(await forger.closed).toEqual({ code: 1008, reason: 'TRACKER_ID_NOT_OWNED' });
    expect(await asker.want(H)).toMatchObject({ peers: [owner.id], holders: 1 });
    // The owner's socket drops: nobody else can take its id during the grace ...
    owner.ws.close();
    await owner.closed;
    await eventually(async () => (await asker.want(H)).holders === 0);
    await expect(signalledSocket(url, { id: owner.id, token: 'someoneelse1' })).rejects.toThrow(/SIGNAL_ID_TAKEN/);
    // ... and the owner, with its token, comes back as itself.
    const back = await signalledSocket(url, { id: owner.id, token: owner.token });
    back.ws.send(JSON.stringify({ type: 'join', site: SITE }));
    back.ws.send(JSON.stringify({ type: 'have', hashes: [H] }));
    await eventually(async () => (await asker.want(H)).holders === 1);
    expect((await asker.want(H)).peers).toEqual([owner.id]);
    back.ws.terminate();
  });

  it('pushes a new manifest to every connected client within a second, and reports it in joined', async () => {
    const joinedClients = await Promise.all(['m1', 'm2', 'm3'].map((id) => Client.joined(url, id)));
    // A socket that spoke to the tracker but never joined still hears of new versions.
    const notJoined = await Client.open(url);
    await notJoined.sync();
    // The same files under a new version: later tests still find them in the manifest.
    publish(app, FILES);
    const update = app.swarmcdn.currentManifest!;
    app.swarmcdn.events.emit('manifest', update);
    const pushes = await Promise.all([...joinedClients, notJoined].map((c) => c.next('manifest', 1000)));
    for (const push of pushes) expect(push).toEqual({ type: 'manifest', version: update.version, etag: update.etag });
    const late = await Client.open(url);
    late.send({ type: 'join', site: SITE });
    expect(await late.next('joined')).toEqual({ type: 'joined', peerId: late.id, manifestVersion: update.version });
  });

  it('closes malformed, oversized, early, greedy and flooding clients with their codes; the others keep working', async () => {
    const bystander = await Client.joined(url, 'bystander');
    const holder = await Client.joined(url, 'holder');
    await holder.have([H]);

    const offenders: [Client, unknown, string, number][] = [
      // Not JSON, and not a tracker frame: the signalling relay refuses it.
      [await Client.joined(url, 'o1'), 'not json', 'SIGNAL_MALFORMED', 1008],
      [await Client.joined(url, 'o2'), { type: 'have', hashes: ['nope'] }, 'TRACKER_MALFORMED', 1008],
      [await Client.joined(url, 'o3'), `{"type":"ping","pad":"${'x'.repeat(400_001)}"}`, 'TRACKER_FRAME_TOO_LARGE', 1009],
      [await Client.joined(url, 'o4'), { type: 'have', hashes: Array.from({ length: 5001 }, (_, i) => hash(i)) }, 'TRACKER_TOO_MANY_HASHES', 1008],
      [await Client.open(url), { type: 'want', hash: H }, 'TRACKER_NOT_JOINED', 1008],
      [await Client.joined(url, 'o6'), { type: 'join', site: SITE }, 'TRACKER_ALREADY_JOINED', 1008],
      // Keys in another order: found by the slow path, and still the tracker's.
      [await Client.open(url), { site: SITE, type: 'join', peerId: 'someone-else' }, 'TRACKER_ID_NOT_OWNED', 1008],
    ];
    for (const [client, frame] of offenders) client.send(frame);
    const binary = await Client.joined(url, 'o8');
    binary.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
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
    expect(await bystander.want(H)).toMatchObject({ peers: [holder.id], holders: 1 });
    await holder.sync();
    await eventually(() => app.swarmcdn.connections.tracker === 2);
  });

  it('takes 5,000 hashes from one peer in one message and answers for any of them', async () => {
    const big = await Client.joined(url, 'big');
    const asker = await Client.joined(url, 'asker');
    const hashes = Array.from({ length: 5000 }, (_, i) => hash(10_000 + i));
    await big.have(hashes);
    await big.have(hashes.slice(0, 1000));
    for (const h of [hashes[0]!, hashes[2500]!, hashes[4999]!]) expect(await asker.want(h)).toMatchObject({ peers: [big.id], holders: 1 });
    big.ws.close();
    await eventually(() => app.swarmcdn.store.tracker.counts().contentEntries === 0);
  });
});

describe('tracker limits', () => {
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    // The tracker has no socket of its own: signalling's alive timeout and connection cap hold for it.
    ({ app, url } = await startServer({}, { aliveTimeoutMs: 200, maxConnections: 2 }));
  });
  afterAll(() => app.close());

  it('forgets a silent socket\'s peer, keeps a chatty one, and refuses sockets past the cap', async () => {
    const silent = await Client.joined(url, 'silent');
    const chatty = await Client.joined(url, 'chatty');
    await expect(signalledSocket(url)).rejects.toThrow(/SIGNAL_CAPACITY/);

    const timer = setInterval(() => chatty.send({ type: 'ping' }), 50);
    try {
      expect(await silent.closed).toEqual({ code: 1000, reason: 'SIGNAL_TIMEOUT' });
      await eventually(() => app.swarmcdn.store.tracker.getPeer(SITE, silent.id) === undefined);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(chatty.ws.readyState).toBe(WebSocket.OPEN);
      expect(app.swarmcdn.store.tracker.getPeer(SITE, chatty.id)).toBeDefined();
    } finally {
      clearInterval(timer);
    }
  });
});

describe('a frame that is not UTF-8', () => {
  it('closes that socket (1007) and logs nothing at warn or above: one byte per frame cannot flood the log', async () => {
    const logs = new LogCapture();
    const started = await startServer({}, {}, { logger: logs.logger('info') });
    try {
      const bystander = await Client.joined(started.url, 'bystander');
      const sockets = await Promise.all([1, 2, 3].map(() => signalledSocket(started.url)));
      const closes = sockets.map(({ ws }) => new Promise<number>((resolve) => ws.on('close', resolve)));
      for (const { ws } of sockets) ws.send(Buffer.from('{"type":"ping","x":"\xff"}', 'latin1'), { binary: false });
      expect(await Promise.all(closes)).toEqual([1007, 1007, 1007]);
      await bystander.sync();
      expect(logs.entries.filter((e) => Number(e.level) >= 40)).toEqual([]);
    } finally {
      await started.app.close();
    }
  });
});
