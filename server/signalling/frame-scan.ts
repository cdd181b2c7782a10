/**
 * The relay's fast path for reading a client frame: one pass over the frame's bytes that checks
 * it is well-formed JSON and picks out what the relay needs — `type`, `dst`, whether the payload
 * is an object, whether the sender wrote its own `src`, and where the closing brace is — without
 * decoding the frame to a string or building any of its values.
 *
 * Why: JSON.parse was the largest single cost of a relayed OFFER (about a sixth of the server's
 * CPU): UTF-8 to UTF-16 decoding, a copy of every string, interning of the short ones, and an
 * object per level, all thrown away, since the relay forwards the sender's bytes
 * (relay-frame.ts).
 *
 * Contract: when the scan answers, parsePeerjsClientMessage on the same bytes gives the same
 * type, dst and verdict (test/unit/signalling/frame-scan.test.ts checks it against random and
 * mangled frames). It never rejects: anything it does not settle itself — malformed JSON, a key
 * or a `type`/`dst` value with an escape, a top level that is not an object, nesting deeper than
 * its stack — yields null, and the caller asks the full parser, which is the one that decides.
 * Only frames ws has checked to be valid UTF-8 may be scanned (bytes ≥ 0x80 are taken as text).
 */
import { PEERJS_HEARTBEAT, PEERJS_MAX_ID_LENGTH, type PeerjsHeartbeat, type PeerjsRelayType } from '../../protocol/messages/peerjs.js';
import { beginJsonScan, matches, scanString, skipSpace, skipValue, stringHadEscape } from './json-scan.js';

/** What the relay needs from a frame it will forward. */
export interface PeerjsFrameHead {
  readonly type: PeerjsRelayType;
  readonly dst: string;
  /** True when the frame has a top-level `src` key (the relay then rebuilds it). */
  readonly hasSrc: boolean;
  /** Index of the top-level closing brace. */
  readonly end: number;
}

/** The scan's answer; null means "ask parsePeerjsClientMessage". */
export type PeerjsFrameScan = PeerjsFrameHead | PeerjsHeartbeat | null;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** Bytes of an id: 1 for letters and digits, 2 for the separators (space, `_`, `-`). */
const ID_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') ID_BYTE[c.charCodeAt(0)] = 1;
for (const c of ' _-') ID_BYTE[c.charCodeAt(0)] = 2;

/**
 * isPeerjsId on the bytes [s, e), without making the string first: 1 to PEERJS_MAX_ID_LENGTH
 * letters and digits, single separators between them. A table, not comparisons: the hex digits
 * and letters of a UUID alternate at random, which branches would mispredict. Kept equal to the
 * regex there by the scan's tests, which compare every answer with the full parser's.
 */
function isIdBytes(b: Uint8Array, s: number, e: number): boolean {
  if (e <= s || e - s > PEERJS_MAX_ID_LENGTH || ID_BYTE[b[s]!] !== 1 || ID_BYTE[b[e - 1]!] !== 1) return false;
  let previous = 1;
  for (let i = s + 1; i < e - 1; i++) {
    const kind = ID_BYTE[b[i]!]!;
    // 0: not an id byte; 2 after 2: two separators in a row.
    if ((kind & previous) === 2 || kind === 0) return false;
    previous = kind;
  }
  return true;
}

// The keys the relay reads, as bytes compared in place.
const KEY_OTHER = 0;
const KEY_TYPE = 1;
const KEY_DST = 2;
const KEY_PAYLOAD = 3;
const KEY_SRC = 4;

/** Which key the unescaped key bytes [s, e) are. */
function keyAt(b: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 3:
      if (matches(b, s, 'dst')) return KEY_DST;
      return matches(b, s, 'src') ? KEY_SRC : KEY_OTHER;
    case 4:
      return matches(b, s, 'type') ? KEY_TYPE : KEY_OTHER;
    case 7:
      return matches(b, s, 'payload') ? KEY_PAYLOAD : KEY_OTHER;
    default:
      return KEY_OTHER;
  }
}

/** The type named by the unescaped string bytes [s, e), or undefined. */
function typeAt(b: Uint8Array, s: number, e: number): PeerjsRelayType | 'HEARTBEAT' | undefined {
  switch (e - s) {
    case 5:
      if (matches(b, s, 'OFFER')) return 'OFFER';
      if (matches(b, s, 'LEAVE')) return 'LEAVE';
      return undefined;
    case 6:
      if (matches(b, s, 'ANSWER')) return 'ANSWER';
      return matches(b, s, 'EXPIRE') ? 'EXPIRE' : undefined;
    case 9:
      if (matches(b, s, 'CANDIDATE')) return 'CANDIDATE';
      return matches(b, s, 'HEARTBEAT') ? 'HEARTBEAT' : undefined;
    default:
      return undefined;
  }
}

/** Reads a client frame in place (see the header); null when only the full parser can answer. */
export function scanPeerjsClientFrame(b: Buffer): PeerjsFrameScan {
  const n = b.length;
  beginJsonScan(b);
  let i = skipSpace(b, 0, n);
  if (b[i] !== LBRACE) return null;
  i = skipSpace(b, i + 1, n);
  // Last occurrence wins, as in JSON.parse: [start, end) of the type and dst strings, payload's first byte.
  let typeStart = -1;
  let typeEnd = -1;
  let dstStart = -1;
  let dstEnd = -1;
  let payloadFirst = -1;
  let hasSrc = false;
  if (b[i] !== RBRACE) {
    for (;;) {
      if (b[i] !== QUOTE) return null;
      const keyStart = i + 1;
      i = scanString(b, keyStart, n);
      // An escaped key could spell any name: leave it to the full parser.
      if (i < 0 || stringHadEscape()) return null;
      const key = keyAt(b, keyStart, i - 1);
      i = skipSpace(b, i, n);
      if (b[i] !== COLON) return null;
      i = skipSpace(b, i + 1, n);
      const valueStart = i;
      if ((key === KEY_TYPE || key === KEY_DST) && b[i] === QUOTE) {
        i = scanString(b, i + 1, n);
        if (i < 0 || stringHadEscape()) return null;
        if (key === KEY_TYPE) {
          typeStart = valueStart + 1;
          typeEnd = i - 1;
        } else {
          dstStart = valueStart + 1;
          dstEnd = i - 1;
        }
      } else {
        i = skipValue(b, i, n);
        if (i < 0) return null;
        // A type or dst that is not a string is one the full parser refuses.
        if (key === KEY_TYPE) typeStart = typeEnd = -1;
        else if (key === KEY_DST) dstStart = dstEnd = -1;
      }
      if (key === KEY_PAYLOAD) payloadFirst = b[valueStart]!;
      else if (key === KEY_SRC) hasSrc = true;
      i = skipSpace(b, i, n);
      if (b[i] === RBRACE) break;
      if (b[i] !== COMMA) return null;
      i = skipSpace(b, i + 1, n);
    }
  }
  const end = i;
  if (skipSpace(b, end + 1, n) !== n) return null;
  if (typeStart < 0) return null;
  const type = typeAt(b, typeStart, typeEnd);
  if (type === undefined) return null;
  if (type === 'HEARTBEAT') return PEERJS_HEARTBEAT;
  if ((type === 'OFFER' || type === 'ANSWER' || type === 'CANDIDATE') && payloadFirst !== LBRACE) return null;
  if (dstStart < 0) return null;
  // An id is ASCII, so latin1 turns its bytes into the same string UTF-8 would.
  return isIdBytes(b, dstStart, dstEnd) ? { type, dst: b.toString('latin1', dstStart, dstEnd), hasSrc, end } : null;
}
