/**
 * The tracker client against a scripted WebSocket (fake timers): join, batched and re-announced
 * `have`, shared and cached `want` answers with a bounded wait, reconnects with backoff, manifest
 * pushes, stats and pings, and pacing under the server's rate limit.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { TrackerClient, WANT_TIMEOUT_MS, hashBatches, trackerUrl } from '../../../page-bridge/tracker-client.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';

const hash = (n: number): Sha256Sri => `sha256-${n.toString(36).padStart(43, 'A')}=`;

/** A WebSocket the test drives: it records what the client sends and plays the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.();
  }

  /** Server side: the socket opens. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.();
  }

  /** Server side: a frame (objects are serialized; strings go as they are). */
  reply(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  of(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

let client: TrackerClient;
let manifests: number[];
let upload: number;

function start(region?: string): TrackerClient {
  manifests = [];
  upload = 0;
  client = new TrackerClient(
    { server: 'https://site.example', region },
    {
      site: 'https://site.example',
      onManifest: (v) => manifests.push(v),
      takeUpload: () => {
        const u = upload;
        upload = 0;
        return u;
      },
      WebSocket: FakeSocket as unknown as typeof WebSocket,
    },
  );
  return client;
}

/** Joins on the latest socket and lets the outbox drain. */
async function joined(peerId = 'me'): Promise<FakeSocket> {
  const socket = FakeSocket.all.at(-1)!;
  socket.accept();
  socket.reply({ type: 'joined', peerId });
  await jest.advanceTimersByTimeAsync(0);
  return socket;
}

beforeEach(() => {
  jest.useFakeTimers();
  FakeSocket.all = [];
});

afterEach(() => {
  client.close();
  jest.useRealTimers();
});

describe('TrackerClient', () => {
  it('builds the socket URL from the server and splits hash lists into bounded batches', () => {
    start();
    expect(trackerUrl('https://a.example/cdn')).toBe('wss://a.example/cdn/swarmcdn/tracker');
    expect(trackerUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/swarmcdn/tracker');
    expect(hashBatches(Array.from({ length: 5 }, (_, i) => hash(i)), 2).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(hashBatches([])).toEqual([]);
  });

  it('joins with the peer id, the site and the region, and resolves `joined`', async () => {
    start('eu-west').join('me');
    const socket = FakeSocket.all[0]!;
    expect(socket.url).toBe('wss://site.example/swarmcdn/tracker');
    let isJoined = false;
    void client.joined.then(() => (isJoined = true));
    socket.accept();
    expect(socket.sent).toEqual([{ type: 'join', peerId: 'me', site: 'https://site.example', region: 'eu-west' }]);
    socket.reply({ type: 'joined', peerId: 'me', manifestVersion: 3 });
    await jest.advanceTimersByTimeAsync(0);
    expect(isJoined).toBe(true);
    expect(client.isJoined).toBe(true);
  });

  it('preconnect opens the socket before the id; the join goes out on it, whether the id comes before or after the open', async () => {
    start().preconnect();
    expect(FakeSocket.all).toHaveLength(1);
    const early = FakeSocket.all[0]!;
    early.accept();
    expect(early.sent).toEqual([]);
    client.join('me');
    expect(FakeSocket.all).toHaveLength(1);
    expect(early.sent).toEqual([{ type: 'join', peerId: 'me', site: 'https://site.example' }]);
    client.close();

    start().preconnect();
    const late = FakeSocket.all[1]!;
    client.join('me');
    expect(late.sent).toEqual([]);
    late.accept();
    expect(FakeSocket.all).toHaveLength(2);
    expect(late.sent).toEqual([{ type: 'join', peerId: 'me', site: 'https://site.example' }]);
    // A second preconnect, or one after the id, opens nothing more.
    client.preconnect();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('announces what was held before the join, then new files as they come, in batches of at most 4096', async () => {
    start().join('me');
    client.have([hash(1), hash(2), hash(1)]);
    const socket = await joined();
    expect(socket.of('have')).toEqual([{ type: 'have', hashes: [hash(1), hash(2)] }]);
    client.have(Array.from({ length: 5000 }, (_, i) => hash(100 + i)));
    client.lost([hash(1), hash(999_999)]);
    await jest.advanceTimersByTimeAsync(0);
    expect(socket.of('have').map((m) => (m.hashes as unknown[]).length)).toEqual([2, 4096, 904]);
    expect(socket.of('lost')).toEqual([{ type: 'lost', hashes: [hash(1)] }]);
  });

  it('an announce is on the wire when have() returns (a peer asking right after must find it)', async () => {
    start().join('me');
    const socket = await joined();
    client.have([hash(7)]);
    expect(socket.of('have')).toEqual([{ type: 'have', hashes: [hash(7)] }]);
  });

  it('after a drop it reconnects with backoff, rejoins and announces the held set again', async () => {
    start().join('me');
    const first = await joined();
    client.have([hash(1), hash(2)]);
    client.lost([hash(1)]);
    await jest.advanceTimersByTimeAsync(0);
    first.close();
    expect(client.isJoined).toBe(false);
    expect(FakeSocket.all.length).toBe(1);
    await jest.advanceTimersByTimeAsync(600);
    expect(FakeSocket.all.length).toBe(2);
    const second = await joined();
    expect(second.sent[0]).toMatchObject({ type: 'join', peerId: 'me' });
    expect(second.of('have')).toEqual([{ type: 'have', hashes: [hash(2)] }]);
  });

  it('a socket that never joins is closed and tried again', async () => {
    start().join('me');
    FakeSocket.all[0]!.accept();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    await jest.advanceTimersByTimeAsync(600);
    expect(FakeSocket.all.length).toBe(2);
  });

  it('a new peer id rejoins on a fresh socket', async () => {
    start().join('me');
    await joined();
    client.join('me-again');
    expect(FakeSocket.all.length).toBe(2);
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    FakeSocket.all[1]!.accept();
    expect(FakeSocket.all[1]!.sent[0]).toMatchObject({ type: 'join', peerId: 'me-again' });
  });

  it('concurrent wants for one file share one message and one answer, cached for ~2 s', async () => {
    start().join('me');
    const socket = await joined();
    const a = client.want(hash(1));
    const b = client.want(hash(1));
    await jest.advanceTimersByTimeAsync(0);
    const wants = socket.of('want');
    expect(wants).toEqual([{ type: 'want', hash: hash(1), requestId: 1 }]);
    socket.reply({ type: 'peers', hash: hash(1), peers: ['x', 'y'], holders: 2, requestId: 1 });
    expect(await a).toEqual(['x', 'y']);
    expect(await b).toEqual(['x', 'y']);
    expect(await client.want(hash(1))).toEqual(['x', 'y']);
    expect(socket.of('want').length).toBe(1);
    await jest.advanceTimersByTimeAsync(2_000);
    void client.want(hash(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(socket.of('want').length).toBe(2);
  });

  it('a want unanswered in time, or asked while the socket is down, resolves [] within the bound', async () => {
    start().join('me');
    const socket = await joined();
    const unanswered = client.want(hash(1));
    await jest.advanceTimersByTimeAsync(WANT_TIMEOUT_MS);
    expect(await unanswered).toEqual([]);
    socket.close();
    const whileDown = client.want(hash(2));
    await jest.advanceTimersByTimeAsync(WANT_TIMEOUT_MS);
    expect(await whileDown).toEqual([]);
  });

  it('a drop answers every pending want with [] at once', async () => {
    start().join('me');
    const socket = await joined();
    const pending = client.want(hash(1));
    await jest.advanceTimersByTimeAsync(0);
    socket.close();
    expect(await pending).toEqual([]);
  });

  it('hands manifest pushes on, and ignores frames that do not parse or answer nothing asked', async () => {
    start().join('me');
    const socket = await joined();
    socket.reply({ type: 'manifest', version: 7, etag: '"abc"' });
    socket.reply('not json');
    socket.reply({ type: 'manifest', version: -1, etag: 'x' });
    socket.reply({ type: 'peers', hash: hash(5), peers: ['z'], holders: 1, requestId: 99 });
    socket.reply({ type: 'surprise' });
    expect(manifests).toEqual([7]);
    expect(client.isJoined).toBe(true);
  });

  it('sends summed stats every few seconds (with the page’s upload), nothing when idle, and pings', async () => {
    start().join('me');
    const socket = await joined();
    client.addStats({ peer: 10, cache: 20, origin: 30, upload: 0 });
    client.addStats({ peer: 1, cache: 2, origin: 3, upload: 4 });
    upload = 1000;
    // +1: the send is queued by the 5 s tick and goes out on the next timer turn.
    await jest.advanceTimersByTimeAsync(5_001);
    expect(socket.of('stats')).toEqual([{ type: 'stats', peer: 11, cache: 22, origin: 33, upload: 1004 }]);
    await jest.advanceTimersByTimeAsync(15_000);
    expect(socket.of('stats').length).toBe(1);
    expect(socket.of('ping').length).toBe(1);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(socket.of('ping').length).toBe(2);
  });

  it('paces messages under the server’s rate: a burst of 300 goes out over seconds, in order', async () => {
    start().join('me');
    const socket = await joined();
    for (let i = 0; i < 300; i++) void client.want(hash(i));
    await jest.advanceTimersByTimeAsync(0);
    const first = socket.of('want').length;
    expect(first).toBeGreaterThan(90);
    expect(first).toBeLessThanOrEqual(101);
    await jest.advanceTimersByTimeAsync(1_000);
    const second = socket.of('want').length;
    // 40 messages a second after the burst.
    expect(second - first).toBeGreaterThanOrEqual(38);
    expect(second - first).toBeLessThanOrEqual(42);
    expect(socket.of('want').map((m) => m.hash)).toEqual(Array.from({ length: second }, (_, i) => hash(i)));
  });

  it('close stops everything: no reconnect, no timers', async () => {
    start().join('me');
    await joined();
    client.close();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all.length).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
