import { describe, expect, it } from '@jest/globals';
import { isErrorCode } from '../../../protocol/index.js';
import {
  TRACKER_LIMITS,
  parseTrackerClientMessage,
  parseTrackerServerMessage,
  type TrackerParseResult,
} from '../../../protocol/messages/tracker.js';

const H = `sha256-${'A'.repeat(43)}=`;
const H2 = `sha256-${'b+/9'.repeat(10)}abc=`;

function refusal<T>(result: TrackerParseResult<T>): string | undefined {
  return result.ok ? undefined : result.code;
}

describe('parseTrackerClientMessage', () => {
  it('accepts every message type, copying only the fields it knows', () => {
    const cases: [unknown, unknown][] = [
      [{ type: 'join', peerId: 'a1b2-c3_d4', site: 'https://a.example:8443', region: 'eu-west' }, { type: 'join', peerId: 'a1b2-c3_d4', site: 'https://a.example:8443', region: 'eu-west' }],
      [{ type: 'join', peerId: 'p', site: 's', extra: 1 }, { type: 'join', peerId: 'p', site: 's' }],
      [{ type: 'have', hashes: [H, H2] }, { type: 'have', hashes: [H, H2] }],
      [{ type: 'lost', hashes: [] }, { type: 'lost', hashes: [] }],
      [{ type: 'want', hash: H, requestId: 7 }, { type: 'want', hash: H, requestId: 7 }],
      [{ type: 'want', hash: H }, { type: 'want', hash: H }],
      [{ type: 'report', peerId: 'bad', hash: H }, { type: 'report', peerId: 'bad', hash: H }],
      // An older client's `upload` is dropped: the tracker no longer takes a peer's word on its own uploads.
      [{ type: 'stats', peer: 1, cache: 0, origin: 3, upload: 9 }, { type: 'stats', peer: 1, cache: 0, origin: 3 }],
      [{ type: 'stats', peer: 1, cache: 0, origin: 3, from: { 'peer-a': 5, b: 0 } }, { type: 'stats', peer: 1, cache: 0, origin: 3, from: { 'peer-a': 5, b: 0 } }],
      [{ type: 'stats', peer: 1, cache: 2, origin: 3 }, { type: 'stats', peer: 1, cache: 2, origin: 3 }],
      [{ type: 'ping' }, { type: 'ping' }],
    ];
    for (const [input, expected] of cases) {
      expect(parseTrackerClientMessage(JSON.stringify(input))).toEqual({ ok: true, value: expected });
    }
    const viaJson = parseTrackerClientMessage('{"type":"ping","__proto__":{"polluted":true}}');
    expect(viaJson.ok && Object.getPrototypeOf(viaJson.value)).toBe(Object.prototype);
    // `from` keys are peer ids: a `__proto__` key is refused, and the map has no prototype to pollute.
    expect(refusal(parseTrackerClientMessage('{"type":"stats","peer":0,"cache":0,"origin":0,"from":{"__proto__":1}}'))).toBe('TRACKER_MALFORMED');
    const from = parseTrackerClientMessage('{"type":"stats","peer":0,"cache":0,"origin":0,"from":{"a":1}}');
    expect(from.ok && from.value.type === 'stats' && Object.getPrototypeOf(from.value.from)).toBe(null);
  });

  it('refuses malformed frames with TRACKER_MALFORMED', () => {
    const bad: unknown[] = [
      'not json', '', '[]', 'null', '42', '"ping"', '{}', '{"type":7}', '{"type":"nope"}', '{"type":"toString"}',
      { type: 'join', peerId: '', site: 's' }, { type: 'join', peerId: 'has space', site: 's' }, { type: 'join', peerId: 'x'.repeat(65), site: 's' },
      { type: 'join', peerId: 'p' }, { type: 'join', peerId: 'p', site: 'a b' }, { type: 'join', peerId: 'p', site: 's', region: '' },
      { type: 'join', peerId: 'p', site: 's', region: 'x'.repeat(65) }, { type: 'have' }, { type: 'have', hashes: H },
      { type: 'have', hashes: [H, 'sha256-short='] }, { type: 'have', hashes: [`sha512-${'A'.repeat(43)}=`] }, { type: 'lost', hashes: [null] },
      { type: 'want' }, { type: 'want', hash: H, requestId: -1 }, { type: 'want', hash: H, requestId: 1.5 }, { type: 'want', hash: H, requestId: '1' },
      { type: 'report', peerId: 'p' }, { type: 'report', hash: H }, { type: 'stats', peer: 1, cache: 2 },
      { type: 'stats', peer: -1, cache: 0, origin: 0 }, { type: 'stats', peer: 0, cache: 0, origin: 2 ** 41 },
      { type: 'stats', peer: 0, cache: 0, origin: 0, from: [] }, { type: 'stats', peer: 0, cache: 0, origin: 0, from: { a: -1 } },
      { type: 'stats', peer: 0, cache: 0, origin: 0, from: { a: 2 ** 41 } }, { type: 'stats', peer: 0, cache: 0, origin: 0, from: { 'not an id': 1 } },
      { type: 'stats', peer: 0, cache: 0, origin: 0, from: Object.fromEntries(Array.from({ length: TRACKER_LIMITS.maxStatsSenders + 1 }, (_, i) => [`p${i}`, 1])) },
    ];
    for (const input of bad) {
      const raw = typeof input === 'string' ? input : JSON.stringify(input);
      expect([raw, refusal(parseTrackerClientMessage(raw))]).toEqual([raw, 'TRACKER_MALFORMED']);
    }
    expect(refusal(parseTrackerClientMessage(undefined as unknown as string))).toBe('TRACKER_MALFORMED');
  });

  it('caps hashes per message and frame size with their own codes', () => {
    const many = JSON.stringify({ type: 'have', hashes: Array.from({ length: 11 }, () => H) });
    expect(refusal(parseTrackerClientMessage(many, { maxHashesPerMessage: 10 }))).toBe('TRACKER_TOO_MANY_HASHES');
    expect(parseTrackerClientMessage(many, { maxHashesPerMessage: 11 }).ok).toBe(true);
    const big = JSON.stringify({ type: 'have', hashes: Array.from({ length: TRACKER_LIMITS.maxHashesPerMessage + 1 }, () => H) });
    expect(refusal(parseTrackerClientMessage(big))).toBe('TRACKER_TOO_MANY_HASHES');
    expect(refusal(parseTrackerClientMessage(JSON.stringify({ type: 'ping', pad: 'x'.repeat(100) }), { maxMessageChars: 50 }))).toBe('TRACKER_FRAME_TOO_LARGE');
  });

  it('never throws on garbage, and every refusal carries a catalogue code (seeded fuzz)', () => {
    let seed = 0x7ac4e7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const valid = [
      JSON.stringify({ type: 'join', peerId: 'peer-1', site: 'https://a.example', region: 'eu' }),
      JSON.stringify({ type: 'have', hashes: [H, H2] }),
      JSON.stringify({ type: 'want', hash: H, requestId: 3 }),
      JSON.stringify({ type: 'report', peerId: 'x', hash: H2 }),
      JSON.stringify({ type: 'stats', peer: 1, cache: 2, origin: 3, from: { p1: 4, p2: 5 } }),
      '{"type":"ping"}',
    ];
    const alphabet = '{}[]":,.-+0123456789eE tnulfasrhy\\\u0000\u00ff\ud800\u{1F600}typehashesjoinwant';
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      let raw: string;
      if (i % 2 === 0) {
        raw = Array.from({ length: rand(80) }, () => alphabet[rand(alphabet.length)]).join('');
      } else {
        const chars = [...valid[rand(valid.length)]!];
        for (let m = rand(4) + 1; m > 0; m--) {
          const at = rand(chars.length + 1);
          const op = rand(3);
          if (op === 0) chars.splice(at, 1);
          else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]!);
          else chars[at] = alphabet[rand(alphabet.length)]!;
        }
        raw = chars.join('');
      }
      const result = parseTrackerClientMessage(raw);
      if (result.ok) accepted += 1;
      else expect(isErrorCode(result.code)).toBe(true);
      expect(typeof parseTrackerServerMessage(raw).ok).toBe('boolean');
    }
    // Some mutations land on a still-valid message (a changed digit): the fuzz reaches deep paths.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('parseTrackerServerMessage', () => {
  it('accepts what the server sends', () => {
    const cases: unknown[] = [
      { type: 'joined', peerId: 'p1', manifestVersion: 3 },
      { type: 'joined', peerId: 'p1' },
      { type: 'peers', hash: H, peers: ['a', 'b'], holders: 9, requestId: 1 },
      { type: 'peers', hash: H, peers: [], holders: 0 },
      { type: 'manifest', version: 4, etag: '"sha256-abc"' },
      { type: 'error', code: 'TRACKER_RATE_LIMITED', message: 'slow down' },
      { type: 'pong' },
    ];
    for (const message of cases) expect(parseTrackerServerMessage(JSON.stringify(message))).toEqual({ ok: true, value: message });
  });

  it('refuses what a server must not send', () => {
    const bad: unknown[] = [
      { type: 'peers', hash: H, peers: 'a', holders: 1 },
      { type: 'peers', hash: H, peers: Array.from({ length: TRACKER_LIMITS.maxPeersPerAnswer + 1 }, (_, i) => `p${i}`), holders: 1 },
      { type: 'peers', hash: H, peers: ['ok', 'not ok'], holders: 1 },
      { type: 'peers', hash: 'x', peers: [], holders: 1 },
      { type: 'manifest', version: -1, etag: 'e' },
      { type: 'manifest', version: 1 },
      { type: 'error', code: 'NOT_A_CODE', message: '' },
      { type: 'join', peerId: 'p', site: 's' },
    ];
    for (const message of bad) expect(refusal(parseTrackerServerMessage(JSON.stringify(message)))).toBe('TRACKER_MALFORMED');
  });
});
