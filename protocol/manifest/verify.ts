/** The one manifest verifier: the CLI, the server and the service worker all call this. */
import { SwarmError } from '../errors.js';
import { parseEnvelope, verifyEnvelope } from './dsse.js';
import type { TrustedKey } from './keys.js';
import { parseManifest } from './manifest.js';
import { DEFAULT_MAX_ENVELOPE_BYTES, MANIFEST_PAYLOAD_TYPE, type Manifest } from './types.js';

/** What a verifier needs besides the envelope. */
export interface VerifyOptions {
  /** Public keys the caller trusts (baked into the SW, `--pub` for the CLI). */
  readonly keys: readonly TrustedKey[];
  /** Distinct trusted keys that must have signed; default 1. */
  readonly threshold?: number;
  /** The current time; default the clock. */
  readonly now?: Date;
  /** The highest version already accepted; a lower one is a rollback. Default 0. */
  readonly minVersion?: number;
  /** Cap on the envelope's size in bytes; default 32 MiB. */
  readonly maxBytes?: number;
}

/** A manifest whose signature, expiry and version have been checked. */
export interface VerifiedManifest {
  readonly manifest: Manifest;
  /** The exact signed bytes. */
  readonly payload: Uint8Array;
  /** Keyids of the trusted keys whose signatures verified. */
  readonly keyids: readonly string[];
}

/**
 * Verifies a signed manifest: size cap, envelope shape, payload type, signatures (before the
 * payload is parsed at all), manifest format, expiry, then rollback. Throws a SwarmError whose code
 * names the first check that failed.
 */
export async function verifyManifest(envelopeBytes: Uint8Array | string, options: VerifyOptions): Promise<VerifiedManifest> {
  const envelope = parseEnvelope(envelopeBytes, options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES);
  if (envelope.payloadType !== MANIFEST_PAYLOAD_TYPE) {
    throw new SwarmError('MANIFEST_PAYLOAD_TYPE', `payloadType is ${JSON.stringify(envelope.payloadType.slice(0, 100))}`);
  }
  const { payload, keyids } = await verifyEnvelope(envelope, options.keys, options.threshold ?? 1);
  const manifest = parseManifest(payload);
  const now = (options.now ?? new Date()).getTime();
  if (now >= Date.parse(manifest.expiresAt)) {
    throw new SwarmError('MANIFEST_EXPIRED', `the manifest expired at ${manifest.expiresAt}`, { expiresAt: manifest.expiresAt });
  }
  const minVersion = options.minVersion ?? 0;
  if (manifest.version < minVersion) {
    throw new SwarmError('MANIFEST_ROLLBACK', `version ${manifest.version} is lower than the accepted ${minVersion}`, {
      version: manifest.version,
      minVersion,
    });
  }
  return { manifest, payload, keyids };
}
