/**
 * Peer sessions over a fake in-memory data connection (no WebRTC): both roles end to end, and the
 * client role against a scripted hostile peer — every violation drops the peer with PEER_PROTOCOL,
 * a stall, a cancel and a close each end requests with their code, and the server role paces on
 * the channel buffer and lets concurrent answers take turns. Frames of other types go to the
 * session's extensions (the manifest relay's).
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { PageCounters } from '../../../page-bridge/counters.js';
import { PeerSession, MAX_REQUESTS_PER_PEER, type SessionConnection, type SessionDeps } from '../../../page-bridge/peer-session.js';
import { SEND_HIGH_WATER_BYTES, UploadBudget } from '../../../page-bridge/upload-pacing.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import { encodeManifestVersion } from '../../../protocol/messages/peer-manifest.js';
import { digestToSri, encodeAbsent, encodePiece, encodeRequest, parsePeerFrame, type PeerFrame } from '../../../protocol/messages/peer.js';

const sri = (n: number): Sha256Sri => digestToSri(new Uint8Array(32).fill(n));
const bytesOf = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * seed + 7) & 0xff);

class FakeChannel extends EventTarget {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  constructor(readonly send: (data: Uint8Array) => void) {
    super();
  }
}

/** One end of an in-memory data connection; messages arrive asynchronously and in order, as ArrayBuffers. */
class FakeConn implements SessionConnection {
  open = true;
  remote: FakeConn | undefined;
  /** Like RTCDataChannel.send, it copies what it is given before it returns (FakeConn.send does). */
  readonly channel = new FakeChannel((data) => this.send(data));
  readonly sent: PeerFrame[] = [];
  readonly #listeners: Record<string, ((arg?: unknown) => void)[]> = { data: [], close: [], error: [] };

  constructor(readonly peer: string) {}

  get dataChannel(): RTCDataChannel {
    return this.channel as unknown as RTCDataChannel;
  }

  on(event: 'data' | 'close' | 'error', listener: (arg?: unknown) => void): void {
    this.#listeners[event]!.push(listener);
  }

  send(data: Uint8Array): void {
    if (!this.open) throw new Error('closed');
    const result = parsePeerFrame(data);
    if (result.ok) this.sent.push(result.frame);
    const copy = data.slice().buffer;
    setImmediate(() => this.remote?.deliver(copy));
  }

  /** A message from the other end (or from a test playing a hostile peer). */
  deliver(message: unknown): void {
    if (this.open) for (const listener of this.#listeners.data!) listener(message);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const listener of this.#listeners.close!) listener();
    this.remote?.close();
  }
}

function pair(): [FakeConn, FakeConn] {
  const a = new FakeConn('peer-b');
  const b = new FakeConn('peer-a');
  a.remote = b;
  b.remote = a;
  return [a, b];
}

interface Harness {
  readonly session: PeerSession;
  readonly counters: PageCounters;
  readonly violations: string[];
  closed: boolean;
}

const sessions: PeerSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

function harness(conn: FakeConn, options: Partial<Omit<SessionDeps, 'onViolation' | 'onClose'>> & { held?: Map<Sha256Sri, Uint8Array> } = {}): Harness {
  const counters = options.counters ?? new PageCounters();
  const violations: string[] = [];
  let used = 0;
  const anySlot = { tryAcquire: () => (used < 16 && ++used > 0 ? () => void (used -= 1) : undefined) };
  const h: Harness = {
    counters,
    violations,
    closed: false,
    session: new PeerSession(conn, {
      config: options.config ?? { stallMs: 2_000, upload: true },
      readChunk: options.readChunk ?? (async (chunk) => options.held?.get(chunk)),
      slots: options.slots ?? anySlot,
      budget: options.budget ?? new UploadBudget(undefined, Date.now()),
      counters,
      onViolation: (_s, reason) => violations.push(reason),
      onClose: () => void (h.closed = true),
      extensions: options.extensions,
    }),
  };
  sessions.push(h.session);
  return h;
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('PeerSession: both roles', () => {
  it('a chunk travels from the serving session to the requesting one, counted on the server side', async () => {
    const [connA, connB] = pair();
    const chunk = bytesOf(300_001, 3);
    const a = harness(connA, { held: new Map([[sri(1), chunk]]) });
    const b = harness(connB);
    const result = await b.session.request(sri(1), chunk.length);
    expect(result.ok && Buffer.compare(Buffer.from(result.bytes), Buffer.from(chunk))).toBe(0);
    expect(a.counters.servedChunks).toBe(1);
    expect(a.counters.uploadBytes).toBe(300_001);
    // Three pieces of at most 128 KiB, then nothing else.
    expect(connA.sent.map((f) => f.type)).toEqual(['piece', 'piece', 'piece']);
    expect(a.violations).toEqual([]);
    expect(b.violations).toEqual([]);
    expect(a.session.idle && b.session.idle).toBe(true);
  });

  it('not held → PEER_ABSENT; uploads off → PEER_ABSENT; no upload slot → PEER_BUSY', async () => {
    const [c1, c2] = pair();
    harness(c1);
    expect(await harness(c2).session.request(sri(1), 10)).toEqual({ ok: false, code: 'PEER_ABSENT' });
    const [c3, c4] = pair();
    harness(c3, { config: { stallMs: 2_000, upload: false }, held: new Map([[sri(1), bytesOf(10, 1)]]) });
    expect(await harness(c4).session.request(sri(1), 10)).toEqual({ ok: false, code: 'PEER_ABSENT' });
    const [c5, c6] = pair();
    harness(c5, { slots: { tryAcquire: () => undefined }, held: new Map([[sri(1), bytesOf(10, 1)]]) });
    expect(await harness(c6).session.request(sri(1), 10)).toEqual({ ok: false, code: 'PEER_BUSY' });
  });

  it('a close fails every request in flight with PEER_CLOSED and reports the session closed', async () => {
    const [, connB] = pair();
    const b = harness(connB);
    const pending = [b.session.request(sri(1), 100), b.session.request(sri(2), 100)];
    connB.close();
    expect(await Promise.all(pending)).toEqual([
      { ok: false, code: 'PEER_CLOSED' },
      { ok: false, code: 'PEER_CLOSED' },
    ]);
    expect(b.closed).toBe(true);
    expect(await b.session.request(sri(3), 100)).toEqual({ ok: false, code: 'PEER_CLOSED' });
  });
});

describe('PeerSession: a hostile or broken peer', () => {
  /** B requests from a scripted peer; returns B's harness and the request's promise. */
  function scripted(size = 1000, stallMs = 2_000): { b: Harness; conn: FakeConn; result: ReturnType<PeerSession['request']> } {
    const conn = new FakeConn('hostile');
    const b = harness(conn, { config: { stallMs, upload: true } });
    const result = b.session.request(sri(1), size);
    return { b, conn, result };
  }

  const violations: [string, (conn: FakeConn) => void][] = [
    ['a message that is not a frame', (c) => c.deliver('hello')],
    ['a piece of another chunk length', (c) => c.deliver(encodePiece(1, 0, 1001, new Uint8Array(10)))],
    [
      'an overlapping piece',
      (c) => {
        c.deliver(encodePiece(1, 0, 1000, new Uint8Array(500)));
        c.deliver(encodePiece(1, 499, 1000, new Uint8Array(2)));
      },
    ],
    ['a piece for a request never made', (c) => c.deliver(encodePiece(2, 0, 1000, new Uint8Array(10)))],
    ['an absent for a request never made', (c) => c.deliver(encodeAbsent(7, 'busy'))],
    ['a piece for request 0', (c) => c.deliver(encodePiece(0, 0, 1000, new Uint8Array(10)))],
  ];

  for (const [name, act] of violations) {
    it(`${name} → PEER_PROTOCOL, the peer reported and the connection closed`, async () => {
      const { b, conn, result } = scripted();
      act(conn);
      expect(await result).toEqual({ ok: false, code: 'PEER_PROTOCOL' });
      expect(b.violations.length).toBe(1);
      expect(conn.open).toBe(false);
    });
  }

  it('a piece reaching past the end is refused by the frame parser itself, so it drops the peer too', async () => {
    const { b, conn, result } = scripted();
    const frame = encodePiece(1, 0, 1000, new Uint8Array(10));
    new DataView(frame.buffer).setUint32(5, 995);
    conn.deliver(frame);
    expect(await result).toEqual({ ok: false, code: 'PEER_PROTOCOL' });
    expect(b.violations.length).toBe(1);
  });

  it('a piece for a request already complete → PEER_PROTOCOL (nothing may follow the last piece)', async () => {
    const { b, conn, result } = scripted(10);
    conn.deliver(encodePiece(1, 0, 10, new Uint8Array(10)));
    expect((await result).ok).toBe(true);
    conn.deliver(encodePiece(1, 0, 10, new Uint8Array(10)));
    expect(b.violations).toEqual(['piece for request 1, which is answered']);
    expect(conn.open).toBe(false);
  });

  it('an answer for a request already answered absent → PEER_PROTOCOL', async () => {
    const { b, conn, result } = scripted(10);
    conn.deliver(encodeAbsent(1, 'busy'));
    expect(await result).toEqual({ ok: false, code: 'PEER_BUSY' });
    conn.deliver(encodeAbsent(1, 'busy'));
    expect(b.violations.length).toBe(1);
    expect(conn.open).toBe(false);
  });

  it('absent busy → PEER_BUSY, absent not-held → PEER_ABSENT, without dropping the peer', async () => {
    const { b, conn, result } = scripted();
    conn.deliver(encodeAbsent(1, 'busy'));
    expect(await result).toEqual({ ok: false, code: 'PEER_BUSY' });
    const second = b.session.request(sri(2), 10);
    conn.deliver(encodeAbsent(2, 'not-held'));
    expect(await second).toEqual({ ok: false, code: 'PEER_ABSENT' });
    expect(b.violations).toEqual([]);
  });

  it('silence → PEER_STALLED after stallMs, and the peer is told to cancel; each piece restarts the wait', async () => {
    // Fake timers: on a loaded machine real 50 ms ticks can stretch past the 80 ms stall.
    jest.useFakeTimers();
    try {
      const { conn, result } = scripted(1000, 80);
      let settled = false;
      void result.then(() => (settled = true));
      await jest.advanceTimersByTimeAsync(50);
      conn.deliver(encodePiece(1, 0, 1000, new Uint8Array(10)));
      await jest.advanceTimersByTimeAsync(50);
      // 100 ms since the request, 50 since the piece: not stalled.
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(40);
      expect(settled).toBe(true);
      expect(await result).toEqual({ ok: false, code: 'PEER_STALLED' });
      expect(conn.sent.map((f) => f.type)).toEqual(['request', 'cancel']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a request queued behind others is not stalled while the peer keeps answering them; it is once the channel goes silent', async () => {
    // Fake timers: on a loaded machine real 50 ms ticks can stretch past the 80 ms stall.
    jest.useFakeTimers();
    try {
      const conn = new FakeConn('slow');
      const b = harness(conn, { config: { stallMs: 80, upload: true } });
      const first = b.session.request(sri(1), 1000);
      const second = b.session.request(sri(2), 1000);
      let secondDone = false;
      void second.then(() => (secondDone = true));
      // Request 1 gets a piece every 50 ms for 200 ms: request 2 has none for far longer than stallMs.
      for (let at = 0; at < 4; at++) {
        await jest.advanceTimersByTimeAsync(50);
        conn.deliver(encodePiece(1, at * 250, 1000, new Uint8Array(250)));
      }
      expect((await first).ok).toBe(true);
      expect(secondDone).toBe(false);
      await jest.advanceTimersByTimeAsync(100);
      expect(await second).toEqual({ ok: false, code: 'PEER_STALLED' });
      expect(conn.sent.map((f) => f.type)).toEqual(['request', 'request', 'cancel']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a cancel through the signal → REQUEST_CANCELLED at once, and the peer is told', async () => {
    const conn = new FakeConn('slow');
    const b = harness(conn);
    const controller = new AbortController();
    const result = b.session.request(sri(1), 1000, controller.signal);
    controller.abort();
    expect(await result).toEqual({ ok: false, code: 'REQUEST_CANCELLED' });
    expect(conn.sent.map((f) => f.type)).toEqual(['request', 'cancel']);
  });

  it(`at most ${MAX_REQUESTS_PER_PEER} requests to one peer at once; the next goes when one ends`, async () => {
    const conn = new FakeConn('peer');
    const b = harness(conn);
    const results = Array.from({ length: MAX_REQUESTS_PER_PEER + 1 }, (_, i) => b.session.request(sri(i + 1), 10));
    await tick();
    expect(conn.sent.length).toBe(MAX_REQUESTS_PER_PEER);
    conn.deliver(encodeAbsent(1, 'busy'));
    expect(await results[0]).toEqual({ ok: false, code: 'PEER_BUSY' });
    await tick();
    expect(conn.sent.length).toBe(MAX_REQUESTS_PER_PEER + 1);
    expect(conn.sent.at(-1)).toMatchObject({ type: 'request', requestId: MAX_REQUESTS_PER_PEER + 1 });
  });

  it(`a slot freed for a waiting request and taken meanwhile by a new one leaves the waiter waiting: never ${MAX_REQUESTS_PER_PEER + 1} in flight`, async () => {
    const conn = new FakeConn('peer');
    const b = harness(conn);
    const results = Array.from({ length: MAX_REQUESTS_PER_PEER + 1 }, (_, i) => b.session.request(sri(i + 1), 10));
    await tick();
    expect(conn.sent.length).toBe(MAX_REQUESTS_PER_PEER);
    // One answer ends, which wakes the waiting request; a new request made a moment later (the next
    // microtask: another response's continuation) must not find the slot still free as well.
    let direct: Promise<unknown> | undefined;
    conn.deliver(encodeAbsent(1, 'busy'));
    queueMicrotask(() => (direct = b.session.request(sri(99), 10)));
    await tick();
    const requests = () => conn.sent.filter((f) => f.type === 'request').length;
    expect(requests()).toBe(MAX_REQUESTS_PER_PEER + 1);
    // The next answer lets the other one go.
    conn.deliver(encodeAbsent(2, 'busy'));
    await tick();
    expect(requests()).toBe(MAX_REQUESTS_PER_PEER + 2);
    expect(await results[0]).toEqual({ ok: false, code: 'PEER_BUSY' });
    expect(direct).toBeDefined();
  });

  it('answerEnded wakes one waiter per answer that arrives whole, none on a busy, the rest after their time, all on a close', async () => {
    const conn = new FakeConn('peer');
    const b = harness(conn);
    const first = b.session.request(sri(1), 10);
    const second = b.session.request(sri(2), 10);
    const woke: string[] = [];
    const w1 = b.session.answerEnded(60_000).then(() => woke.push('w1'));
    const w2 = b.session.answerEnded(60_000).then(() => woke.push('w2'));
    await tick();
    conn.deliver(encodeAbsent(2, 'busy'));
    expect(await second).toEqual({ ok: false, code: 'PEER_BUSY' });
    await tick();
    expect(woke).toEqual([]);
    conn.deliver(encodePiece(1, 0, 10, new Uint8Array(10)));
    expect((await first).ok).toBe(true);
    await w1;
    await tick();
    expect(woke).toEqual(['w1']);
    const started = Date.now();
    await b.session.answerEnded(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    b.session.close();
    await w2;
    expect(woke).toEqual(['w1', 'w2']);
    await b.session.answerEnded(60_000);
  });

  it('a requester reusing an id still being served is dropped', async () => {
    const conn = new FakeConn('requester');
    // Never answers the read, so the first request stays in flight.
    const a = harness(conn, { readChunk: () => new Promise(() => undefined) });
    conn.deliver(encodeRequest(5, sri(1)));
    conn.deliver(encodeRequest(5, sri(2)));
    expect(a.violations.length).toBe(1);
    expect(conn.open).toBe(false);
  });

  it('a flood of frames is cut off', () => {
    const conn = new FakeConn('flood');
    const a = harness(conn);
    // Cancels of nothing: each harmless, thousands at once are not.
    for (let i = 0; i < 5_000 && conn.open; i++) conn.deliver(new Uint8Array([4, 0, 0, 0, 0]));
    expect(a.violations.length).toBe(1);
  });
});

describe('PeerSession: the serving role paces and shares the channel', () => {
  it('waits while the channel buffer is over the high-water mark, and goes on at bufferedamountlow', async () => {
    const conn = new FakeConn('requester');
    const a = harness(conn, { held: new Map([[sri(1), bytesOf(262_144, 5)]]) });
    conn.channel.bufferedAmount = SEND_HIGH_WATER_BYTES + 1;
    conn.deliver(encodeRequest(1, sri(1)));
    await tick(20);
    expect(conn.sent.length).toBe(0);
    expect(conn.channel.bufferedAmountLowThreshold).toBe(SEND_HIGH_WATER_BYTES);
    conn.channel.bufferedAmount = 0;
    conn.channel.dispatchEvent(new Event('bufferedamountlow'));
    await tick(20);
    expect(conn.sent.map((f) => f.type)).toEqual(['piece', 'piece']);
    expect(a.counters.servedChunks).toBe(1);
  });

  it('concurrent answers go out in request order, each whole before the next (the first is not held up by the rest)', async () => {
    const conn = new FakeConn('requester');
    harness(conn, { held: new Map([[sri(1), bytesOf(524_288, 1)], [sri(2), bytesOf(524_288, 2)], [sri(3), bytesOf(262_144, 3)]]) });
    conn.deliver(encodeRequest(1, sri(1)));
    conn.deliver(encodeRequest(2, sri(2)));
    conn.deliver(encodeRequest(3, sri(3)));
    await tick(50);
    expect(conn.sent.map((f) => ('requestId' in f ? f.requestId : undefined))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
  });

  it('an earlier request whose answer is queued later still goes first', async () => {
    const conn = new FakeConn('requester');
    harness(conn, { held: new Map([[sri(1), bytesOf(262_144, 1)], [sri(2), bytesOf(262_144, 2)]]) });
    // The channel is full: what is queued meanwhile goes out in order once it drains.
    conn.channel.bufferedAmount = SEND_HIGH_WATER_BYTES + 1;
    conn.deliver(encodeRequest(2, sri(2)));
    await tick(20);
    conn.deliver(encodeRequest(1, sri(1)));
    await tick(20);
    expect(conn.sent.length).toBe(0);
    conn.channel.bufferedAmount = 0;
    conn.channel.dispatchEvent(new Event('bufferedamountlow'));
    await tick(20);
    expect(conn.sent.map((f) => ('requestId' in f ? f.requestId : undefined))).toEqual([1, 1, 2, 2]);
  });

  it('a cancel stops an answer between two pieces; the slot is given back', async () => {
    const conn = new FakeConn('requester');
    let used = 0;
    const slots = { tryAcquire: () => (++used > 0 ? () => void (used -= 1) : undefined) };
    // 64 KiB/s: the second piece of a 256 KiB chunk waits ~1.75 s, time enough to cancel.
    const a = harness(conn, { slots, budget: new UploadBudget(65_536, Date.now()), held: new Map([[sri(1), bytesOf(262_144, 5)]]) });
    conn.deliver(encodeRequest(1, sri(1)));
    await tick(20);
    expect(conn.sent.length).toBe(1);
    conn.deliver(new Uint8Array([4, 0, 0, 0, 1]));
    await tick(20);
    expect(used).toBe(0);
    expect(a.counters.servedChunks).toBe(0);
    expect(a.counters.uploadBytes).toBe(131_072);
    expect(a.session.idle).toBe(true);
  });
});

describe('PeerSession: extensions', () => {
  it('hands frames it does not handle to its extensions, counts their work as busy, and tells them of the close', async () => {
    const seen: string[] = [];
    let busy = false;
    let closed = 0;
    const conn = new FakeConn('peer');
    const h = harness(conn, {
      extensions: [
        (io) => {
          seen.push(`made for ${io.peerId}`);
          return {
            frame: (frame) => (frame.type === 'manifest-version' ? (seen.push(`version ${frame.version}`), true) : false),
            get busy() {
              return busy;
            },
            closed: () => void (closed += 1),
          };
        },
      ],
    });
    conn.deliver(encodeManifestVersion(7));
    expect(seen).toEqual(['made for peer', 'version 7']);
    expect(h.session.idle).toBe(true);
    busy = true;
    expect(h.session.idle).toBe(false);
    h.session.close();
    expect(closed).toBe(1);
    expect(h.violations).toEqual([]);
  });

  it('a frame no extension takes breaks the protocol, as any unknown frame', async () => {
    const conn = new FakeConn('peer');
    const h = harness(conn, { extensions: [] });
    conn.deliver(encodeManifestVersion(7));
    expect(h.violations).toHaveLength(1);
    expect(h.closed).toBe(true);
  });
});
