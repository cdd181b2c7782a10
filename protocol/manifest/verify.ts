/**
 * The one manifest verifier: the CLI, the server and the service worker all call this. Signers
 * (`manifest build`, `manifest sign`) run the same checks, minus the keys, on what they are about
 * to sign, so nothing is ever signed that a verifier would refuse.
 */
import { SwarmError } from '../errors.js';
import { envelopeToJson, parseEnvelope, verifyEnvelope } from './dsse.js';
import { fromBase64, toBase64 } from './encoding.js';
import type { TrustedKey } from './keys.js';
import { parseManifest } from './manifest.js';
import { DEFAULT_MAX_ENVELOPE_BYTES, MANIFEST_PAYLOAD_TYPE, type Envelope, type Manifest } from './types.js';

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

/** The keyless part of VerifyOptions: what `checkManifestEnvelope` takes. */
export type EnvelopeCheckOptions = Pick<VerifyOptions, 'now' | 'maxBytes'>;

/** A manifest whose signature, expiry and version have been checked. */
export interface VerifiedManifest {
  readonly manifest: Manifest;
  /** The exact signed bytes. */
  readonly payload: Uint8Array;
  /** Keyids of the trusted keys whose signatures verified. */
  readonly keyids: readonly string[];
}

/** Base64 of 64 bytes: an Ed25519 signature always has this length, so a placeholder sizes an envelope exactly. */
const SIGNATURE_PLACEHOLDER = 'A'.repeat(86) + '==';

function checkPayloadType(envelope: Envelope): void {
  if (envelope.payloadType !== MANIFEST_PAYLOAD_TYPE) {
    throw new SwarmError('MANIFEST_PAYLOAD_TYPE', `payloadType is ${JSON.stringify(envelope.payloadType.slice(0, 100))}`);
  }
}

function checkExpiry(manifest: Manifest, now: Date | undefined): void {
  if ((now ?? new Date()).getTime() >= Date.parse(manifest.expiresAt)) {
    throw new SwarmError('MANIFEST_EXPIRED', `the manifest expired at ${manifest.expiresAt}`, { expiresAt: manifest.expiresAt });
  }
}

/**
 * Verifies a signed manifest: size cap, envelope shape, payload type, signatures (before the
 * payload is parsed at all), manifest format, expiry, then rollback. Throws a SwarmError whose code
 * names the first check that failed.
 */
export async function verifyManifest(envelopeBytes: Uint8Array | string, options: VerifyOptions): Promise<VerifiedManifest> {
  const envelope = parseEnvelope(envelopeBytes, options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES);
  checkPayloadType(envelope);
  const { payload, keyids } = await verifyEnvelope(envelope, options.keys, options.threshold ?? 1);
  const manifest = parseManifest(payload);
  checkExpiry(manifest, options.now);
  const minVersion = options.minVersion ?? 0;
  if (manifest.version < minVersion) {
    throw new SwarmError('MANIFEST_ROLLBACK', `version ${manifest.version} is lower than the accepted ${minVersion}`, {
      version: manifest.version,
      minVersion,
    });
  }
  return { manifest, payload, keyids };
}

/**
 * Every check of `verifyManifest` that needs no key, by the same functions: size cap, envelope
 * shape and signature count, payload type, the manifest's format and caps, expiry. For a signer
 * on its own output; a receiver must call verifyManifest (it checks signatures before parsing).
 */
export function checkManifestEnvelope(envelopeBytes: Uint8Array | string, options: EnvelopeCheckOptions = {}): Manifest {
  const envelope = parseEnvelope(envelopeBytes, options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES);
  checkPayloadType(envelope);
  const payload = fromBase64(envelope.payload);
  if (!payload) throw new SwarmError('MANIFEST_MALFORMED', 'payload is not base64');
  const manifest = parseManifest(payload);
  checkExpiry(manifest, options.now);
  return manifest;
}

/**
 * `checkManifestEnvelope` on the envelope that signing `payload` with these keyids will produce,
 * before any signature exists: an Ed25519 signature's length is fixed, so the size is exact.
 */
export function checkBeforeSigning(payload: Uint8Array, keyids: readonly string[], options: EnvelopeCheckOptions = {}): Manifest {
  const probe: Envelope = {
    payloadType: MANIFEST_PAYLOAD_TYPE,
    payload: toBase64(payload),
    signatures: keyids.map((keyid) => ({ keyid, sig: SIGNATURE_PLACEHOLDER })),
  };
  return checkManifestEnvelope(envelopeToJson(probe), options);
}
