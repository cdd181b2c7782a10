/**
 * The one error catalogue every side shares. Codes are data (they survive bundles, Comlink and
 * JSON), never reused, and tests assert on them rather than on message text.
 */

/** Every error code swarmcdn emits, with the HTTP status a server answers it with. */
export const ERROR_CATALOGUE = {
  // Manifest and envelope verification (protocol/manifest).
  MANIFEST_TOO_LARGE: { status: 413, summary: 'the signed envelope is larger than the accepted cap' },
  MANIFEST_MALFORMED: { status: 400, summary: 'the envelope or the manifest inside it does not parse or breaks the format' },
  MANIFEST_PAYLOAD_TYPE: { status: 400, summary: 'the envelope carries a payload type other than a swarmcdn manifest' },
  MANIFEST_SIGNATURE_MISSING: { status: 400, summary: 'the envelope has no signature' },
  MANIFEST_SIGNATURE_INVALID: { status: 400, summary: 'a signature by a trusted key does not verify over the payload' },
  MANIFEST_KEY_UNKNOWN: { status: 400, summary: 'no signature is by a trusted key' },
  MANIFEST_THRESHOLD: { status: 400, summary: 'fewer trusted keys signed than the threshold requires' },
  MANIFEST_EXPIRED: { status: 400, summary: 'the manifest is past its expiresAt' },
  MANIFEST_ROLLBACK: { status: 409, summary: 'the manifest version is lower than one already accepted' },
  MANIFEST_VERSION_CONFLICT: { status: 409, summary: 'the manifest has the version of one already published, with other content' },
  MANIFEST_PATH_INVALID: { status: 400, summary: 'a file key is not an absolute, normalized, percent-encoded URL path' },
  MANIFEST_TREE_MISMATCH: { status: 409, summary: 'the files on disk differ from the manifest (changed, missing or unlisted)' },
  // Keys and configuration.
  KEY_INVALID: { status: 400, summary: 'a key file or key value is not a usable Ed25519 key' },
  CONFIG_INVALID: { status: 400, summary: 'an option has a value that cannot be used' },
  // Local input and output (CLI, server start-up).
  USAGE: { status: 400, summary: 'the command line is wrong' },
  INPUT_NOT_FOUND: { status: 404, summary: 'a file or directory named as input does not exist or cannot be read' },
  OUTPUT_EXISTS: { status: 409, summary: 'the output exists and overwriting it was not asked for' },
  FILE_CHANGED: { status: 409, summary: 'a file changed while it was being hashed' },
  OUTPUT_FAILED: { status: 500, summary: 'an output file could not be written' },
  // Tracker (server/plugins/tracker.ts): each closes the offending socket; others are unaffected.
  TRACKER_MALFORMED: { status: 400, summary: 'a tracker frame is not a JSON text message of the tracker protocol' },
  TRACKER_FRAME_TOO_LARGE: { status: 413, summary: 'a tracker frame is larger than the accepted cap' },
  TRACKER_TOO_MANY_HASHES: { status: 413, summary: 'a tracker message lists, or a peer holds, more hashes than allowed' },
  TRACKER_RATE_LIMITED: { status: 429, summary: 'a tracker client sent messages faster than its rate allows' },
  TRACKER_NOT_JOINED: { status: 400, summary: 'a tracker message other than join or ping arrived before join' },
  TRACKER_ALREADY_JOINED: { status: 409, summary: 'a second join arrived on a socket whose tracker session already joined' },
  TRACKER_ID_TAKEN: { status: 409, summary: 'another live tracker connection already joined with this peer id and site' },
  TRACKER_ID_NOT_OWNED: { status: 403, summary: 'a tracker join named a peer id other than the one its signalling socket proved' },
  TRACKER_SLOW_CLIENT: { status: 503, summary: 'a tracker client does not read its answers and its send buffer overflowed' },
  // Server: HTTP answers at the edge (server/error-reply.ts maps every failure to one of these).
  NOT_FOUND: { status: 404, summary: 'nothing is served at this path' },
  PATH_FORBIDDEN: { status: 403, summary: 'the path is not canonical or leaves the site directory' },
  RANGE_NOT_SATISFIABLE: { status: 416, summary: 'the requested byte range lies outside the file' },
  REQUEST_INVALID: { status: 400, summary: 'the request is malformed or fails its schema' },
  MANIFEST_UNAVAILABLE: { status: 404, summary: 'this server has no verified manifest to publish' },
  MANIFEST_BUILD_FAILED: { status: 500, summary: 'building and signing the manifest of the site failed' },
  ASSET_UNAVAILABLE: { status: 503, summary: 'a browser bundle (sw.js, bridge.js) is not built' },
  // Signalling: the PeerJS-compatible endpoint (server/plugins/signalling.ts). They travel in the
  // payload of an ERROR frame; the HTTP status applies to the id route.
  SIGNAL_PARAMS_INVALID: { status: 400, summary: 'the signalling request lacks a usable key, id or token' },
  SIGNAL_KEY_INVALID: { status: 404, summary: 'the PeerJS key is not the one this server serves' },
  SIGNAL_ID_UNKNOWN: { status: 403, summary: 'the peer id was not issued by this server, or was not claimed in time' },
  SIGNAL_ID_TAKEN: { status: 409, summary: 'the peer id is bound to another token' },
  SIGNAL_CAPACITY: { status: 503, summary: 'the server holds as many signalling connections as it accepts' },
  SIGNAL_ADDRESS_CAPACITY: { status: 429, summary: 'this client address holds as many signalling connections as one address may' },
  SIGNAL_ADDRESS_IDS: { status: 429, summary: 'this client address holds as many issued, unclaimed peer ids as one address may' },
  SIGNAL_FRAME_TOO_LARGE: { status: 413, summary: 'a signalling frame is larger than the accepted cap' },
  SIGNAL_RATE_LIMITED: { status: 429, summary: 'a signalling connection sent messages faster than its rate' },
  SIGNAL_MALFORMED: { status: 400, summary: 'a signalling frame is not JSON, has the wrong shape, an unknown type or no destination' },
  SIGNAL_TIMEOUT: { status: 408, summary: 'a signalling socket sent nothing, not even a HEARTBEAT, for longer than the alive timeout' },
  SIGNAL_REPLACED: { status: 409, summary: 'the same id and token connected again, and the newer socket replaced this one' },
  SIGNAL_PEERS_HIDDEN: { status: 401, summary: 'this server never lists its peers' },
  // Peers and the page bridge (page-bridge/, sw/): a failed peer never fails a page; the SW falls
  // back to the origin. These travel as `{ ok: false, code }` over Comlink and in peer frames.
  BRIDGE_UNAVAILABLE: { status: 503, summary: 'no page bridge answered the service worker within its wait' },
  PEER_NONE: { status: 404, summary: 'no usable peer holds the content' },
  PEER_CONNECT_TIMEOUT: { status: 504, summary: 'a peer data connection did not open within the connect timeout' },
  PEER_STALLED: { status: 504, summary: 'a peer sent nothing for a request within the stall timeout' },
  PEER_CLOSED: { status: 502, summary: 'the peer connection closed before the chunk was complete' },
  PEER_ABSENT: { status: 404, summary: 'the peer answered that it does not hold the chunk' },
  PEER_PROTOCOL: { status: 400, summary: 'a peer sent a frame that does not parse or breaks the peer protocol' },
  PEER_BUSY: { status: 503, summary: 'the peer serves as many requests as it accepts' },
  CHUNK_MISMATCH: { status: 502, summary: 'bytes from a peer do not hash to the manifest value' },
  REQUEST_CANCELLED: { status: 499, summary: 'the request was cancelled by its caller' },
  // Anything unexpected: a bug. SWARMCDN_DEBUG=1 prints the stack in the CLI.
  INTERNAL: { status: 500, summary: 'an unexpected internal failure' },
} as const satisfies Record<string, { status: number; summary: string }>;

/** A code from the catalogue. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error that carries its catalogue code (and optional details) as plain data. */
export class SwarmError extends Error {
  override readonly name = 'SwarmError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOGUE[code].summary);
    this.code = code;
    this.details = details;
  }
}

/** True for a catalogue code; use it on codes that arrive over a wire. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/** Checks by name and code, not instanceof, so it works across bundles and realms. */
export function isSwarmError(error: unknown): error is SwarmError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'SwarmError' &&
    isErrorCode((error as { code?: unknown }).code)
  );
}
