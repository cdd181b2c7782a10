/**
 * The peer ⇄ peer protocol: binary frames on a PeerJS data connection (raw serialization). A
 * visitor asks another for one chunk by its hash (`request`; chunks are content-addressed, so the
 * server side needs no manifest to answer) and gets it back in `piece` frames, or `absent`;
 * `cancel` withdraws a request; at most MAX_REQUESTS_IN_FLIGHT are unanswered at once. Peer
 * exchange: `ask-peers` asks which peers the other side had a verified exchange with, `peers`
 * answers it (at most MAX_EXCHANGE_PEERS ids; hints, never trusted). Both go only to a peer that
 * said it speaks them (PEER_EXCHANGE_METADATA on its connect, or an `ask-peers` of its own): a page
 * of an older bridge would drop a peer for a frame type it does not know. Manifest relay
 * (`manifest-version`, `manifest-part`) is peer-manifest.ts's. The parser is the trust
 * boundary: anything that does not parse exactly is refused, and the bridge drops the peer that
 * sent it. Lengths are counted from the bytes received, never taken from what a peer claims.
 *
 * Layout (big-endian): byte 0 is the frame type.
 *   request    0x01 | requestId u32 | chunk sha256 (32 bytes)                      = 37 bytes
 *   piece      0x02 | requestId u32 | offset u32 | chunkLength u32 | data (≥ 1 byte)
 *   absent     0x03 | requestId u32 | reason u8                                    = 6 bytes
 *   cancel     0x04 | requestId u32                                                = 5 bytes
 *   ask-peers  0x05 | requestId u32                                                = 5 bytes
 *   peers      0x06 | requestId u32 | count u8 | (length u8 | peer id, ASCII) × count
 *   manifest-version, manifest-part  0x07, 0x08: peer-manifest.ts
 */
import { fromBase64, toBase64 } from '../manifest/encoding.js';
import { MAX_CHUNK_SIZE, type Sha256Sri } from '../manifest/types.js';
import { MANIFEST_FRAME_TYPES, parseManifestFrame, type ManifestFrame } from './peer-manifest.js';
import { isPeerjsId } from './peerjs.js';

/** The label a swarmcdn data connection carries, so a stray PeerJS connection is told apart. */
export const PEER_PROTOCOL_LABEL = 'swarmcdn/peer@1';
/** 256 KiB: Chromium's SCTP maxMessageSize; a larger message closes the data channel. */
export const MAX_PEER_MESSAGE_BYTES = 262_144;
/** 128 KiB of data per piece: a default 256 KiB chunk is two messages, each well under the cap. */
export const MAX_PIECE_DATA_BYTES = 131_072;
/** The largest request id (u32). */
export const MAX_REQUEST_ID = 0xffff_ffff;
/**
 * Requests a requester keeps unanswered on one connection at most (a request is answered by its
 * last piece or `absent`, or withdrawn by `cancel`); the server side treats one more as a protocol
 * violation. 16: a serving page's default maxUploads, so one peer alone can keep all of them busy.
 */
export const MAX_REQUESTS_IN_FLIGHT = 16;
/** Peer ids in one `peers` answer: enough to refill a pool (minPeers is a few), little for a liar to steer. */
export const MAX_EXCHANGE_PEERS = 16;
/**
 * The metadata a connecting page puts on its data connection to say it speaks peer exchange, and
 * relays manifests (`manifest: 1`, peer-manifest.ts) (the answering side reads `conn.metadata` as
 * unknown: isPeerExchangeMetadata, isManifestRelayMetadata).
 */
export const PEER_EXCHANGE_METADATA = Object.freeze({ exchange: 1, manifest: 1 });

/** True when a connection's metadata (anything the offerer sent) says it speaks peer exchange. */
export function isPeerExchangeMetadata(metadata: unknown): boolean {
  return typeof metadata === 'object' && metadata !== null && (metadata as { exchange?: unknown }).exchange === 1;
}

const REQUEST = 0x01;
const PIECE = 0x02;
const ABSENT = 0x03;
const CANCEL = 0x04;
const ASK_PEERS = 0x05;
const PEERS = 0x06;
const REQUEST_BYTES = 37;
const PIECE_HEADER_BYTES = 13;
const ABSENT_BYTES = 6;
const CANCEL_BYTES = 5;
const SHA256_BYTES = 32;

/** Why a peer answered `absent`. */
export type AbsentReason = 'not-held' | 'busy';
const ABSENT_REASONS: readonly AbsentReason[] = ['not-held', 'busy'];

/** A frame, parsed. */
export type PeerFrame =
  | { readonly type: 'request'; readonly requestId: number; readonly chunk: Sha256Sri }
  /** `data` is a view into the received message (no copy) at `offset` of a chunk of `chunkLength` bytes. */
  | { readonly type: 'piece'; readonly requestId: number; readonly offset: number; readonly chunkLength: number; readonly data: Uint8Array }
  | { readonly type: 'absent'; readonly requestId: number; readonly reason: AbsentReason }
  | { readonly type: 'cancel'; readonly requestId: number }
  | { readonly type: 'ask-peers'; readonly requestId: number }
  /** Distinct, well-formed peer ids, at most MAX_EXCHANGE_PEERS: what the sender says; hints only. */
  | { readonly type: 'peers'; readonly requestId: number; readonly peers: readonly string[] }
  | ManifestFrame;

/** A parsed frame, or why it was refused (the reason is for logs; the code is always PEER_PROTOCOL). */
export type PeerFrameResult = { readonly ok: true; readonly frame: PeerFrame } | { readonly ok: false; readonly reason: string };

function refused(reason: string): PeerFrameResult {
  return { ok: false, reason };
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_REQUEST_ID;
}

/** The 32 raw digest bytes of a sha256 SRI value, or undefined when it is not one. */
export function sriToDigest(sri: Sha256Sri): Uint8Array | undefined {
  if (!sri.startsWith('sha256-')) return undefined;
  const digest = fromBase64(sri.slice(7));
  return digest && digest.length === SHA256_BYTES ? digest : undefined;
}

/** The sha256 SRI value of 32 raw digest bytes. */
export function digestToSri(digest: Uint8Array): Sha256Sri {
  return `sha256-${toBase64(digest)}`;
}

function header(type: number, requestId: number, bytes: number): { frame: Uint8Array; view: DataView } {
  if (!isU32(requestId)) throw new RangeError(`requestId ${requestId} is not a u32`);
  const frame = new Uint8Array(bytes);
  const view = new DataView(frame.buffer);
  view.setUint8(0, type);
  view.setUint32(1, requestId);
  return { frame, view };
}

/** Encodes a request for the chunk whose SRI value is `chunk`. */
export function encodeRequest(requestId: number, chunk: Sha256Sri): Uint8Array {
  const digest = sriToDigest(chunk);
  if (!digest) throw new RangeError('chunk is not a sha256 SRI value');
  const { frame } = header(REQUEST, requestId, REQUEST_BYTES);
  frame.set(digest, 5);
  return frame;
}

/** Encodes one piece of a chunk: `data` sits at `offset` of a chunk of `chunkLength` bytes. */
export function encodePiece(requestId: number, offset: number, chunkLength: number, data: Uint8Array): Uint8Array {
  return encodePieceInto(new Uint8Array(PIECE_HEADER_BYTES + data.length), requestId, offset, chunkLength, data);
}

/** The bytes a piece frame with `dataBytes` of data takes (a buffer for encodePieceInto). */
export function pieceFrameBytes(dataBytes: number): number {
  return PIECE_HEADER_BYTES + dataBytes;
}

/**
 * encodePiece into `target` (at its start): returns the frame, a view of `target`. For a sender
 * that reuses one buffer for every piece it sends: a fresh 128 KiB buffer per piece costs more
 * than the copy itself (the pages it touches are new), and RTCDataChannel.send copies the frame
 * before it returns, so the buffer is free again at once.
 */
export function encodePieceInto(target: Uint8Array, requestId: number, offset: number, chunkLength: number, data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length > MAX_PEER_MESSAGE_BYTES - PIECE_HEADER_BYTES) throw new RangeError(`piece of ${data.length} bytes`);
  if (!isU32(offset) || chunkLength > MAX_CHUNK_SIZE || offset + data.length > chunkLength) throw new RangeError('piece outside its chunk');
  if (!isU32(requestId)) throw new RangeError(`requestId ${requestId} is not a u32`);
  if (target.length < PIECE_HEADER_BYTES + data.length) throw new RangeError(`a ${target.length}-byte buffer cannot hold a piece of ${data.length} bytes`);
  const frame = target.subarray(0, PIECE_HEADER_BYTES + data.length);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint8(0, PIECE);
  view.setUint32(1, requestId);
  view.setUint32(5, offset);
  view.setUint32(9, chunkLength);
  frame.set(data, PIECE_HEADER_BYTES);
  return frame;
}

/** Splits a whole chunk into piece frames of at most `pieceBytes` of data each. */
export function encodeChunk(requestId: number, chunk: Uint8Array, pieceBytes = MAX_PIECE_DATA_BYTES): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < chunk.length; offset += pieceBytes) {
    frames.push(encodePiece(requestId, offset, chunk.length, chunk.subarray(offset, offset + pieceBytes)));
  }
  return frames;
}

/** Encodes an answer that the chunk is not served. */
export function encodeAbsent(requestId: number, reason: AbsentReason): Uint8Array {
  const { frame, view } = header(ABSENT, requestId, ABSENT_BYTES);
  view.setUint8(5, ABSENT_REASONS.indexOf(reason));
  return frame;
}

/** Encodes the withdrawal of a request. */
export function encodeCancel(requestId: number): Uint8Array {
  return header(CANCEL, requestId, CANCEL_BYTES).frame;
}

/** Encodes a peer-exchange question. */
export function encodeAskPeers(requestId: number): Uint8Array {
  return header(ASK_PEERS, requestId, CANCEL_BYTES).frame;
}

/** Encodes the answer to `ask-peers` `requestId`; throws on more than MAX_EXCHANGE_PEERS ids, a repeat or an id that is not one. */
export function encodePeers(requestId: number, peers: readonly string[]): Uint8Array {
  if (peers.length > MAX_EXCHANGE_PEERS || new Set(peers).size !== peers.length) throw new RangeError(`${peers.length} peer ids, or a repeated one`);
  for (const id of peers) if (!isPeerjsId(id)) throw new RangeError(`${JSON.stringify(id)} is not a peer id`);
  const bytes = peers.reduce((sum, id) => sum + 1 + id.length, CANCEL_BYTES + 1);
  const { frame } = header(PEERS, requestId, bytes);
  frame[CANCEL_BYTES] = peers.length;
  let at = CANCEL_BYTES + 1;
  for (const id of peers) {
    frame[at++] = id.length;
    // Peer ids are ASCII (isPeerjsId): one byte per character.
    for (let i = 0; i < id.length; i++) frame[at++] = id.charCodeAt(i);
  }
  return frame;
}

/** True when `frame` (encoded by encodePiece…) is a piece that ends its chunk: the chunk was sent whole. */
export function pieceEndsChunk(frame: Uint8Array): boolean {
  if (frame.length <= PIECE_HEADER_BYTES || frame[0] !== PIECE) return false;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return view.getUint32(5) + frame.length - PIECE_HEADER_BYTES === view.getUint32(9);
}

/** The ids of a `peers` frame's body (from its count byte on), or undefined unless it is exactly that. */
function readPeerIds(bytes: Uint8Array): string[] | undefined {
  const count = bytes[CANCEL_BYTES];
  if (count === undefined || count > MAX_EXCHANGE_PEERS) return undefined;
  const peers: string[] = [];
  let at = CANCEL_BYTES + 1;
  for (let n = 0; n < count; n++) {
    const length = bytes[at];
    if (length === undefined || length === 0 || at + 1 + length > bytes.length) return undefined;
    const id = String.fromCharCode(...bytes.subarray(at + 1, at + 1 + length));
    if (!isPeerjsId(id) || peers.includes(id)) return undefined;
    peers.push(id);
    at += 1 + length;
  }
  return at === bytes.length ? peers : undefined;
}

function asBytes(message: unknown): Uint8Array | undefined {
  if (message instanceof Uint8Array) return message;
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  return undefined;
}

/**
 * Parses one data-channel message. Never throws: anything but an exact frame (a string, a wrong
 * length, an unknown type, a piece outside its chunk, a chunk larger than any manifest allows) is
 * refused.
 */
export function parsePeerFrame(message: unknown): PeerFrameResult {
  const bytes = asBytes(message);
  if (!bytes) return refused('not a binary message');
  if (bytes.length === 0) return refused('empty message');
  if (bytes.length > MAX_PEER_MESSAGE_BYTES) return refused(`message of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(0);
  if (MANIFEST_FRAME_TYPES.has(type)) {
    const manifest = parseManifestFrame(bytes);
    return typeof manifest === 'string' ? refused(manifest) : { ok: true, frame: manifest };
  }
  if (bytes.length < CANCEL_BYTES) return refused('message shorter than any frame');
  const requestId = view.getUint32(1);
  switch (type) {
    case REQUEST:
      if (bytes.length !== REQUEST_BYTES) return refused('request of the wrong length');
      return { ok: true, frame: { type: 'request', requestId, chunk: digestToSri(bytes.subarray(5, 5 + SHA256_BYTES)) } };
    case PIECE: {
      if (bytes.length <= PIECE_HEADER_BYTES) return refused('piece without data');
      const offset = view.getUint32(5);
      const chunkLength = view.getUint32(9);
      const data = bytes.subarray(PIECE_HEADER_BYTES);
      if (chunkLength > MAX_CHUNK_SIZE) return refused(`chunk of ${chunkLength} bytes`);
      if (offset + data.length > chunkLength) return refused('piece outside its chunk');
      return { ok: true, frame: { type: 'piece', requestId, offset, chunkLength, data } };
    }
    case ABSENT: {
      if (bytes.length !== ABSENT_BYTES) return refused('absent of the wrong length');
      const reason = ABSENT_REASONS[view.getUint8(5)];
      if (!reason) return refused('absent with an unknown reason');
      return { ok: true, frame: { type: 'absent', requestId, reason } };
    }
    case CANCEL:
      if (bytes.length !== CANCEL_BYTES) return refused('cancel of the wrong length');
      return { ok: true, frame: { type: 'cancel', requestId } };
    case ASK_PEERS:
      if (bytes.length !== CANCEL_BYTES) return refused('ask-peers of the wrong length');
      return { ok: true, frame: { type: 'ask-peers', requestId } };
    case PEERS: {
      const peers = readPeerIds(bytes);
      if (!peers) return refused(`peers frame that is not ${MAX_EXCHANGE_PEERS} distinct peer ids at most, exactly`);
      return { ok: true, frame: { type: 'peers', requestId, peers } };
    }
    default:
      return refused(`unknown frame type ${type}`);
  }
}
