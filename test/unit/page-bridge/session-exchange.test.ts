/**
 * Peer exchange on a session (page-bridge/session-exchange.ts through PeerSession), over an
 * in-memory connection: the accepting side of a capable offerer asks at once and the offerer
 * answers with what the pool vouches for; neither side sends exchange frames to a peer that did
 * not say it speaks them; an answer nobody asked for, a second answer, a flood of questions, or an
 * exchange frame to a session without exchange drops the sender; a whole chunk served or received
 * is reported to the pool.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { PageCounters } from '../../../page-bridge/counters.js';
import { PeerSession, type SessionConnection } from '../../../page-bridge/peer-session.js';
import type { ExchangeHooks } from '../../../page-bridge/session-exchange.js';
import { UploadBudget } from '../../../page-bridge/upload-pacing.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import { digestToSri, encodeAskPeers, encodePeers, parsePeerFrame, type PeerFrame } from '../../../protocol/messages/peer.js';

const sri = (n: number): Sha256Sri => digestToSri(new Uint8Array(32).fill(n));

class FakeChannel extends EventTarget {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  constructor(readonly send: (data: Uint8Array) => void) {
    super();
  }
}

/** One end of an in-memory connection: what it sends arrives at the other end, in order, a tick later. */
class FakeConn implements SessionConnection {
  open = true;
  remote: FakeConn | undefined;
  readonly sent: PeerFrame[] = [];
  readonly channel = new FakeChannel((data) => this.send(data));
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
    const parsed = parsePeerFrame(data);
    if (parsed.ok) this.sent.push(parsed.frame);
    const copy = data.slice().buffer;
    setImmediate(() => this.remote?.deliver(copy));
  }

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

interface Side {
  readonly session: PeerSession;
  readonly violations: string[];
  readonly learned: [string, readonly string[]][];
  readonly served: string[];
  readonly received: [string, Sha256Sri, number][];
}

const sessions: PeerSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

/** A session on `conn`; `hooks: false` makes one without exchange. */
function side(conn: FakeConn, hooks: Partial<ExchangeHooks> | false, held = new Map<Sha256Sri, Uint8Array>()): Side {
  const learned: Side['learned'] = [];
  const served: string[] = [];
  const received: Side['received'] = [];
  const violations: string[] = [];
  const exchange: ExchangeHooks | undefined =
    hooks === false
      ? undefined
      : {
          capable: false,
          askAtOpen: false,
          hintsFor: () => [],
          learned: (peerId, peers) => void learned.push([peerId, peers]),
          served: (peerId) => void served.push(peerId),
          received: (peerId, chunk, bytes) => void received.push([peerId, chunk, bytes.byteLength]),
          ...hooks,
        };
  let used = 0;
  const session = new PeerSession(conn, {
    config: { stallMs: 2_000, upload: true },
    readChunk: async (chunk) => held.get(chunk),
    slots: { tryAcquire: () => (used < 16 && ++used > 0 ? () => void (used -= 1) : undefined) },
    budget: new UploadBudget(undefined, Date.now()),
    counters: new PageCounters(),
    onViolation: (_s, reason) => void violations.push(reason),
    onClose: () => undefined,
    ...(exchange ? { exchange } : {}),
  });
  sessions.push(session);
  return { session, violations, learned, served, received };
}

/** An offerer (`o`, peer id "offerer") and the side that accepted (`a`, "acceptor"), connected. */
function pair(): [FakeConn, FakeConn] {
  const toAcceptor = new FakeConn('acceptor');
  const toOfferer = new FakeConn('offerer');
  toAcceptor.remote = toOfferer;
  toOfferer.remote = toAcceptor;
  return [toAcceptor, toOfferer];
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `done()`, at most 2 s: frames hop by setImmediate, and on a loaded machine a
 * blocked event loop runs its due timers first, so a fixed few milliseconds are not a round trip.
 */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done() && Date.now() < deadline) await tick(1);
}

describe('peer exchange between two sessions', () => {
  it('the acceptor of a capable offerer asks at once; the offerer answers with its hints, then may ask too', async () => {
    const [toAcceptor, toOfferer] = pair();
    const offerer = side(toAcceptor, { hintsFor: (asker) => (asker === 'acceptor' ? ['p1', 'p2', 'acceptor', 'p1'] : []) });
    const acceptor = side(toOfferer, { capable: true, askAtOpen: true, hintsFor: () => ['q1'] });
    expect(acceptor.session.exchanges).toBe(true);
    expect(offerer.session.exchanges).toBe(false);
    await until(() => acceptor.learned.length > 0);
    // The asker itself and the repeat are left out of the answer.
    expect(acceptor.learned).toEqual([['offerer', ['p1', 'p2']]]);
    expect(offerer.session.exchanges).toBe(true);
    expect(offerer.session.askPeers()).toBe(true);
    // One question at a time.
    expect(offerer.session.askPeers()).toBe(false);
    await until(() => offerer.learned.length > 0);
    expect(offerer.learned).toEqual([['acceptor', ['q1']]]);
    expect(offerer.session.askPeers()).toBe(true);
    expect([offerer.violations, acceptor.violations]).toEqual([[], []]);
  });

  it('no exchange frame goes to a peer that did not say it speaks it', async () => {
    const [toAcceptor, toOfferer] = pair();
    const offerer = side(toAcceptor, {});
    const acceptor = side(toOfferer, { capable: false, askAtOpen: true });
    await tick(5);
    expect(offerer.session.askPeers()).toBe(false);
    expect(acceptor.session.askPeers()).toBe(false);
    await tick(5);
    expect([...toAcceptor.sent, ...toOfferer.sent]).toEqual([]);
  });

  it('a whole chunk served is reported on the serving side, and received (with its expected hash) on the asking side', async () => {
    const [toAcceptor, toOfferer] = pair();
    const chunk = new Uint8Array(300_000).fill(7);
    const offerer = side(toAcceptor, {});
    const acceptor = side(toOfferer, {}, new Map([[sri(1), chunk]]));
    const result = await offerer.session.request(sri(1), chunk.length);
    expect(result.ok).toBe(true);
    expect(acceptor.served).toEqual(['offerer']);
    expect(offerer.received).toEqual([['acceptor', sri(1), 300_000]]);
  });
});

describe('peer exchange: a hostile or older peer', () => {
  it('an answer nobody asked for, or to another question, drops the sender', async () => {
    const unsolicited = new FakeConn('hostile');
    const a = side(unsolicited, { capable: true });
    unsolicited.deliver(encodePeers(1, ['x']));
    expect(a.violations).toHaveLength(1);

    const wrongId = new FakeConn('hostile');
    const b = side(wrongId, { capable: true });
    expect(b.session.askPeers()).toBe(true);
    wrongId.deliver(encodePeers(2, ['x']));
    expect(b.violations).toHaveLength(1);
    expect(b.learned).toEqual([]);
  });

  it('a second answer to one question drops the sender; the first counts', async () => {
    const conn = new FakeConn('hostile');
    const a = side(conn, { capable: true });
    expect(a.session.askPeers()).toBe(true);
    conn.deliver(encodePeers(1, ['x']));
    conn.deliver(encodePeers(1, ['y']));
    expect(a.learned).toEqual([['hostile', ['x']]]);
    expect(a.violations).toHaveLength(1);
  });

  it('questions past the budget (4 at once, then one per 5 s) drop the asker; the first four are answered', async () => {
    const conn = new FakeConn('hostile');
    const a = side(conn, { hintsFor: () => ['p1'] });
    for (let id = 1; id <= 5; id++) conn.deliver(encodeAskPeers(id));
    expect(conn.sent.filter((f) => f.type === 'peers')).toHaveLength(4);
    expect(a.violations).toHaveLength(1);
  });

  it('a session without exchange treats its frames as any unknown frame: the sender is dropped', () => {
    const ask = new FakeConn('older');
    const a = side(ask, false);
    ask.deliver(encodeAskPeers(1));
    expect(a.violations).toHaveLength(1);
    expect(a.session.exchanges).toBe(false);
    expect(a.session.askPeers()).toBe(false);
    const answer = new FakeConn('older');
    const b = side(answer, false);
    answer.deliver(encodePeers(1, []));
    expect(b.violations).toHaveLength(1);
  });

  it('a malformed peers frame drops the sender and teaches nothing', () => {
    const conn = new FakeConn('hostile');
    const a = side(conn, { capable: true });
    expect(a.session.askPeers()).toBe(true);
    const frame = encodePeers(1, ['ab']);
    frame[5] = 2; // says two ids, holds one
    conn.deliver(frame);
    expect(a.violations).toHaveLength(1);
    expect(a.learned).toEqual([]);
  });
});
