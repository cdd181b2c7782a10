/**
 * The peer ⇄ peer frame codec (protocol/messages/peer.ts): every frame round-trips byte for byte,
 * every malformed message is refused without throwing, and a seeded fuzz run over random and
 * mutated frames finds nothing that parses yet re-encodes differently. Peer exchange frames too.
 */
import { describe, expect, it } from '@jest/globals';
import { MAX_CHUNK_SIZE, type Sha256Sri } from '../../../protocol/manifest/types.js';
import {
  MAX_EXCHANGE_PEERS,
  MAX_PEER_MESSAGE_BYTES,
  MAX_PIECE_DATA_BYTES,
  MAX_REQUEST_ID,
  digestToSri,
  encodeAbsent,
  encodeAskPeers,
  encodeCancel,
  encodeChunk,
  encodePiece,
  encodePieceInto,
  encodePeers,
  encodeRequest,
  PEER_EXCHANGE_METADATA,
  isPeerExchangeMetadata,
  parsePeerFrame,
  pieceEndsChunk,
  sriToDigest,
  type PeerFrame,
  pieceFrameBytes,
} from '../../../protocol/messages/peer.js';
import {
  MAX_ENVELOPE_PART_BYTES,
  MAX_RELAYED_ENVELOPE_BYTES,
  encodeEnvelopeParts,
  encodeManifestPart,
  encodeManifestVersion,
  isManifestRelayMetadata,
} from '../../../protocol/messages/peer-manifest.js';
// Seeded, so a failing fuzz case is reproducible from its seed.
import { seededRandom as prng } from '../../../scripts/lib/seeded-random.mjs';

function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

const DIGEST = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const CHUNK: Sha256Sri = digestToSri(DIGEST);

/** Encodes a parsed frame again, the way a sender would. */
function reencode(frame: PeerFrame): Uint8Array {
  switch (frame.type) {
    case 'request':
      return encodeRequest(frame.requestId, frame.chunk);
    case 'piece':
      return encodePiece(frame.requestId, frame.offset, frame.chunkLength, frame.data);
    case 'absent':
      return encodeAbsent(frame.requestId, frame.reason);
    case 'cancel':
      return encodeCancel(frame.requestId);
    case 'ask-peers':
      return encodeAskPeers(frame.requestId);
    case 'peers':
      return encodePeers(frame.requestId, frame.peers);
    case 'manifest-version':
      return encodeManifestVersion(frame.version);
    case 'manifest-part':
      return encodeManifestPart(frame.version, frame.total, frame.offset, frame.data);
  }
}

/** A `peers` frame built by hand: ids as byte strings, the count byte as given. */
function rawPeers(requestId: number, count: number, ids: readonly (readonly number[])[]): Uint8Array {
  const body = ids.flatMap((id) => [id.length, ...id]);
  const bytes = new Uint8Array(6 + body.length);
  new DataView(bytes.buffer).setUint32(1, requestId);
  bytes[0] = 0x06;
  bytes[5] = count;
  bytes.set(body, 6);
  return bytes;
}
const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));

function parsed(message: unknown): PeerFrame {
  const result = parsePeerFrame(message);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.frame;
}

/** Byte equality without jest's per-element deep compare (slow on 300 KB arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function refused(message: unknown): boolean {
  return !parsePeerFrame(message).ok;
}

/** A piece frame with arbitrary header fields (the encoder refuses bad ones, so build it by hand). */
function rawPiece(requestId: number, offset: number, chunkLength: number, dataBytes: number): Uint8Array {
  const frame = new Uint8Array(13 + dataBytes);
  const view = new DataView(frame.buffer);
  view.setUint8(0, 0x02);
  view.setUint32(1, requestId);
  view.setUint32(5, offset);
  view.setUint32(9, chunkLength);
  return frame;
}

describe('peer frames: round trips', () => {
  it('request: the chunk SRI and id survive, 37 bytes', () => {
    const bytes = encodeRequest(MAX_REQUEST_ID, CHUNK);
    expect(bytes.length).toBe(37);
    expect(parsed(bytes)).toEqual({ type: 'request', requestId: MAX_REQUEST_ID, chunk: CHUNK });
    expect(reencode(parsed(bytes))).toEqual(bytes);
    expect(sriToDigest(CHUNK)).toEqual(DIGEST);
  });

  it('piece: offset, chunk length and data survive; data is a view, not a copy', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const bytes = encodePiece(7, 5000, 6000, data);
    const frame = parsed(bytes);
    expect(frame).toMatchObject({ type: 'piece', requestId: 7, offset: 5000, chunkLength: 6000 });
    expect(frame.type === 'piece' && Array.from(frame.data)).toEqual(Array.from(data));
    expect(frame.type === 'piece' && frame.data.buffer).toBe(bytes.buffer);
    expect(reencode(frame)).toEqual(bytes);
  });

  it('absent and cancel, with both reasons', () => {
    for (const reason of ['not-held', 'busy'] as const) {
      const bytes = encodeAbsent(3, reason);
      expect(bytes.length).toBe(6);
      expect(parsed(bytes)).toEqual({ type: 'absent', requestId: 3, reason });
    }
    const cancel = encodeCancel(0);
    expect(cancel.length).toBe(5);
    expect(parsed(cancel)).toEqual({ type: 'cancel', requestId: 0 });
  });

  it('parses an ArrayBuffer, a view at an offset into a larger buffer, and a DataView alike', () => {
    const frame = encodeCancel(42);
    const big = new Uint8Array(100);
    big.set(frame, 17);
    expect(parsed(frame.slice().buffer)).toEqual({ type: 'cancel', requestId: 42 });
    expect(parsed(big.subarray(17, 22))).toEqual({ type: 'cancel', requestId: 42 });
    expect(parsed(new DataView(big.buffer, 17, 5))).toEqual({ type: 'cancel', requestId: 42 });
  });

  it('encodeChunk cuts a chunk into pieces under the message cap that rebuild it exactly', () => {
    for (const size of [1, 131_072, 262_144, 300_001]) {
      const chunk = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff);
      const frames = encodeChunk(9, chunk);
      expect(frames.length).toBe(Math.ceil(size / MAX_PIECE_DATA_BYTES));
      const rebuilt = new Uint8Array(size);
      for (const bytes of frames) {
        expect(bytes.length).toBeLessThanOrEqual(MAX_PEER_MESSAGE_BYTES);
        const frame = parsed(bytes);
        if (frame.type !== 'piece') throw new Error('not a piece');
        expect(frame.chunkLength).toBe(size);
        rebuilt.set(frame.data, frame.offset);
      }
      expect(same(rebuilt, chunk)).toBe(true);
    }
  });

  it('piece into a reused buffer: each frame is exactly what encodePiece makes, at the buffer\'s start', () => {
    const buffer = new Uint8Array(pieceFrameBytes(1000)).fill(0xee);
    const first = encodePieceInto(buffer, 9, 0, 1500, Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff));
    expect(first.buffer).toBe(buffer.buffer);
    expect(first).toEqual(encodePiece(9, 0, 1500, Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff)));
    // A shorter piece next: the frame ends where its data ends, whatever the buffer held after it.
    const second = encodePieceInto(buffer, 10, 1000, 1500, new Uint8Array(500).fill(7));
    expect(second.length).toBe(pieceFrameBytes(500));
    expect(parsed(second)).toMatchObject({ type: 'piece', requestId: 10, offset: 1000, chunkLength: 1500 });
    expect(second).toEqual(encodePiece(10, 1000, 1500, new Uint8Array(500).fill(7)));
    expect(() => encodePieceInto(new Uint8Array(pieceFrameBytes(10) - 1), 1, 0, 10, new Uint8Array(10))).toThrow(RangeError);
    expect(() => encodePieceInto(buffer, -1, 0, 10, new Uint8Array(10))).toThrow(RangeError);
  });

  it('the encoders refuse what the parser would refuse', () => {
    expect(() => encodeRequest(-1, CHUNK)).toThrow(RangeError);
    expect(() => encodeRequest(MAX_REQUEST_ID + 1, CHUNK)).toThrow(RangeError);
    expect(() => encodeRequest(1.5, CHUNK)).toThrow(RangeError);
    expect(() => encodeRequest(1, 'sha512-abc' as Sha256Sri)).toThrow(RangeError);
    expect(() => encodeRequest(1, 'sha256-AAAA' as Sha256Sri)).toThrow(RangeError);
    expect(() => encodePiece(1, 0, 10, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodePiece(1, 5, 10, new Uint8Array(6))).toThrow(RangeError);
    expect(() => encodePiece(1, 0, MAX_CHUNK_SIZE + 1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => encodePiece(1, 0, MAX_CHUNK_SIZE, new Uint8Array(MAX_PEER_MESSAGE_BYTES))).toThrow(RangeError);
  });
});

describe('peer frames: malformed messages are refused, never thrown', () => {
  it('anything that is not binary', () => {
    for (const message of ['\x04\0\0\0\x01', 5, null, undefined, {}, [4, 0, 0, 0, 1], new Blob(['\x04\0\0\0\x01'])]) {
      expect(refused(message)).toBe(true);
    }
  });

  it('empty, too short, too long', () => {
    expect(refused(new Uint8Array(0))).toBe(true);
    for (let n = 1; n < 5; n++) expect(refused(new Uint8Array(n).fill(4))).toBe(true);
    const huge = rawPiece(1, 0, MAX_CHUNK_SIZE, MAX_PEER_MESSAGE_BYTES - 13 + 1);
    expect(huge.length).toBe(MAX_PEER_MESSAGE_BYTES + 1);
    expect(refused(huge)).toBe(true);
    // Exactly at the cap is still a frame.
    expect(refused(rawPiece(1, 0, MAX_CHUNK_SIZE, MAX_PEER_MESSAGE_BYTES - 13))).toBe(false);
  });

  it('unknown frame types', () => {
    for (const type of [0x00, 0x07, 0x7f, 0xff]) {
      const bytes = encodeCancel(1);
      bytes[0] = type;
      expect(refused(bytes)).toBe(true);
    }
  });

  it('each frame type at a wrong length', () => {
    const request = encodeRequest(1, CHUNK);
    expect(refused(request.subarray(0, 36))).toBe(true);
    expect(refused(Uint8Array.from([...request, 0]))).toBe(true);
    const absent = encodeAbsent(1, 'busy');
    expect(refused(absent.subarray(0, 5))).toBe(true);
    expect(refused(Uint8Array.from([...absent, 0]))).toBe(true);
    expect(refused(Uint8Array.from([...encodeCancel(1), 0]))).toBe(true);
    // A piece header without data.
    expect(refused(rawPiece(1, 0, 10, 0))).toBe(true);
  });

  it('absent with a reason outside the list', () => {
    for (const code of [2, 3, 255]) {
      const bytes = encodeAbsent(1, 'busy');
      bytes[5] = code;
      expect(refused(bytes)).toBe(true);
    }
  });

  it('a piece outside its chunk, or of a chunk larger than any manifest allows', () => {
    expect(refused(rawPiece(1, 9, 10, 2))).toBe(true);
    expect(refused(rawPiece(1, 0, 1, 2))).toBe(true);
    expect(refused(rawPiece(1, 0, 0, 1))).toBe(true);
    // offset + length would wrap a u32: counted as numbers, it is past the end.
    expect(refused(rawPiece(1, 0xffff_ffff, MAX_CHUNK_SIZE, 2))).toBe(true);
    expect(refused(rawPiece(1, 0, MAX_CHUNK_SIZE + 1, 1))).toBe(true);
    expect(refused(rawPiece(1, 0, 0xffff_ffff, 1))).toBe(true);
    // The last byte of the largest chunk is fine.
    expect(refused(rawPiece(1, MAX_CHUNK_SIZE - 1, MAX_CHUNK_SIZE, 1))).toBe(false);
  });
});

describe('peer frames: peer exchange', () => {
  const ID_A = '3f2b8c1e-6d4a-4b7e-9c0d-1a2b3c4d5e6f';

  it('ask-peers and peers round-trip; an empty answer is 6 bytes', () => {
    expect(parsed(encodeAskPeers(9))).toEqual({ type: 'ask-peers', requestId: 9 });
    expect(encodeAskPeers(9).length).toBe(5);
    const ids = Array.from({ length: MAX_EXCHANGE_PEERS }, (_, i) => `${ID_A.slice(0, -2)}${String(i).padStart(2, '0')}`);
    const bytes = encodePeers(MAX_REQUEST_ID, ids);
    expect(parsed(bytes)).toEqual({ type: 'peers', requestId: MAX_REQUEST_ID, peers: ids });
    expect(reencode(parsed(bytes))).toEqual(bytes);
    expect(parsed(encodePeers(1, []))).toEqual({ type: 'peers', requestId: 1, peers: [] });
    expect(encodePeers(1, []).length).toBe(6);
  });

  it('the encoder refuses too many ids, a repeat, or a string that is not a peer id', () => {
    const ids = Array.from({ length: MAX_EXCHANGE_PEERS + 1 }, (_, i) => `peer${i}`);
    expect(() => encodePeers(1, ids)).toThrow(RangeError);
    expect(() => encodePeers(1, ['a', 'a'])).toThrow(RangeError);
    for (const bad of ['', 'has space!', 'é', 'x'.repeat(65), '-lead']) expect(() => encodePeers(1, [bad])).toThrow(RangeError);
  });

  it('refuses a peers frame that is not exactly its ids: count, lengths, characters, repeats, trailing bytes', () => {
    expect(refused(rawPeers(1, 1, [ascii('abc')]))).toBe(false);
    expect(refused(rawPeers(1, 2, [ascii('abc')]))).toBe(true); // count says more than there is
    expect(refused(rawPeers(1, 0, [ascii('abc')]))).toBe(true); // trailing bytes
    expect(refused(rawPeers(1, 2, [ascii('abc'), ascii('abc')]))).toBe(true); // a repeat
    expect(refused(rawPeers(1, 1, [[]]))).toBe(true); // an empty id
    expect(refused(rawPeers(1, 1, [ascii('a b!')]))).toBe(true);
    expect(refused(rawPeers(1, 1, [[0x61, 0xe9]]))).toBe(true); // not ASCII
    expect(refused(rawPeers(1, 1, [ascii('x'.repeat(65))]))).toBe(true);
    const many = Array.from({ length: MAX_EXCHANGE_PEERS + 1 }, (_, i) => ascii(`p${i}`));
    expect(refused(rawPeers(1, many.length, many))).toBe(true);
    const cut = rawPeers(1, 1, [ascii('abcdef')]);
    expect(refused(cut.subarray(0, cut.length - 1))).toBe(true);
    expect(refused(Uint8Array.from([0x06, 0, 0, 0, 1]))).toBe(true); // no count byte
    expect(refused(Uint8Array.from([...encodeAskPeers(1), 0]))).toBe(true);
  });

  it('pieceEndsChunk is true only for the piece that ends its chunk', () => {
    const frames = encodeChunk(1, new Uint8Array(300_000));
    expect(frames.map(pieceEndsChunk)).toEqual([false, false, true]);
    expect(pieceEndsChunk(encodePiece(1, 0, 10, new Uint8Array(10)))).toBe(true);
    expect(pieceEndsChunk(encodeRequest(1, CHUNK))).toBe(false);
    expect(pieceEndsChunk(encodeCancel(1))).toBe(false);
  });

  it('connect metadata: only { exchange: 1 } says a peer speaks it', () => {
    expect(isPeerExchangeMetadata({ exchange: 1 })).toBe(true);
    for (const other of [undefined, null, 1, 'exchange', {}, { exchange: '1' }, { exchange: true }, [1]]) expect(isPeerExchangeMetadata(other)).toBe(false);
  });
});

describe('peer frames: manifest relay', () => {
  /** A manifest frame with arbitrary header fields (the encoders refuse bad ones). */
  function rawManifest(type: 0x07 | 0x08, high: number, low: number, total = 0, offset = 0, dataBytes = 0): Uint8Array {
    const frame = new Uint8Array((type === 0x07 ? 9 : 17) + dataBytes);
    const view = new DataView(frame.buffer);
    view.setUint8(0, type);
    view.setUint32(1, high);
    view.setUint32(5, low);
    if (type === 0x08) {
      view.setUint32(9, total);
      view.setUint32(13, offset);
    }
    return frame;
  }

  it('manifest-version round-trips every safe version, 0 (none) included, in 9 bytes', () => {
    for (const version of [0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const bytes = encodeManifestVersion(version);
      expect(bytes.length).toBe(9);
      expect(parsed(bytes)).toEqual({ type: 'manifest-version', version });
      expect(reencode(parsed(bytes))).toEqual(bytes);
    }
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) expect(() => encodeManifestVersion(bad)).toThrow(RangeError);
  });

  it('an envelope cut into parts under the message cap rebuilds exactly; data is a view', () => {
    for (const size of [1, MAX_ENVELOPE_PART_BYTES, MAX_ENVELOPE_PART_BYTES + 1, 400_000]) {
      const envelope = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
      const frames = encodeEnvelopeParts(7, envelope);
      expect(frames.length).toBe(Math.ceil(size / MAX_ENVELOPE_PART_BYTES));
      const rebuilt = new Uint8Array(size);
      for (const bytes of frames) {
        expect(bytes.length).toBeLessThanOrEqual(MAX_PEER_MESSAGE_BYTES);
        const frame = parsed(bytes);
        if (frame.type !== 'manifest-part') throw new Error('not a manifest part');
        expect({ version: frame.version, total: frame.total }).toEqual({ version: 7, total: size });
        expect(frame.data.buffer).toBe(bytes.buffer);
        expect(same(reencode(frame), bytes)).toBe(true);
        rebuilt.set(frame.data, frame.offset);
      }
      expect(same(rebuilt, envelope)).toBe(true);
    }
  });

  it('the encoders refuse what the parser would refuse', () => {
    expect(() => encodeManifestPart(0, 10, 0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => encodeManifestPart(1, 10, 0, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeManifestPart(1, 10, 5, new Uint8Array(6))).toThrow(RangeError);
    expect(() => encodeManifestPart(1, MAX_RELAYED_ENVELOPE_BYTES + 1, 0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => encodeManifestPart(1, MAX_ENVELOPE_PART_BYTES + 1, 0, new Uint8Array(MAX_ENVELOPE_PART_BYTES + 1))).toThrow(RangeError);
    expect(() => encodeEnvelopeParts(1, new Uint8Array(0))).toThrow(RangeError);
  });

  it('refuses a wrong length, a version past the safe integers or of none, a part outside its envelope or over the caps', () => {
    expect(refused(rawManifest(0x07, 0, 1))).toBe(false);
    expect(refused(rawManifest(0x07, 0, 1).subarray(0, 8))).toBe(true);
    expect(refused(Uint8Array.from([...rawManifest(0x07, 0, 1), 0]))).toBe(true);
    expect(refused(rawManifest(0x07, 0x1f_ffff, 0xffff_ffff))).toBe(false);
    expect(refused(rawManifest(0x07, 0x20_0000, 0))).toBe(true);
    expect(refused(rawManifest(0x08, 0, 1, 10, 0, 10))).toBe(false);
    expect(refused(rawManifest(0x08, 0, 0, 10, 0, 10))).toBe(true); // version 0 has no envelope
    expect(refused(rawManifest(0x08, 0x20_0000, 1, 10, 0, 10))).toBe(true);
    expect(refused(rawManifest(0x08, 0, 1, 10, 0, 0))).toBe(true); // no data
    expect(refused(rawManifest(0x08, 0, 1, 10, 5, 6))).toBe(true);
    expect(refused(rawManifest(0x08, 0, 1, 10, 0xffff_ffff, 2))).toBe(true);
    expect(refused(rawManifest(0x08, 0, 1, MAX_RELAYED_ENVELOPE_BYTES + 1, 0, 1))).toBe(true);
    expect(refused(rawManifest(0x08, 0, 1, MAX_RELAYED_ENVELOPE_BYTES, 0, MAX_ENVELOPE_PART_BYTES + 1))).toBe(true);
    expect(refused(rawManifest(0x08, 0, 1, MAX_RELAYED_ENVELOPE_BYTES, MAX_RELAYED_ENVELOPE_BYTES - 1, 1))).toBe(false);
  });

  it('connect metadata: only manifest: 1 says a peer relays; the metadata this bridge sends says both', () => {
    expect(isManifestRelayMetadata(PEER_EXCHANGE_METADATA)).toBe(true);
    expect(isPeerExchangeMetadata(PEER_EXCHANGE_METADATA)).toBe(true);
    expect(isManifestRelayMetadata({ exchange: 1 })).toBe(false);
    for (const other of [undefined, null, 1, {}, { manifest: '1' }, { manifest: true }, [1]]) expect(isManifestRelayMetadata(other)).toBe(false);
  });
});

describe('peer frames: seeded fuzz', () => {
  /** Parses (a throw fails the test); an accepted message must re-encode to exactly its bytes, else it is listed in `bad`. */
  function holds(bytes: Uint8Array, bad: string[]): 'refused' | 'accepted' {
    const result = parsePeerFrame(bytes);
    if (!result.ok) return 'refused';
    let again: Uint8Array | undefined;
    try {
      again = reencode(result.frame);
    } catch {
      // The parser accepted what the encoder refuses: a disagreement between the two.
    }
    if (!again || !same(again, bytes)) bad.push(Buffer.from(bytes).toString('hex').slice(0, 120));
    return 'accepted';
  }

  it('random bytes never throw, and whatever parses re-encodes identically', () => {
    const random = prng(0x5eed);
    const seen = { refused: 0, accepted: 0 };
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Bias lengths towards the real frame sizes, so the valid shapes get hit, not just length refusals.
      const length = [0, 1, 4, 5, 6, 9, 13, 14, 18, 37, 38][i % 11]! + (i % 3 === 0 ? Math.floor(random() * 64) : 0);
      const bytes = randomBytes(random, length);
      if (i % 2 === 0 && length > 0) bytes[0] = 1 + Math.floor(random() * 8);
      // Manifest frames carry a u64 version: a random high word is almost never a safe integer.
      if (length >= 5 && (bytes[0] === 0x07 || bytes[0] === 0x08) && i % 4 === 0) bytes.fill(0, 1, 5);
      seen[holds(bytes, bad)] += 1;
    }
    expect(bad).toEqual([]);
    expect(seen.accepted).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(100);
  });

  it('mutated valid frames never throw, and whatever parses re-encodes identically', () => {
    const random = prng(0xf00d);
    const valid = [
      encodeRequest(1, CHUNK),
      encodePiece(2, 0, 300, randomBytes(random, 200)),
      encodePiece(3, 100, 101, randomBytes(random, 1)),
      encodeAbsent(4, 'not-held'),
      encodeCancel(5),
      encodeAskPeers(6),
      encodePeers(7, ['ab', 'cd-ef', 'g']),
      encodeManifestVersion(3),
      encodeManifestPart(4, 300, 100, randomBytes(random, 200)),
    ];
    const seen = { refused: 0, accepted: 0 };
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const base = valid[i % valid.length]!;
      let bytes = base.slice();
      const mutation = Math.floor(random() * 4);
      if (mutation === 0) {
        // Flip one to four bytes anywhere.
        for (let k = 0, n = 1 + Math.floor(random() * 4); k < n; k++) {
          const at = Math.floor(random() * bytes.length);
          bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255));
        }
      } else if (mutation === 1) {
        bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      } else if (mutation === 2) {
        bytes = Uint8Array.from([...bytes, ...randomBytes(random, 1 + Math.floor(random() * 8))]);
      } else {
        // Rewrite a header field with an extreme value.
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const at = 1 + 4 * Math.floor(random() * Math.min(3, Math.floor((bytes.length - 1) / 4)));
        if (at + 4 <= bytes.length) view.setUint32(at, [0, 1, 0xffff_ffff, MAX_CHUNK_SIZE, MAX_CHUNK_SIZE + 1][Math.floor(random() * 5)]!);
      }
      seen[holds(bytes, bad)] += 1;
    }
    expect(bad).toEqual([]);
    expect(seen.accepted).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(100);
  });
});
