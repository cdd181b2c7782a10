/**
 * The signal guard in front of peerjs: which OFFERs reach peerjs and which are declined (and told),
 * an OFFER flood from one sender, candidates held for connections not yet offered (bounded per
 * connection and in all, oldest dropped, handed over with their OFFER), and frames peerjs would
 * only store or misuse.
 */
import { describe, expect, it } from '@jest/globals';
import {
  MAX_DECLINED,
  MAX_HELD_PER_CONNECTION,
  MAX_HELD_TOTAL,
  OFFER_BURST,
  OFFER_REFILL_MS,
  REPLIES_PER_SECOND,
  REPLY_BURST,
  SignalGuard,
  type SignalPoolView,
  type SignalVerdict,
} from '../../../page-bridge/signal-guard.js';
import { PEER_PROTOCOL_LABEL } from '../../../protocol/messages/peer.js';

const T0 = 1_000_000;

function view(overrides: Partial<SignalPoolView> & { known?: string[] } = {}): SignalPoolView {
  const known = new Set(overrides.known ?? []);
  return {
    knows: overrides.knows ?? ((peer, id) => known.has(`${peer}/${id}`)),
    isDropped: overrides.isDropped ?? (() => false),
    canAccept: overrides.canAccept ?? (() => true),
  };
}

const offer = (src: string, connectionId: string, extra: Record<string, unknown> = {}): object => ({
  type: 'OFFER',
  src,
  dst: 'me',
  payload: { type: 'data', connectionId, label: PEER_PROTOCOL_LABEL, serialization: 'raw', reliable: true, sdp: { type: 'offer', sdp: 'v=0' }, ...extra },
});
const candidate = (src: string, connectionId: string, n = 0, extra: Record<string, unknown> = {}): object => ({
  type: 'CANDIDATE',
  src,
  dst: 'me',
  payload: { type: 'data', connectionId, candidate: { candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 }, ...extra },
});
const answer = (src: string, connectionId: string): object => ({ type: 'ANSWER', src, dst: 'me', payload: { type: 'data', connectionId, sdp: { type: 'answer', sdp: 'v=0' } } });

const action = (v: SignalVerdict): string => v.action;

describe('SignalGuard: OFFERs', () => {
  it('passes an offer of our protocol with room, from a peer not dropped', () => {
    expect(new SignalGuard(T0).inspect(offer('alice', 'dc_1'), view(), T0)).toEqual({ action: 'pass' });
  });

  const declines: [string, object, Partial<SignalPoolView>, string][] = [
    ['another label', offer('alice', 'dc_1', { label: 'chat' }), {}, 'another protocol'],
    ['another serialization', offer('alice', 'dc_1', { serialization: 'binary' }), {}, 'another protocol'],
    ['a media call', offer('alice', 'mc_1', { type: 'media' }), {}, 'not a data connection'],
    ['a dropped peer', offer('alice', 'dc_1'), { isDropped: (p) => p === 'alice' }, 'a dropped peer'],
    ['no room in the pool', offer('alice', 'dc_1'), { canAccept: () => false }, 'no room for another connection'],
  ];
  for (const [name, frame, pool, reason] of declines) {
    it(`declines ${name} before peerjs sees it, and says to tell the offerer`, () => {
      expect(new SignalGuard(T0).inspect(frame, view(pool), T0)).toEqual({ action: 'decline', reason, peerId: 'alice', reply: true });
    });
  }

  it('drops a malformed offer without a reply (no id to answer, or a payload peerjs would crash on)', () => {
    const guard = new SignalGuard(T0);
    const bad = [
      { type: 'OFFER', payload: { type: 'data', connectionId: 'dc_1' } },
      { type: 'OFFER', src: 'has"quote', payload: { type: 'data', connectionId: 'dc_1' } },
      { type: 'OFFER', src: 'alice' },
      { type: 'OFFER', src: 'alice', payload: { type: 'data' } },
      { type: 'OFFER', src: 'alice', payload: { type: 'data', connectionId: 'x'.repeat(65) } },
      { type: 'OFFER', src: 'alice', payload: { type: 'data', connectionId: 'dc 1' } },
    ];
    for (const frame of bad) expect(action(guard.inspect(frame, view(), T0))).toBe('drop');
  });

  it('drops an offer for a connection peerjs already has (it would tear that one down)', () => {
    expect(new SignalGuard(T0).inspect(offer('alice', 'dc_1'), view({ known: ['alice/dc_1'] }), T0)).toMatchObject({ action: 'drop' });
  });

  it(`lets ${OFFER_BURST} offers from one sender through, then one per ${OFFER_REFILL_MS} ms; the flood is dropped unanswered`, () => {
    const guard = new SignalGuard(T0);
    const verdicts = Array.from({ length: 50 }, (_, i) => guard.inspect(offer('mallory', `dc_${i}`), view(), T0));
    expect(verdicts.filter((v) => v.action === 'pass').length).toBe(OFFER_BURST);
    expect(verdicts.slice(OFFER_BURST).every((v) => v.action === 'drop')).toBe(true);
    // Another sender has a budget of its own.
    expect(action(guard.inspect(offer('alice', 'dc_a'), view(), T0))).toBe('pass');
    expect(action(guard.inspect(offer('mallory', 'dc_x'), view(), T0 + OFFER_REFILL_MS - 1))).toBe('drop');
    expect(action(guard.inspect(offer('mallory', 'dc_y'), view(), T0 + OFFER_REFILL_MS))).toBe('pass');
    expect(action(guard.inspect(offer('mallory', 'dc_z'), view(), T0 + OFFER_REFILL_MS))).toBe('drop');
  });

  it('declined offers cost the budget too: a sender of the wrong protocol cannot make us build or answer without end', () => {
    const guard = new SignalGuard(T0);
    const verdicts = Array.from({ length: 20 }, (_, i) => guard.inspect(offer('mallory', `dc_${i}`, { label: 'chat' }), view(), T0));
    expect(verdicts.filter((v) => v.action === 'decline').length).toBe(OFFER_BURST);
    expect(action(guard.inspect(offer('mallory', 'dc_ok'), view(), T0))).toBe('drop');
  });

  it(`replies to at most ${REPLY_BURST} declines at once, then ${REPLIES_PER_SECOND} a second, whoever the offerers are`, () => {
    const guard = new SignalGuard(T0);
    const replies = (at: number, count: number, prefix: string): number =>
      Array.from({ length: count }, (_, i) => guard.inspect(offer(`${prefix}${i}`, 'dc_1'), view({ canAccept: () => false }), at)).filter(
        (v) => v.action === 'decline' && v.reply,
      ).length;
    expect(replies(T0, 30, 'a')).toBe(REPLY_BURST);
    expect(replies(T0 + 1_000, 30, 'b')).toBe(REPLIES_PER_SECOND);
  });
});

describe('SignalGuard: ANSWERs, CANDIDATEs and the rest', () => {
  it('passes frames for a connection peerjs knows, and what the server itself sends', () => {
    const guard = new SignalGuard(T0);
    const pool = view({ known: ['alice/dc_1'] });
    expect(action(guard.inspect(answer('alice', 'dc_1'), pool, T0))).toBe('pass');
    expect(action(guard.inspect(candidate('alice', 'dc_1'), pool, T0))).toBe('pass');
    for (const type of ['OPEN', 'ERROR', 'ID-TAKEN', 'INVALID-KEY', 'HEARTBEAT', 'LEAVE', 'EXPIRE']) {
      expect(action(guard.inspect({ type, src: 'alice', payload: { msg: 'x' } }, pool, T0))).toBe('pass');
    }
  });

  it('drops an answer for no connection of ours, unknown types and anything that is not a frame', () => {
    const guard = new SignalGuard(T0);
    expect(action(guard.inspect(answer('alice', 'dc_9'), view(), T0))).toBe('drop');
    expect(action(guard.inspect({ type: 'CALL', src: 'alice', payload: { connectionId: 'dc_1' } }, view(), T0))).toBe('drop');
    for (const frame of [null, 7, 'OFFER', [], { payload: {} }]) expect(action(guard.inspect(frame, view(), T0))).toBe('drop');
    expect(guard.heldCount).toBe(0);
  });

  it('holds a candidate for a connection not offered yet and hands it over with the offer, copied field by field', () => {
    const guard = new SignalGuard(T0);
    expect(action(guard.inspect(candidate('alice', 'dc_1', 1, { junk: 'x'.repeat(50_000) }), view(), T0))).toBe('held');
    expect(action(guard.inspect(candidate('alice', 'dc_1', 2), view(), T0))).toBe('held');
    expect(guard.heldCount).toBe(2);
    const verdict = guard.inspect(offer('alice', 'dc_1'), view(), T0);
    expect(verdict).toEqual({
      action: 'pass',
      held: {
        connectionId: 'dc_1',
        frames: [1, 2].map((n) => ({
          type: 'CANDIDATE',
          src: 'alice',
          payload: { type: 'data', connectionId: 'dc_1', candidate: { candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 } },
        })),
      },
    });
    expect(guard.heldCount).toBe(0);
  });

  it('candidates are held per sender: another peer cannot slip its own into an offer', () => {
    const guard = new SignalGuard(T0);
    guard.inspect(candidate('mallory', 'dc_1'), view(), T0);
    expect(guard.inspect(offer('alice', 'dc_1'), view(), T0)).toEqual({ action: 'pass' });
  });

  it(`holds at most ${MAX_HELD_PER_CONNECTION} candidates per connection and ${MAX_HELD_TOTAL} in all, dropping the oldest`, () => {
    const guard = new SignalGuard(T0);
    for (let n = 0; n < MAX_HELD_PER_CONNECTION + 5; n++) guard.inspect(candidate('alice', 'dc_1', n), view(), T0);
    expect(guard.heldCount).toBe(MAX_HELD_PER_CONNECTION);
    const one = guard.inspect(offer('alice', 'dc_1'), view(), T0);
    const numbers = one.action === 'pass' ? one.held?.frames.map((f) => f.payload.candidate.candidate.split(' ')[0]) : [];
    expect(numbers).toEqual(Array.from({ length: MAX_HELD_PER_CONNECTION }, (_, i) => `candidate:${i + 5}`));

    for (let n = 0; n < 1_000; n++) guard.inspect(candidate('mallory', `dc_${n}`, n), view(), T0);
    expect(guard.heldCount).toBe(MAX_HELD_TOTAL);
    // The oldest connections' candidates went first; the newest are still held.
    const old = guard.inspect(offer('mallory', 'dc_0'), view(), T0);
    expect(old).toEqual({ action: 'pass' });
    const recent = guard.inspect(offer('mallory', 'dc_999'), view(), T0);
    expect(recent.action === 'pass' && recent.held?.frames.length).toBe(1);
  });

  it('drops candidates that are not plausible ICE candidates, from a dropped peer, or for a declined offer', () => {
    const guard = new SignalGuard(T0);
    const bad = [
      { type: 'CANDIDATE', src: 'alice', payload: { connectionId: 'dc_1' } },
      { type: 'CANDIDATE', src: 'alice', payload: { connectionId: 'dc_1', candidate: { candidate: 'x'.repeat(2_000) } } },
      { type: 'CANDIDATE', src: 'alice', payload: { connectionId: 'dc_1', candidate: { candidate: 'c', sdpMLineIndex: -1 } } },
      { type: 'CANDIDATE', src: 'alice', payload: { connectionId: 'dc_1', candidate: { candidate: 'c', sdpMid: 5 } } },
    ];
    for (const frame of bad) expect(action(guard.inspect(frame, view(), T0))).toBe('drop');
    expect(action(guard.inspect(candidate('eve', 'dc_1'), view({ isDropped: (p) => p === 'eve' }), T0))).toBe('drop');
    expect(action(guard.inspect(offer('bob', 'dc_2', { label: 'chat' }), view(), T0))).toBe('decline');
    expect(action(guard.inspect(candidate('bob', 'dc_2'), view(), T0))).toBe('drop');
    expect(guard.heldCount).toBe(0);
  });

  it(`remembers the last ${MAX_DECLINED} declined offers`, () => {
    const guard = new SignalGuard(T0);
    const pool = view({ canAccept: () => false });
    for (let n = 0; n <= MAX_DECLINED; n++) guard.inspect(offer(`p${n}`, 'dc_1'), pool, T0);
    expect(action(guard.inspect(candidate('p0', 'dc_1'), view(), T0))).toBe('held');
    expect(action(guard.inspect(candidate(`p${MAX_DECLINED}`, 'dc_1'), view(), T0))).toBe('drop');
  });
});
