/**
 * DSSE v1 (github.com/secure-systems-lab/dsse, protocol.md): signatures are over
 * PAE(payloadType, payload) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, where LEN is the
 * ASCII decimal byte length. The payload is signed and verified as exact bytes, never re-serialized.
 */
import { SwarmError } from '../errors.js';
import { fromBase64, fromUtf8, toBase64, utf8 } from './encoding.js';
import type { SigningKey, TrustedKey } from './keys.js';
import { DEFAULT_MAX_ENVELOPE_BYTES, MAX_SIGNATURES, type Envelope } from './types.js';

/** DSSE's pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/** Signs exact payload bytes with every given key. */
export async function signEnvelope(payloadType: string, payload: Uint8Array, signers: readonly SigningKey[]): Promise<Envelope> {
  if (signers.length === 0) throw new SwarmError('CONFIG_INVALID', 'signing needs at least one key');
  const message = pae(payloadType, payload);
  const signatures = await Promise.all(
    signers.map(async (s) => ({
      keyid: s.keyid,
      sig: toBase64(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, s.key, message as BufferSource))),
    })),
  );
  return { payloadType, payload: toBase64(payload), signatures };
}

/** Adds signatures by more keys to an envelope (co-signing for a threshold), keeping the existing ones. */
export async function addSignatures(envelope: Envelope, signers: readonly SigningKey[]): Promise<Envelope> {
  const payload = fromBase64(envelope.payload);
  if (!payload) throw new SwarmError('MANIFEST_MALFORMED', 'payload is not base64');
  const fresh = await signEnvelope(envelope.payloadType, payload, signers);
  const known = new Set(fresh.signatures.map((s) => s.keyid));
  return { ...envelope, signatures: [...envelope.signatures.filter((s) => !known.has(s.keyid)), ...fresh.signatures] };
}

/** The envelope as the JSON text a server publishes. */
export function envelopeToJson(envelope: Envelope): string {
  return JSON.stringify(envelope, null, 2) + '\n';
}

/** Parses untrusted envelope bytes (size-capped first) into its shape, without checking signatures. */
export function parseEnvelope(bytes: Uint8Array | string, maxBytes = DEFAULT_MAX_ENVELOPE_BYTES): Envelope {
  // A string's UTF-8 length is at least its UTF-16 length, so this cap is checked before encoding.
  const size = typeof bytes === 'string' ? bytes.length : bytes.byteLength;
  if (size > maxBytes) throw new SwarmError('MANIFEST_TOO_LARGE', `envelope is ${size} bytes, the cap is ${maxBytes}`, { size, maxBytes });
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : fromUtf8(bytes));
  } catch {
    throw new SwarmError('MANIFEST_MALFORMED', 'the envelope is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SwarmError('MANIFEST_MALFORMED', 'the envelope is not a JSON object');
  }
  const { payloadType, payload, signatures } = value as Record<string, unknown>;
  if (typeof payloadType !== 'string' || typeof payload !== 'string') {
    throw new SwarmError('MANIFEST_MALFORMED', 'the envelope lacks payloadType or payload');
  }
  if (signatures === undefined || (Array.isArray(signatures) && signatures.length === 0)) {
    throw new SwarmError('MANIFEST_SIGNATURE_MISSING');
  }
  if (!Array.isArray(signatures) || signatures.length > MAX_SIGNATURES) {
    throw new SwarmError('MANIFEST_MALFORMED', `signatures is not a list of at most ${MAX_SIGNATURES}`);
  }
  for (const s of signatures) {
    if (typeof s !== 'object' || s === null || typeof s.keyid !== 'string' || typeof s.sig !== 'string' || s.keyid.length > 256) {
      throw new SwarmError('MANIFEST_MALFORMED', 'a signature is not { keyid, sig }');
    }
  }
  return { payloadType, payload, signatures: signatures.map((s: EnvelopeSig) => ({ keyid: s.keyid, sig: s.sig })) };
}

type EnvelopeSig = { keyid: string; sig: string };

/**
 * Checks an envelope's signatures against trusted keys and returns the verified payload bytes.
 * Counts distinct trusted keys with a valid signature; below the threshold it throws the most
 * telling code: SIGNATURE_INVALID (a trusted key's signature failed), KEY_UNKNOWN (no trusted key
 * signed), THRESHOLD (valid, but too few).
 */
export async function verifyEnvelope(
  envelope: Envelope,
  keys: readonly TrustedKey[],
  threshold = 1,
): Promise<{ payload: Uint8Array; keyids: string[] }> {
  if (!Number.isInteger(threshold) || threshold < 1) throw new SwarmError('CONFIG_INVALID', 'threshold must be a positive integer');
  if (threshold > new Set(keys.map((k) => k.keyid)).size) {
    throw new SwarmError('CONFIG_INVALID', `threshold ${threshold} is more than the ${keys.length} trusted keys`);
  }
  const payload = fromBase64(envelope.payload);
  if (!payload) throw new SwarmError('MANIFEST_MALFORMED', 'payload is not base64');
  const message = pae(envelope.payloadType, payload);
  const valid = new Set<string>();
  let invalidByTrusted = 0;
  for (const signature of envelope.signatures) {
    const trusted = keys.find((k) => k.keyid === signature.keyid);
    if (!trusted || valid.has(trusted.keyid)) continue;
    const sig = fromBase64(signature.sig);
    const ok =
      sig !== undefined &&
      sig.length === 64 &&
      (await crypto.subtle.verify({ name: 'Ed25519' }, trusted.key, sig as BufferSource, message as BufferSource));
    if (ok) valid.add(trusted.keyid);
    else invalidByTrusted++;
  }
  if (valid.size >= threshold) return { payload, keyids: [...valid] };
  if (invalidByTrusted > 0) throw new SwarmError('MANIFEST_SIGNATURE_INVALID', 'a signature by a trusted key does not verify');
  if (valid.size === 0) throw new SwarmError('MANIFEST_KEY_UNKNOWN', 'no signature is by a trusted key');
  throw new SwarmError('MANIFEST_THRESHOLD', `${valid.size} trusted signature(s), the threshold is ${threshold}`, {
    valid: valid.size,
    threshold,
  });
}
