/**
 * Hostile manifest envelopes for the trust tests, made from a real one with protocol/'s own
 * functions: the same manifest at another version signed by a key the SW does not trust, or by
 * the site key with the signature then broken.
 */
import { readFile } from 'node:fs/promises';
import {
  MANIFEST_PAYLOAD_TYPE,
  envelopeToJson,
  fromBase64,
  generateKeyPair,
  importPrivateKeyPem,
  parseEnvelope,
  parseManifest,
  serializeManifest,
  signEnvelope,
  toBase64,
  type Manifest,
} from '../../../protocol/index.js';

function manifestOf(envelopeJson: string): Manifest {
  const payload = fromBase64(parseEnvelope(envelopeJson).payload);
  if (!payload) throw new Error('the envelope payload is not base64');
  return parseManifest(payload);
}

async function signAt(envelopeJson: string, version: number, privatePem: string): Promise<string> {
  const payload = serializeManifest({ ...manifestOf(envelopeJson), version });
  return envelopeToJson(await signEnvelope(MANIFEST_PAYLOAD_TYPE, payload, [await importPrivateKeyPem(privatePem)]));
}

/** The envelope's manifest at `version`, signed by a fresh key nobody trusts (MANIFEST_KEY_UNKNOWN). */
export async function signedByStranger(envelopeJson: string, version: number): Promise<string> {
  return signAt(envelopeJson, version, (await generateKeyPair()).privatePem);
}

/** The envelope's manifest at `version`, signed by the site key, with the signature's bytes flipped (MANIFEST_SIGNATURE_INVALID). */
export async function withBrokenSignature(envelopeJson: string, version: number, siteKeyFile: string): Promise<string> {
  const good = parseEnvelope(await signAt(envelopeJson, version, await readFile(siteKeyFile, 'utf8')));
  const sig = fromBase64(good.signatures[0]!.sig);
  if (!sig) throw new Error('the signature is not base64');
  const broken = sig.map((b, i) => (i < 8 ? b ^ 0xff : b));
  return envelopeToJson({ ...good, signatures: [{ keyid: good.signatures[0]!.keyid, sig: toBase64(broken) }] });
}

/** The version inside an envelope (not verified). */
export function versionOf(envelopeJson: string): number {
  return manifestOf(envelopeJson).version;
}
