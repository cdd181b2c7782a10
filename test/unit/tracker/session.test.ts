import { describe, expect, it } from '@jest/globals';
import { DEFAULTS } from '../../../server/options.js';
import { MemoryTrackerStore } from '../../../server/store/memory-tracker-store.js';
import { TrackerSession, type SessionDeps, type SessionOptions } from '../../../server/tracker/session.js';
import { TokenBucket } from '../../../server/token-bucket.js';
import { NO_UPLOAD_SCORE, UPLOAD_SCORE_HALF_LIFE_MS, addUpload } from '../../../server/tracker/upload-score.js';

const SITE = 'https://a.example';
const H = `sha256-${'A'.repeat(43)}=`;
const hash = (n: number): string => `sha256-${n.toString(36).padStart(43, 'B')}=`;

class FakeSocket {
  readonly sent: Record<string, unknown>[] = [];
  closed: [number, string] | undefined;
  bufferedAmount = 0;
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code: number, reason: string): void {
    this.closed = [code, reason];
  }
  last(): Record<string, unknown> | undefined {
    return this.sent[this.sent.length - 1];
  }
}

function world(overrides: Partial<SessionOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const store = new MemoryTrackerStore();
  const deps: SessionDeps = {
    options: { ...DEFAULTS.tracker, ...overrides },
    store,
    bytes: { peer: 0, cache: 0, origin: 0 },
    manifestVersion: () => 5,
    rng: Math.random,
    now: () => clock.now,
  };
  // `owner` is the id the socket proved to signalling; by default the id it joins as.
  const connect = (peerId?: string, key = 'v4:192.0.2', region?: string, owner = peerId ?? 'a') => {
    const socket = new FakeSocket();
    const session = new TrackerSession(socket, key, deps, owner);
    const send = (message: unknown): void => {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      session.receive(Buffer.byteLength(text), false, () => text);
    };
    if (peerId) send({ type: 'join', peerId, site: SITE, ...(region ? { region } : {}) });
    return { socket, session, send };
  };
  return { clock, store, deps, connect };
}

describe('TrackerSession', () => {
  it('joins once, answering with the current manifest version; only join and ping before that', () => {
    const { connect } = world();
    const a = connect();
    a.send({ type: 'ping' });
    expect(a.socket.last()).toEqual({ type: 'pong' });
    a.send({ type: 'join', peerId: 'a', site: SITE });
    expect(a.socket.last()).toEqual({ type: 'joined', peerId: 'a', manifestVersion: 5 });
    a.send({ type: 'join', peerId: 'a2', site: SITE });
    expect(a.socket.last()).toMatchObject({ type: 'error', code: 'TRACKER_ALREADY_JOINED' });
    expect(a.socket.closed).toEqual([1008, 'TRACKER_ALREADY_JOINED']);

    const b = connect();
    b.send({ type: 'want', hash: H });
    expect(b.socket.closed).toEqual([1008, 'TRACKER_NOT_JOINED']);
  });

  it('joins as the id its socket proved: a join naming another id is refused, one naming none gets the proven id', () => {
    const { connect } = world();
    const forger = connect(undefined, 'v4:192.0.2', undefined, 'mine');
    forger.send({ type: 'join', peerId: 'victim', site: SITE });
    expect(forger.socket.last()).toMatchObject({ type: 'error', code: 'TRACKER_ID_NOT_OWNED' });
    expect(forger.socket.closed).toEqual([1008, 'TRACKER_ID_NOT_OWNED']);

    const plain = connect(undefined, 'v4:192.0.2', undefined, 'mine');
    plain.send({ type: 'join', site: SITE });
    expect(plain.socket.last()).toEqual({ type: 'joined', peerId: 'mine', manifestVersion: 5 });
  });

  it('refuses an id another live socket holds, and frees it when that socket goes', () => {
    const { connect } = world();
    const a = connect('a');
    const thief = connect('a');
    expect(thief.socket.closed).toEqual([1008, 'TRACKER_ID_TAKEN']);
    a.session.dispose();
    expect(connect('a').socket.last()).toMatchObject({ type: 'joined' });
  });

  it('closes frames that are binary, too large or malformed with their codes, and ignores frames after close', () => {
    const { connect } = world({ maxMessageBytes: 100 });
    const a = connect('a');
    a.session.receive(101, false, () => '{"type":"ping"}');
    expect(a.socket.closed).toEqual([1009, 'TRACKER_FRAME_TOO_LARGE']);
    const sent = a.socket.sent.length;
    a.send({ type: 'ping' });
    expect(a.socket.sent.length).toBe(sent);

    const b = connect('b');
    b.session.receive(4, true, () => 'ping');
    expect(b.socket.closed).toEqual([1008, 'TRACKER_MALFORMED']);
    const c = connect('c');
    c.send('{"type":');
    expect(c.socket.closed).toEqual([1008, 'TRACKER_MALFORMED']);
  });

  it('rate-limits with a token bucket that refills with time', () => {
    const { connect, clock } = world({ ratePerSecond: 10, rateBurst: 3 });
    const a = connect('a');
    a.send({ type: 'ping' });
    a.send({ type: 'ping' });
    expect(a.socket.closed).toBeUndefined();
    clock.now += 100;
    a.send({ type: 'ping' });
    a.send({ type: 'ping' });
    expect(a.socket.closed).toEqual([1008, 'TRACKER_RATE_LIMITED']);

    const bucket = new TokenBucket(1, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.take(999)).toBe(false);
    expect([bucket.take(2000), bucket.take(2000)]).toEqual([true, true]);
    // A clock stepping back mints nothing, then or when it catches up.
    expect([bucket.take(-1_000_000), bucket.take(2000)]).toEqual([false, false]);
  });

  it('caps the hashes a peer holds, counting re-announced ones once, and forgets a peer that crosses it', () => {
    const { connect, store } = world({ maxHavePerPeer: 10 });
    const a = connect('a');
    const ten = Array.from({ length: 10 }, (_, i) => hash(i));
    a.send({ type: 'have', hashes: ten });
    a.send({ type: 'have', hashes: ten });
    expect(a.socket.closed).toBeUndefined();
    a.send({ type: 'have', hashes: [hash(10)] });
    expect(a.socket.closed).toEqual([1008, 'TRACKER_TOO_MANY_HASHES']);
    expect(store.getPeer(SITE, 'a')).toBeUndefined();
    expect(store.counts()).toEqual({ peers: 0, swarms: 0, contentEntries: 0 });
  });

  it('counts a report only from a distinct, unquarantined peer about a peer of its own swarm', () => {
    const { connect, store } = world({ quarantineReports: 2 });
    const bad = connect('bad');
    const r1 = connect('r1');
    r1.send({ type: 'report', peerId: 'r1', hash: H });
    r1.send({ type: 'report', peerId: 'ghost', hash: H });
    r1.send({ type: 'report', peerId: 'bad', hash: H });
    r1.send({ type: 'report', peerId: 'bad', hash: H });
    expect(store.isQuarantined('bad')).toBe(false);
    expect(store.isQuarantined('r1')).toBe(false);
    connect('r2').send({ type: 'report', peerId: 'bad', hash: H });
    expect(store.isQuarantined('bad')).toBe(true);
    // A quarantined peer's reports are ignored, and reporting never closes anyone.
    for (const id of ['x1', 'x2']) connect(id);
    bad.send({ type: 'report', peerId: 'x1', hash: H });
    connect('r3').send({ type: 'report', peerId: 'x1', hash: H });
    expect(store.isQuarantined('x1')).toBe(false);
    expect(bad.socket.closed).toBeUndefined();
  });

  it('adds stats to the byte counters and ranks uploaders first', () => {
    const { connect, deps, clock } = world();
    const asker = connect('asker');
    const idle = connect('idle');
    const uploader = connect('uploader');
    for (const s of [idle, uploader]) s.send({ type: 'have', hashes: [H] });
    uploader.send({ type: 'stats', peer: 10, cache: 20, origin: 30, upload: 1000 });
    idle.send({ type: 'stats', peer: 1, cache: 2, origin: 3 });
    expect(deps.bytes).toEqual({ peer: 11, cache: 22, origin: 33 });
    clock.now += 1000;
    asker.send({ type: 'want', hash: H, requestId: 9 });
    expect(asker.socket.last()).toEqual({ type: 'peers', hash: H, peers: ['uploader', 'idle'], holders: 2, requestId: 9 });
  });

  it('closes a client whose unread backlog passes the cap', () => {
    const { connect } = world();
    const a = connect('a');
    a.socket.bufferedAmount = 2 * 1024 * 1024;
    a.send({ type: 'ping' });
    expect(a.socket.closed).toEqual([1013, 'TRACKER_SLOW_CLIENT']);
  });
});

describe('upload score', () => {
  it('adds in the log domain and decays with the half-life without any update', () => {
    const t = 1_700_000_000_000;
    const a = addUpload(NO_UPLOAD_SCORE, 1000, t);
    expect(addUpload(a, 0, t)).toBe(a);
    expect(addUpload(a, 1000, t)).toBeCloseTo(a + 1, 9);
    // 1000 bytes now beat 1900 bytes one half-life ago, and lose to 2100.
    expect(addUpload(NO_UPLOAD_SCORE, 1900, t - UPLOAD_SCORE_HALF_LIFE_MS)).toBeLessThan(a);
    expect(addUpload(NO_UPLOAD_SCORE, 2100, t - UPLOAD_SCORE_HALF_LIFE_MS)).toBeGreaterThan(a);
    // Decades of uptime stay finite.
    expect(Number.isFinite(addUpload(addUpload(NO_UPLOAD_SCORE, 1e12, t * 20), 1, t * 20))).toBe(true);
    expect(a).toBeGreaterThan(NO_UPLOAD_SCORE);
  });
});
