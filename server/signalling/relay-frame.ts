/**
 * The frame a destination receives for a relayed message: the sender's own validated bytes with
 * `"src":"<sender id>"` spliced in before the closing brace, or, where the bytes cannot be trusted
 * as they are, a frame rebuilt from the validated fields.
 *
 * Why splice: the stock server re-parses and re-stringifies every message (JSON.stringify, then ws
 * encodes the string to UTF-8 again). Here the frame was already checked once; the splice is one
 * pooled allocation and one memcpy. The spliced frame is built as a whole WebSocket text frame —
 * header, body — so it leaves as one buffer in one write (write-batch.ts) instead of ws's header
 * and body pair; `frameBody` recovers the body for a socket that must go through ws.
 */
import { peerjsRelayFrame, type PeerjsRelayMessage } from '../../protocol/messages/peerjs.js';

const CLOSE_BRACE = 0x7d;
/** `,"src":"`: the bytes the splice puts before the id; `"}` follows it. */
const SRC_KEY = Buffer.from(',"src":"', 'latin1');
const SPLICE_BYTES = SRC_KEY.length + 2;
/** RFC 6455 §5.2: FIN set, opcode 1 (text). */
const FIN_TEXT = 0x81;

/** Bytes of the RFC 6455 §5.2 header of an unmasked (server-sent) frame with `bodyLength` bytes. */
function headerLength(bodyLength: number): number {
  return bodyLength <= 125 ? 2 : bodyLength <= 0xffff ? 4 : 10;
}

/**
 * One WebSocket text frame carrying `raw[0, end)` then `,"src":"<src>"}`. `raw` must be a JSON
 * object checked to be valid UTF-8 with members and no `src` key, its closing brace at `end`;
 * `src` an id (isPeerjsId: ASCII, so latin1 writes it byte for byte).
 */
export function splicedFrame(raw: Buffer, end: number, src: string): Buffer {
  const body = end + src.length + SPLICE_BYTES;
  const h = headerLength(body);
  const out = Buffer.allocUnsafe(h + body);
  out[0] = FIN_TEXT;
  if (h === 2) {
    out[1] = body;
  } else if (h === 4) {
    out[1] = 126;
    out.writeUInt16BE(body, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(body, 6);
  }
  // TypedArray set and a short loop: Buffer's copy and write go through bindings that cost more
  // than the bytes they move.
  out.set(raw.subarray(0, end), h);
  let at = h + end;
  out.set(SRC_KEY, at);
  at += SRC_KEY.length;
  for (let k = 0; k < src.length; k++) out[at++] = src.charCodeAt(k);
  out[at++] = 0x22;
  out[at] = CLOSE_BRACE;
  return out;
}

/** The body of a frame splicedFrame built, for sending it through ws like any other message. */
export function frameBody(frame: Buffer): Buffer {
  const second = frame[1]! & 0x7f;
  return frame.subarray(second < 126 ? 2 : second === 126 ? 4 : 10);
}

/**
 * The frame to relay from `src` for a message the full parser read from `raw`: spliced when the
 * bytes can go as they are; otherwise (a binary frame, text ws did not check as UTF-8, or a frame
 * carrying its own `src`) a text body rebuilt from the validated fields, so no receiver ever sees
 * invalid UTF-8 or a forged src (not even as an earlier duplicate key).
 */
export function relayFrame(raw: Buffer, message: PeerjsRelayMessage, src: string, rawIsUtf8: boolean): Buffer | string {
  if (!rawIsUtf8 || (message as { src?: unknown }).src !== undefined) {
    const payload = message.payload === undefined ? undefined : JSON.stringify(message.payload);
    return peerjsRelayFrame(message.type, src, message.dst, payload);
  }
  // It parsed to an object with members, so its last non-space byte is the closing brace.
  return splicedFrame(raw, raw.lastIndexOf(CLOSE_BRACE), src);
}
