/**
 * The tracker protocol: page ⇄ server over the page's signalling (PeerJS) WebSocket, one JSON
 * object per text frame, beside PeerJS's own frames. Tracker types are lower case and PeerJS's
 * upper case, so the two never collide; a client puts `type` first (JSON.stringify of an object
 * literal that starts with it), which lets the server route a frame by its first bytes. Both directions are `unknown` until a parser here turns them into a typed value or a
 * catalogue code; the parsers never throw and never copy fields they do not know (so a
 * `__proto__` key or a stray field cannot ride along into the server's objects).
 */
import { isErrorCode, type ErrorCode } from '../errors.js';
import { isSha256Sri } from '../manifest/manifest.js';
import type { Sha256Sri } from '../manifest/types.js';
import { readAvailabilityCounts } from './availability.js';

/** Default caps; the server passes its configured ones, clients use these. */
export const TRACKER_LIMITS = Object.freeze({
  /** Hashes in one `have`/`lost`: 4096 × ~60 bytes ≈ 240 KiB, under the default frame cap. */
  maxHashesPerMessage: 4096,
  /** Characters in one frame (UTF-8 bytes are never fewer than UTF-16 units, so this bounds bytes too). */
  maxMessageChars: 512 * 1024,
  /** Peer ids in one `peers` answer a client accepts (the server's K is far smaller). */
  maxPeersPerAnswer: 256,
  /** One stats delta: 1 TiB. A client reporting more in one message is lying or broken. */
  maxStatsDelta: 2 ** 40,
  /** Senders in one `stats.from`: a page holds at most a few peer connections (8 by default) per 5 s of stats. */
  maxStatsSenders: 32,
  /** Files in one `availability` frame a client accepts: 8,000 × ~65 chars ≈ 520 KB, inside the frame cap (the server sends 4,096). */
  maxAvailabilityEntries: 8000,
});

/** A peer id as the signalling server issues it (PeerJS ids are UUIDs). */
const PEER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A site is the page's origin (`https://example.com:8443`): visible ASCII, no spaces. */
const SITE_RE = /^[\x21-\x7e]{1,256}$/;

/** True for a value the tracker accepts as a `site` (the availability route validates `?site=` with it). */
export function isTrackerSite(value: unknown): value is string {
  return typeof value === 'string' && SITE_RE.test(value);
}
/** A region hint is a short token (`eu-west`, `fra1`); it only groups peers, so keep it plain. */
const REGION_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const ETAG_RE = /^[\x21-\x7e]{1,256}$/;
const MAX_ERROR_MESSAGE_CHARS = 1024;

/** Client → server. */
export type TrackerClientMessage =
  /** `peerId`, when given, must be the socket's own signalling id (the server knows it anyway). */
  | { readonly type: 'join'; readonly site: string; readonly peerId?: string; readonly region?: string }
  | { readonly type: 'have'; readonly hashes: readonly Sha256Sri[] }
  | { readonly type: 'lost'; readonly hashes: readonly Sha256Sri[] }
  | { readonly type: 'want'; readonly hash: Sha256Sri; readonly requestId?: number }
  | { readonly type: 'report'; readonly peerId: string; readonly hash: Sha256Sri }
  /**
   * Byte deltas since the last stats: received from peers, cache, origin; `from` = bytes received
   * per sending peer id (whole chunks), which is what ranks uploaders. A peer's word on its own
   * uploads is not asked for (an `upload` field of older clients is ignored).
   */
  | {
      readonly type: 'stats';
      readonly peer: number;
      readonly cache: number;
      readonly origin: number;
      readonly from?: Readonly<Record<string, number>>;
    }
  | { readonly type: 'ping' };

/** Server → client. */
export type TrackerServerMessage =
  | { readonly type: 'joined'; readonly peerId: string; readonly manifestVersion?: number }
  /** Up to K holders, nearest first; `holders` is how many peers announced the hash (its health). */
  | { readonly type: 'peers'; readonly hash: Sha256Sri; readonly peers: readonly string[]; readonly holders: number; readonly requestId?: number }
  /** A new signed manifest is at /swarmcdn/manifest. */
  | { readonly type: 'manifest'; readonly version: number; readonly etag: string }
  /**
   * Holders per manifest file (keyed by `integrity`) in the client's site. `full: true` replaces the
   * client's whole view (absent = 0 holders); `full: false` is a delta: each listed file's count now
   * (0 = nobody holds it any more). A snapshot larger than one frame is one `full: true` frame
   * followed by `full: false` frames.
   */
  | { readonly type: 'availability'; readonly full: boolean; readonly files: Readonly<Record<Sha256Sri, number>> }
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'pong' };

/** Every client message type: lower case, unlike PeerJS's, so one socket carries both. */
export const TRACKER_CLIENT_TYPES: ReadonlySet<string> = new Set(['join', 'have', 'lost', 'want', 'report', 'stats', 'ping']);

/** Every server message type (the page's socket hands these to the tracker client, the rest to peerjs). */
export const TRACKER_SERVER_TYPES: ReadonlySet<string> = new Set(['joined', 'peers', 'manifest', 'availability', 'error', 'pong']);

/** The `type` of a client message. */
export type TrackerClientMessageType = TrackerClientMessage['type'];

/** A parsed message, or why it was refused. */
export type TrackerParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: ErrorCode; readonly reason: string };

/** Caps a parser applies; omitted ones default to TRACKER_LIMITS. */
export interface TrackerParseLimits {
  readonly maxHashesPerMessage?: number;
  readonly maxMessageChars?: number;
}

// Thrown only inside this module and always caught by the exported parsers.
class Refusal {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
  ) {}
}

function refuse(reason: string, code: ErrorCode = 'TRACKER_MALFORMED'): never {
  throw new Refusal(code, reason);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matching(value: unknown, re: RegExp, field: string): string {
  if (typeof value !== 'string' || !re.test(value)) refuse(`${field} is missing or not allowed`);
  return value;
}

function hash(value: unknown, field: string): Sha256Sri {
  if (!isSha256Sri(value)) refuse(`${field} is not a sha256 SRI value`);
  return value;
}

function hashList(value: unknown, max: number): Sha256Sri[] {
  if (!Array.isArray(value)) refuse('hashes is not an array');
  if (value.length > max) refuse(`more than ${max} hashes in one message`, 'TRACKER_TOO_MANY_HASHES');
  for (const item of value) if (!isSha256Sri(item)) refuse('hashes holds a value that is not a sha256 SRI value');
  return value as Sha256Sri[];
}

function count(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) refuse(`${field} is not a count`);
  return value;
}

/** `{ peerId: bytes }` with at most `max` entries, copied into a prototype-less object. */
function senders(value: unknown, max: number): Record<string, number> {
  if (!isRecord(value)) refuse('from is not an object');
  const out = Object.create(null) as Record<string, number>;
  let entries = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++entries > max) refuse(`more than ${max} senders in one stats message`);
    out[matching(key, PEER_ID_RE, 'from key')] = count(value[key], 'from value', TRACKER_LIMITS.maxStatsDelta);
  }
  return out;
}

function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

/**
 * Runs a reader over a frame: its text (size cap, JSON), or the value a transport already parsed
 * from one (peerjs parses every frame of its socket); either way an object with a string `type`.
 */
function parseFrame<T>(raw: unknown, maxChars: number, read: (m: Record<string, unknown>, type: string) => T): TrackerParseResult<T> {
  try {
    let message: unknown = raw;
    if (typeof raw === 'string') {
      if (raw.length > maxChars) refuse(`frame longer than ${maxChars}`, 'TRACKER_FRAME_TOO_LARGE');
      try {
        message = JSON.parse(raw);
      } catch {
        refuse('not JSON');
      }
    }
    if (!isRecord(message) || typeof message.type !== 'string') refuse('not an object with a type');
    return { ok: true, value: read(message, message.type) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, code: error.code, reason: error.reason };
    // Unreachable by construction; still a coded answer, because a parser at a trust boundary never throws.
    return { ok: false, code: 'TRACKER_MALFORMED', reason: 'unparseable' };
  }
}

/** Turns a frame a client sent into a typed message, or a coded refusal. Never throws. */
export function parseTrackerClientMessage(raw: string, limits: TrackerParseLimits = {}): TrackerParseResult<TrackerClientMessage> {
  const maxHashes = limits.maxHashesPerMessage ?? TRACKER_LIMITS.maxHashesPerMessage;
  return parseFrame(raw, limits.maxMessageChars ?? TRACKER_LIMITS.maxMessageChars, (m, type): TrackerClientMessage => {
    switch (type) {
      case 'join': {
        const region = optional(m.region, (v) => matching(v, REGION_RE, 'region'));
        const peerId = optional(m.peerId, (v) => matching(v, PEER_ID_RE, 'peerId'));
        const join = { type, site: matching(m.site, SITE_RE, 'site') };
        return { ...join, ...(peerId === undefined ? {} : { peerId }), ...(region === undefined ? {} : { region }) };
      }
      case 'have':
      case 'lost':
        return { type, hashes: hashList(m.hashes, maxHashes) };
      case 'want': {
        const requestId = optional(m.requestId, (v) => count(v, 'requestId'));
        const want = { type, hash: hash(m.hash, 'hash') };
        return requestId === undefined ? want : { ...want, requestId };
      }
      case 'report':
        return { type, peerId: matching(m.peerId, PEER_ID_RE, 'peerId'), hash: hash(m.hash, 'hash') };
      case 'stats': {
        const max = TRACKER_LIMITS.maxStatsDelta;
        const from = optional(m.from, (v) => senders(v, TRACKER_LIMITS.maxStatsSenders));
        const stats = { type, peer: count(m.peer, 'peer', max), cache: count(m.cache, 'cache', max), origin: count(m.origin, 'origin', max) };
        return from === undefined ? stats : { ...stats, from };
      }
      case 'ping':
        return { type };
      default:
        return refuse('unknown message type');
    }
  });
}

/** Turns a frame the tracker sent (its text, or the value peerjs parsed from it) into a typed message, or a coded refusal. Never throws. */
export function parseTrackerServerMessage(raw: unknown, limits: Pick<TrackerParseLimits, 'maxMessageChars'> = {}): TrackerParseResult<TrackerServerMessage> {
  return parseFrame(raw, limits.maxMessageChars ?? TRACKER_LIMITS.maxMessageChars, (m, type): TrackerServerMessage => {
    switch (type) {
      case 'joined': {
        const manifestVersion = optional(m.manifestVersion, (v) => count(v, 'manifestVersion'));
        const joined = { type, peerId: matching(m.peerId, PEER_ID_RE, 'peerId') };
        return manifestVersion === undefined ? joined : { ...joined, manifestVersion };
      }
      case 'peers': {
        const peers = m.peers;
        if (!Array.isArray(peers) || peers.length > TRACKER_LIMITS.maxPeersPerAnswer) refuse('peers is not a bounded array');
        for (const id of peers) matching(id, PEER_ID_RE, 'peers[]');
        const requestId = optional(m.requestId, (v) => count(v, 'requestId'));
        const answer = { type, hash: hash(m.hash, 'hash'), peers: peers as string[], holders: count(m.holders, 'holders') };
        return requestId === undefined ? answer : { ...answer, requestId };
      }
      case 'manifest':
        return { type, version: count(m.version, 'version'), etag: matching(m.etag, ETAG_RE, 'etag') };
      case 'error': {
        if (!isErrorCode(m.code)) refuse('error code is not in the catalogue');
        const message = typeof m.message === 'string' ? m.message.slice(0, MAX_ERROR_MESSAGE_CHARS) : '';
        return { type, code: m.code, message };
      }
      case 'availability': {
        if (typeof m.full !== 'boolean') refuse('full is not a boolean');
        const counts = readAvailabilityCounts(m.files, TRACKER_LIMITS.maxAvailabilityEntries, 0);
        if (!counts.ok && counts.tooMany) refuse(`more than ${TRACKER_LIMITS.maxAvailabilityEntries} files in one frame`, 'TRACKER_TOO_MANY_HASHES');
        if (!counts.ok) refuse('files is not a map of sha256 SRI values to counts');
        return { type, full: m.full, files: counts.files };
      }
      case 'pong':
        return { type };
      default:
        return refuse('unknown message type');
    }
  });
}
