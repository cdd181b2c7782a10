/**
 * PeerJS signalling on the wire, as the stock `peerjs` 1.5 client and `peer` 1.0 server speak it:
 * the frames a client sends, the frames a server sends, one parser for the first and cheap
 * builders for the second. Imports nothing: the server uses it, and a page or worker could.
 *
 * Speed: the server calls `parsePeerjsClientMessage` once per frame, so it does one JSON.parse,
 * a switch on `type` and a few typeof checks, and returns the parsed object itself (no copy) or a
 * shared frozen rejection (no allocation). Server frames are built by string concatenation of
 * fields the parser or the server has already validated to need no JSON escaping.
 */

/** Types a client sends that the server relays to `dst`. EXPIRE too, as the stock server does. */
export type PeerjsRelayType = 'OFFER' | 'ANSWER' | 'CANDIDATE' | 'LEAVE' | 'EXPIRE';

/** A client frame to relay. `payload` is whatever JSON the client sent (an object for OFFER, ANSWER and CANDIDATE). */
export interface PeerjsRelayMessage {
  readonly type: PeerjsRelayType;
  readonly dst: string;
  readonly payload?: unknown;
}

/** A client's liveness beat (the stock client sends one every 5 s). */
export interface PeerjsHeartbeat {
  readonly type: 'HEARTBEAT';
}

/** Every frame a client may send. A client-supplied `src` is never part of it: the server sets src. */
export type PeerjsClientMessage = PeerjsRelayMessage | PeerjsHeartbeat;

/** Why a frame was refused (for logs and tests; the wire carries only the catalogue code). */
export type PeerjsRejectReason = 'not-json' | 'not-object' | 'unknown-type' | 'bad-dst' | 'bad-payload';

/**
 * A refused frame. `type` is 'REJECTED', a value no client frame can carry (it is not in the
 * client type union, so a frame claiming it is rejected as 'unknown-type').
 */
export interface PeerjsRejection {
  readonly type: 'REJECTED';
  readonly code: 'SIGNAL_MALFORMED';
  readonly reason: PeerjsRejectReason;
}

/** What the parser returns: a message to act on, or a rejection. */
export type PeerjsParseResult = PeerjsClientMessage | PeerjsRejection;

/** Frames the server sends. */
export type PeerjsServerMessage =
  | { readonly type: 'OPEN' }
  | { readonly type: 'ERROR' | 'ID-TAKEN'; readonly payload: { readonly msg: string; readonly code: string } }
  | { readonly type: PeerjsRelayType; readonly src: string; readonly dst: string; readonly payload?: unknown };

/** Longest peer id or token accepted (the stock server issues 36-character UUIDs). */
export const PEERJS_MAX_ID_LENGTH = 64;

// The stock client's own id rule (util.validateId), plus a length cap. Such a string needs no
// escaping inside a JSON string, which is what lets the builders below concatenate it.
const ID_RE = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;

/** True for a string the stock client accepts as a peer id, at most PEERJS_MAX_ID_LENGTH long. */
export function isPeerjsId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= PEERJS_MAX_ID_LENGTH && ID_RE.test(value);
}

// Token: the stock client's is Math.random().toString(36).slice(2); accept a little more.
const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/** True for a usable connection token: 1–64 characters of [A-Za-z0-9_-]. */
export function isPeerjsToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= PEERJS_MAX_ID_LENGTH && TOKEN_RE.test(value);
}

function rejection(reason: PeerjsRejectReason): PeerjsRejection {
  return Object.freeze({ type: 'REJECTED', code: 'SIGNAL_MALFORMED', reason });
}
const NOT_JSON = rejection('not-json');
const NOT_OBJECT = rejection('not-object');
const UNKNOWN_TYPE = rejection('unknown-type');
const BAD_DST = rejection('bad-dst');
const BAD_PAYLOAD = rejection('bad-payload');
/** The one HEARTBEAT value the parser returns (frozen, shared). */
export const PEERJS_HEARTBEAT: PeerjsHeartbeat = Object.freeze({ type: 'HEARTBEAT' });

// ignoreBOM: keep a leading BOM, so bytes and text of one frame parse alike (JSON.parse refuses it).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Turns one WebSocket frame into a typed client message, or a rejection; never throws. OFFER,
 * ANSWER and CANDIDATE need an object payload (the stock client dereferences it); LEAVE and EXPIRE
 * need only `dst`. Unknown extra fields are tolerated and ignored.
 */
export function parsePeerjsClientMessage(raw: string | Uint8Array): PeerjsParseResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : decoder.decode(raw));
  } catch {
    return NOT_JSON;
  }
  if (typeof value !== 'object' || value === null) return NOT_OBJECT;
  const m = value as { type?: unknown; dst?: unknown; payload?: unknown };
  switch (m.type) {
    case 'HEARTBEAT':
      return PEERJS_HEARTBEAT;
    case 'OFFER':
    case 'ANSWER':
    case 'CANDIDATE':
      if (typeof m.payload !== 'object' || m.payload === null || Array.isArray(m.payload)) return BAD_PAYLOAD;
    // falls through: these need a dst as well
    case 'LEAVE':
    case 'EXPIRE':
      return isPeerjsId(m.dst) ? (m as PeerjsRelayMessage) : BAD_DST;
    default:
      return UNKNOWN_TYPE;
  }
}

/** The frame that admits a client. */
export const PEERJS_OPEN_FRAME = '{"type":"OPEN"}';

/**
 * An ERROR or ID-TAKEN frame. The stock client shows `payload.msg` and aborts; `code` is the
 * catalogue code, for clients (and tests) that want data rather than text.
 */
export function peerjsErrorFrame(type: 'ERROR' | 'ID-TAKEN', code: string, msg: string): string {
  return JSON.stringify({ type, payload: { msg, code } });
}

/**
 * A relayed frame. `src` and `dst` must satisfy isPeerjsId (no escaping needed); `payloadJson` is
 * JSON text or undefined (no payload field).
 */
export function peerjsRelayFrame(type: PeerjsRelayType, src: string, dst: string, payloadJson: string | undefined): string {
  const head = '{"type":"' + type + '","src":"' + src + '","dst":"' + dst + '"';
  return payloadJson === undefined ? head + '}' : head + ',"payload":' + payloadJson + '}';
}

/** What the sender of undeliverable messages gets: EXPIRE, from the peer it could not reach. */
export function peerjsExpireFrame(unreachable: string, sender: string): string {
  return peerjsRelayFrame('EXPIRE', unreachable, sender, undefined);
}
