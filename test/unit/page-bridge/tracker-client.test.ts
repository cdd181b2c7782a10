/**
 * The tracker client against a scripted signalling socket (fake timers): join on every (re)open,
 * batched and re-announced `have`, shared and cached `want` answers with a bounded wait, manifest
 * pushes, stats, and pacing under the server's rate limit. The socket is the peer pool's: the
 * client only hears that it opened or dropped, and hands it messages.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { TrackerClient, WANT_TIMEOUT_MS, hashBatches, type TrackerChannel } from '../../../page-bridge/tracker-client.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import { TRACKER_LIMITS, parseTrackerClientMessage, type TrackerClientMessage } from '../../../protocol/messages/tracker.js';

const hash = (n: number): Sha256Sri => `sha256-${n.toString(36).padStart(43, 'A')}=`;

/** The signalling socket as the tracker client sees it: the test opens, drops and answers it. */
class FakeChannel implements TrackerChannel {
  open = false;
  sent: Record<string, unknown>[] = [];

  send(message: TrackerClientMessage): boolean {
    if (!this.open) return false;
    // What goes on the wire is JSON: keep what a server would parse.
    this.sent.push(JSON.parse(JSON.stringify(message)) as Record<string, unknown>);
    return true;
  }

  of(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

let client: TrackerClient;
let channel: FakeChannel;
let manifests: number[];

function start(region?: string): TrackerClient {
  manifests = [];
  channel = new FakeChannel();
  client = new TrackerClient(
    { region },
    {
      channel,
      site: 'https://site.example',
      onManifest: (v) => manifests.push(v),
    },
  );
  return client;
}

/** The socket opens (the peer's OPEN), the client joins, the server answers; the outbox drains. */
async function joined(peerId = 'me'): Promise<void> {
  channel.open = true;
  client.connected();
  client.receive({ type: 'joined', peerId });
  await jest.advanceTimersByTimeAsync(0);
}

/** The socket drops. */
function drop(): void {
  channel.open = false;
  client.disconnected();
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  client.close();
  jest.useRealTimers();
});

describe('TrackerClient', () => {
  it('splits hash lists into bounded batches', () => {
    start();
    expect(hashBatches(Array.from({ length: 5 }, (_, i) => hash(i)), 2).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(hashBatches([])).toEqual([]);
  });

  it('joins when the socket opens, naming the site and region but no id (the server knows the socket\'s), and resolves `joined`', async () => {
    start('eu-west');
    let isJoined = false;
    void client.joined.then(() => (isJoined = true));
    channel.open = true;
    client.connected();
    expect(channel.sent).toEqual([{ type: 'join', site: 'https://site.example', region: 'eu-west' }]);
    client.receive({ type: 'joined', peerId: 'me', manifestVersion: 3 });
    await jest.advanceTimersByTimeAsync(0);
    expect(isJoined).toBe(true);
    expect(client.isJoined).toBe(true);
  });

  it('announces what was held before the join, then new files as they come, in batches of at most 4096', async () => {
    start();
    client.have([hash(1), hash(2), hash(1)]);
    expect(channel.sent).toEqual([]);
    await joined();
    expect(channel.of('have')).toEqual([{ type: 'have', hashes: [hash(1), hash(2)] }]);
    client.have(Array.from({ length: 5000 }, (_, i) => hash(100 + i)));
    client.lost([hash(1), hash(999_999)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(channel.of('have').map((m) => (m.hashes as unknown[]).length)).toEqual([2, 4096, 904]);
    expect(channel.of('lost')).toEqual([{ type: 'lost', hashes: [hash(1)] }]);
  });

  it('an announce is on the wire when have() returns (a peer asking right after must find it)', async () => {
    start();
    await joined();
    client.have([hash(7)]);
    expect(channel.of('have')).toEqual([{ type: 'have', hashes: [hash(7)] }]);
  });

  it('after a drop it sends nothing until the socket reopens, then rejoins and announces the held set again', async () => {
    start();
    await joined();
    client.have([hash(1), hash(2)]);
    client.lost([hash(1)]);
    await jest.advanceTimersByTimeAsync(0);
    drop();
    expect(client.isJoined).toBe(false);
    client.have([hash(3)]);
    await jest.advanceTimersByTimeAsync(1_000);
    channel.sent = [];
    await joined();
    expect(channel.sent[0]).toEqual({ type: 'join', site: 'https://site.example' });
    expect(channel.of('have')).toEqual([{ type: 'have', hashes: [hash(2), hash(3)] }]);
  });

  it('a socket reopened without a drop being heard (a new peer) rejoins once, and what was queued for the old one is gone', async () => {
    start();
    await joined();
    channel.open = false;
    const pending = client.want(hash(9));
    await jest.advanceTimersByTimeAsync(0);
    channel.sent = [];
    await joined('me-again');
    expect(await pending).toEqual([]);
    expect(channel.of('join')).toHaveLength(1);
    expect(channel.of('want')).toEqual([]);
  });

  it('the pool\'s rescue asks who holds the site\'s most held file (availability pushes), only once joined', async () => {
    start();
    client.receive({ type: 'availability', full: true, files: { [hash(1)]: 2, [hash(2)]: 5 } });
    expect(await client.rescueHolders()).toEqual([]);
    await joined();
    expect(channel.of('want')).toEqual([]);
    client.receive({ type: 'availability', full: false, files: { [hash(3)]: 9 } });
    const rescue = client.rescueHolders();
    await jest.advanceTimersByTimeAsync(0);
    expect(channel.of('want')).toEqual([{ type: 'want', hash: hash(3), requestId: 1 }]);
    client.receive({ type: 'peers', hash: hash(3), peers: ['a', 'b'], holders: 9, requestId: 1 });
    expect(await rescue).toEqual(['a', 'b']);
    client.receive({ type: 'availability', full: true, files: {} });
    expect(await client.rescueHolders()).toEqual([]);
  });

  it('a want asked before the socket first opened goes out once joined and gets its answer', async () => {
    start();
    const early = client.want(hash(4));
    await jest.advanceTimersByTimeAsync(100);
    await joined();
    expect(channel.of('want')).toEqual([{ type: 'want', hash: hash(4), requestId: 1 }]);
    client.receive({ type: 'peers', hash: hash(4), peers: ['p'], holders: 1, requestId: 1 });
    expect(await early).toEqual(['p']);
  });

  it('concurrent wants for one file share one message and one answer, cached for ~2 s', async () => {
    start();
    await joined();
    const a = client.want(hash(1));
    const b = client.want(hash(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(channel.of('want')).toEqual([{ type: 'want', hash: hash(1), requestId: 1 }]);
    client.receive({ type: 'peers', hash: hash(1), peers: ['x', 'y'], holders: 2, requestId: 1 });
    expect(await a).toEqual(['x', 'y']);
    expect(await b).toEqual(['x', 'y']);
    expect(await client.want(hash(1))).toEqual(['x', 'y']);
    expect(channel.of('want').length).toBe(1);
    await jest.advanceTimersByTimeAsync(2_000);
    void client.want(hash(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(channel.of('want').length).toBe(2);
  });

  it('a want unanswered in time, or asked while the socket is down, resolves [] within the bound', async () => {
    start();
    await joined();
    const unanswered = client.want(hash(1));
    await jest.advanceTimersByTimeAsync(WANT_TIMEOUT_MS);
    expect(await unanswered).toEqual([]);
    drop();
    const whileDown = client.want(hash(2));
    await jest.advanceTimersByTimeAsync(WANT_TIMEOUT_MS);
    expect(await whileDown).toEqual([]);
  });

  it('a drop answers every pending want with [] at once', async () => {
    start();
    await joined();
    const pending = client.want(hash(1));
    await jest.advanceTimersByTimeAsync(0);
    drop();
    expect(await pending).toEqual([]);
  });

  it('hands manifest and availability pushes on, and ignores frames that do not parse or answer nothing asked', async () => {
    start();
    await joined();
    client.receive({ type: 'manifest', version: 7, etag: '"abc"' });
    client.receive('not json');
    client.receive(null);
    client.receive({ type: 'manifest', version: -1, etag: 'x' });
    client.receive({ type: 'peers', hash: hash(5), peers: ['z'], holders: 1, requestId: 99 });
    client.receive({ type: 'surprise' });
    expect(manifests).toEqual([7]);
    expect(client.isJoined).toBe(true);
  });

  it('sends summed stats every few seconds with the bytes received per peer (never its own upload), and nothing when idle', async () => {
    start();
    await joined();
    client.addStats({ peer: 10, cache: 20, origin: 30, upload: 0 });
    client.addStats({ peer: 1, cache: 2, origin: 3, upload: 4 });
    client.received('pa', 100);
    client.received('pb', 7);
    client.received('pa', 50);
    client.received('pc', 0);
    // +1: the send is queued by the 5 s tick and goes out on the next timer turn.
    await jest.advanceTimersByTimeAsync(5_001);
    expect(channel.of('stats')).toEqual([{ type: 'stats', peer: 11, cache: 22, origin: 33, from: { pa: 150, pb: 7 } }]);
    await jest.advanceTimersByTimeAsync(15_000);
    expect(channel.of('stats').length).toBe(1);
    // Bytes from a peer alone are worth a message; a reported peer's bytes are not vouched for.
    client.received('pd', 9);
    client.received('bad', 64);
    client.report('bad', hash(1));
    await jest.advanceTimersByTimeAsync(5_001);
    expect(channel.of('stats')[1]).toEqual({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { pd: 9 } });
  });

  it('names at most maxStatsSenders peers per stats message', async () => {
    start();
    await joined();
    for (let i = 0; i < TRACKER_LIMITS.maxStatsSenders + 5; i++) client.received(`p${i}`, 1);
    await jest.advanceTimersByTimeAsync(5_001);
    const [stats] = channel.of('stats');
    expect(Object.keys(stats!.from as object)).toHaveLength(TRACKER_LIMITS.maxStatsSenders);
    expect(parseTrackerClientMessage(JSON.stringify(stats)).ok).toBe(true);
  });

  it('paces messages under the server’s rate: a burst of 300 goes out over seconds, in order', async () => {
    start();
    await joined();
    for (let i = 0; i < 300; i++) void client.want(hash(i));
    await jest.advanceTimersByTimeAsync(0);
    const first = channel.of('want').length;
    expect(first).toBeGreaterThan(90);
    expect(first).toBeLessThanOrEqual(101);
    await jest.advanceTimersByTimeAsync(1_000);
    const second = channel.of('want').length;
    // 40 messages a second after the burst.
    expect(second - first).toBeGreaterThanOrEqual(38);
    expect(second - first).toBeLessThanOrEqual(42);
    expect(channel.of('want').map((m) => m.hash)).toEqual(Array.from({ length: second }, (_, i) => hash(i)));
  });

  it('close stops everything: nothing more is sent, no timers', async () => {
    start();
    await joined();
    client.close();
    client.have([hash(1)]);
    client.connected();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(channel.of('have')).toEqual([]);
    expect(channel.of('join')).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
