/**
 * Ed25519 keys through WebCrypto, so the same code signs in Node and verifies in a service worker.
 * Private keys travel as PKCS#8 PEM, public keys as SPKI PEM; a keyid is the lowercase hex SHA-256
 * of the public key's SPKI DER bytes.
 */
import { SwarmError } from '../errors.js';
import { fromBase64, toBase64, toHex } from './encoding.js';

const ED25519 = { name: 'Ed25519' } as const;

/** A public key the verifier trusts, with its keyid. */
export interface TrustedKey {
  readonly keyid: string;
  readonly key: CryptoKey;
}

/** A private key that signs envelopes, with its keyid. */
export interface SigningKey {
  readonly keyid: string;
  readonly key: CryptoKey;
}

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

function pemBody(pem: string, label: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  const der = match ? fromBase64(match[1]!.replace(/\s+/g, '')) : undefined;
  if (!der || der.length === 0) throw new SwarmError('KEY_INVALID', `not a PEM "${label}" block`);
  return der;
}

function toPem(der: Uint8Array, label: string): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The keyid of a public key given as SPKI DER. */
export async function keyIdOf(spki: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await subtle().digest('SHA-256', spki as BufferSource)));
}

/** A new Ed25519 key pair as PEM texts, and its keyid. */
export async function generateKeyPair(): Promise<{ privatePem: string; publicPem: string; keyid: string }> {
  const pair = (await subtle().generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  const spki = new Uint8Array(await subtle().exportKey('spki', pair.publicKey));
  return { privatePem: toPem(pkcs8, 'PRIVATE KEY'), publicPem: toPem(spki, 'PUBLIC KEY'), keyid: await keyIdOf(spki) };
}

/** Imports a public key from SPKI DER bytes; KEY_INVALID if it is not Ed25519. */
export async function importPublicKeySpki(spki: Uint8Array): Promise<TrustedKey> {
  let key: CryptoKey;
  try {
    key = await subtle().importKey('spki', spki as BufferSource, ED25519, true, ['verify']);
  } catch {
    throw new SwarmError('KEY_INVALID', 'not an Ed25519 public key (SPKI)');
  }
  return { keyid: await keyIdOf(spki), key };
}

/** Imports a public key from SPKI PEM (`swarmcdn.pub`). */
export async function importPublicKeyPem(pem: string): Promise<TrustedKey> {
  return importPublicKeySpki(pemBody(pem, 'PUBLIC KEY'));
}

/** Imports a private key from PKCS#8 PEM (`swarmcdn.key`), deriving its keyid from its public half. */
export async function importPrivateKeyPem(pem: string): Promise<SigningKey> {
  const pkcs8 = pemBody(pem, 'PRIVATE KEY');
  let key: CryptoKey;
  let jwk: JsonWebKey;
  try {
    key = await subtle().importKey('pkcs8', pkcs8 as BufferSource, ED25519, true, ['sign']);
    jwk = await subtle().exportKey('jwk', key);
  } catch {
    throw new SwarmError('KEY_INVALID', 'not an Ed25519 private key (PKCS#8)');
  }
  // The JWK export of a private key carries the public point `x`; re-import it to get SPKI bytes.
  const publicKey = await subtle().importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, ED25519, true, ['verify']);
  const spki = new Uint8Array(await subtle().exportKey('spki', publicKey));
  return { keyid: await keyIdOf(spki), key };
}

/** The SPKI PEM of the public half of a private key, so a signer can print or export it. */
export async function publicPemOf(privatePem: string): Promise<string> {
  const pkcs8 = pemBody(privatePem, 'PRIVATE KEY');
  const key = await subtle().importKey('pkcs8', pkcs8 as BufferSource, ED25519, true, ['sign']);
  const jwk = await subtle().exportKey('jwk', key);
  const publicKey = await subtle().importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, ED25519, true, ['verify']);
  return toPem(new Uint8Array(await subtle().exportKey('spki', publicKey)), 'PUBLIC KEY');
}
