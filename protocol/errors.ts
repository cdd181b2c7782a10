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
