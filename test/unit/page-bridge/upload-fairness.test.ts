/**
 * What one remote peer can make a page spend, over fake in-memory connections:
 * - as requester, we tolerate after a cancel only what was left of the chunk, for LATE_GRACE_MS,
 *   and nothing after a complete chunk or an `absent` (LateAnswers, and PeerSession using it);
 * - as server, a requester with more than MAX_REQUESTS_IN_FLIGHT unanswered requests is dropped;
 *   a channel that does not drain gives its answers' slots back (absent busy) and is answered busy
 *   until it drains; a second peer takes slots back from one holding them all.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { PageCounters } from '../../../page-bridge/counters.js';
import { LATE_GRACE_MS, LateAnswers, MAX_LATE_REQUESTS } from '../../../page-bridge/late-answers.js';
import { PeerSession, type SessionConnection } from '../../../page-bridge/peer-session.js';
import { SEND_HIGH_WATER_BYTES, UploadBudget } from '../../../page-bridge/upload-pacing.js';
import { FairUploadSlots } from '../../../page-bridge/upload-slots.js';
import type { UploadSlots } from '../../../page-bridge/chunk-server.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import { MAX_REQUESTS_IN_FLIGHT, digestToSri, encodeAbsent, encodeCancel, encodePiece, encodeRequest, parsePeerFrame, type PeerFrame } from '../../../protocol/messages/peer.js';

const sri = (n: number): Sha256Sri => digestToSri(new Uint8Array(32).fill(n));
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A connection whose other end is the test: frames we send are recorded, frames it delivers arrive at once. */
class ScriptedConn extends EventTarget implements SessionConnection {
  open = true;
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readonly sent: PeerFrame[] = [];
  readonly #listeners: Record<string, ((arg?: unknown) => void)[]> = { data: [], close: [], error: [] };

  constructor(readonly peer: string) {
    super();
  }

  get dataChannel(): RTCDataChannel {
    return this as unknown as RTCDataChannel;
  }

  on(event: 'data' | 'close' | 'error', listener: (arg?: unknown) => void): void {
    this.#listeners[event]!.push(listener);
  }

  send(data: Uint8Array): void {
    if (!this.open) throw new Error('closed');
    const parsed = parsePeerFrame(data.slice());
    if (parsed.ok) this.sent.push(parsed.frame);
  }

  deliver(frame: Uint8Array): void {
    if (this.open) for (const l of this.#listeners.data!) l(frame.slice().buffer);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const l of this.#listeners.close!) l();
  }

  types(): string[] {
    return this.sent.map((f) => (f.type === 'absent' ? `absent-${f.reason}` : f.type));
  }
}

const sessions: PeerSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

function session(
  conn: ScriptedConn,
  options: { slots?: UploadSlots; readChunk?: (c: Sha256Sri) => Promise<Uint8Array | undefined>; uploadStallMs?: number; stallMs?: number } = {},
): { session: PeerSession; violations: string[] } {
  const violations: string[] = [];
  const s = new PeerSession(conn, {
    config: { stallMs: options.stallMs ?? 2_000, upload: true },
    readChunk: options.readChunk ?? (async () => new Uint8Array(262_144).fill(7)),
    slots: options.slots ?? new FairUploadSlots(16).forPeer(conn.peer),
    budget: new UploadBudget(undefined, Date.now()),
    counters: new PageCounters(),
    onViolation: (_s, reason) => violations.push(reason),
    onClose: () => undefined,
    ...(options.uploadStallMs === undefined ? {} : { uploadStallMs: options.uploadStallMs }),
  });
  sessions.push(s);
  return { session: s, violations };
}

describe('LateAnswers', () => {
  it('after an abandon, tolerates what was left of the chunk within the grace, and one absent', () => {
    const late = new LateAnswers();
    late.abandoned(3, 1000, 400, 0);
    expect(late.piece(3, 1000, 300, 10)).toBeUndefined();
    expect(late.piece(3, 1000, 301, 20)).toMatch(/beyond what was left/);
    expect(late.piece(3, 1000, 300, 20)).toBeUndefined();
    // All 600 bytes came: nothing more may.
    expect(late.piece(3, 1000, 1, 30)).toMatch(/answered/);
    late.abandoned(4, 1000, 0, 0);
    expect(late.absent(4, 10)).toBeUndefined();
    expect(late.absent(4, 10)).toMatch(/answered/);
    expect(late.piece(4, 1000, 1, 10)).toMatch(/answered/);
  });

  it('refuses a piece of another length, anything after the grace, and forgets the oldest beyond its cap', () => {
    const late = new LateAnswers();
    late.abandoned(1, 1000, 0, 0);
    expect(late.piece(1, 999, 10, 1)).toMatch(/beyond/);
    late.abandoned(2, 1000, 0, 0);
    expect(late.piece(2, 1000, 10, LATE_GRACE_MS)).toMatch(/answered/);
    for (let id = 10; id < 10 + MAX_LATE_REQUESTS + 1; id++) late.abandoned(id, 100, 0, 5);
    expect(late.piece(10, 100, 1, 6)).toMatch(/answered/);
    expect(late.piece(11, 100, 1, 6)).toBeUndefined();
  });
});

describe('PeerSession as requester: answers for requests it no longer waits for', () => {
  it('pieces already on their way after a cancel are taken; more than the chunk had left drops the peer', async () => {
    const conn = new ScriptedConn('server');
    const { session: s, violations } = session(conn);
    const controller = new AbortController();
    const result = s.request(sri(1), 1000, controller.signal);
    conn.deliver(encodePiece(1, 0, 1000, new Uint8Array(400)));
    controller.abort();
    expect(await result).toEqual({ ok: false, code: 'REQUEST_CANCELLED' });
    conn.deliver(encodePiece(1, 400, 1000, new Uint8Array(600)));
    expect(violations).toEqual([]);
    conn.deliver(encodePiece(1, 400, 1000, new Uint8Array(600)));
    expect(violations.length).toBe(1);
    expect(conn.open).toBe(false);
  });

  it('a stalled request may still be answered absent once, but the peer cannot keep sending for it', async () => {
    const conn = new ScriptedConn('server');
    const { session: s, violations } = session(conn, { stallMs: 50 });
    expect(await s.request(sri(1), 1000)).toEqual({ ok: false, code: 'PEER_STALLED' });
    conn.deliver(encodeAbsent(1, 'busy'));
    expect(violations).toEqual([]);
    conn.deliver(encodePiece(1, 0, 1000, new Uint8Array(10)));
    expect(violations.length).toBe(1);
  });
});

describe('PeerSession as server: what one requester may hold', () => {
  it(`more than ${MAX_REQUESTS_IN_FLIGHT} requests unanswered is a violation; a cancel frees its place at once`, async () => {
    const conn = new ScriptedConn('requester');
    // Reads never finish: every answer stays in progress.
    const { violations } = session(conn, { readChunk: () => new Promise(() => undefined) });
    for (let id = 1; id <= MAX_REQUESTS_IN_FLIGHT; id++) conn.deliver(encodeRequest(id, sri(id)));
    conn.deliver(encodeCancel(3));
    conn.deliver(encodeRequest(100, sri(1)));
    expect(violations).toEqual([]);
    conn.deliver(encodeRequest(101, sri(1)));
    expect(violations).toEqual([`more than ${MAX_REQUESTS_IN_FLIGHT} requests unanswered`]);
    expect(conn.open).toBe(false);
  });

  it('requests past the slots are answered busy, not counted against the requester', async () => {
    const conn = new ScriptedConn('requester');
    const slots = new FairUploadSlots(2);
    const { violations } = session(conn, { slots: slots.forPeer('requester'), readChunk: () => new Promise(() => undefined) });
    for (let id = 1; id <= 40; id++) {
      conn.deliver(encodeRequest(id, sri(1)));
      // Each busy answer is an answer: the requester may ask again.
      if (id > 2) expect(conn.sent.at(-1)).toEqual({ type: 'absent', requestId: id, reason: 'busy' });
    }
    expect(violations).toEqual([]);
  });

  it('a channel that does not drain gives its slots back with absent busy, and is answered busy until it drains', async () => {
    const conn = new ScriptedConn('requester');
    const slots = new FairUploadSlots(16);
    session(conn, { slots: slots.forPeer('requester'), uploadStallMs: 150 });
    conn.bufferedAmount = SEND_HIGH_WATER_BYTES + 1;
    for (let id = 1; id <= 4; id++) conn.deliver(encodeRequest(id, sri(id)));
    await tick(20);
    expect(slots.inUse).toBe(4);
    expect(conn.sent).toEqual([]);
    await tick(250);
    expect(slots.inUse).toBe(0);
    expect(conn.types()).toEqual(Array(4).fill('absent-busy'));
    conn.deliver(encodeRequest(5, sri(5)));
    expect(conn.sent.at(-1)).toEqual({ type: 'absent', requestId: 5, reason: 'busy' });
    expect(slots.inUse).toBe(0);
    // Drained: served again.
    conn.bufferedAmount = 0;
    conn.deliver(encodeRequest(6, sri(6)));
    await tick(20);
    expect(conn.types().slice(5)).toEqual(['piece', 'piece']);
  });

  it('a second peer asking takes slots back from the one holding them all; the revoked answers end with absent busy', async () => {
    const slots = new FairUploadSlots(16);
    const never = (): Promise<undefined> => new Promise(() => undefined);
    const hog = new ScriptedConn('hog');
    session(hog, { slots: slots.forPeer('hog'), readChunk: never });
    for (let id = 1; id <= 16; id++) hog.deliver(encodeRequest(id, sri(id)));
    expect(slots.held('hog')).toBe(16);

    const other = new ScriptedConn('other');
    session(other, { slots: slots.forPeer('other') });
    for (let id = 1; id <= 3; id++) other.deliver(encodeRequest(id, sri(id)));
    await tick(20);
    expect(slots.held('hog')).toBe(13);
    expect(other.types()).toEqual(Array(6).fill('piece'));
    // The hog's three newest answers were revoked and it was told.
    expect(hog.sent).toEqual([16, 15, 14].map((requestId) => ({ type: 'absent', requestId, reason: 'busy' })));
    expect(other.sent.some((f) => f.type === 'absent')).toBe(false);
  });
});
