import { describe, expect, it, jest } from '@jest/globals';
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

/** Files the test manifest lists: H and hash(0..99). */
const MANIFEST = new Map([H, ...Array.from({ length: 100 }, (_, i) => hash(i))].map((f) => [f, f]));

function world(overrides: Partial<SessionOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const store = new MemoryTrackerStore();
  const sessions = new Map<string, TrackerSession>();
  const deps: SessionDeps = {
    // Reports count at once unless a test asks for a minimum age.
    options: { ...DEFAULTS.tracker, reportMinAgeMs: 1, ...overrides },
    store,
    bytes: { peer: 0, cache: 0, origin: 0 },
    manifestVersion: () => 5,
    rng: Math.random,
    now: () => clock.now,
    manifestFiles: () => MANIFEST,
    sessionOf: (id) => sessions.get(id),
  };
  // `owner` is the id the socket proved to signalling; by default the id it joins as.
  const connect = (peerId?: string, key = 'v4:192.0.2', region?: string, owner = peerId ?? 'a') => {
    const socket = new FakeSocket();
    const session = new TrackerSession(socket, key, deps, owner);
    sessions.set(owner, session);
    const send = (message: unknown): void => {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      session.receive(Buffer.byteLength(text), false, () => text);
    };
    if (peerId) send({ type: 'join', peerId, site: SITE, ...(region ? { region } : {}) });
    // Joined a millisecond ago at least, so a reportMinAgeMs of 1 has passed.
    clock.now += 1;
    return { socket, session, send, id: owner };
  };
  /** What TrackerService.paired does when signalling relays an ANSWER between the two. */
  const pair = (a: { session: TrackerSession; id: string }, b: { session: TrackerSession; id: string }): void => {
    a.session.notePartner(b.id, clock.now);
    b.session.notePartner(a.id, clock.now);
  };
  return { clock, store, deps, connect, pair };
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

  it('keeps only files of the current manifest, as the manifest\'s own strings, and ignores what passes the cap', () => {
    const { connect, store } = world({ maxHavePerPeer: 10 });
    const a = connect('a');
    const made = Array.from({ length: 50 }, (_, i) => hash(1000 + i));
    a.send({ type: 'have', hashes: made });
    expect(store.counts()).toEqual({ peers: 1, swarms: 1, contentEntries: 0 });
    // Parsed from the frame, so another string than the manifest's: the store keeps the manifest's own.
    a.send({ type: 'have', hashes: [hash(1), ...made] });
    const kept = [...store.peerHashes(SITE, 'a')];
    expect(kept).toEqual([hash(1)]);
    expect(kept[0]).toBe(MANIFEST.get(hash(1)));
    const twelve = Array.from({ length: 12 }, (_, i) => hash(i));
    a.send({ type: 'have', hashes: twelve });
    a.send({ type: 'have', hashes: twelve });
    expect(a.socket.closed).toBeUndefined();
    expect([...store.peerHashes(SITE, 'a')].length).toBe(10);
    expect(store.holderCount(SITE, hash(11))).toBe(0);
    a.send({ type: 'want', hash: hash(5), requestId: 1 });
    expect(a.socket.last()).toMatchObject({ type: 'peers', peers: [], holders: 1 });
  });

  it('counts a report only from a peer that paired with the accused, once per reporter network, and quarantines in that site only', () => {
    const { connect, store, pair } = world({ quarantineReports: 2 });
    const bad = connect('bad', 'v4:198.51.100');
    const r1 = connect('r1', 'v4:192.0.2');
    const r1b = connect('r1b', 'v4:192.0.2');
    const r2 = connect('r2', 'v4:203.0.113');
    const stranger = connect('stranger', 'v4:203.0.114');
    for (const r of [r1, r1b, r2]) pair(r, bad);
    // Itself, a ghost, and someone never paired with it: nothing.
    r1.send({ type: 'report', peerId: 'r1', hash: H });
    r1.send({ type: 'report', peerId: 'ghost', hash: H });
    stranger.send({ type: 'report', peerId: 'bad', hash: H });
    r1.send({ type: 'report', peerId: 'bad', hash: H });
    r1.send({ type: 'report', peerId: 'bad', hash: H });
    // A second socket of the same network adds no vote.
    r1b.send({ type: 'report', peerId: 'bad', hash: H });
    expect(store.isQuarantined(SITE, 'bad')).toBe(false);
    r2.send({ type: 'report', peerId: 'bad', hash: H });
    expect(store.isQuarantined(SITE, 'bad')).toBe(true);
    expect(store.isQuarantined('https://b.example', 'bad')).toBe(false);
    // A quarantined peer's reports are ignored, and reporting never closes anyone.
    const x = connect('x', 'v4:192.0.9');
    const r3 = connect('r3', 'v4:192.0.10');
    pair(bad, x);
    pair(r3, x);
    bad.send({ type: 'report', peerId: 'x', hash: H });
    r3.send({ type: 'report', peerId: 'x', hash: H });
    expect(store.isQuarantined(SITE, 'x')).toBe(false);
    expect(bad.socket.closed).toBeUndefined();
    // A quarantined holder is never handed out.
    bad.send({ type: 'have', hashes: [H] });
    r1.send({ type: 'want', hash: H });
    expect(r1.socket.last()).toMatchObject({ peers: [], holders: 1 });
  });

  it('lets votes fade: two votes two half-lives apart do not reach a threshold of two', () => {
    const { connect, store, pair, clock } = world({ quarantineReports: 2, reportHalfLifeMs: 60_000 });
    const bad = connect('bad', 'v4:198.51.100');
    const r1 = connect('r1', 'v4:192.0.2');
    const r2 = connect('r2', 'v4:203.0.113');
    pair(r1, bad);
    pair(r2, bad);
    r1.send({ type: 'report', peerId: 'bad', hash: H });
    clock.now += 120_000;
    // ¼ + 1 < 2 − ½.
    r2.send({ type: 'report', peerId: 'bad', hash: H });
    expect(store.isQuarantined(SITE, 'bad')).toBe(false);
    // r1 again: its vote is replaced by a fresh one, 1 + 1.
    r1.send({ type: 'report', peerId: 'bad', hash: H });
    expect(store.isQuarantined(SITE, 'bad')).toBe(true);
  });

  it('holds a young reporter\'s report until it is old enough, and drops one whose reporter left', () => {
    jest.useFakeTimers();
    try {
      const { connect, store, pair, clock } = world({ quarantineReports: 1, reportMinAgeMs: 30_000 });
      const bad = connect('bad', 'v4:198.51.100');
      const young = connect('young', 'v4:192.0.2');
      const gone = connect('gone', 'v4:203.0.113');
      pair(young, bad);
      pair(gone, bad);
      gone.send({ type: 'report', peerId: 'bad', hash: H });
      gone.session.dispose();
      clock.now += 10_000;
      jest.advanceTimersByTime(10_000);
      young.send({ type: 'report', peerId: 'bad', hash: H });
      expect(store.isQuarantined(SITE, 'bad')).toBe(false);
      // `gone` would have been old enough by now; it left, so its word is dropped.
      clock.now += 19_000;
      jest.advanceTimersByTime(19_000);
      expect(store.isQuarantined(SITE, 'bad')).toBe(false);
      clock.now += 1_000;
      jest.advanceTimersByTime(1_000);
      expect(store.isQuarantined(SITE, 'bad')).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts bytes only up to what a page could move since it joined, and ranks by what paired receivers confirm', () => {
    const { connect, deps, clock, pair, store } = world({ statsBytesPerSecond: 1_000_000, creditBytesPerSecond: 1_000_000 });
    const asker = connect('asker', 'v4:192.0.9');
    const liar = connect('liar', 'v4:198.51.100');
    const honest = connect('honest', 'v4:198.51.101');
    const receiver = connect('receiver', 'v4:203.0.113');
    for (const s of [liar, honest]) s.send({ type: 'have', hashes: [H] });
    clock.now += 2_000;
    // Its own word, an old-style `upload`, and a claim from itself: nothing to rank it by.
    liar.send({ type: 'stats', peer: 2 ** 40, cache: 0, origin: 0, upload: 2 ** 40, from: { liar: 2 ** 40 } });
    // ~2 s since the liar joined: about 2 MB of the TiB counts.
    expect(deps.bytes.peer).toBeGreaterThan(1_900_000);
    expect(deps.bytes.peer).toBeLessThanOrEqual(2_010_000);
    // A claim about a peer it never paired with counts for nothing.
    receiver.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { liar: 1_000_000 } });
    expect(store.getPeer(SITE, 'liar')?.uploadScore).toBe(NO_UPLOAD_SCORE);
    pair(receiver, honest);
    receiver.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { honest: 500_000 } });
    expect(store.getPeer(SITE, 'honest')?.uploadScore).toBeGreaterThan(NO_UPLOAD_SCORE);
    for (let i = 0; i < 20; i++) {
      asker.send({ type: 'want', hash: H, requestId: i });
      expect(asker.socket.last()).toMatchObject({ peers: ['honest', 'liar'], holders: 2 });
    }
  });

  it('caps one receiver\'s credit, and a sender\'s credit per receiver network', () => {
    const { connect, clock, pair, store } = world({ creditBytesPerSecond: 1000 });
    const sender = connect('sender', 'v4:198.51.100');
    const other = connect('other', 'v4:198.51.101');
    const sybils = ['s1', 's2', 's3'].map((id) => connect(id, 'v4:192.0.2'));
    const far = connect('far', 'v4:203.0.113');
    for (const s of [...sybils, far]) {
      pair(s, sender);
      pair(s, other);
    }
    clock.now += 20_000;
    const score = (id: string): number => store.getPeer(SITE, id)!.uploadScore;
    // A network new to the sender starts with 10 s of credit: 10 s × 1000 B/s from one network, whatever three sockets of it claim.
    for (const s of sybils) s.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { sender: 1e9 } });
    expect(score('sender')).toBeCloseTo(addUpload(NO_UPLOAD_SCORE, 10_000, clock.now), 6);
    // Another network adds its own share. `far` may vouch for 20 s × 1000 B/s in all (its age):
    // 10,000 to the sender (that network's first share), the other 10,000 to `other`, then nothing.
    far.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { sender: 1e9, other: 1e9 } });
    expect(score('sender')).toBeCloseTo(addUpload(NO_UPLOAD_SCORE, 20_000, clock.now), 6);
    expect(score('other')).toBeCloseTo(addUpload(NO_UPLOAD_SCORE, 10_000, clock.now), 6);
    far.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { sender: 1e9, other: 1e9 } });
    expect(score('sender')).toBeCloseTo(addUpload(NO_UPLOAD_SCORE, 20_000, clock.now), 6);
    expect(score('other')).toBeCloseTo(addUpload(NO_UPLOAD_SCORE, 10_000, clock.now), 6);
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
