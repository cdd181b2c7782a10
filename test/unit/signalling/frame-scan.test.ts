/** The relay's in-place frame scan: whatever it answers, the full parser answers the same. */
import { describe, expect, it } from '@jest/globals';
import { isPeerjsId, parsePeerjsClientMessage, PEERJS_HEARTBEAT } from '../../../protocol/messages/peerjs.js';
import { scanPeerjsClientFrame, type PeerjsFrameScan } from '../../../server/signalling/frame-scan.js';

const DST = '3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f';
const SDP = 'v=0\r\no=- 5157351394563702345 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:Xk3f\r\na=mid:0\r\n';
const OFFER = JSON.stringify({ type: 'OFFER', dst: DST, payload: { sdp: { type: 'offer', sdp: SDP }, type: 'data', connectionId: 'dc_abc', reliable: true, n: -1.5e-3 } });

/** `text` as bytes starting `offset` bytes into a larger buffer, as ws hands over a slice of a socket read. */
function at(text: string | Uint8Array, offset = 0): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : Buffer.from(text);
  const host = Buffer.alloc(offset + bytes.length + 7, 0x7b);
  bytes.copy(host, offset);
  return host.subarray(offset, offset + bytes.length);
}

/** Checks the contract on one frame: a scan answer matches the full parser's; returns the answer. */
function agree(raw: Buffer): PeerjsFrameScan {
  const scan = scanPeerjsClientFrame(raw);
  if (scan === null) return null;
  const parsed = parsePeerjsClientMessage(raw);
  if (scan === PEERJS_HEARTBEAT) {
    expect(parsed).toBe(PEERJS_HEARTBEAT);
    return scan;
  }
  const head = scan as Exclude<PeerjsFrameScan, null | typeof PEERJS_HEARTBEAT>;
  expect(parsed.type).toBe(head.type);
  expect(parsed.type !== 'REJECTED' && parsed.type !== 'HEARTBEAT' && parsed.dst).toBe(head.dst);
  expect((parsed as { src?: unknown }).src !== undefined).toBe(head.hasSrc);
  expect(head.end).toBe(raw.lastIndexOf(0x7d));
  return scan;
}

describe('scanPeerjsClientFrame', () => {
  it('reads every relayed type, wherever the frame sits in its buffer', () => {
    for (let offset = 0; offset < 8; offset++) {
      expect(agree(at(OFFER, offset))).toEqual({ type: 'OFFER', dst: DST, hasSrc: false, end: OFFER.length - 1 });
      for (const type of ['ANSWER', 'CANDIDATE'] as const) {
        const text = ` {"payload":{"candidate":{"sdpMid":"0","sdpMLineIndex":0}},"dst":"${DST}","type":"${type}"}\n`;
        expect(agree(at(text, offset))).toEqual({ type, dst: DST, hasSrc: false, end: text.lastIndexOf('}') });
      }
      for (const type of ['LEAVE', 'EXPIRE'] as const) expect(agree(at(`{"type":"${type}","dst":"peer one_2"}`, offset))).toMatchObject({ type, dst: 'peer one_2' });
      expect(agree(at('{"type":"HEARTBEAT"}', offset))).toBe(PEERJS_HEARTBEAT);
    }
  });

  it('takes exactly the ids isPeerjsId takes', () => {
    const ids = ['a', 'A9', 'peer one_2', 'a-b_c d', DST, 'x'.repeat(64), 'x'.repeat(65), '', ' a', 'a ', '-a', 'a-', 'a--b', 'a _b', 'a\tb', 'a.b', 'a/b', 'é', 'aé'];
    for (const id of ids) {
      const text = `{"type":"LEAVE","dst":${JSON.stringify(id)}}`;
      const scan = agree(at(text));
      expect(scan === null ? null : (scan as { dst: string }).dst).toBe(isPeerjsId(id) ? id : null);
    }
  });

  it('sees a src key the sender wrote, so the relay rebuilds the frame', () => {
    expect(agree(at(`{"type":"LEAVE","src":"forged","dst":"${DST}"}`))).toMatchObject({ hasSrc: true });
    expect(agree(at(`{"src":null,"type":"LEAVE","dst":"${DST}"}`))).toMatchObject({ hasSrc: true });
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    expect(agree(at(`{"type":"LEAVE","dst":"a","type":"EXPIRE","dst":"b"}`))).toMatchObject({ type: 'EXPIRE', dst: 'b' });
    expect(agree(at(`{"type":"OFFER","dst":"a","payload":{},"payload":1}`))).toBeNull();
    expect(agree(at(`{"type":"OFFER","dst":"a","payload":1,"payload":{}}`))).toMatchObject({ type: 'OFFER' });
  });

  it.each([
    ['an escaped key', `{"typ\\u0065":"LEAVE","dst":"a"}`],
    ['an escaped type', `{"type":"LEAV\\u0045","dst":"a"}`],
    ['an escaped dst', `{"type":"LEAVE","dst":"\\u0061"}`],
    ['a top-level array', '[{"type":"HEARTBEAT"}]'],
    ['a top-level string', '"HEARTBEAT"'],
    ['no type', '{"dst":"a"}'],
    ['an unknown type', '{"type":"HELLO","dst":"a"}'],
    ['a numeric type', '{"type":1,"dst":"a"}'],
    ['an OFFER without payload', `{"type":"OFFER","dst":"${DST}"}`],
    ['an OFFER with an array payload', `{"type":"OFFER","dst":"${DST}","payload":[]}`],
    ['a bad dst', '{"type":"LEAVE","dst":"a/b"}'],
    ['a non-ASCII dst', '{"type":"LEAVE","dst":"pé"}'],
    ['a raw control character', '{"type":"LEAVE","dst":"a","x":"\u0001"}'],
    ['a raw newline in a string', '{"type":"LEAVE","dst":"a","x":"a\nb"}'],
    ['a bad escape', '{"type":"LEAVE","dst":"a","x":"\\x41"}'],
    ['a bad escape after a good one', '{"type":"LEAVE","dst":"a","x":"\\r\\q"}'],
    ['a control character right after an escape', '{"type":"LEAVE","dst":"a","x":"\\n\u0001"}'],
    ['a frame ending inside an escape', '{"type":"LEAVE","dst":"a","x":"\\'],
    ['a short \\u escape', '{"type":"LEAVE","dst":"a","x":"\\u12"}'],
    ['a leading zero', '{"type":"LEAVE","dst":"a","x":01}'],
    ['a bare minus', '{"type":"LEAVE","dst":"a","x":-}'],
    ['a trailing dot', '{"type":"LEAVE","dst":"a","x":1.}'],
    ['a bare exponent', '{"type":"LEAVE","dst":"a","x":1e}'],
    ['a misspelt literal', '{"type":"LEAVE","dst":"a","x":tru}'],
    ['a trailing comma', '{"type":"LEAVE","dst":"a",}'],
    ['a trailing comma in an array', '{"type":"LEAVE","dst":"a","x":[1,]}'],
    ['a missing colon', '{"type":"LEAVE","dst" "a"}'],
    ['an unclosed object', '{"type":"LEAVE","dst":"a"'],
    ['an unclosed string', '{"type":"LEAVE","dst":"a","x":"abc'],
    ['bytes after the object', '{"type":"LEAVE","dst":"a"} x'],
    ['two objects', '{"type":"LEAVE","dst":"a"}{}'],
    ['a BOM', '\uFEFF{"type":"HEARTBEAT"}'],
    ['a mismatched bracket', '{"type":"LEAVE","dst":"a","x":[}'],
    ['nesting deeper than the scan keeps', `{"type":"LEAVE","dst":"a","x":${'['.repeat(600)}${']'.repeat(600)}}`],
  ])('leaves %s to the full parser', (_, text) => {
    expect(scanPeerjsClientFrame(at(text))).toBeNull();
  });

  it('accepts what JSON accepts: escapes, numbers, literals, nesting, whitespace, non-ASCII text', () => {
    const text = ' \t\r\n{ "x" : [ true , false , null , 0 , -0.5 , 12E+3 , 1e-2 , "\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D" , { } , [ ] , {"a":{"b":[[]]}} ] ,' +
      ' "type" : "LEAVE" , "dst" : "a" , "é\u2028" : "\u{1F600}\u007f" } \n';
    expect(agree(at(text))).toMatchObject({ type: 'LEAVE', dst: 'a', end: Buffer.from(text).lastIndexOf('}') });
  });

  it('finds the end of a string wherever a stop byte falls in a word (four-byte scan)', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (let len = 0; len < 24; len++) {
        for (let k = 0; k <= len; k++) {
          for (const stop of ['"', '\\n', '\u0001']) {
            const body = 'a'.repeat(k) + stop + 'b'.repeat(len - k);
            const text = `{"type":"LEAVE","dst":"a","x":"${body}"}`;
            const scan = agree(at(text, offset));
            if (stop === '\\n') expect(scan).toMatchObject({ type: 'LEAVE' });
            else expect(scan).toBeNull();
          }
        }
      }
    }
  });

  it('never answers differently from the full parser on random and mangled frames (seeded fuzz)', () => {
    let seed = 0x5ca7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      // The high bits: an LCG's low bits repeat with a short period.
      return (seed >>> 8) % n;
    };
    const valid = [
      OFFER,
      `{"type":"CANDIDATE","payload":{"candidate":{"candidate":"candidate:1 1 UDP 1 127.0.0.1 9 typ host","sdpMid":"0"},"connectionId":"dc_x"},"dst":"${DST}"}`,
      `{"type":"ANSWER","dst":"${DST}","payload":{"sdp":{"type":"answer","sdp":"v=0\\r\\n"},"a":[1,2.5,-3e2,true,null,"\\u00e9"]}}`,
      `{"type":"LEAVE","dst":"${DST}"}`,
      `{"type":"EXPIRE","dst":"${DST}","src":"x"}`,
      '{"type":"HEARTBEAT"}',
    ];
    // JSON's own characters and their troublemakers; every mutation stays valid UTF-8, as ws guarantees.
    const alphabet = [...'{}[]":,\\/ntrufalse0123456789.-+eEbu \t\r\nOFFERLEAVEtypedstpayloadsrc', '\u0001', '\u001f', 'é', '\u2028', '\u{1F600}'];
    const counts = { fastMangled: 0, deferred: 0 };
    for (let round = 0; round < 20_000; round++) {
      let chars = [...valid[rand(valid.length)]!];
      for (let m = 1 + rand(3); m > 0; m--) {
        const i = rand(chars.length + 1);
        const op = rand(3);
        if (op === 0) chars.splice(i, 1);
        else if (op === 1) chars.splice(i, 0, alphabet[rand(alphabet.length)]!);
        else chars[Math.min(i, chars.length - 1)] = alphabet[rand(alphabet.length)]!;
      }
      if (rand(10) === 0) chars = Array.from({ length: rand(40) }, () => alphabet[rand(alphabet.length)]!);
      const text = chars.join('');
      const raw = at(text, rand(8));
      if (agree(raw) === null) counts.deferred++;
      else if (!valid.includes(text)) counts.fastMangled++;
    }
    // Both outcomes are reached, mangled frames included, so the fuzz exercises the scan rather than one early return.
    expect(counts.fastMangled).toBeGreaterThan(2_000);
    expect(counts.deferred).toBeGreaterThan(5_000);
  });
});
