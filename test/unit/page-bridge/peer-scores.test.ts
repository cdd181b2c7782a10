/**
 * Peer scores on a fake clock: pace from busy time, RTT from idle asks, the window a pace earns,
 * and where the next request goes (new holders tried, the faster peer preferred, a failed one last).
 */
import { describe, expect, it } from '@jest/globals';
import { CONNECT_COST_MS, FAILURE_COOLDOWN_MS, MAX_WINDOW, MIN_WINDOW, PeerScores, WINDOW_MS } from '../../../page-bridge/peer-scores.js';

const CHUNK = 256 * 1024;

function clocked() {
  const clock = { now: 1_000 };
  return { clock, scores: new PeerScores(() => clock.now) };
}

/** Asks `peerId` for a chunk and answers it `ms` later. */
function serve(s: { clock: { now: number }; scores: PeerScores }, peerId: string, ms: number, bytes = CHUNK): void {
  const ticket = s.scores.reserve(peerId);
  s.scores.started(ticket);
  s.clock.now += ms;
  s.scores.answered(ticket, bytes);
}

describe('PeerScores', () => {
  it('measures pace over busy time only: idle gaps between requests are not slowness', () => {
    const s = clocked();
    serve(s, 'a', 100);
    s.clock.now += 5_000;
    serve(s, 'a', 100);
    expect(s.scores.bytesPerMs('a')).toBeCloseTo(CHUNK / 100, 5);
    // Two requests on the wire at once, answered 100 ms apart: 2 chunks in 200 ms of busy time.
    const t1 = s.scores.reserve('b');
    const t2 = s.scores.reserve('b');
    s.scores.started(t1);
    s.scores.started(t2);
    s.clock.now += 100;
    s.scores.answered(t1, CHUNK);
    s.clock.now += 100;
    s.scores.answered(t2, CHUNK);
    expect(s.scores.bytesPerMs('b')).toBeCloseTo(CHUNK / 100, 5);
    expect(s.scores.bytesPerMs('never-asked')).toBeUndefined();
  });

  it('estimates RTT from a chunk asked of an idle peer, minus its bytes at the peer’s pace', () => {
    const s = clocked();
    serve(s, 'a', 100);
    s.clock.now += 1_000;
    // At 100 ms per chunk, an answer after 130 ms is 30 ms of round trip.
    serve(s, 'a', 130);
    expect(s.scores.view('a', CHUNK)?.rttMs).toBeCloseTo(30, 0);
  });

  it('sizes the window by pace: the minimum until measured, what WINDOW_MS drains plus one, the protocol cap at most', () => {
    const s = clocked();
    expect(s.scores.window('new', CHUNK)).toBe(MIN_WINDOW);
    serve(s, 'slow', 1_000);
    expect(s.scores.window('slow', CHUNK)).toBe(MIN_WINDOW);
    serve(s, 'mid', 50);
    expect(s.scores.window('mid', CHUNK)).toBe(Math.ceil(WINDOW_MS / 50) + 1);
    serve(s, 'fast', 1);
    expect(s.scores.window('fast', CHUNK)).toBe(MAX_WINDOW);
  });

  it('spreads concurrent requests over unmeasured holders, open ones first, the tracker’s order on ties', () => {
    const s = clocked();
    const open = new Set(['b']);
    const chosen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const peer = s.scores.rank(['a', 'b', 'c'], CHUNK, (p) => open.has(p))[0]!;
      s.scores.reserve(peer);
      chosen.push(peer);
    }
    // The open one first; a second request there would wait a whole chunk, a new connection costs less.
    expect(chosen.slice(0, 3)).toEqual(['b', 'a', 'c']);
    expect([...chosen].sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('prefers the faster peer, until its queue would answer later than the slower one', () => {
    const s = clocked();
    serve(s, 'fast', 10);
    serve(s, 'slow', 100);
    const open = (): boolean => true;
    expect(s.scores.rank(['slow', 'fast'], CHUNK, open)[0]).toBe('fast');
    // Queue requests where the ranking says: the fast peer takes most of them, the slow one some.
    const counts: Record<string, number> = { fast: 0, slow: 0 };
    for (let i = 0; i < 12; i++) {
      const peer = s.scores.rank(['slow', 'fast'], CHUNK, open)[0]!;
      s.scores.reserve(peer);
      counts[peer]! += 1;
    }
    expect(counts.fast).toBeGreaterThan(counts.slow!);
    expect(counts.slow).toBeGreaterThanOrEqual(1);
  });

  it('charges a new connection its set-up cost; an unmeasured holder is assumed as fast as the best measured one', () => {
    const s = clocked();
    serve(s, 'a', 10);
    expect(s.scores.expectedMs('new', CHUNK, false)).toBeCloseTo(CONNECT_COST_MS + 10, 5);
    expect(s.scores.expectedMs('new', CHUNK, true)).toBeCloseTo(10, 5);
  });

  it('ranks a peer that failed last for the cooldown, then as before', () => {
    const s = clocked();
    const open = (): boolean => true;
    const ticket = s.scores.reserve('a');
    s.scores.started(ticket);
    s.scores.failed(ticket);
    expect(s.scores.rank(['a', 'b'], CHUNK, open)).toEqual(['b', 'a']);
    s.clock.now += FAILURE_COOLDOWN_MS;
    expect(s.scores.rank(['a', 'b'], CHUNK, open)).toEqual(['a', 'b']);
  });

  it('a cancelled request leaves no mark, and every end releases its reservation once', () => {
    const s = clocked();
    const ticket = s.scores.reserve('a');
    expect(s.scores.view('a', CHUNK)?.outstanding).toBe(1);
    s.scores.cancelled(ticket);
    s.scores.cancelled(ticket);
    s.scores.failed(ticket);
    expect(s.scores.view('a', CHUNK)?.outstanding).toBe(0);
    expect(s.scores.rank(['a', 'b'], CHUNK, () => true)).toEqual(['a', 'b']);
  });
});
