import { describe, expect, it } from '@jest/globals';
import {
  PEERJS_MAX_ID_LENGTH,
  PEERJS_OPEN_FRAME,
  isPeerjsId,
  isPeerjsToken,
  parsePeerjsClientMessage,
  peerjsErrorFrame,
  peerjsExpireFrame,
  peerjsRelayFrame,
  type PeerjsParseResult,
} from '../../../protocol/messages/peerjs.js';

const DST = '3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f';
const OFFER = {
  type: 'OFFER',
  dst: DST,
  payload: { sdp: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }, type: 'data', connectionId: 'dc_abc', label: 'dc_abc', serialization: 'raw', reliable: true },
};

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function reason(result: PeerjsParseResult): string | undefined {
  return result.type === 'REJECTED' ? result.reason : undefined;
}

describe('parsePeerjsClientMessage', () => {
  it('reads every frame the stock client sends', () => {
    expect(parsePeerjsClientMessage('{"type":"HEARTBEAT"}')).toEqual({ type: 'HEARTBEAT' });
    expect(parsePeerjsClientMessage(JSON.stringify(OFFER))).toEqual(OFFER);
    for (const type of ['ANSWER', 'CANDIDATE'] as const) {
      const frame = { type, payload: { connectionId: 'dc_abc', type: 'data' }, dst: DST };
      expect(parsePeerjsClientMessage(JSON.stringify(frame))).toEqual(frame);
    }
    for (const type of ['LEAVE', 'EXPIRE'] as const) {
      expect(parsePeerjsClientMessage(JSON.stringify({ type, dst: DST }))).toEqual({ type, dst: DST });
    }
  });

  it('takes bytes as well as text, and tolerates whitespace and extra fields', () => {
    const bytes = new TextEncoder().encode(`  \n${JSON.stringify({ ...OFFER, extra: [1, 2] })}\t `);
    const message = parsePeerjsClientMessage(bytes);
    expect(message.type).toBe('OFFER');
    expect(message.type !== 'REJECTED' && message.type !== 'HEARTBEAT' && message.dst).toBe(DST);
    expect(parsePeerjsClientMessage(Buffer.from('{"type":"HEARTBEAT"}')).type).toBe('HEARTBEAT');
  });

  it.each([
    ['not JSON', 'not json', 'not-json'],
    ['empty', '', 'not-json'],
    ['truncated', '{"type":"OFFER","dst":"a"', 'not-json'],
    ['a BOM before the object', '\uFEFF{"type":"HEARTBEAT"}', 'not-json'],
    ['null', 'null', 'not-object'],
    ['a number', '42', 'not-object'],
    ['a string', '"HEARTBEAT"', 'not-object'],
    ['an array', '[{"type":"HEARTBEAT"}]', 'unknown-type'],
    ['no type', '{"dst":"a"}', 'unknown-type'],
    ['an unknown type', '{"type":"HELLO","dst":"a"}', 'unknown-type'],
    ['a lower-case type', '{"type":"offer","dst":"a","payload":{}}', 'unknown-type'],
    ['a server-only type', '{"type":"OPEN"}', 'unknown-type'],
    ['the rejection marker as type', '{"type":"REJECTED","dst":"a"}', 'unknown-type'],
    ['a non-string type', '{"type":1,"dst":"a"}', 'unknown-type'],
    ['no dst', '{"type":"LEAVE"}', 'bad-dst'],
    ['a numeric dst', '{"type":"LEAVE","dst":7}', 'bad-dst'],
    ['an empty dst', '{"type":"LEAVE","dst":""}', 'bad-dst'],
    ['a dst with a quote', '{"type":"LEAVE","dst":"a\\"b"}', 'bad-dst'],
    ['a dst with a slash', '{"type":"LEAVE","dst":"a/b"}', 'bad-dst'],
    ['a dst with non-ASCII', '{"type":"LEAVE","dst":"pé"}', 'bad-dst'],
    ['a dst too long', `{"type":"LEAVE","dst":"${'a'.repeat(PEERJS_MAX_ID_LENGTH + 1)}"}`, 'bad-dst'],
    ['an OFFER without payload', `{"type":"OFFER","dst":"${DST}"}`, 'bad-payload'],
    ['an ANSWER with a null payload', `{"type":"ANSWER","dst":"${DST}","payload":null}`, 'bad-payload'],
    ['a CANDIDATE with an array payload', `{"type":"CANDIDATE","dst":"${DST}","payload":[]}`, 'bad-payload'],
    ['an OFFER with a string payload', `{"type":"OFFER","dst":"${DST}","payload":"x"}`, 'bad-payload'],
  ])('refuses %s', (_, text, expected) => {
    const result = parsePeerjsClientMessage(text);
    expect(result.type).toBe('REJECTED');
    expect(result.type === 'REJECTED' && result.code).toBe('SIGNAL_MALFORMED');
    expect(reason(result)).toBe(expected);
  });

  it('refuses binary garbage, including invalid UTF-8', () => {
    expect(reason(parsePeerjsClientMessage(new Uint8Array([0xff, 0xfe, 0x00, 0x7b])))).toBe('not-json');
    expect(reason(parsePeerjsClientMessage(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('{"type":"HEARTBEAT"}')])))).toBe('not-json');
    const invalidUtf8Type = Uint8Array.from([...Buffer.from('{"type":"'), 0xc3, 0x28, ...Buffer.from('"}')]);
    expect(reason(parsePeerjsClientMessage(invalidUtf8Type))).toBe('unknown-type');
  });

  it('turns any random or mangled frame into a message or a rejection, never a throw (seeded fuzz)', () => {
    let seed = 0x51c7a1;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const valid = [
      JSON.stringify(OFFER),
      JSON.stringify({ type: 'CANDIDATE', payload: { candidate: { candidate: 'candidate:1 1 UDP 1 127.0.0.1 9 typ host', sdpMid: '0' }, connectionId: 'dc_x' }, dst: DST }),
      JSON.stringify({ type: 'LEAVE', dst: DST }),
      '{"type":"HEARTBEAT"}',
    ].map((text) => new TextEncoder().encode(text));
    const alphabet = new TextEncoder().encode('{}[]":,\\ntrufalse0123456789.-eE+ \t\r\nOFFERANSWERCANDIDATELEAVEEXPIREHEARTBEATtypedstpayloadsrc\u00e9');
    const counts = { accepted: 0, rejected: 0 };
    const failures: string[] = [];
    for (let round = 0; round < 20_000; round++) {
      let bytes: Uint8Array;
      const kind = rand(3);
      if (kind === 0) {
        bytes = new Uint8Array(rand(64));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rand(256);
      } else if (kind === 1) {
        bytes = new Uint8Array(rand(48));
        for (let i = 0; i < bytes.length; i++) bytes[i] = alphabet[rand(alphabet.length)]!;
      } else {
        bytes = Uint8Array.from(valid[rand(valid.length)]!);
        for (let m = 1 + rand(4); m > 0; m--) {
          const at = rand(bytes.length + 1);
          const op = rand(3);
          if (op === 0 && bytes.length > 0) bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1));
          else if (op === 1) bytes = concat(bytes.subarray(0, at), alphabet.subarray(rand(alphabet.length)).subarray(0, 1), bytes.subarray(at));
          else if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = rand(256);
        }
      }
      const input = rand(2) === 0 ? bytes : new TextDecoder().decode(bytes);
      let result: PeerjsParseResult;
      try {
        result = parsePeerjsClientMessage(input);
      } catch (error) {
        failures.push(`threw ${String(error)} on ${JSON.stringify(Array.from(bytes))}`);
        continue;
      }
      if (result.type === 'REJECTED') {
        counts.rejected++;
        if (result.code !== 'SIGNAL_MALFORMED') failures.push(`code ${result.code}`);
      } else {
        counts.accepted++;
        const wellFormed =
          result.type === 'HEARTBEAT' || (['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE'].includes(result.type) && isPeerjsId(result.dst));
        if (!wellFormed) failures.push(`accepted ${JSON.stringify(result)}`);
      }
    }
    expect(failures).toEqual([]);
    // The fuzz reaches both outcomes, so it exercises the parser rather than one early return.
    expect(counts.accepted).toBeGreaterThan(100);
    expect(counts.rejected).toBeGreaterThan(10_000);
  });
});

describe('ids and tokens', () => {
  it('follows the stock client rule for ids, with a length cap', () => {
    expect(isPeerjsId(DST)).toBe(true);
    expect(isPeerjsId('peer one_2')).toBe(true);
    for (const bad of ['', ' a', 'a ', 'a--b', 'a"b', 'é', 'a'.repeat(PEERJS_MAX_ID_LENGTH + 1), 7, null]) expect(isPeerjsId(bad)).toBe(false);
  });

  it('accepts the stock client tokens and nothing that needs escaping', () => {
    expect(isPeerjsToken(Math.random().toString(36).slice(2))).toBe(true);
    for (const bad of ['', 'a b', 'a"b', 'a&b', 'x'.repeat(PEERJS_MAX_ID_LENGTH + 1), undefined]) expect(isPeerjsToken(bad)).toBe(false);
  });
});

describe('server frames', () => {
  it('builds frames the stock client parses', () => {
    expect(JSON.parse(PEERJS_OPEN_FRAME)).toEqual({ type: 'OPEN' });
    expect(JSON.parse(peerjsErrorFrame('ERROR', 'SIGNAL_MALFORMED', 'bad "frame"'))).toEqual({
      type: 'ERROR',
      payload: { msg: 'bad "frame"', code: 'SIGNAL_MALFORMED' },
    });
    expect(JSON.parse(peerjsErrorFrame('ID-TAKEN', 'SIGNAL_ID_TAKEN', 'taken')).type).toBe('ID-TAKEN');
    expect(JSON.parse(peerjsRelayFrame('OFFER', 'a', DST, JSON.stringify(OFFER.payload)))).toEqual({ type: 'OFFER', src: 'a', dst: DST, payload: OFFER.payload });
    expect(JSON.parse(peerjsRelayFrame('LEAVE', 'a', 'b', undefined))).toEqual({ type: 'LEAVE', src: 'a', dst: 'b' });
    expect(JSON.parse(peerjsExpireFrame('gone', 'sender'))).toEqual({ type: 'EXPIRE', src: 'gone', dst: 'sender' });
  });
});
